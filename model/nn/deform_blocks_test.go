package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestForwardBlocksSameBits runs a deformable layer's Forward on small
// images (at most 64 pixels, no column cache) through forwardBlocks (the
// columns sampled and multiplied in blocks of fwdBlockPixels, the lean
// table filled by fillSmall where it runs, else by fillRangeLean) and
// through forwardChunks' whole chunks (noFwdBlocks: im2col's fill and
// gather, then pixGemm), and wants the same bits: maps of 49 pixels (the
// last 16 filled again by fillSmall's second run), 25 (9 of 16), 16 and
// 64 (multiples of 16: one run), 9 (fewer than 16: fillRangeLean), 36
// with 64 channels (blocks of 24 pixels), 3 channels (pixels of 4, blocks
// larger than a chunk), two offset groups, a mask or none, a bias or
// none, the ReLU, batches whose last chunk is short; on 1 and 2 workers.
// It checks that forwardBlocks and fillSmall ran where they should.
func TestForwardBlocksSameBits(t *testing.T) {
	if !pixAVX2OK() {
		t.Skip("not the AVX2 route: forwardBlocks does not run")
	}
	for _, s := range []struct {
		c, o, hw, groups, batch int
		mask, relu, bias, small bool
	}{
		{32, 32, 7, 1, 64, true, true, true, true}, {32, 32, 7, 1, 13, false, false, true, true},
		{32, 64, 7, 2, 9, true, false, false, true}, {16, 32, 5, 1, 11, true, true, true, true},
		{8, 32, 4, 1, 10, true, false, true, true}, {32, 32, 8, 1, 7, false, true, true, true},
		{32, 32, 3, 1, 20, true, true, true, false}, {64, 32, 6, 1, 9, true, false, true, true},
		{3, 32, 7, 1, 12, true, true, false, true},
	} {
		name := fmt.Sprintf("c%d_o%d_%dpx_g%d_b%d_mask%v_relu%v_bias%v", s.c, s.o, s.hw, s.groups, s.batch, s.mask, s.relu, s.bias)
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(s.c*s.hw), uint64(s.batch)))
			cfg := Conv2DConfig{In: s.c, Out: s.o, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: s.relu, NoBias: !s.bias}
			gk := s.groups * 9
			x := New[float32](s.batch, s.c, s.hw, s.hw)
			off := New[float32](s.batch, 2*gk, s.hw, s.hw)
			fillNorm(rng, 1.5, x, off)
			var mask *Tensor[float32]
			if s.mask {
				mask = New[float32](s.batch, gk, s.hw, s.hw)
				for i := range mask.data {
					mask.data[i] = float32(rng.Float64() * 2)
				}
			}
			// Some points far out (a base of 0, no weight) and some on
			// the border.
			for i := 0; i < len(off.data); i += 7 {
				off.data[i] = float32(rng.IntN(2*s.hw+6) - s.hw - 3)
			}
			run := func(blocks, small bool, workers int) []float32 {
				old := setWorkers(workers)
				defer setWorkers(old)
				noFwdBlocks = !blocks
				defer func() { noFwdBlocks = false }()
				d, err := NewDeformConv2D[float32]("dcn", cfg, s.groups, rand.New(rand.NewPCG(3, 4)))
				if err != nil {
					t.Fatal(err)
				}
				if s.bias {
					fillNorm(rand.New(rand.NewPCG(7, 8)), 1, d.Bias.Value)
				}
				d.NoColumnCache = true
				d.noFillSmall = !small
				y, err := d.Forward(x, off, mask)
				if err != nil {
					t.Fatal(err)
				}
				if d.fwdBlocksRan != blocks {
					t.Fatalf("forwardBlocks ran: %v, want %v", d.fwdBlocksRan, blocks)
				}
				if want := blocks && small && s.small; d.fillSmallRan != want {
					t.Fatalf("fillSmall ran: %v, want %v", d.fillSmallRan, want)
				}
				return y.data
			}
			want := run(false, false, 1)
			for _, c := range []struct {
				small   bool
				workers int
			}{{true, 1}, {false, 1}, {true, 2}} {
				got := run(true, c.small, c.workers)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("fillSmall %v, %d workers: y[%d] = %v, whole chunks give %v", c.small, c.workers, i, got[i], want[i])
					}
				}
			}
		})
	}
}
