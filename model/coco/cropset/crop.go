package cropset

import (
	"image"
	"math"

	"github.com/disintegration/imaging"

	"github.com/deformscope/deformscope/model/coco"
)

// cropRect returns the square of whole pixels that the crop of box b covers in a w×h image: the
// box's longer side plus context on each side, centred on the box, shrunk to the image's shorter
// side if larger, and moved inside the image (so the crop is never padded and never distorted).
func cropRect(b coco.Box, w, h int, context float64) image.Rectangle {
	side := max(b.W, b.H) * (1 + 2*context)
	s := int(math.Round(min(side, float64(min(w, h)))))
	s = max(1, min(s, w, h))
	x0 := int(math.Round(b.X + b.W/2 - float64(s)/2))
	y0 := int(math.Round(b.Y + b.H/2 - float64(s)/2))
	x0 = max(0, min(x0, w-s))
	y0 = max(0, min(y0, h-s))
	return image.Rect(x0, y0, x0+s, y0+s)
}

type subImager interface {
	SubImage(r image.Rectangle) image.Image
}

// cropInto cuts rect (relative to img's origin) out of img, resizes it to size×size with a linear
// filter (which widens when it shrinks, so it averages rather than skips pixels) and writes it to
// dst as 3 planes of RGB bytes. Grey and CMYK images come out as RGB; transparent pixels are
// composed over black. rs holds the scratch buffers (one per worker); nil allocates them.
//
// The result is, byte for byte, imaging.Resize(crop, size, size, imaging.Linear) followed by
// composition over black (TestCOCOResizerMatchesImaging): that is what the crops were before the
// resizer was written, and what it still calls for images other than YCbCr (JPEG) and Gray. For
// those two it is 2-3× faster (see BenchmarkCOCOBuildImage and
// docs/perf/coco-resize-benchstat.txt): it converts each pixel of the crop to RGB once, without
// imaging's generic scanner, keeps 3 channels instead of 4 (a JPEG is opaque), starts no goroutines
// (the build already runs one worker per core) and reuses its buffers.
func cropInto(dst []uint8, img image.Image, rect image.Rectangle, size int, rs *resizer) {
	if rs == nil {
		rs = new(resizer)
	}
	rect = rect.Add(img.Bounds().Min)
	switch m := img.(type) {
	case *image.YCbCr:
		rs.resize(dst, rect, size, func(y int, row []uint8) { ycbcrRow(m, rect.Min.X, rect.Max.X, y, row) })
		return
	case *image.Gray:
		rs.resize(dst, rect, size, func(y int, row []uint8) {
			i := m.PixOffset(rect.Min.X, y)
			for x, c := range m.Pix[i : i+rect.Dx()] {
				row[3*x], row[3*x+1], row[3*x+2] = c, c, c
			}
		})
		return
	}
	var src image.Image
	if si, ok := img.(subImager); ok {
		src = si.SubImage(rect)
	} else {
		src = imaging.Crop(img, rect)
	}
	out := imaging.Resize(src, size, size, imaging.Linear)
	plane := size * size
	r, g, b := dst[:plane], dst[plane:2*plane], dst[2*plane:3*plane]
	for y := range size {
		row := out.Pix[y*out.Stride : y*out.Stride+4*size]
		for x := range size {
			p := row[4*x : 4*x+4]
			i := y*size + x
			if a := uint32(p[3]); a == 255 {
				r[i], g[i], b[i] = p[0], p[1], p[2]
			} else {
				r[i] = uint8((uint32(p[0])*a + 127) / 255)
				g[i] = uint8((uint32(p[1])*a + 127) / 255)
				b[i] = uint8((uint32(p[2])*a + 127) / 255)
			}
		}
	}
}

