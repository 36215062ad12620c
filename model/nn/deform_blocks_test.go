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
// last one of each image filled with the chunk's others by fillTails), 25
// (9 of 16), 16 and 64 (multiples of 16), 9 (fewer than 16:
// fillRangeLean), 36 with 64 channels (blocks of 24 pixels), 3 channels
// (pixels of 4, blocks larger than a chunk), two offset groups, a mask or
// none, a bias or none, the ReLU, batches whose last chunk is short; and
// the geometry fillSmall's pixel positions and taps are computed from:
// maps that are not square, stride 2, dilation 2, unequal padding, 1×3
// (four offset groups), 5×3 and 5×5 kernels; on 1 and 2 workers. It
// checks that forwardBlocks and fillSmall ran where they should.
func TestForwardBlocksSameBits(t *testing.T) {
	withBaseChecks(t)
	if !pixAVX2OK() {
		t.Skip("not the AVX2 route: forwardBlocks does not run")
	}
	type geo struct{ h, w, kh, kw, sh, sw, dh, dw, ph, pw int }
	sq := func(hw int) geo { return geo{hw, hw, 3, 3, 1, 1, 1, 1, 1, 1} }
	for _, s := range []struct {
		c, o int
		geo
		groups, batch           int
		mask, relu, bias, small bool
	}{
		{32, 32, sq(7), 1, 64, true, true, true, true}, {32, 32, sq(7), 1, 13, false, false, true, true},
		{32, 64, sq(7), 2, 9, true, false, false, true}, {16, 32, sq(5), 1, 11, true, true, true, true},
		{8, 32, sq(4), 1, 10, true, false, true, true}, {32, 32, sq(8), 1, 7, false, true, true, true},
		{32, 32, sq(3), 1, 20, true, true, true, false}, {64, 32, sq(6), 1, 9, true, false, true, true},
		{3, 32, sq(7), 1, 12, true, true, false, true},
		{32, 32, geo{7, 5, 3, 3, 1, 1, 1, 1, 1, 1}, 1, 10, true, true, true, true},
		{32, 32, geo{13, 13, 3, 3, 2, 2, 1, 1, 1, 1}, 1, 9, true, false, true, true},
		{32, 32, geo{13, 7, 3, 3, 2, 1, 1, 1, 1, 1}, 1, 9, true, true, true, true},
		{32, 32, geo{7, 7, 3, 3, 1, 1, 2, 2, 2, 2}, 1, 11, true, true, true, true},
		{32, 32, geo{7, 7, 3, 3, 1, 1, 1, 2, 1, 2}, 1, 11, false, true, true, true},
		{32, 32, geo{7, 7, 3, 3, 1, 1, 1, 1, 0, 1}, 1, 9, true, true, true, true},
		{32, 32, geo{7, 7, 1, 3, 1, 1, 1, 1, 0, 1}, 4, 9, true, true, true, true},
		{32, 32, geo{7, 7, 5, 3, 1, 1, 1, 1, 2, 1}, 1, 9, true, true, true, true},
		{32, 32, geo{7, 7, 5, 5, 1, 1, 1, 1, 2, 2}, 1, 9, true, false, true, true},
	} {
		name := fmt.Sprintf("c%d_o%d_%d×%d_k%d×%d_s%d×%d_d%d×%d_p%d×%d_g%d_b%d_mask%v_relu%v_bias%v", s.c, s.o, s.h, s.w,
			s.kh, s.kw, s.sh, s.sw, s.dh, s.dw, s.ph, s.pw, s.groups, s.batch, s.mask, s.relu, s.bias)
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(s.c*s.h*s.w), uint64(s.batch)))
			cfg := Conv2DConfig{In: s.c, Out: s.o, Kernel: [2]int{s.kh, s.kw}, Stride: [2]int{s.sh, s.sw},
				Padding: [2]int{s.ph, s.pw}, Dilation: [2]int{s.dh, s.dw}, ReLU: s.relu, NoBias: !s.bias}
			gk := s.groups * s.kh * s.kw
			ho := (s.h+2*s.ph-s.dh*(s.kh-1)-1)/s.sh + 1
			wo := (s.w+2*s.pw-s.dw*(s.kw-1)-1)/s.sw + 1
			x := New[float32](s.batch, s.c, s.h, s.w)
			off := New[float32](s.batch, 2*gk, ho, wo)
			fillNorm(rng, 1.5, x, off)
			var mask *Tensor[float32]
			if s.mask {
				mask = New[float32](s.batch, gk, ho, wo)
				for i := range mask.data {
					mask.data[i] = float32(rng.Float64() * 2)
				}
			}
			// Some points far out (a base of 0, no weight) and some on
			// the border.
			for i := 0; i < len(off.data); i += 7 {
				off.data[i] = float32(rng.IntN(2*s.h+6) - s.h - 3)
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
