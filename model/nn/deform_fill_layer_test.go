package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestFillTAVXLayerSameBits runs a deformable layer's training Forward and
// Backward with dcnFillTAVX's all-taps fills (lean and whole) and with
// every fill tap by tap (noFillTAVX), and wants the
// same bits in y and every gradient, twice in a row and on 1 and 3
// workers: 7×7, 5×5, 9×9, 14×14 and 31×31 maps (the last in bands, the
// banded Backward's whole fills), 3×3, 5×5 and 7×7 kernels, one or two
// offset groups, a mask or none, the column cache or none. Some offsets
// are integers, so that samples land on the image's borders (fy, fx = -1,
// where md and vv differ). Where the AVX2 route runs it checks that
// dcnFillTAVX ran. (A review of lane15w: the unit tests check the kernel's
// fields; this checks that Backward reads them as the kernel lays them out.)
func TestFillTAVXLayerSameBits(t *testing.T) {
	withBaseChecks(t)
	for _, s := range []struct {
		c, o, hw, k, groups, batch int
		mask, noCache              bool
	}{
		{32, 32, 7, 3, 1, 4, true, false}, {32, 32, 7, 3, 1, 4, false, false}, {32, 32, 7, 3, 2, 3, false, false},
		{32, 32, 5, 3, 1, 3, true, false}, {32, 32, 14, 3, 1, 3, true, false}, {32, 32, 7, 5, 1, 3, true, false},
		{32, 32, 14, 5, 2, 2, true, false}, {8, 16, 14, 3, 1, 3, true, false}, {8, 16, 31, 3, 1, 2, true, true},
		{32, 16, 31, 3, 2, 2, false, true}, {8, 8, 13, 7, 1, 2, true, true}, {32, 32, 7, 3, 1, 4, true, true},
		{16, 16, 9, 3, 2, 3, true, false},
		// Ranges of a multiple of 256 pixels: their fields fieldStride apart.
		{8, 8, 16, 3, 1, 2, true, false}, {3, 8, 32, 3, 1, 2, true, false}, {8, 8, 32, 3, 2, 2, false, false},
	} {
		t.Run(fmt.Sprintf("c%d_o%d_%dpx_k%d_g%d_b%d_mask%v_nocache%v", s.c, s.o, s.hw, s.k, s.groups, s.batch, s.mask, s.noCache), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(s.c*s.hw), uint64(s.batch)))
			gk := s.k * s.k * s.groups
			x, off, dy := New[float32](s.batch, s.c, s.hw, s.hw), New[float32](s.batch, 2*gk, s.hw, s.hw), New[float32](s.batch, s.o, s.hw, s.hw)
			mask := New[float32](s.batch, gk, s.hw, s.hw)
			fillNorm(rng, 1.5, x, off, dy, mask)
			for i := 0; i < len(off.data); i += 5 {
				off.data[i] = float32(rng.IntN(2*s.hw+6) - s.hw - 3)
			}
			if !s.mask {
				mask = nil
			}
			cfg := Conv2DConfig{In: s.c, Out: s.o, Kernel: [2]int{s.k, s.k}, Padding: [2]int{s.k / 2, s.k / 2}}
			run := func(tapByTap bool) [][]float32 {
				noFillTAVX = tapByTap
				defer func() { noFillTAVX = false }()
				d, err := NewDeformConv2D[float32]("dcn", cfg, s.groups, rand.New(rand.NewPCG(7, 8)))
				if err != nil {
					t.Fatal(err)
				}
				d.NoColumnCache = s.noCache
				return trainTwice(t, d, x, off, mask, dy, nil)
			}
			want := run(true)
			fillTRan.Store(false)
			got := run(false)
			if vecOK && !fill512TOK() && fillTAVXOK(gk) && !fillTRan.Load() {
				t.Fatal("dcnFillTAVX did not run: the test no longer covers it")
			}
			old := setWorkers(3)
			other := run(false)
			setWorkers(old)
			sameLayerBits(t, want, got, other, "all taps at once", "tap by tap")
		})
	}
}