// ycbcrRow converts the pixels x0..x1-1 of row y of m to RGB triples in row, with
// color.YCbCrToRGB's arithmetic (inlined here: the call was a sixth of a crop's time). With 4:2:0
// and 4:2:2 subsampling two neighbours share one chroma sample, whose terms are computed once for
// both; 4:4:4 and 4:4:0 rows (most of COCO's photos) go to ycbcrRowFull. Both convert 16 pixels
// at a time with AVX2 (ycbcr16, ycbcr16full: integer arithmetic, the same bytes).
func ycbcrRow(m *image.YCbCr, x0, x1, y int, row []uint8) {
	yi := m.YOffset(x0, y)
	half := m.SubsampleRatio == image.YCbCrSubsampleRatio420 || m.SubsampleRatio == image.YCbCrSubsampleRatio422
	if half {
		ycbcrRowHalf(m.Y[yi:yi+x1-x0], m.Cb[m.COffset(x0, y):], m.Cr[m.COffset(x0, y):], x0&1 == 1, row)
		return
	}
	full := m.SubsampleRatio == image.YCbCrSubsampleRatio444 || m.SubsampleRatio == image.YCbCrSubsampleRatio440
	if full {
		ci := m.COffset(x0, y)
		ycbcrRowFull(m.Y[yi:yi+x1-x0], m.Cb[ci:], m.Cr[ci:], row)
		return
	}
	for x := x0; x < x1; x++ {
		ci := m.COffset(x, y)
		cb1, cr1 := int32(m.Cb[ci])-128, int32(m.Cr[ci])-128
		cr, cg, cb := 91881*cr1, -22554*cb1-46802*cr1, 116130*cb1
		yy1 := int32(m.Y[yi]) * 0x10101
		yi++
		k := 3 * (x - x0)
		row[k], row[k+1], row[k+2] = clip16(yy1+cr), clip16(yy1+cg), clip16(yy1+cb)
	}
}

// ycbcrRowFull is ycbcrRow for 4:4:4 and 4:4:0 (a chroma sample a pixel in a row): lum holds the
// row's luma samples, cb and cr start at the first pixel's chroma sample. The arithmetic is
// ycbcrRow's; with AVX2, ycbcr16full does 16 pixels at a time.
func ycbcrRowFull(lum, cb, cr []uint8, row []uint8) {
	row = row[:3*len(lum)]
	cb, cr = cb[:len(lum)], cr[:len(lum)]
	i := 0
	if yccAVX2 {
		if blocks := len(lum) / 16; blocks > 0 {
			ycbcr16full(&lum[0], &cb[0], &cr[0], blocks, &row[0])
			i = 16 * blocks
		}
	}
	for ; i < len(lum); i++ {
		cb1, cr1 := int32(cb[i])-128, int32(cr[i])-128
		yy1 := int32(lum[i]) * 0x10101
		p := row[3*i : 3*i+3 : 3*i+3]
		cr, cg, cb := 91881*cr1, -22554*cb1-46802*cr1, 116130*cb1
		p[0], p[1], p[2] = clip16(yy1+cr), clip16(yy1+cg), clip16(yy1+cb)
	}
}

// ycbcrRowHalf is ycbcrRow for 4:2:0 and 4:2:2 (two pixels a chroma sample): lum holds the row's
// luma samples, cb and cr start at the first pixel's chroma sample, and odd says that the first
// pixel is the second of its pair. The arithmetic is ycbcrRow's; only the loop is unrolled by
// pairs.
func ycbcrRowHalf(lum, cb, cr []uint8, odd bool, row []uint8) {
	row = row[:3*len(lum)]
	ci := 0
	px := func(i int, c0, c1, c2 int32) {
		yy1 := int32(lum[i]) * 0x10101
		p := row[3*i : 3*i+3 : 3*i+3]
		p[0], p[1], p[2] = clip16(yy1+c0), clip16(yy1+c1), clip16(yy1+c2)
	}
	chroma := func(ci int) (int32, int32, int32) {
		cb1, cr1 := int32(cb[ci])-128, int32(cr[ci])-128
		return 91881 * cr1, -22554*cb1 - 46802*cr1, 116130 * cb1
	}
	i := 0
	if odd && len(lum) > 0 {
		c0, c1, c2 := chroma(0)
		px(0, c0, c1, c2)
		ci, i = 1, 1
	}
	if yccAVX2 {
		if blocks := (len(lum) - i) / 16; blocks > 0 {
			_, _ = cb[ci+8*blocks-1], cr[ci+8*blocks-1] // the samples the Go loop would read
			ycbcr16(&lum[i], &cb[ci], &cr[ci], blocks, &row[3*i])
			i += 16 * blocks
			ci += 8 * blocks
		}
	}
	for ; i+1 < len(lum); i += 2 {
		c0, c1, c2 := chroma(ci)
		px(i, c0, c1, c2)
		px(i+1, c0, c1, c2)
		ci++
	}
	if i < len(lum) {
		c0, c1, c2 := chroma(ci)
		px(i, c0, c1, c2)
	}
}

