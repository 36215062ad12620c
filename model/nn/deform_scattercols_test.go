package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestScatterColsSameBits runs the scatter that also writes the columns
// (scatterCols512) against the gather and the scatter it replaces
// (dcnGather, then dcnScatter, on the same inputs): the columns, the corner
// sums and the input gradient the same bits, for runs of 16, 32 and 48
// channels in pixels of as many or more values (offset groups), odd entry
// counts, corners shared by several entries and sample points at the
// image's last pixel (the kernel reads and writes no further).
func TestScatterColsSameBits(t *testing.T) {
	if !scatterCols512OK(16) {
		t.Skip("no AVX-512: scatterCols512 does not run")
	}
	rng := rand.New(rand.NewPCG(41, 42))
	for _, s := range []struct{ n, pix, ch0, count int }{
		{16, 16, 0, 1}, {16, 16, 0, 37}, {32, 32, 0, 53}, {16, 32, 16, 29}, {48, 48, 0, 7}, {32, 64, 32, 91},
	} {
		t.Run(fmt.Sprintf("n%d_pix%d_ch%d_count%d", s.n, s.pix, s.ch0, s.count), func(t *testing.T) {
			const wp, hp = 9, 8
			row := wp * s.pix
			img := make([]float32, hp*wp*s.pix)
			for i := range img {
				img[i] = float32(rng.NormFloat64())
			}
			base := make([]int32, s.count)
			for i := range base {
				base[i] = int32(rng.IntN((hp-1)*wp - 1))
			}
			if s.count > 4 {
				base[3], base[4] = base[2], base[2]+1 // shared and neighbouring corners
			}
			base[s.count-1] = int32((hp-1)*wp - 2) // the bottom-right corner is the image's last pixel
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

			// Exact-length slices: a read or write past them would be the
			// kernel's, and the guard below sees any write outside.
			rows := append([]float32(nil), g...)
			dimg, sums := make([]float32, len(img)), make([]float32, 4*s.count)
			scatterCols512(dimg[s.ch0:], img[s.ch0:], s.pix, row, base, wts, rows, sums, s.n)
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
	if !scatterCols512OK(32) {
		b.Skip("no AVX-512")
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
			scatterCols512(dimg, img, n, wp*n, base, wts, g, s, n)
		}
	})
}
