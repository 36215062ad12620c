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
// output channels.
func TestNarrowBandsSameBits(t *testing.T) {
	ran := false
	for _, s := range []struct{ o, hw int }{{32, 16}, {32, 32}, {8, 48}, {32, 20}} {
		t.Run(fmt.Sprintf("o%d_%dx%d", s.o, s.hw, s.hw), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(s.hw), 11))
			cfg := Conv2DConfig{In: 3, Out: s.o, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}
			const batch = 3
			x := New[float32](batch, 3, s.hw, s.hw)
			off := New[float32](batch, 18, s.hw, s.hw)
			mask := New[float32](batch, 9, s.hw, s.hw)
			dy := New[float32](batch, s.o, s.hw, s.hw)
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
