package nn

// The deformable layer's Backward for few input channels (dcnn-first's
// conv1: 3 channels, 27 column values a pixel). convBackward computes the
// column gradient dcol = dyᵀ·W with the GEMM, whose 8×32 tiles are all
// partial when a row holds 27 values: each goes through a temporary tile
// and Go's partial-tile store, about a tenth of that Backward. Here the
// same product runs through pixGemm's micro-kernel on the weight padded to
// 32 columns, storing whole 32-wide rows at the ck-value row stride in
// increasing order, so that each row's 32−ck extra values land on the
// following rows' starts before those rows are stored (the matrix has
// 32−ck values of slack after its end); with AVX2 (dcnGemm6x32AVX2, 6
// rows, stored as two halves of 16 channels) the upper halves go first,
// then the lower ones over their spills (narrowKernel). The inner
// dimension (output channels) is one block of the GEMM's kc, summed in
// order from 0: the GEMM's sums to the bit where the GEMM runs its
// kernels; a chunk's product small enough for its plain loop
// (sgemmTinyProduct) goes to gemm (TestNarrowBackwardSameBits,
// TestNarrowBackwardShapes).

// narrowOK reports whether backwardNarrow runs: float32 where pixGemm's
// kernel runs (AVX-512 or AVX2), fewer than 32 column values a pixel,
// output channels in one block of the GEMM's inner dimension.
func (d *DeformConv2D[T]) narrowOK() bool {
	g := d.g
	var z T
	_, f32 := any(z).(float32)
	return f32 && (pixGemmOK() || pixAVX2OK()) && g.ck() < 32 && pixBlock(g.O) == g.O && !d.noNarrow
}

// narrowDcol sets dcol (n×ck, row stride ck, followed by 32−ck values of
// slack) = gyT (n×o, pixel-major) times wn (o rows of 32: the weight's ck
// column values, then zeros); tile holds 8·o + 8·32 values.
func narrowDcol(n, ck, o int, gyT, wn, dcol, tile []float32) {
	rows := pixRows() // 8 with AVX-512, 6 with AVX2
	nr := n / rows * rows
	_, _, _ = gyT[n*o-1], wn[o*32-1], dcol[n*ck+32-ck-1]
	for p := 0; p < nr; p += rows {
		narrowKernel(o, gyT[p*o:], o, wn, dcol[p*ck:], ck)
	}
	if nr == n {
		return
	}
	rest := n - nr
	a, c := tile[:rows*o], tile[rows*o:rows*o+rows*32]
	copy(a, gyT[nr*o:n*o])
	clear(a[rest*o:])
	narrowKernel(o, a, o, wn, c, 32)
	for r := range rest {
		copy(dcol[(nr+r)*ck:][:ck], c[r*32:][:ck])
	}
}

// narrowDwT reports whether backwardNarrow sums the narrow route's weight
// gradient transposed, dWᵀ (ck×O) = colᵀ·gyT, where the GEMM runs its
// AVX2 kernels (6×16 tiles): at conv1 (ck = 27, O = 32) the product's
// tiles are then 4 row panels of 6 and one of 3 (the 3-row kernel, stored
// in place) by two full panels of 16, where O×ck took 5 row panels of 6
// and a ragged one of 2 by a full panel and a ragged one of 11 (7 of
// its 12 tiles through a scratch tile and Go's partial store). Each
// element is the same chain of fused multiply-adds over the chunk's
// pixels in the same blocks (fma(a, b, s) = fma(b, a, s)): the same bits
// (TestNarrowBackwardSameBits). With AVX-512 the product stays as it is.
func narrowDwT() bool { return pixAVX2OK() }

// noNarrowBands turns narrowBands off (tests: the whole image's passes
// then give the same bits).
var noNarrowBands bool

