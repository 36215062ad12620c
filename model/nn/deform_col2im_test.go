package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestCol2imBandsSameBits runs deformable layers whose Backward scatters
// through col2im on images of more than col2imBand output pixels with no
// table in hand, once filling each image's table a band at a time
// (col2imBand pixels: each band's scatter and offset gradients read it in
// cache) and once whole (noCol2imBands), and wants the same bits in every
// gradient, on 1 and 3 workers: 3 input channels with and without the
// input gradient (the corner sums alone, dots4), with and without a mask,
// a last band of a few pixels, a stride, two offset groups, 8 channels
// (the column GEMMs' Backward).
func TestCol2imBandsSameBits(t *testing.T) {
	withBaseChecks(t)
	for _, s := range []struct {
		c, o, h, w, stride, groups int
		mask, noInput              bool
	}{
		{3, 8, 20, 20, 1, 1, true, true}, {3, 8, 20, 20, 1, 1, true, false}, {3, 8, 33, 17, 1, 1, false, true},
		{3, 8, 41, 41, 2, 1, true, false}, {8, 8, 24, 24, 1, 2, true, false}, {8, 16, 17, 19, 1, 1, false, false},
		{3, 8, 16, 32, 1, 1, true, true}, // 512: two whole bands
	} {
		t.Run(fmt.Sprintf("c%d_o%d_%dx%d_s%d_g%d_mask%v_noinput%v", s.c, s.o, s.h, s.w, s.stride, s.groups, s.mask,
			s.noInput), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(s.h), uint64(s.w)))
			cfg := Conv2DConfig{In: s.c, Out: s.o, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1},
				Stride: [2]int{s.stride, s.stride}}
			x := New[float32](2, s.c, s.h, s.w)
			g, err := geometry("dcn", cfg, x)
			if err != nil {
				t.Fatal(err)
			}
			if g.p() <= col2imBand {
				t.Fatalf("%d pixels: not more than a band", g.p())
			}
			gk := 9 * s.groups
			off, dy := New[float32](2, 2*gk, g.Ho, g.Wo), New[float32](2, s.o, g.Ho, g.Wo)
			mask := New[float32](2, gk, g.Ho, g.Wo)
			fillNorm(rng, 1.5, x, off, dy, mask)
			for i := 0; i < len(off.data); i += 7 {
				off.data[i] = float32(rng.IntN(9) - 4) // whole pixels: corners on the borders
			}
			if !s.mask {
				mask = nil
			}
			run := func(whole bool, workers int) [][]float32 {
				noCol2imBands = whole
				old := setWorkers(workers)
				defer func() { noCol2imBands = false; setWorkers(old) }()
				d, err := NewDeformConv2D[float32]("dcn", cfg, s.groups, rand.New(rand.NewPCG(7, 8)))
				if err != nil {
					t.Fatal(err)
				}
				// Not dotsGrad, which takes such layers' whole images
				// before col2im where the pixels are whole groups of 8.
				d.NoInputGrad, d.noBands, d.noDotsGrad = s.noInput, true, true
				var out [][]float32
				for range 2 { // both passes, the second on the first's buffers
					for _, p := range d.Params() {
						clear(p.Grad.data)
					}
					if _, err := d.Forward(x, off, mask); err != nil {
						t.Fatal(err)
					}
					col2imBandsRan.Store(false)
					dx, doff, dmask, err := d.Backward(dy)
					if err != nil {
						t.Fatal(err)
					}
					if ran := col2imBandsRan.Load(); ran == whole {
						t.Fatalf("whole tables %v: col2im filled in bands: %v", whole, ran)
					}
					out = append(out, doff.Clone().data, d.Weight.Grad.Clone().data, d.Bias.Grad.Clone().data)
					if dmask != nil {
						out = append(out, dmask.Clone().data)
					}
					if dx != nil {
						out = append(out, dx.Clone().data)
					}
				}
				return out
			}
			for _, workers := range []int{1, 3} {
				want, got := run(true, workers), run(false, workers)
				for k := range want {
					for i := range want[k] {
						if math.Float32bits(got[k][i]) != math.Float32bits(want[k][i]) {
							t.Fatalf("%d workers: output %d [%d] = %v in bands, %v whole", workers, k, i, got[k][i],
								want[k][i])
						}
					}
				}
			}
		})
	}
}
