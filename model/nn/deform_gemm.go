package nn

import "math"

// The deformable layer's forward GEMM over its pixel-major columns.
//
// The layer's column matrix holds one row of ck values per output pixel
// (deformCols.transposed): the sampling writes it that way because a
// pixel's taps are runs of channels in the pixel-major padded image. The
// general GEMM computes W·colᵀ (output channels × pixels) and so packs
// colᵀ, a transpose of every column value (8×8 blocks, about 15 % of the
// forward at 64×64 with 32 channels). pixGemm computes col·Wᵀ instead
// (pixels × output channels) with a micro-kernel that reads 8 column rows
// (6 with AVX2: pixRows) in place and broadcasts their values against the packed weight (ck rows
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
	return f32 && o%32 == 0 && o > 0 && (pixGemmOK() || pixAVX2OK())
}

// packPixWeight packs w (o×ck, row-major) for pixGemm: for each block of
// 32 output channels, ck rows of 32.
func packPixWeight(dst, w []float32, o, ck int) {
	for ob := 0; ob < o; ob += 32 {
		transposeInto(w[ob*ck:], ck, dst[ob*ck:], 32, 32, ck)
	}
}

// pixGemmScratch is the scratch pixGemm needs beside its output: the last
// partial block of pixRows (at most 8) pixels, padded, and its tile.
func pixGemmScratch(ck int) int { return 8*ck + 8*32 }

// pixGemm sets out (n×o, pixel-major, row stride o) = col (n×ck, row stride
// ck) times the weight packed by packPixWeight; scratch holds
// pixGemmScratch(ck) values. The same sums as gemm(false, true, o, n, ck,
// 1, w, ck, col, ck, 0, ·, n), transposed, wherever gemm runs its kernels
// (o·n·ck > sgemmTiny; below, gemm's plain loop rounds each product).
func pixGemm(o, n, ck int, wp, col, out, scratch []float32) {
	kc := pixBlock(ck)
	mr := pixRows()
	nm := n / mr * mr
	_, _, _ = col[n*ck-1], out[n*o-1], wp[o*ck-1]
	for p := 0; p < nm; p += mr {
		for k0 := 0; k0 < ck; k0 += kc {
			kb := min(kc, ck-k0)
			for ob := 0; ob < o; ob += 32 {
				pixKernelRows(kb, col[p*ck+k0:], ck, wp[ob*ck+k0*32:], out[p*o+ob:], o, k0 > 0)
			}
		}
	}
	if nm == n {
		return
	}
	rest := n - nm
	a, tile := scratch[:mr*ck], scratch[8*ck:8*ck+mr*32]
	copy(a, col[nm*ck:n*ck])
	clear(a[rest*ck:])
	for ob := 0; ob < o; ob += 32 {
		for k0 := 0; k0 < ck; k0 += kc {
			pixKernelRows(min(kc, ck-k0), a[k0:], ck, wp[ob*ck+k0*32:], tile, 32, k0 > 0)
		}
		for r := range rest {
			copy(out[(nm+r)*o+ob:][:32], tile[r*32:][:32])
		}
	}
}

// planeAlias is the plane stride, in values, whose multiples share one
// set of the L1 cache (4 KB: 64 sets of 64-byte lines; 8 ways on Zen 3
// and 4, 12 on recent Intel cores: fewer than a layer's 32 or more
// planes). Where a transpose writes such planes, storePix and transpose8
// take 8 of them at a time over all pixels rather than 8 pixels of all of
// them: 32 planes of 64×64 or 32×32 would have each line evicted between
// its two halves.
const planeAlias = 1024

// padPlane is a row stride for rows of n values in a scratch buffer: n,
// or n + 16 where n is a multiple of planeAlias.
func padPlane(n int) int {
	if n%planeAlias == 0 {
		return n + 16
	}
	return n
}

