package nn

// The deformable layer's training passes in bands of pixels, for images of
// at least chunkColumns output pixels (one image a chunk: the COCO net's
// 64×64 and 32×32 maps). convForward and convBackward build each image's
// whole column matrix (4.7 MB at 64×64 with 32 channels) and, in
// Backward, the whole matrix of its gradient, and pass both through
// memory; here each band's columns and column gradient (about 300 KB) stay
// in the core's cache between the gather, the GEMMs and the scatter. They
// keep no column matrix for Backward, which samples each band again (where
// scatterCols runs, in the scatter's pass over the corners: no gather): at
// dcnn-middle's conv3 (32→64 at 32×32) that took 18 % off the layer's
// forward and backward, at dcnn-last's conv6 4 %, against writing the
// batch's columns to memory in Forward and reading them back
// (docs/PERFORMANCE.md, session 6, lane 23d4).
//
// The results are the same bits as convForward's and convBackward's: a
// band is a block of the GEMMs' inner or outer dimension where they block
// it anyway (the weight gradient's inner dimension, the pixels, is cut in
// blocks of the kernel's kc: the bands are those blocks, summed in the same
// order), and the sampling visits the entries in the same order.

// bandMinColumns is the smallest column matrix of one image (elements)
// that the banded passes take: below it the matrix stays in the core's
// cache anyway, and the bands' extra GEMM calls cost more than they save
// (BenchmarkDeformCOCO, CPU per op, load 15–17: conv1, 3 channels at
// 64×64, 110,592 values an image, +4 % in bands; conv2, 32 channels,
// 1,179,648 values, −18 %).
var bandMinColumns = 1 << 18 // a variable for the tests

// noScatterCols turns off the scatter that writes the columns
// (scatterCols), in the banded Backward and with it the small images'
// route without a column cache (smallColsOK), for the tests that compare
// with the gather again and the plain scatter.
var noScatterCols bool

// deformBands reports whether the banded passes apply and returns the
// band's pixel count: float32 with the assembly GEMM, one image a chunk,
// an image's column matrix of at least bandMinColumns values.
func (d *DeformConv2D[T]) deformBands() (band int, ok bool) {
	g := d.g
	if _, f32 := any(d.wT).([]float32); !f32 || !haveSgemmKernels() || g.LW != g.Wo || d.noBands ||
		g.ck()*g.p() < bandMinColumns {
		return 0, false
	}
	if per, _ := chunking(g.B, g.pc()); per != 1 {
		return 0, false
	}
	return sgemmBand(g.p()), true
}

// runsRange calls fn for the runs of entries (see runsN) of output pixels
// [q0, q1).
func (dc deformCols[T]) runsRange(q0, q1 int, fn func(e0, e1, ch0 int)) {
	d, g := dc.d, dc.d.g
	K := g.k()
	if d.groups == 1 {
		fn(q0*K, q1*K, 0)
		return
	}
	cpg := g.C / d.groups
	for p := q0; p < q1; p++ {
		for grp := range d.groups {
			e0 := (p*d.groups + grp) * K
			fn(e0, e0+K, grp*cpg)
		}
	}
}

// scatterRange runs the sampling's gradient (scatter, or with fused
// scatterCols) for the output pixels [q0, q1) of a table filled for them
// (its entries from pixel q0), rows their column gradient rows.
func (dc deformCols[T]) scatterRange(t *sampleTable[T], q0, q1 int, rows []T, fused bool) {
	d, g := dc.d, dc.d.g
	GK, cpg := d.groups*g.k(), g.C/d.groups
	dc.runsRange(q0, q1, func(e0, e1, ch0 int) {
		r0 := e0 - q0*GK // the band's table starts at pixel q0
		if fused {
			dc.scatterCols(t, r0, r0+e1-e0, ch0, rows[r0*cpg:(r0+e1-e0)*cpg])
		} else {
			dc.scatter(t, r0, r0+e1-e0, ch0, rows[r0*cpg:(r0+e1-e0)*cpg])
		}
	})
}

