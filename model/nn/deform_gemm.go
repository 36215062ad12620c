package nn

// The deformable layer's forward GEMM over its pixel-major columns.
//
// The layer's column matrix holds one row of ck values per output pixel
// (deformCols.transposed): the sampling writes it that way because a
// pixel's taps are runs of channels in the pixel-major padded image. The
// general GEMM computes W·colᵀ (output channels × pixels) and so packs
// colᵀ, a transpose of every column value (8×8 blocks, about 15 % of the
// forward at 64×64 with 32 channels). pixGemm computes col·Wᵀ instead
// (pixels × output channels) with a micro-kernel that reads 8 column rows
// in place and broadcasts their values against the packed weight (ck rows
// of 32 output channels, packed once a Forward), then transposes only the
// O×n product: O values a pixel instead of ck.
//
// The sums are the GEMM's to the bit: each output is one chain of fused
// multiply-adds over the inner dimension in order, cut into the same
// blocks (pixBlock) as the GEMM's kc, whose partial sums are added in
// order (TestPixGemmMatchesGemm). So the layer's outputs do not depend on
// the route, and the banded and whole-image passes still agree.

// pixGemmFits reports whether pixGemm runs for o output channels of
// float32 here.
func pixGemmFits[T Float](o int) bool {
	var z T
	_, f32 := any(z).(float32)
	return f32 && o%32 == 0 && o > 0 && pixGemmOK()
}

// packPixWeight packs w (o×ck, row-major) for pixGemm: for each block of
// 32 output channels, ck rows of 32.
func packPixWeight(dst, w []float32, o, ck int) {
	for ob := 0; ob < o; ob += 32 {
		transposeInto(w[ob*ck:], ck, dst[ob*ck:], 32, 32, ck)
	}
}

// pixGemmScratch is the scratch pixGemm needs beside its output: the last
// partial block of 8 pixels, padded, and its 8×32 tile.
func pixGemmScratch(ck int) int { return 8*ck + 8*32 }

// pixGemm sets out (n×o, pixel-major, row stride o) = col (n×ck, row stride
// ck) times the weight packed by packPixWeight; scratch holds
// pixGemmScratch(ck) values. The same sums as gemm(false, true, o, n, ck,
// 1, w, ck, col, ck, 0, ·, n), transposed.
func pixGemm(o, n, ck int, wp, col, out, scratch []float32) {
	kc := pixBlock(ck)
	n8 := n / 8 * 8
	_, _, _ = col[n*ck-1], out[n*o-1], wp[o*ck-1]
	for p := 0; p < n8; p += 8 {
		for k0 := 0; k0 < ck; k0 += kc {
			kb := min(kc, ck-k0)
			for ob := 0; ob < o; ob += 32 {
				pixKernel(kb, col[p*ck+k0:], ck, wp[ob*ck+k0*32:], out[p*o+ob:], o, k0 > 0)
			}
		}
	}
	if n8 == n {
		return
	}
	rest := n - n8
	a, tile := scratch[:8*ck], scratch[8*ck:8*ck+8*32]
	copy(a, col[n8*ck:n*ck])
	clear(a[rest*ck:])
	for ob := 0; ob < o; ob += 32 {
		for k0 := 0; k0 < ck; k0 += kc {
			pixKernel(min(kc, ck-k0), a[k0:], ck, wp[ob*ck+k0*32:], tile, 32, k0 > 0)
		}
		for r := range rest {
			copy(out[(n8+r)*o+ob:][:32], tile[r*32:][:32])
		}
	}
}

// colsTimesWeight sets out (o×n, row stride n) = W·colᵀ for n pixel rows of
// col: through pixGemm where it fits (then pix, n·o values, holds the
// pixel-major product), else through the GEMM. scratch holds
// pixGemmScratch(ck) values.
func (d *DeformConv2D[T]) colsTimesWeight(n int, col, out, pix, scratch []T) {
	g := d.g
	ck := g.ck()
	if d.wPix != nil {
		pixGemm(g.O, n, ck, any(d.wPix).([]float32), any(col).([]float32), any(pix).([]float32), any(scratch).([]float32))
		transposeInto(pix[:n*g.O], g.O, out, n, n, g.O)
		return
	}
	gemm(false, true, g.O, n, ck, 1, d.wT, ck, col, ck, 0, out, n)
}

// forwardScratch is the scratch colsTimesWeight needs for n pixels beside
// the output: the pixel-major product and pixGemm's own.
func (d *DeformConv2D[T]) forwardScratch(n int) int {
	if d.wPix == nil {
		return 0
	}
	return n*d.g.O + pixGemmScratch(d.g.ck())
}

// forwardChunks is convForward for the deformable layer, with its GEMM
// through colsTimesWeight: chunks of whole images as convForward cuts
// them, columns kept in the cache (same layout) when there is one.
func (d *DeformConv2D[T]) forwardChunks(bias, y []T) {
	g := d.g
	ck, p, pc := g.ck(), g.p(), g.pc()
	per, n := chunking(g.B, pc)
	workers := Workers()
	d.ws.reserve(workers)
	dc := deformCols[T]{d}
	dc.reserve(workers)
	parallelN(workers, n, func(worker, c int) {
		lo, hi := c*per, min(g.B, (c+1)*per)
		nb := hi - lo
		ld := nb * pc
		extra := d.forwardScratch(ld)
		buf := d.ws.get(worker, ck*ld+g.O*ld+extra)
		col, out, rest := buf[:ck*ld], buf[ck*ld:ck*ld+g.O*ld], buf[ck*ld+g.O*ld:]
		if d.cache != nil {
			col = chunkCols(d.cache, g, per, c)
		}
		for b := lo; b < hi; b++ {
			dc.im2col(worker, b, col, ld, (b-lo)*pc)
		}
		var pix, scratch []T
		if extra > 0 {
			pix, scratch = rest[:ld*g.O], rest[ld*g.O:]
		}
		d.colsTimesWeight(ld, col, out, pix, scratch)
		for b := lo; b < hi; b++ {
			for o := range g.O {
				src := out[o*ld+(b-lo)*pc:][:pc]
				dst := y[(b*g.O+o)*p:][:p]
				var bv T
				if bias != nil {
					bv = bias[o]
				}
				biasRows(dst, g.Wo, src, g.LW, g.Ho, g.Wo, bv, g.ReLU)
			}
		}
	})
}
