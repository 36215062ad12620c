package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestPixGemmMatchesGemm multiplies pixel-major column matrices by a weight
// through pixGemm and through the GEMM (gemm(false, true, …), as the
// deformable layer's forward did) and wants the same bits: inner
// dimensions of one block and of two and three (the GEMM's kc), pixel
// counts with and without a partial block of 8, 32 to 128 output
// channels, values of every size (so that a sum in another order or
// another blocking would differ).
func TestPixGemmMatchesGemm(t *testing.T) {
	if !pixGemmOK() {
		t.Skip("no AVX-512 GEMM kernels here: pixGemm does not run")
	}
	for _, s := range []struct{ o, n, ck int }{
		{32, 64, 27}, {32, 61, 27}, {32, 8, 9}, {32, 5, 288}, {32, 245, 288}, {64, 100, 288},
		{64, 256, 576}, {32, 19, 600}, {128, 33, 257}, {96, 16, 1}, {32, 256, 800},
	} {
		t.Run(fmt.Sprintf("o%d_n%d_ck%d", s.o, s.n, s.ck), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(s.n), uint64(s.ck)))
			w := make([]float32, s.o*s.ck)
			col := make([]float32, s.n*s.ck)
			for _, v := range [][]float32{w, col} {
				for i := range v {
					v[i] = float32(rng.NormFloat64() * math.Exp(rng.NormFloat64()*3))
				}
			}
			want := make([]float32, s.o*s.n)
			gemm(false, true, s.o, s.n, s.ck, 1, w, s.ck, col, s.ck, 0, want, s.n)
			wp := make([]float32, len(w))
			packPixWeight(wp, w, s.o, s.ck)
			got := make([]float32, s.n*s.o)
			for i := range got {
				got[i] = float32(math.NaN()) // every value must be written
			}
			pixGemm(s.o, s.n, s.ck, wp, col, got, make([]float32, pixGemmScratch(s.ck)))
			for p := range s.n {
				for o := range s.o {
					g, w := got[p*s.o+o], want[o*s.n+p]
					if math.Float32bits(g) != math.Float32bits(w) {
						t.Fatalf("out[pixel %d][channel %d] = %v, the GEMM gives %v", p, o, g, w)
					}
				}
			}
		})
	}
}

// TestPixGemmFits: the route runs for float32 with output channels in
// blocks of 32 (where the CPU has the kernel), never for float64.
func TestPixGemmFits(t *testing.T) {
	for _, c := range []struct {
		o    int
		want bool
	}{{32, true}, {64, true}, {16, false}, {27, false}, {0, false}} {
		if got := pixGemmFits[float32](c.o); got != (c.want && pixGemmOK()) {
			t.Errorf("pixGemmFits[float32](%d) = %v", c.o, got)
		}
	}
	if pixGemmFits[float64](32) {
		t.Error("pixGemmFits[float64](32) = true")
	}
}