// storePix writes a layer's output for n pixels from their pixel-major
// product pix (n×o): y[c·ldy+q] = max(bias[c] + pix[q·o+c], floor), floor
// 0 with the ReLU and −Inf without, as transposing pix and then biasRows
// would (vbias's operations in its order: the same bits), in one pass
// (dcnOutT8, 8 pixels by 8 channels at a time: all channels of 8 pixels,
// or all pixels of 8 channels where the planes alias). bias nil means
// zeros; o is a multiple of 8 (pixGemmFits).
func storePix(pix []float32, o, n int, y []float32, ldy int, bias []float32, relu bool) {
	if n == 0 {
		return
	}
	floor := float32(math.Inf(-1))
	if relu {
		floor = 0
	}
	if bias == nil {
		bias = make([]float32, o) // 128 B for 32 channels; rare (NoBias)
	}
	_, _, _ = pix[n*o-1], y[(o-1)*ldy+n-1], bias[o-1]
	n8 := n / 8 * 8
	if n8 > 0 && ldy >= planeAlias && ldy%planeAlias == 0 {
		// Planes a multiple of 4 KB apart (64×64 and 32×32 maps) share
		// one set of the L1 cache, whose 8 (or 12) ways cannot hold a
		// line of all o planes: 8 pixels of every channel at a time
		// would have each line evicted between its halves. 8 channels
		// at a time over all n pixels keep 8 lines in the set.
		for c := 0; c < o; c += 8 {
			yc, bc := y[c*ldy:], bias[c:]
			outT8Pix(pix[c:], o, yc, ldy, n8/8, bc, floor)
			if n8 < n {
				outT8Pix(pix[(n-8)*o+c:], o, yc[n-8:], ldy, 1, bc, floor)
			}
		}
		return
	}
	for q := 0; q < n8; q += 8 {
		outT8(pix[q*o:], o, y[q:], ldy, o/8, bias, floor)
	}
	if n8 < n && n8 > 0 {
		// The last n%8 pixels (a 7×7 image's 49th, the ends of runs
		// that blocks cut) by the 8 pixels that end the run: the ones
		// before written twice, the same values, where the loop below
		// took 8·(n%8)·o/8 values one at a time.
		outT8(pix[(n-8)*o:], o, y[n-8:], ldy, o/8, bias, floor)
		return
	}
	for q := n8; q < n; q++ {
		for c := range o {
			v := bias[c] + pix[q*o+c]
			if floor > v {
				v = floor
			}
			y[c*ldy+q] = v
		}
	}
}

// forwardOut sets the layer's output for n pixel rows of col: y[o·ldy+q]
// for output channel o and pixel q < n, bias and ReLU applied. Through
// pixGemm and storePix where pixGemm runs (pm holds n·O values, scratch
// pixGemmScratch(ck)), else the GEMM into out (O×n) and biasRows.
func (d *DeformConv2D[T]) forwardOut(n int, col, out, pm, scratch, y []T, ldy int, bias []T) {
	g := d.g
	ck := g.ck()
	if d.wPix != nil {
		pixGemm(g.O, n, ck, any(d.wPix).([]float32), any(col).([]float32), any(pm).([]float32), any(scratch).([]float32))
		var b32 []float32
		if bias != nil {
			b32 = any(bias).([]float32)
		}
		storePix(any(pm).([]float32), g.O, n, any(y).([]float32), ldy, b32, g.ReLU)
		return
	}
	gemm(false, true, g.O, n, ck, 1, d.wT, ck, col, ck, 0, out, n)
	for o := range g.O {
		var bv T
		if bias != nil {
			bv = bias[o]
		}
		biasRows(y[o*ldy:][:n], n, out[o*n:][:n], n, 1, n, bv, g.ReLU)
	}
}

// forwardScratch is the scratch forwardOut needs for n pixels beside col
// and out: the pixel-major product and pixGemm's own.
func (d *DeformConv2D[T]) forwardScratch(n int) int {
	if d.wPix == nil {
		return 0
	}
	return n*d.g.O + pixGemmScratch(d.g.ck())
}

