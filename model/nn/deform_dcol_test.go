package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestDcolPixMatchesGemm wants dcolPix's column gradient to be the general
// GEMM's gemm(true, false, …) to the bit: output channels in one block of
// the inner dimension and in two (O > 256), bands that are whole groups of
// 8 pixels and not, ck of one block of 32 and of many; values spread over
// many binary orders so that a different order of the sums shows.
func TestDcolPixMatchesGemm(t *testing.T) {
	if !pixGemmOK() {
		t.Skip("no AVX-512 GEMM kernels here: dcolPix does not run")
	}
	for _, s := range []struct{ o, ck, nq, ld int }{
		{64, 576, 256, 1024}, {128, 1152, 256, 256}, {8, 32, 5, 40}, {300, 96, 37, 50}, {64, 288, 61, 61},
	} {
		t.Run(fmt.Sprintf("o%d_ck%d_nq%d", s.o, s.ck, s.nq), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(s.o), uint64(s.ck)))
			gy, wT := make([]float32, s.o*s.ld), make([]float32, s.o*s.ck)
			for _, v := range [][]float32{gy, wT} {
				for i := range v {
					v[i] = float32(rng.NormFloat64() * math.Exp(rng.NormFloat64()*3))
				}
			}
			want := make([]float32, s.nq*s.ck)
			gemm(true, false, s.nq, s.ck, s.o, 1, gy, s.ld, wT, s.ck, 0, want, s.ck)
			wp := make([]float32, len(wT))
			packDcolWeight(wp, wT, s.o, s.ck)
			got := make([]float32, s.nq*s.ck)
			for i := range got {
				got[i] = float32(math.NaN()) // every value must be written
			}
			dcolPix(s.o, s.ck, s.nq, gy, s.ld, wp, make([]float32, s.nq*s.o), got, make([]float32, pixGemmScratch(s.o)))
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("dcol[pixel %d][%d] = %v, the GEMM gives %v", i/s.ck, i%s.ck, got[i], want[i])
				}
			}
		})
	}
}