// clip16 is color.YCbCrToRGB's rounding of a 16.16 fixed-point value to a byte.
func clip16(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	return uint8(^(v >> 31))
}

// tap is one source pixel's share of an output pixel: imaging's weight times the opaque alpha 255,
// as imaging multiplies it in, so that the sums below are its sums, term for term.
type tap struct {
	index  int
	weight float64
}

// taps holds one output pixel's taps and 1 / the sum of their weights.
type taps struct {
	t   []tap
	inv float64
}

// resizer resamples opaque RGB crops as imaging.Resize does with its Linear filter: a horizontal
// pass into mid, then a vertical one, each output the float64 sum of its taps divided by their
// weight, rounded and clamped.
type resizer struct {
	row, mid []uint8
	row2     []uint8   // the second row of a pair in the horizontal pass
	quad     []uint8   // 4 source rows for hpass4
	acc      []float64 // one output row's sums in the vertical pass
	store    []tap
	wx, wy   []taps
}

// weights returns imaging's precomputed weights for resampling src pixels to dst
// (precomputeWeights, Linear filter), reusing rs.store.
func (rs *resizer) weights(out []taps, dst, src int) []taps {
	du := float64(src) / float64(dst)
	scale := max(du, 1)
	ru := math.Ceil(scale * 1) // Linear's support is 1
	out = out[:0]
	start := len(rs.store)
	for v := range dst {
		fu := (float64(v)+0.5)*du - 0.5
		begin := max(int(math.Ceil(fu-ru)), 0)
		end := min(int(math.Floor(fu+ru)), src-1)
		first := len(rs.store)
		var sum float64
		for u := begin; u <= end; u++ {
			w := 0.0
			if x := math.Abs((float64(u) - fu) / scale); x < 1 {
				w = 1 - x
			}
			if w != 0 {
				sum += w
				rs.store = append(rs.store, tap{u, w})
			}
		}
		t := rs.store[first:]
		var a float64
		for i := range t {
			if sum != 0 {
				t[i].weight /= sum
			}
			t[i].weight = 255 * t[i].weight
			a += t[i].weight
		}
		out = append(out, taps{t: t, inv: 1 / a})
	}
	// Later appends may move store: point the taps at its final backing array.
	all := rs.store[start:]
	k := 0
	for i := range out {
		n := len(out[i].t)
		out[i].t = all[k : k+n : k+n]
		k += n
	}
	return out
}

// clamp is imaging's rounding of a channel sum to a byte.
func clamp(x float64) uint8 {
	v := int64(x + 0.5)
	if v > 255 {
		return 255
	}
	if v > 0 {
		return uint8(v)
	}
	return 0
}