// forwardChunks is convForward for the deformable layer where pixGemm
// runs (d.wPix set): chunks of whole images (forwardChunking), columns
// kept in the cache (same layout) when there is one, the chunk's product
// and outputs in blocks of pixBlockOut pixels: pixGemm writes a block's
// pixel-major product, storePix reads it back while it is in the core's
// cache (a whole 64×64 image's, 512 KB at 32 channels, went out to memory
// and back). A block runs across the chunk's images (their column rows
// follow one another): at 7×7, 49 pixels an image, pixGemm per image ran
// 7 kernels of 8 rows for 49 (the last one padded from 1 row), 56 for a
// chunk of 8 images where 49 do now. Every output is the same chain of
// fused multiply-adds wherever its block starts: the same bits.
func (d *DeformConv2D[T]) forwardChunks(bias, y []T) {
	g := d.g
	ck, p, pc := g.ck(), g.p(), g.pc()
	per, n := forwardChunking(g.B, pc)
	workers := Workers()
	d.ws.reserve(workers)
	dc := deformCols[T]{d}
	dc.reserve(workers)
	wp := any(d.wPix).([]float32)
	var b32 []float32
	if bias != nil {
		b32 = any(bias).([]float32)
	}
	// Small images without a column cache or kept tables, on the AVX2
	// route (the AVX-512 one stays as it was): blocks of columns that
	// stay in the core's cache (forwardBlocks).
	blocks := d.cache == nil && !d.keepTabs && pixAVX2OK() && !noFwdBlocks && smallImages(pc)
	d.fsOK, d.fwdBlocksRan = false, blocks
	if blocks {
		d.fillSmallSetup(workers)
	}
	parallelN(workers, n, func(worker, c int) {
		lo, hi := c*per, min(g.B, (c+1)*per)
		if blocks {
			d.forwardBlocks(worker, lo, hi, bias, y)
			return
		}
		ld := (hi - lo) * pc
		blk := pixBlockOut(g.O, ld)
		buf := d.ws.get(worker, ck*ld+d.forwardScratch(blk))
		col, pm, scratch := buf[:ck*ld], buf[ck*ld:ck*ld+blk*g.O], buf[ck*ld+blk*g.O:]
		if d.cache != nil {
			col = chunkCols(d.cache, g, per, c)
		}
		for b := lo; b < hi; b++ {
			dc.im2col(worker, b, col, ld, (b-lo)*pc)
		}
		col32, pm32, sc32 := any(col).([]float32), any(pm).([]float32), any(scratch).([]float32)
		y32 := any(y).([]float32)
		for q0 := 0; q0 < ld; q0 += blk {
			nb := min(blk, ld-q0)
			pixGemm(g.O, nb, ck, wp, col32[q0*ck:], pm32, sc32)
			// The block's run of pixels in each image it covers (the
			// deformable layer's columns are never wide: pc = p).
			for q := q0; q < q0+nb; {
				b, at := lo+q/pc, q%pc
				m := min(q0+nb-q, pc-at)
				storePix(pm32[(q-q0)*g.O:], g.O, m, y32[b*g.O*p+at:], p, b32, g.ReLU)
				q += m
			}
		}
	})
}

// forwardChunking is forwardChunks' split of a batch of images of pc
// pixels: chunks of 8 images where those hold at most 512 pixels, else
// chunking's (convForward's). 8 images of any size make a multiple of
// pixGemm's 8 rows (no padded rows), and a batch of 64 makes 8 equal
// chunks, as many for each of 2 or 4 workers (chunking's 13 chunks of 5
// images at 7×7 left one worker of 2 a chunk more than the other). Each
// output is the same whatever the chunk (TestForwardChunksAcrossImages),
// and the column cache is laid out by image: the split is free.
func forwardChunking(batch, pc int) (per, n int) {
	if !smallImages(pc) {
		return chunking(batch, pc)
	}
	per = min(8, max(1, batch))
	return per, (batch + per - 1) / per
}

// smallImages reports whether images of pc output pixels are small enough
// that forwardChunking takes them 8 at a time (at most 64 pixels an
// image), as backwardNarrow's small path assumes.
func smallImages(pc int) bool { return 8*pc <= 512 }

// pixBlockOut is forwardChunks' block of pixels for o output channels and
// a chunk of n pixels: a product of about 32 KB (the core's L1 data
// cache), a multiple of pixGemm's 8 pixels (never fewer than 8, so past
// 1024 channels it is larger), at most n (n itself where that is smaller).
func pixBlockOut(o, n int) int {
	return min(n, max(8, 8192/o/8*8))
}

// noFwdBlocks turns forwardBlocks off (tests: the chunk's columns whole,
// then its product).
var noFwdBlocks bool

// fwdBlockPixels is forwardBlocks' block of pixels for ck column values a
// pixel: about 54 KB of columns (48 pixels at 7×7, 32 channels; blocks of
// 6 to 96 pixels there took within about 3 % of one another, 36 to 60 the
// least, on Zen 3), a multiple of 6 (dcnGemm6x32AVX2's rows), at least 6.
func fwdBlockPixels(ck int) int { return max(6, 13824/ck/6*6) }