// narrowBand returns the band of pixels in which backwardNarrow takes each
// image (narrowBands), or 0 where it takes the whole chunk: one image a
// chunk (per), the ReLU's gradient through maskTranspose (fused), the
// weight gradient summed transposed (dwT), the columns cached by Forward,
// the sampling's gradient by dotsGrad, and bands of the weight gradient
// GEMM's own blocks of its inner dimension (sgemmBand) in whole groups of
// 16 pixels (dotsGradRange's). Not where the whole image's column gradient
// is a product small enough for gemm's plain loop (sgemmTinyProduct: other
// bits than narrowDcol's), nor where gy (O·p values) cannot hold
// maskTranspose's sums.
func (d *DeformConv2D[T]) narrowBand(per int, fused, dwT bool) int {
	g := d.g
	var z []T
	if noNarrowBands || per != 1 || !fused || !dwT || d.cache == nil || !(deformCols[T]{d}).dotsGradOK(z) ||
		sgemmTinyProduct(g.pc(), g.ck(), g.O) || g.O*g.pc() < maskTSumsLen(g.O) {
		return 0
	}
	if band := sgemmBand(g.pc()); band%16 == 0 && g.pc()%16 == 0 {
		return band
	}
	return 0
}

// narrowBands is backwardNarrow's chunk of the one image b in bands of
// band pixels (narrowBand): each band's output gradient masked and
// transposed (maskTransposeRange), its part of dWᵀ (the GEMM's block of
// the inner dimension, beta 1 after the first), its column gradient
// (narrowDcol) and its offset and mask gradients (dotsGradRange), while
// the band's 32 KB of gyT and 28 KB of dcol are in cache: over the whole
// image's 4,096 pixels at conv1 each pass wrote its 0.5 MB out of the
// core's L2 and the next read it back. Every sum is the whole image's in
// the same order: the same bits (TestNarrowBandsSameBits). part is the
// chunk's dW (O×ck) and bias gradient; gy (unused where the ReLU is
// fused) holds maskTranspose's sums.
func (d *DeformConv2D[T]) narrowBands(worker, b, band int, dy, col, gyT, dcol, gy, tile, pwT, part []T, wn []float32) {
	g := d.g
	ck, p := g.ck(), g.p()
	dc := deformCols[T]{d}
	sums := any(gy).([]float32)[:maskTSumsLen(g.O):len(gy)]
	clear(sums)
	img := any(dy[b*g.O*p : (b+1)*g.O*p]).([]float32)
	yimg := any(d.y.data[b*g.O*p : (b+1)*g.O*p]).([]float32)
	gyT32, dcol32, tile32 := any(gyT).([]float32), any(dcol).([]float32), any(tile).([]float32)
	dc.dotsGradPad(worker, b)
	for q0 := 0; q0 < p; q0 += band {
		q1 := min(p, q0+band)
		nq := q1 - q0
		maskTransposeRange(img, yimg, p, q0, q1, gyT32, g.O, g.O, sums)
		var beta T
		if q0 > 0 {
			beta = 1
		}
		gemm(true, false, ck, g.O, nq, 1, col[q0*ck:], ck, gyT, g.O, beta, pwT, g.O)
		narrowDcol(nq, ck, g.O, gyT32, wn, dcol32, tile32)
		dc.dotsGradRange(worker, b, q0, q1, dcol[:nq*ck])
	}
	transposeInto(pwT, g.O, part[:g.O*ck], ck, ck, g.O)
	for o := range g.O {
		part[g.O*ck+o] = T(maskTBias(sums, o))
	}
}

// smallOK reports whether backwardNarrow runs for a layer of 32 or more
// column values a pixel (the MNIST net's 7×7 maps): float32 where
// pixGemm's kernel runs, images small enough that forwardChunking takes
// chunks of 8 (at most 64 pixels). See backwardNarrow.
func (d *DeformConv2D[T]) smallOK() bool {
	g := d.g
	var z T
	_, f32 := any(z).(float32)
	return f32 && pixGemmOK() && g.ck() >= 32 && smallImages(g.pc()) && !d.noSmall
}

