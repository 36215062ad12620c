package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestNarrowBandsSameBits runs a first layer of few channels (conv1's
// shape: 3 input channels, no input gradient, a mask, a fused ReLU)
// through backwardNarrow in bands (narrowBands) and over whole images
// (noNarrowBands) and wants the same bits in every gradient, on 1, 2 and
// 3 workers: one band (16×16), several (32×32, 48×48: 4 and 9 bands of
// 256), bands of the GEMM's balanced blocks that are not whole groups of
// 16 pixels (20×20: 2 of 200, where the whole image is taken), 8 and 32
// output channels; and single 4×4 images of 1 to 4 channels, 1 to 4
// output channels and kernels of 1×1 and 3×3, where gy (O·16 values) may
// be too small for maskTranspose's sums and the column gradient a product
// for gemm's plain loop (both taken whole).
func TestNarrowBandsSameBits(t *testing.T) {
	ran := false
	for _, s := range []struct{ c, o, k, hw, batch int }{
		{3, 32, 3, 16, 3}, {3, 32, 3, 32, 3}, {3, 8, 3, 48, 3}, {3, 32, 3, 20, 3},
		{3, 1, 3, 4, 1}, {3, 2, 3, 4, 1}, {3, 3, 3, 4, 1}, {1, 4, 1, 4, 1}, {2, 4, 3, 4, 1}, {4, 16, 3, 4, 1},
	} {
		t.Run(fmt.Sprintf("c%d_o%d_k%d_%dx%d_b%d", s.c, s.o, s.k, s.hw, s.hw, s.batch), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(s.hw*s.o), 11))
			pad := s.k / 2
			cfg := Conv2DConfig{In: s.c, Out: s.o, Kernel: [2]int{s.k, s.k}, Padding: [2]int{pad, pad}, ReLU: true}
			gk := s.k * s.k
			x := New[float32](s.batch, s.c, s.hw, s.hw)
			off := New[float32](s.batch, 2*gk, s.hw, s.hw)
			mask := New[float32](s.batch, gk, s.hw, s.hw)
			dy := New[float32](s.batch, s.o, s.hw, s.hw)
			fillNorm(rng, 1.5, x, off, mask, dy)
			run := func(bands bool, workers int) ([][]float32, bool) {
				old := setWorkers(workers)
				defer setWorkers(old)
				saved := noNarrowBands
				noNarrowBands = !bands
				defer func() { noNarrowBands = saved }()
				d, err := NewDeformConv2D[float32]("dcn", cfg, 1, rand.New(rand.NewPCG(3, 4)))
				if err != nil {
					t.Fatal(err)
				}
				d.NoInputGrad = true
				if _, err = d.Forward(x, off, mask); err != nil {
					t.Fatal(err)
				}
				_, doff, dmask, err := d.Backward(dy)
				if err != nil {
					t.Fatal(err)
				}
				return [][]float32{doff.data, dmask.data, d.Weight.Grad.data, d.Bias.Grad.data}, d.narrowBandsRan
			}
			want, _ := run(false, 1)
			for _, w := range []int{1, 2, 3} {
				got, banded := run(true, w)
				if banded {
					ran = true
				}
				if banded && s.hw == 20 {
					t.Fatal("bands of 200 pixels taken: dotsGradRange wants groups of 16")
				}
				for k := range want {
					for i := range want[k] {
						if math.Float32bits(got[k][i]) != math.Float32bits(want[k][i]) {
							t.Fatalf("workers %d, bands %v: gradient %d [%d] = %v, want %v", w, banded, k, i,
								got[k][i], want[k][i])
						}
					}
				}
			}
		})
	}
	if narrowHere() && narrowDwT() && dotsGradAVXOK() && !ran {
		t.Fatal("narrowBands never ran here, where its kernels do")
	}
}