// forwardBlocks is forwardChunks' pass over images lo..hi (pc ≤ 64
// pixels each, no column cache, no kept tables, the AVX2 route) in blocks
// of fwdBlockPixels pixels: each block's columns are sampled into one
// small buffer, reused block after block, and multiplied at once
// (pixGemm), where the chunk's columns (451 KB at 7×7, 32 channels) were
// all written, then read back from L2 (with fillSmall, the 7×7 layer's
// forward 5.2 % faster on Zen 3: docs/PERFORMANCE.md, lane15f). Each
// image's lean table is filled once, by fillSmall where it runs. The
// products still gather in blocks of pixBlockOut pixels for storePix.
// Every output is the same chain of fused multiply-adds wherever its block
// starts: the same bits (TestForwardBlocksSameBits).
func (d *DeformConv2D[T]) forwardBlocks(worker, lo, hi int, bias, y []T) {
	g := d.g
	dc := deformCols[T]{d}
	ck, p, pc := g.ck(), g.p(), g.pc()
	GK := d.groups * g.k()
	ld := (hi - lo) * pc
	blk := pixBlockOut(g.O, ld)
	cb := fwdBlockPixels(ck)
	buf := d.ws.get(worker, ck*cb+d.forwardScratch(blk))
	col, pm, scratch := buf[:ck*cb], buf[ck*cb:ck*cb+blk*g.O], buf[ck*cb+blk*g.O:]
	wp := any(d.wPix).([]float32)
	var b32 []float32
	if bias != nil {
		b32 = any(bias).([]float32)
	}
	col32, pm32, sc32 := any(col).([]float32), any(pm).([]float32), any(scratch).([]float32)
	y32 := any(y).([]float32)
	if d.fsOK && g.p()%16 != 0 {
		d.fillTails(worker, lo, hi)
	}
	var t *sampleTable[T]
	tb := -1 // the image t holds
	for q0 := 0; q0 < ld; q0 += blk {
		nb := min(blk, ld-q0)
		for c0 := q0; c0 < q0+nb; c0 += cb {
			nc := min(cb, q0+nb-c0)
			for q := c0; q < c0+nc; {
				b, at := lo+q/pc, q%pc
				m := min(c0+nc-q, pc-at)
				if b != tb {
					t, tb = dc.forwardTable(worker, b, lo), b
				}
				dc.gatherFrom(t, at*GK, t.pad, col[(q-c0)*ck:(q-c0+m)*ck], m)
				q += m
			}
			pixGemm(g.O, nc, ck, wp, col32, pm32[(c0-q0)*g.O:], sc32)
		}
		for q := q0; q < q0+nb; {
			b, at := lo+q/pc, q%pc
			m := min(q0+nb-q, pc-at)
			storePix(pm32[(q-q0)*g.O:], g.O, m, y32[b*g.O*p+at:], p, b32, g.ReLU)
			q += m
		}
	}
}

// forwardTable readies worker's lean table and padded image for Forward's
// sampling of any pixel of image b (forwardBlocks; no kept tables): its
// pixels (at most 64, smallImages) in one tile, as im2col's; image b is
// the chunk's (from image lo) b−lo'th, whose last pixels fillTails has
// filled where fillSmall runs.
func (dc deformCols[T]) forwardTable(worker, b, lo int) *sampleTable[T] {
	d := dc.d
	t := dc.table(worker)
	d.padImage(t, b)
	t.holds = tableKey{}
	if d.fsOK {
		d.fillSmall(t, b, &d.fsTails[worker], b-lo)
	} else {
		d.fillRangeLean(t, b, 0, d.g.p(), true)
	}
	return t
}

// fillSmallSetup readies fillSmall for this Forward: where it runs (see
// fsOK), the taps' i·DH and j·DW (the pixels' rows and columns are
// pixPos, which Forward has set), and the fillTails scratch of each of the
// workers forwardChunks runs (its own count: GOMAXPROCS may change between
// two reads of Workers(), and the Go runtime lowers it itself where a
// container's CPU limit shrinks).
func (d *DeformConv2D[T]) fillSmallSetup(workers int) {
	g := d.g
	K, P := g.k(), g.p()
	GK := d.groups * K
	_, f32 := any(d.wT).([]float32)
	d.fsOK = f32 && !d.keepTabs && !d.noFillSmall && !fill512TOK() && fillTAVXOK(GK) && P >= 16 && smallImages(P)
	d.fillSmallRan = d.fsOK
	if !d.fsOK {
		return
	}
	for len(d.fsTails) < workers {
		d.fsTails = append(d.fsTails, fsTail{})
	}
	for gk := range GK {
		k := gk % K
		d.fsIdh[gk], d.fsJdw[gk] = int32(k/g.KW*g.DH), int32(k%g.KW*g.DW)
	}
}

// fsTail is one worker's fillTails scratch: the offsets and mask of a
// chunk's images' last P%16 pixels, 16·k of them (plane-major, the last
// pixel repeated to the end), their rows and columns, and the entries
// dcnFillTAVX fills for them.
type fsTail struct {
	off, mask, wts []float32
	pos, base      []int32
	scr            []int32
}