// backwardNarrow is convBackward for the deformable layer where narrowOK
// or smallOK. Where narrowOK: the same chunks, the same weight-gradient
// sums (the GEMM reading gy's transpose in place) and per-chunk sums in
// chunk order, the column gradient through narrowDcol. Where smallOK: the
// chunks of 8 images Forward takes (forwardChunking; at 7×7, 8 equal
// chunks of a batch of 64 where convBackward's 13 left one of 2 workers a
// chunk more than the other, and no ragged row panel in the GEMMs), each
// image's output gradient transposed straight into gy's transpose (no
// chunk-wide copy), the bias gradient summed image by image, and the
// column gradient through the GEMM reading gy's transpose in place (the
// sums convBackward's GEMM takes: the same bits in every gradient but the
// weight's and the bias's, whose sums now run over chunks of 8 images;
// TestSmallBackward holds them to float64's).
func (d *DeformConv2D[T]) backwardNarrow(dy, dw, db []T) {
	g := d.g
	ck, p, pc := g.ck(), g.p(), g.pc()
	narrow := ck < 32
	per, n := chunking(g.B, pc)
	if !narrow {
		per, n = forwardChunking(g.B, pc)
	}
	nw := g.O*ck + g.O
	if cap(d.parts) < n*nw {
		d.parts = make([]T, n*nw)
	}
	part := d.parts[:n*nw]
	var wn []float32
	if narrow {
		d.wNarrow = grow(d.wNarrow, g.O*32)
		clear(d.wNarrow)
		for o := range g.O {
			copy(d.wNarrow[o*32:][:ck], d.wT[o*ck:][:ck])
		}
		wn = any(d.wNarrow).([]float32)
	}
	workers := Workers()
	d.ws.reserve(workers)
	dc := deformCols[T]{d}
	dc.reserve(workers)
	yv := d.y.data
	// Forward kept the tables but no columns (smallColsOK): the scatter
	// writes them (col2imCols) and the weight gradient follows it.
	cols := d.smallCols && d.cache == nil && !narrow
	// The narrow route's ReLU gradient in one pass (maskTranspose): its
	// bias gradient sums each eighth of the pixels apart, then adds the
	// eight sums as a tree (maskTBias).
	fused := narrow && g.ReLU && pc == p && !d.noMaskT
	d.maskTRan = fused
	// With AVX2 the narrow route's weight gradient is summed transposed
	// (narrowDwT), in ck·O values of the worker's scratch.
	dwT := narrow && narrowDwT()
	d.dwTRan = dwT
	wt := 0
	if dwT {
		wt = ck * g.O
	}
	band := d.narrowBand(per, fused, dwT)
	d.narrowBandsRan = band > 0
	parallelN(workers, n, func(worker, c int) {
		lo, hi := c*per, min(g.B, (c+1)*per)
		ld := (hi - lo) * pc
		slack := max(0, 32-ck)
		buf := d.ws.get(worker, 2*ck*ld+slack+2*g.O*ld+8*g.O+8*32+wt)
		col, dcol := buf[:ck*ld], buf[ck*ld:2*ck*ld+slack]
		rest := buf[2*ck*ld+slack:]
		gy, gyT, tile := rest[:g.O*ld], rest[g.O*ld:2*g.O*ld], rest[2*g.O*ld:2*g.O*ld+8*g.O+8*32]
		pwT := rest[2*g.O*ld+8*g.O+8*32:][:wt]
		if d.cache != nil {
			col = chunkCols(d.cache, g, per, c)
		}
		pb := part[c*nw+g.O*ck : (c+1)*nw]
		if !narrow {
			clear(pb)
		}
		if band > 0 {
			d.narrowBands(worker, lo, band, dy, col, gyT, dcol, gy, tile, pwT, part[c*nw:(c+1)*nw], wn)
			return
		}
		if fused {
			// One pass over dy and y: masked, transposed into gyT, and
			// summed for the bias (maskTranspose).
			sums := any(tile).([]float32)[:maskTSumsLen(g.O)]
			clear(sums)
			dy32, y32, gyT32 := any(dy).([]float32), any(yv).([]float32), any(gyT).([]float32)
			for b := lo; b < hi; b++ {
				img := dy32[b*g.O*p : (b+1)*g.O*p]
				maskTranspose(img, y32[b*g.O*p:(b+1)*g.O*p], p, gyT32[(b-lo)*pc*g.O:], g.O, g.O, sums)
			}
			for o := range g.O {
				pb[o] = T(maskTBias(sums, o))
			}
		}
		for b := lo; b < hi; b++ {
			if d.cache == nil && !cols {
				dc.im2col(worker, b, col, ld, (b-lo)*pc)
			}
			if !narrow {
				// Small images: each image's gradient (masked into gy's
				// first O·p values where the ReLU is fused) goes straight
				// into its rows of gyT, and its channel sums into the bias
				// gradient, image by image (the copy into gy's chunk-wide
				// rows and the pass over them are gone).
				src := dy[b*g.O*p : (b+1)*g.O*p]
				if g.ReLU {
					for o := range g.O {
						at := (b*g.O + o) * p
						gradRows(g, gy[o*p:][:p], dy[at:at+p], yv[at:at+p])
					}
					src = gy[:g.O*p]
				}
				transposeInto(src, p, gyT[(b-lo)*pc*g.O:], g.O, g.O, p)
				for o := range g.O {
					pb[o] += sum(src[o*p : (o+1)*p])
				}
				continue
			}
			if fused {
				continue // gyT and the bias gradient are set above
			}
			for o := range g.O {
				at := (b*g.O + o) * p
				var yo []T
				if g.ReLU {
					yo = yv[at : at+p]
				}
				gradRows(g, gy[o*ld+(b-lo)*pc:][:pc], dy[at:at+p], yo)
			}
		}
		// gyT serves both products: narrowDcol's A and the weight
		// gradient's, which the GEMM reads in place (transposed as its A,
		// or as B in narrowDwT's dWᵀ = colᵀ·gyT) where gy would be
		// transposed once more by packA (a pass over gy; the same sums).
		if narrow && !fused {
			transposeInto(gy, ld, gyT, g.O, g.O, ld)
			for o := range g.O {
				pb[o] = sum(gy[o*ld : (o+1)*ld])
			}
		}
		pw := part[c*nw : c*nw+g.O*ck]
		switch {
		case dwT:
			gemm(true, false, ck, g.O, ld, 1, col, ck, gyT, g.O, 0, pwT, g.O)
			transposeInto(pwT, g.O, pw, ck, ck, g.O)
		case !cols:
			gemm(true, false, g.O, ck, ld, 1, gyT, g.O, col, ck, 0, pw, ck)
		}
		if narrow && !sgemmTinyProduct(ld, ck, g.O) { // gemm's plain loop below: its bits
			narrowDcol(ld, ck, g.O, any(gyT).([]float32), wn, any(dcol).([]float32), any(tile).([]float32))
		} else {
			gemm(false, false, ld, ck, g.O, 1, gyT, g.O, d.wT, ck, 0, dcol, ck)
		}
		for b := lo; b < hi; b++ {
			if cols {
				dc.col2imCols(worker, b, dcol, (b-lo)*pc)
			} else {
				dc.col2im(worker, b, dcol, ld, (b-lo)*pc)
			}
		}
		if cols {
			// The scatter left the chunk's columns in dcol: the weight
			// gradient's product of the same operands as from the cache.
			gemm(true, false, g.O, ck, ld, 1, gyT, g.O, dcol, ck, 0, pw, ck)
		}
	})
	for c := range n {
		addTo(dw[:g.O*ck], part[c*nw:c*nw+g.O*ck])
		if db != nil {
			addTo(db[:g.O], part[c*nw+g.O*ck:(c+1)*nw])
		}
	}
}
