package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestScatterColsSameBits runs the scatter that also writes the columns
// (scatterColsVec: scatterCols512 with AVX-512, dcnScatterColsAVX with
// AVX2) against the gather and the scatter it replaces (dcnGather, then
// dcnScatter, on the same inputs): the columns, the corner sums and the
// input gradient the same bits, for runs of 8 to 48 channels (the AVX2
// kernel's multiples of 8 where AVX-512's take 16) in pixels of as many or
// more values (offset groups), odd entry counts, corners shared by several
// entries and sample points at the image's last pixel; no write to the
// input gradient's channels outside the run. TestSamplingGuardPages checks
// that it reads and writes nothing past its operands.
func TestScatterColsSameBits(t *testing.T) {
	if !scatterColsVecOK(16) {
		t.Skip("no AVX-512 or AVX2: scatterColsVec does not run")
	}
	rng := rand.New(rand.NewPCG(41, 42))
	for _, s := range []struct{ n, pix, ch0, count int }{
		{16, 16, 0, 1}, {16, 16, 0, 37}, {32, 32, 0, 53}, {16, 32, 16, 29}, {48, 48, 0, 7}, {32, 64, 32, 91},
		{8, 8, 0, 1}, {8, 16, 8, 41}, {24, 24, 0, 17}, {40, 64, 24, 9},
	} {
		t.Run(fmt.Sprintf("n%d_pix%d_ch%d_count%d", s.n, s.pix, s.ch0, s.count), func(t *testing.T) {
			if !scatterColsVecOK(s.n) {
				t.Skipf("no kernel here for runs of %d channels", s.n)
			}
			const wp, hp = 9, 8
			row := wp * s.pix
			img := make([]float32, hp*wp*s.pix)
			for i := range img {
				img[i] = float32(rng.NormFloat64())
			}
			base := make([]int32, s.count)
			for i := range base {
				// At most the last pixel whose bottom-right corner is in the
				// image less one, so that base[2]+1 below stays in it.
				base[i] = int32(rng.IntN((hp-1)*wp - 2))
			}
			if s.count > 4 {
				base[3], base[4] = base[2], base[2]+1 // shared and neighbouring corners
			}
			// The last entry's bottom-right corner is the image's last pixel.
			base[s.count-1] = int32((hp-1)*wp - 2)
			wts := make([]float32, 4*s.count)
			for i := range wts {
				wts[i] = float32(rng.Float64())
			}
			g := make([]float32, s.count*s.n)
			for i := range g {
				g[i] = float32(rng.NormFloat64())
			}
			colWant := make([]float32, len(g))
			dWant, sWant := make([]float32, len(img)), make([]float32, 4*s.count)
			dcnGather(colWant, img[s.ch0:], s.pix, row, base, wts, s.n)
			dcnScatter(dWant[s.ch0:], img[s.ch0:], s.pix, row, base, wts, g, sWant, s.n)

			// The input gradient's channels outside the run must stay 0
			// (checked below).
			rows := append([]float32(nil), g...)
			dimg, sums := make([]float32, len(img)), make([]float32, 4*s.count)
			scatterColsVec(dimg[s.ch0:], img[s.ch0:], s.pix, row, base, wts, rows, sums, s.n)
			for i := range rows {
				if math.Float32bits(rows[i]) != math.Float32bits(colWant[i]) {
					t.Fatalf("column %d = %v, the gather's %v", i, rows[i], colWant[i])
				}
			}
			for i := range sums {
				if math.Float32bits(sums[i]) != math.Float32bits(sWant[i]) {
					t.Fatalf("corner sum %d = %v, the scatter's %v", i, sums[i], sWant[i])
				}
			}
			for i := range dimg {
				if math.Float32bits(dimg[i]) != math.Float32bits(dWant[i]) {
					t.Fatalf("input gradient %d = %v, the scatter's %v", i, dimg[i], dWant[i])
				}
				if c := i % s.pix; (c < s.ch0 || c >= s.ch0+s.n) && dimg[i] != 0 {
					t.Fatalf("input gradient %d (channel %d) written outside the run", i, c)
				}
			}
		})
	}
}