// resize writes the size×size resampling of the square rect to dst as 3 planes; rowAt fills row
// with the RGB triples of the rect's pixels on image row y.
func (rs *resizer) resize(dst []uint8, rect image.Rectangle, size int, rowAt func(y int, row []uint8)) {
	sw, sh := rect.Dx(), rect.Dy()
	plane := size * size
	rs.row = grow(rs.row, 3*sw)
	if sw == size && sh == size {
		for y := range sh {
			rowAt(rect.Min.Y+y, rs.row)
			for x := range sw {
				i := y*size + x
				dst[i], dst[plane+i], dst[2*plane+i] = rs.row[3*x], rs.row[3*x+1], rs.row[3*x+2]
			}
		}
		return
	}
	rs.store = rs.store[:0]
	rs.wx = rs.weights(rs.wx, size, sw)
	rs.wy = rs.weights(rs.wy, size, sh)
	rs.mid = grow(rs.mid, 3*size*sh)
	if resizeAVX2 {
		rs.resizeAVX2(dst, rect, size, rowAt)
		return
	}
	// Horizontal: every source row of the crop to size pixels, two rows at a time (their sums are
	// independent, so the processor overlaps them; each is still added in imaging's order).
	rs.row2 = grow(rs.row2, 3*sw)
	y := 0
	for ; y+1 < sh; y += 2 {
		rowAt(rect.Min.Y+y, rs.row)
		rowAt(rect.Min.Y+y+1, rs.row2)
		out0 := rs.mid[3*size*y : 3*size*(y+1)]
		out1 := rs.mid[3*size*(y+1) : 3*size*(y+2)]
		row0, row1 := rs.row, rs.row2[:len(rs.row)]
		for x, w := range rs.wx {
			var r0, g0, b0, r1, g1, b1 float64
			for _, t := range w.t {
				o := 3 * t.index
				s0 := row0[o : o+3 : o+3]
				s1 := row1[o : o+3 : o+3]
				r0 += float64(s0[0]) * t.weight
				g0 += float64(s0[1]) * t.weight
				b0 += float64(s0[2]) * t.weight
				r1 += float64(s1[0]) * t.weight
				g1 += float64(s1[1]) * t.weight
				b1 += float64(s1[2]) * t.weight
			}
			out0[3*x], out0[3*x+1], out0[3*x+2] = clamp(r0*w.inv), clamp(g0*w.inv), clamp(b0*w.inv)
			out1[3*x], out1[3*x+1], out1[3*x+2] = clamp(r1*w.inv), clamp(g1*w.inv), clamp(b1*w.inv)
		}
	}
	for ; y < sh; y++ {
		rowAt(rect.Min.Y+y, rs.row)
		out := rs.mid[3*size*y : 3*size*(y+1)]
		for x, w := range rs.wx {
			var r, g, b float64
			for _, t := range w.t {
				s := rs.row[3*t.index : 3*t.index+3 : 3*t.index+3]
				r += float64(s[0]) * t.weight
				g += float64(s[1]) * t.weight
				b += float64(s[2]) * t.weight
			}
			out[3*x], out[3*x+1], out[3*x+2] = clamp(r*w.inv), clamp(g*w.inv), clamp(b*w.inv)
		}
	}
	// Vertical: each output row from its source rows, a whole row of sums at a time (each sum still
	// adds its taps in the same order, from zero, so the float64 results are the same).
	n := 3 * size
	acc := rs.accRow(n)
	for y, w := range rs.wy {
		clear(acc)
		for _, t := range w.t {
			src := rs.mid[n*t.index : n*t.index+n]
			src = src[:len(acc)]
			for k, v := range src {
				acc[k] += float64(v) * t.weight
			}
		}
		storeRow(dst, acc, y, size, w.inv)
	}
}

// accRow returns the vertical pass's row of n sums, reusing rs.acc.
func (rs *resizer) accRow(n int) []float64 {
	if cap(rs.acc) < n {
		rs.acc = make([]float64, n)
	}
	return rs.acc[:n]
}

// storeRow writes output row y of the size×size crop from its RGB sums acc, times inv, rounded and
// clamped, into dst's 3 planes.
func storeRow(dst []uint8, acc []float64, y, size int, inv float64) {
	plane := size * size
	for x := range size {
		i := y*size + x
		dst[i], dst[plane+i], dst[2*plane+i] = clamp(acc[3*x]*inv), clamp(acc[3*x+1]*inv), clamp(acc[3*x+2]*inv)
	}
}

// resizeAVX2 is resize's two passes with the kernels hpass4 and vaxpy (resize_amd64.s), which give
// the Go loops' bits: rs.wx and rs.wy are set and rs.mid has its length.
func (rs *resizer) resizeAVX2(dst []uint8, rect image.Rectangle, size int, rowAt func(y int, row []uint8)) {
	sw, sh := rect.Dx(), rect.Dy()
	// 4 source rows at a time, each with the byte past its last triple that hpass4 reads.
	stride := 3*sw + 1
	rs.quad = grow(rs.quad, 4*stride)
	n := 3 * size
	y := 0
	for ; y+3 < sh; y += 4 {
		for j := range 4 {
			rowAt(rect.Min.Y+y+j, rs.quad[j*stride:j*stride+3*sw])
		}
		hpass4(&rs.quad[0], stride, &rs.mid[n*y], n, rs.wx)
	}
	for ; y < sh; y++ {
		rowAt(rect.Min.Y+y, rs.quad[:3*sw])
		hpass4(&rs.quad[0], 0, &rs.mid[n*y], 0, rs.wx)
	}
	acc := rs.accRow(n)
	for y, w := range rs.wy {
		clear(acc)
		for _, t := range w.t {
			vaxpy(&acc[0], &rs.mid[n*t.index], n, t.weight)
		}
		storeRow(dst, acc, y, size, w.inv)
	}
}

func grow(b []uint8, n int) []uint8 {
	if cap(b) < n {
		return make([]uint8, n)
	}
	return b[:n]
}
