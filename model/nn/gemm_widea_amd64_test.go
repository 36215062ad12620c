//go:build amd64

package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestWideASameBits multiplies products of 257 to 512 columns (the
// deformable backward's at 7×7 with 32 channels among them: 32×288×245
// and, transposed A, 245×288×32) through sgemmWideA, A's full row panels
// read in place, and through sgemm, which packs them, with every
// transposition, ragged row panels, β 0 and 1 and row strides past the
// widths, and wants the same bits; then runs deformable layers whose
// backward takes it (288 and 432 column values a pixel) with and without
// (noWideA): the same bits in every gradient. It asserts the route runs.
func TestWideASameBits(t *testing.T) {
	if sgemmKern != sgemmAVX2 {
		t.Skip("not the AVX2 kernels: sgemmWideA is sgemm")
	}
	rng := rand.New(rand.NewPCG(151, 152))
	for _, s := range []struct{ m, n, k int }{
		{32, 288, 245}, {245, 288, 32}, {7, 257, 13}, {13, 300, 257}, {6, 512, 9}, {64, 400, 300}, {1, 288, 392},
	} {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			for _, beta := range []float32{0, 1} {
				if !wideARuns(s.m, s.n, s.k, 1) {
					t.Fatalf("%v: sgemmWideA does not take its route", s)
				}
				lda, ldb, ldc := s.k+3, s.n+5, s.n+1
				ra, rb := s.m, s.k
				if tr[0] {
					lda, ra = s.m+3, s.k
				}
				if tr[1] {
					ldb, rb = s.k+5, s.n
				}
				rnd := func(k int) []float32 {
					v := make([]float32, k)
					for i := range v {
						v[i] = float32(rng.NormFloat64())
					}
					return v
				}
				a, b, c0 := rnd(ra*lda), rnd(rb*ldb), rnd(s.m*ldc)
				got, want := append([]float32(nil), c0...), append([]float32(nil), c0...)
				sgemmWideA(tr[0], tr[1], s.m, s.n, s.k, 1, a, lda, b, ldb, beta, got, ldc)
				sgemm(tr[0], tr[1], s.m, s.n, s.k, 1, a, lda, b, ldb, beta, want, ldc)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%v trans %v beta %v: c[%d] = %v in place, %v packed", s, tr, beta, i, got[i], want[i])
					}
				}
			}
		}
	}
	for _, s := range []struct{ c, hw, batch int }{{32, 7, 13}, {48, 5, 6}, {32, 9, 3}} {
		t.Run(fmt.Sprintf("layer_c%d_%dpx_b%d", s.c, s.hw, s.batch), func(t *testing.T) {
			if !wideARuns(32, 9*s.c, s.hw*s.hw, 1) || !wideARuns(s.hw*s.hw, 9*s.c, 32, 1) {
				t.Fatal("the layer's backward products do not take sgemmWideA's route")
			}
			r := rand.New(rand.NewPCG(uint64(s.c), uint64(s.batch)))
			x, off := New[float32](s.batch, s.c, s.hw, s.hw), New[float32](s.batch, 18, s.hw, s.hw)
			dy, mask := New[float32](s.batch, 32, s.hw, s.hw), New[float32](s.batch, 9, s.hw, s.hw)
			fillNorm(r, 1.5, x, off, dy, mask)
			cfg := Conv2DConfig{In: s.c, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}
			run := func(wide bool) [][]float32 {
				noWideA = !wide
				defer func() { noWideA = false }()
				d, err := NewDeformConv2D[float32]("dcn", cfg, 1, rand.New(rand.NewPCG(7, 8)))
				if err != nil {
					t.Fatal(err)
				}
				y, err := d.Forward(x, off, mask)
				if err != nil {
					t.Fatal(err)
				}
				dx, doff, dmask, err := d.Backward(dy)
				if err != nil {
					t.Fatal(err)
				}
				return [][]float32{y.data, dx.data, doff.data, dmask.data, d.Weight.Grad.data, d.Bias.Grad.data}
			}
			want, got := run(false), run(true)
			for k, name := range []string{"y", "dx", "doffset", "dmask", "dweight", "dbias"} {
				for i := range want[k] {
					if math.Float32bits(got[k][i]) != math.Float32bits(want[k][i]) {
						t.Fatalf("%s[%d] = %v with A in place, %v packed", name, i, got[k][i], want[k][i])
					}
				}
			}
		})
	}
}