// BenchmarkScatterCols is one band of conv2's banded backward (256 pixels
// of 9 taps, 32 channels, a 66×66 padded image): "two" is the gather and
// then the scatter it replaced, "one" the scatter that writes the columns.
func BenchmarkScatterCols(b *testing.B) {
	if !scatterColsVecOK(32) {
		b.Skip("no AVX-512 or AVX2")
	}
	const n, wp, count = 32, 66, 256 * 9
	rng := rand.New(rand.NewPCG(1, 2))
	img := make([]float32, wp*wp*n)
	for i := range img {
		img[i] = float32(rng.NormFloat64())
	}
	base := make([]int32, count)
	for i := range base {
		// Sample points near a 3×3 neighbourhood of pixels in raster order.
		p, k := i/9, i%9
		y, x := p/64+k/3+rng.IntN(2), p%64+k%3+rng.IntN(2)
		base[i] = int32(min(y, wp-2)*wp + min(x, wp-2))
	}
	wts := make([]float32, 4*count)
	for i := range wts {
		wts[i] = float32(rng.Float64())
	}
	g, col := make([]float32, count*n), make([]float32, count*n)
	dimg, s := make([]float32, len(img)), make([]float32, 4*count)
	for i := range g {
		g[i] = float32(rng.NormFloat64())
	}
	b.Run("two", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			dcnGather(col, img, n, wp*n, base, wts, n)
			dcnScatter(dimg, img, n, wp*n, base, wts, g, s, n)
		}
	})
	b.Run("one", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			scatterColsVec(dimg, img, n, wp*n, base, wts, g, s, n)
		}
	})
}

// TestSmallColsSameBits runs a deformable layer's training Forward and
// Backward on small images with the tables kept and no columns, the
// scatter writing them again (smallColsOK), and with the column matrix
// kept from Forward: the same bits in the output and every gradient, twice
// in a row (the second pass on the first's buffers: a missed write shows as
// a NaN) and on 1 and 3 workers; 7×7 and 8×8 maps of 32 channels, 5×5 of
// 64, offset groups of 16 channels, a mask or none, a fused ReLU or none.
// Where runs of channels are not a multiple of 16 (groups of 8) the column
// matrix is kept.
func TestSmallColsSameBits(t *testing.T) {
	for _, s := range []struct {
		c, o, hw, groups, batch int
		mask, relu, taken       bool
	}{
		{32, 32, 7, 1, 6, true, true, true}, {32, 32, 7, 1, 11, false, true, true},
		{32, 16, 8, 2, 9, true, false, true}, {64, 32, 5, 1, 7, true, true, true},
		{16, 40, 7, 1, 3, false, false, true}, {32, 32, 7, 4, 5, true, true, false},
	} {
		name := fmt.Sprintf("c%d_o%d_%dpx_g%d_b%d_mask%v_relu%v", s.c, s.o, s.hw, s.groups, s.batch, s.mask, s.relu)
		t.Run(name, func(t *testing.T) {
			if s.taken && !scatterCols512OK(s.c/s.groups) {
				t.Skip("no AVX-512: scatterCols does not run")
			}
			rng := rand.New(rand.NewPCG(uint64(s.c*s.hw), uint64(s.batch)))
			gk := 9 * s.groups
			x, off := New[float32](s.batch, s.c, s.hw, s.hw), New[float32](s.batch, 2*gk, s.hw, s.hw)
			dy, mask := New[float32](s.batch, s.o, s.hw, s.hw), New[float32](s.batch, gk, s.hw, s.hw)
			fillNorm(rng, 1.5, x, off, dy, mask)
			if !s.mask {
				mask = nil
			}
			cfg := Conv2DConfig{In: s.c, Out: s.o, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: s.relu}
			run := func(cols bool) [][]float32 {
				d, err := NewDeformConv2D[float32]("dcn", cfg, s.groups, rand.New(rand.NewPCG(7, 8)))
				if err != nil {
					t.Fatal(err)
				}
				d.noSmallCol = !cols
				var out [][]float32
				for pass := range 2 {
					for _, p := range d.Params() {
						clear(p.Grad.data)
					}
					if pass == 1 {
						for _, tt := range []*Tensor[float32]{d.y, d.dx, d.doff, d.dmask} {
							if tt != nil {
								for i := range tt.data {
									tt.data[i] = float32(math.NaN())
								}
							}
						}
					}
					y, err := d.Forward(x, off, mask)
					if err != nil {
						t.Fatal(err)
					}
					if want := cols && s.taken; d.smallCols != want || (d.cache == nil) != want {
						t.Fatalf("tables without columns: %v (cache %v), want %v", d.smallCols, d.cache != nil, want)
					}
					dx, doff, dmask, err := d.Backward(dy)
					if err != nil {
						t.Fatal(err)
					}
					out = [][]float32{y.data, dx.data, doff.data, d.Weight.Grad.data, d.Bias.Grad.data}
					if dmask != nil {
						out = append(out, dmask.data)
					}
				}
				return out
			}
			want, got := run(false), run(true)
			old := setWorkers(1)
			one := run(true)
			setWorkers(3)
			three := run(true)
			setWorkers(old)
			names := []string{"y", "dx", "doffset", "dweight", "dbias", "dmask"}
			for k := range want {
				for i := range want[k] {
					w := math.Float32bits(want[k][i])
					if math.Float32bits(got[k][i]) != w || math.Float32bits(one[k][i]) != w ||
						math.Float32bits(three[k][i]) != w {
						t.Fatalf("%s[%d] = %v without columns kept (%v on 1 worker, %v on 3), %v with them",
							names[k], i, got[k][i], one[k][i], three[k][i], want[k][i])
					}
				}
			}
		})
	}
}