// fillSmall is fillRangeLean(t, b, 0, P, true) for an image of 16 to 64
// pixels where dcnFillTAVX runs (fsOK): every tap of its first P/16·16
// pixels in one run, and the entries of its last P%16 pixels copied from
// tl (fillTails', image i of the chunk), where fillRangeLean ran its setup
// for every image and took the pixels past the last 16 in groups of 8
// (fillRun) and the rest (the 49th of a 7×7 map) tap by tap in its Go
// loop. Each pixel's entries are dcnFillTAVX's: the same bits.
func (d *DeformConv2D[T]) fillSmall(t *sampleTable[T], b int, tl *fsTail, i int) {
	g := d.g
	P := g.p()
	GK := d.groups * g.k()
	m := GK * P
	p16 := P / 16 * 16
	t.base = grow(t.base, m)
	t.wts = grow(t.wts, 4*m)
	t.sink = grow(t.sink, len(fillOnes))
	t.scr = grow(t.scr, 64*16)
	off := any(d.off.data[b*2*m : (b+1)*2*m]).([]float32)
	wts := any(t.wts).([]float32)
	a := dcnFillTArgs{
		offY: &off[0], mk: &fillOnes[0], base: &t.base[0], wts: &wts[0], fy: &any(t.sink).([]float32)[0],
		pos: &d.pixPos[0], groups: p16 / 16, idh: &d.fsIdh[0], jdw: &d.fsJdw[0], gk: GK,
		pstride: 4 * P, wstride: 16 * GK, wp: g.W + 2, h: float32(g.H), w: float32(g.W), scr: &t.scr[0],
	}
	_, _ = off[(2*GK-1)*P+p16-1], d.pixPos[2*p16-1]
	if d.mask != nil {
		mask := any(d.mask.data[b*m : (b+1)*m]).([]float32)
		_ = mask[(GK-1)*P+p16-1]
		a.mk, a.mstride = &mask[0], 4*P
	}
	dcnFillTAVX(&a)
	if r := P - p16; r > 0 {
		copy(t.base[p16*GK:m], tl.base[i*r*GK:][:r*GK])
		copy(wts[4*p16*GK:4*m], tl.wts[4*i*r*GK:][:4*r*GK])
	}
}

// fillTails fills, for fillSmall, the entries of the last P%16 pixels of
// each of images lo..hi into worker's fsTail (pixel j of image lo+i at
// tail pixel i·(P%16) + j): their offsets and mask copied side by side,
// 16 a dcnFillTAVX group, where each image's last 16 pixels were a group
// of their own (the 7×7 layer's chunk of 8 images: 1 group for the 8
// 49th pixels, not 8). A pixel's entries do not depend on the others of
// its group: the same bits.
func (d *DeformConv2D[T]) fillTails(worker, lo, hi int) {
	g := d.g
	P := g.p()
	GK := d.groups * g.k()
	p16 := P / 16 * 16
	r := P - p16
	n := (hi - lo) * r
	S := (n + 15) / 16 * 16
	_ = fillOnes[S-1] // the kernel reads S values of the ones (no mask) and sink
	tl := &d.fsTails[worker]
	tl.off = grow(tl.off, 2*GK*S)
	tl.pos = grow(tl.pos, 2*S)
	tl.base = grow(tl.base, S*GK)
	tl.wts = grow(tl.wts, 4*S*GK)
	tl.scr = grow(tl.scr, 64*16)
	var sink [len(fillOnes)]float32
	offs := any(d.off.data).([]float32)
	var masks []float32
	if d.mask != nil {
		masks = any(d.mask.data).([]float32)
		tl.mask = grow(tl.mask, GK*S)
	}
	for i := range S {
		j := min(i, n-1)
		b, p := lo+j/r, p16+j%r
		off := offs[b*2*GK*P:][:2*GK*P]
		for pl := range 2 * GK {
			tl.off[pl*S+i] = off[pl*P+p]
		}
		if masks != nil {
			mk := masks[b*GK*P:][:GK*P]
			for pl := range GK {
				tl.mask[pl*S+i] = mk[pl*P+p]
			}
		}
		q := 16*(i/8) + i%8
		tl.pos[q], tl.pos[q+8] = int32(p/g.Wo*g.SH-g.PH), int32(p%g.Wo*g.SW-g.PW)
	}
	a := dcnFillTArgs{
		offY: &tl.off[0], mk: &fillOnes[0], base: &tl.base[0], wts: &tl.wts[0], fy: &sink[0],
		pos: &tl.pos[0], groups: S / 16, idh: &d.fsIdh[0], jdw: &d.fsJdw[0], gk: GK,
		pstride: 4 * S, wstride: 16 * GK, wp: g.W + 2, h: float32(g.H), w: float32(g.W), scr: &tl.scr[0],
	}
	if masks != nil {
		a.mk, a.mstride = &tl.mask[0], 4*S
	}
	dcnFillTAVX(&a)
}