// gatherBand writes the column rows of pixels [q0, q1) of the image in t
// to col (one row of ck values per pixel). t's table starts at pixel from
// (0 for a whole image's, q0 for the band's own).
func (dc deformCols[T]) gatherBand(t *sampleTable[T], from, q0, q1 int, col []T) {
	d, g := dc.d, dc.d.g
	ck, cpg, wp, pix, GK := g.ck(), g.C/d.groups, g.W+2, d.pix(), d.groups*g.k()
	rows := col[:(q1-q0)*ck]
	last := d.baseLimit()
	dc.runsRange(q0, q1, func(e0, e1, ch0 int) {
		r0 := e0 - q0*GK
		t0, t1 := e0-from*GK, e1-from*GK
		if t1 > t0 {
			dcnGatherBound(rows[r0*cpg:(r0+e1-e0)*cpg], t.pad[ch0:], pix, wp*pix, t.base[t0:t1], t.wts[4*t0:4*t1],
				cpg, last)
		}
	})
}

// forwardBanded is convForward in bands (see deformBands), keeping the
// columns in the cache when there is one.
func (d *DeformConv2D[T]) forwardBanded(band int, bias, y []T) {
	g := d.g
	ck, P := g.ck(), g.p()
	workers := Workers()
	d.ws.reserve(workers)
	dc := deformCols[T]{d}
	dc.reserve(workers)
	parallelN(workers, g.B, func(worker, b int) {
		// The image padded once, its sampling table band by band, each
		// filled right before its gather: a band's table (about 20 bytes a
		// pixel and tap) is still in cache when the gather reads it, where a
		// whole image's (737 KB at 64×64) went out to memory and back.
		t := dc.table(worker)
		d.padImage(t, b)
		t.holds = tableKey{}
		extra := d.forwardScratch(band)
		buf := d.ws.get(worker, band*ck+g.O*band+extra)
		col, out, rest := buf[:band*ck], buf[band*ck:band*ck+g.O*band], buf[band*ck+g.O*band:]
		var pm, scratch []T
		if extra > 0 {
			pm, scratch = rest[:band*g.O], rest[band*g.O:]
		}
		for q0 := 0; q0 < P; q0 += band {
			q1 := min(P, q0+band)
			nq := q1 - q0
			d.fillRange(t, b, q0, q1)
			dc.gatherBand(t, q0, q0, q1, col)
			d.forwardOut(nq, col, out, pm, scratch, y[b*g.O*P+q0:], P, bias)
		}
	})
}

// backwardBanded is convBackward in bands (see deformBands): dw and db
// (db may be nil) accumulate, and dx, doffset and dmask are set.
func (d *DeformConv2D[T]) backwardBanded(band int, dy, dw, db []T) {
	g := d.g
	ck, P, GK := g.ck(), g.p(), d.groups*g.k()
	nw := g.O*ck + g.O
	n := g.B
	if cap(d.parts) < n*nw {
		d.parts = make([]T, n*nw)
	}
	part := d.parts[:n*nw]
	workers := Workers()
	d.ws.reserve(workers)
	dc := deformCols[T]{d}
	dc.reserve(workers)
	yv := d.y.data
	pixDcol := d.dcolPixFits()
	d.dcolPixRan = pixDcol
	// Where the scatter can also write the columns (scatterCols), the band
	// is not gathered: its column gradient comes first, the scatter turns
	// it into the columns, and the weight gradient's GEMM follows.
	fused := dc.scatterColsOK() && !noScatterCols
	d.scatterColsRan = fused
	extra := 0
	if pixDcol {
		d.wDcol = grow(d.wDcol, len(d.wT))
		packDcolWeight(any(d.wDcol).([]float32), any(d.wT).([]float32), g.O, ck)
		extra = band*g.O + pixGemmScratch(g.O)
	}
	// The output gradient's rows are ldg apart: P (64×64, 32×32) would
	// put every channel's row in one set of the L1 cache.
	ldg := padPlane(P)
	dwb := 0 // dwSumAB's band of the weight gradient, where it runs
	if sumABTapsYOK() {
		dwb = g.O * ck
	}
	parallelN(workers, n, func(worker, b int) {
		// The band's columns and its column gradient share one buffer (the
		// gradient first where scatterCols writes the columns over it): at
		// 64×64 with 32 input and 32 output channels the columns, the
		// output gradient, the padded image and its gradient take 1.9 MB
		// (2.2 with two buffers), with the band's table ~2.05 MB: just
		// inside the 2 MiB L2 of the AVX-512 machine it was sized on (Zen
		// 3's is 512 KB); dwSumAB's band of dW adds O·ck (36 KB there).
		buf := d.ws.get(worker, band*ck+g.O*ldg+extra+dwb)
		col, gy := buf[:band*ck], buf[band*ck:band*ck+g.O*ldg]
		dcol := col
		rest := buf[band*ck+g.O*ldg:][:extra]
		dwBand := buf[band*ck+g.O*ldg+extra:][:dwb]
		for o := range g.O {
			at := (b*g.O + o) * P
			var yo []T
			if g.ReLU {
				yo = yv[at : at+P]
			}
			gradRows(g, gy[o*ldg:][:P], dy[at:at+P], yo)
		}
		// The image padded once, its sampling table band by band (as in
		// forwardBanded), each filled right before the band's gather and
		// read by its scatter and offset gradients while still in cache: a
		// whole image's table with the corner sums (1.9 MB at 64×64, 9
		// taps, one offset group) went out of the core's 2 MiB L2 and back.
		t := dc.table(worker)
		d.padImage(t, b)
		t.holds = tableKey{}
		dc.startScatter(t)
		pw := part[b*nw : b*nw+g.O*ck]
		// dW += the band's gy·col: through dwSumAB where it runs (the
		// AVX2 kernels' row panels of 6 and 4, A and B in place; its band
		// apart and then added, as the GEMM's beta of 1 adds it), else the
		// GEMM. The same sums, the same bits.
		weightGrad := func(q0, nq int, beta T) {
			dst := pw
			if beta != 0 {
				dst = dwBand
			}
			if dwSumAB(g.O, ck, nq, gy[q0:], ldg, col, dst) {
				if beta != 0 {
					addTo(pw, dwBand)
				}
				return
			}
			gemm(false, false, g.O, ck, nq, 1, gy[q0:], ldg, col, ck, beta, pw, ck)
		}
		for q0 := 0; q0 < P; q0 += band {
			q1 := min(P, q0+band)
			nq := q1 - q0
			d.fillRange(t, b, q0, q1)
			t.s = grow(t.s, 4*GK*nq)
			var beta T
			if q0 > 0 {
				beta = 1
			}
			if !fused {
				dc.gatherBand(t, q0, q0, q1, col)
				weightGrad(q0, nq, beta)
			}
			if pixDcol {
				dcolPix(g.O, ck, nq, any(gy[q0:]).([]float32), ldg, any(d.wDcol).([]float32),
					any(rest[:band*g.O]).([]float32), any(dcol).([]float32), any(rest[band*g.O:]).([]float32))
			} else {
				gemm(true, false, nq, ck, g.O, 1, gy[q0:], ldg, d.wT, ck, 0, dcol, ck)
			}
			dc.scatterRange(t, q0, q1, dcol[:nq*ck], fused)
			if fused {
				// The scatter left the band's columns where their gradient was:
				// the weight gradient's GEMM reads them there (the same
				// operands as after a gather, the same bits).
				weightGrad(q0, nq, beta)
			}
			dc.offsetGrads(t, b, q0, q1)
		}
		pb := part[b*nw+g.O*ck : (b+1)*nw]
		for o := range g.O {
			pb[o] = sum(gy[o*ldg : o*ldg+P])
		}
		dc.inputGrad(t, b)
	})
	for c := range n {
		addTo(dw[:g.O*ck], part[c*nw:c*nw+g.O*ck])
		if db != nil {
			addTo(db[:g.O], part[c*nw+g.O*ck:(c+1)*nw])
		}
	}
}
