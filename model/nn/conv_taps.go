package nn

import "math"

// The tap-sum ("implicit GEMM") route of a plain convolution with stride 1,
// "same" padding (2·P = D·(K−1) in both directions) and at least
// tapMinChannels input channels, the shape of every 3×3 convolution of the
// course study's nets but the first: no column matrix at all.
//
// A chunk's images are laid one below another in one zero-padded plane per
// channel, consecutive images sharing PH rows of padding:
//
//	rows: PH zeros, image 0's H rows, PH zeros, image 1's H rows, PH zeros, …
//
// each row Wp = W + PW wide: PW zeros, then the W pixels. A row's right
// padding is the next row's left padding (a tap reaching PW columns past
// the last pixel lands in the next row's leading zeros), as a gap's PH rows
// are both images' padding. Output column q = b·S + y·Wp + x (S =
// (H+PH)·Wp, the columns with x ≥ Wo or y ≥ H unused) reads tap (i, j) of
// every channel at q + i·DH·Wp + j·DW of that channel's plane, so the
// C×ld matrix of tap (i, j) is the planes themselves, shifted, with row
// stride ps. Then
//
//	forward:        Y   = Σ_t W_t · X_t          (O×C times C×ld, K = C)
//	weight grad:    dW_t = dY · X_tᵀ             (O×ld times ld×C)
//	input grad:     dX  = Σ_t W'_t · dY_t        (dY padded the same way; W'
//	                                              the flipped, transposed taps)
//
// all read in place by the GEMM kernels: the im2col copies, the col2im
// adds and the column matrix's memory are gone. The unused columns cost
// (Wp/W)·((H+PH)/H) − 1 more multiply-adds (31 % at 7×7, 15 % at 14×14,
// 3 % at 64×64; with both padding columns in each row it was 47, 22 and
// 5 %) against the copies they save. Where each row of W is whole strips
// of the kernels (tapRowsOK: 64×64, not 7×7), the forward's sums and the
// input gradient go straight into y and dx row by row (tapSumRows), the
// unused columns neither computed nor copied. Elsewhere (7×7, 14×14) the
// images lie side by side instead (see taps): row y of every image in
// one plane row, so that the unused columns are only Wp/W − 1 (14 % at
// 7×7, 7 % at 14×14), and the short rows are moved by masked runs
// (stackRows, biasSide: AVX-512, or their AVX2 twins). On the AVX2
// kernels the forward at maps at most 8 wide (7×7) lays the images
// innermost instead (tapsForwardInner): no unused column at all, at the
// price of a transpose in and out.

// tapColumns is the number of output columns a chunk of the tap-sum route
// aims for: its GEMMs have only C (or O) as inner dimension per call, so
// they need wider chunks than the column-matrix route to pay for each
// call. Like chunkColumns it depends on the shape only.
const tapColumns = 1024

// tapChunking splits the batch for the tap-sum route into chunks of about
// tapColumns columns, but into a multiple of 8 chunks where the batch
// allows (so 2, 4 or 8 cores get equal shares: at 7×7, 64 images of 72
// columns would otherwise make 5 chunks, 3 for one core and 2 for the other).
func tapChunking(g geom) (per, n int) {
	b := max(1, g.B)
	s := (g.H + g.PH) * g.tapWp()
	n = (b*s + tapColumns - 1) / tapColumns
	n = min(b, (n+7)/8*8)
	per = (b + n - 1) / n
	return per, (b + per - 1) / per
}

// tapMinChannels is the fewest input channels for which the tap-sum route
// is taken: its forward GEMMs have K = C per tap, and with few channels the
// column matrix's single K = C·kh·kw GEMM wins. Measured (BenchmarkConvCOCO,
// 32 crops of 64×64, CPU time, loaded machine): 3→32 took 29.8 ms on the
// taps against 12.0 ms on the columns; 32→32 took 76 ms against 111 ms.
const tapMinChannels = 16

// tapsOK reports whether Forward and Backward take the tap-sum route.
func (c *Conv2D[T]) tapsOK() bool {
	g := c.g
	return !c.narrow && !c.noTaps && (g.C >= tapMinChannels || c.forceTaps) && g.SH == 1 && g.SW == 1 &&
		2*g.PH == g.DH*(g.KH-1) && 2*g.PW == g.DW*(g.KW-1)
}

// tapGeom is the stacked layout of nb images.
type tapGeom struct {
	sbs bool // the images side by side (see taps)
	wp  int  // one image row and one side's padding, W + PW
	rs  int  // the row stride of the planes
	io  int  // the distance between consecutive images' first pixels
	ld  int  // columns of the products
	ps  int  // the plane stride
}

// taps returns the stacked layout of nb images: the planes' row stride
// rs, the columns ld, and the plane stride ps, which leaves room for the
// last tap's reach past ld and avoids strides of a multiple of 4 KiB.
//
// Where each row is whole strips of the kernels (tapRowsShape: the
// straight-into-y route, 64×64) the images lie one below another, as the
// package comment draws it (rs = wp, io = (H+PH)·wp). Elsewhere they lie
// side by side (rs = nb·wp, io = wp): plane row PH + y holds row y of
// every image in turn, each after PW zeros, so that the padding costs
// no columns but one side's PW per image row (7×7: 8/7 of the pixels,
// against 64/49 one below another; 14×14: 15/14 against 225/196), and
// the PH zero rows come only at the chunk's top and bottom. A tap's
// matrix is still the planes shifted (tapOff): output column q = b·wp +
// y·rs + x reads tap (i, j) at q + i·DH·rs + j·DW, which a row's last
// image's right reach finds in the next row's leading PW zeros.
func (g geom) taps(nb int) tapGeom {
	wp := g.tapWp()
	sbs := !tapRowsShape(g)
	rs, io, ld := wp, (g.H+g.PH)*wp, nb*(g.H+g.PH)*wp
	if sbs {
		rs, io, ld = nb*wp, wp, g.H*nb*wp
	}
	ps := ld + 2*g.PH*rs + 2*g.PW
	ps = (ps + 15) &^ 15
	if ps%1024 == 0 { // rows a multiple of 4 KiB apart share cache sets
		ps += 16
	}
	return tapGeom{sbs: sbs, wp: wp, rs: rs, io: io, ld: ld, ps: ps}
}

// side reports whether the images lie side by side (see taps).
func (tg tapGeom) side() bool { return tg.sbs }

// at returns where row y of image i of the chunk starts in a plane (its
// first pixel); output column at(i, y) − PH·rs − PW is that row's first.
func (tg tapGeom) at(g geom, i, y int) int { return (g.PH+y)*tg.rs + i*tg.io + g.PW }

// tapWp is the stacked layout's image row width: the pixels and one
// side's padding (the other side's is the next image's or row's).
func (g geom) tapWp() int { return g.W + g.PW }

// tapOff returns where tap t's matrix starts in the planes.
func (g geom) tapOff(tg tapGeom, t int) int {
	i, j := t/g.KW, t%g.KW
	return i*g.DH*tg.rs + j*g.DW
}

// stack writes images [lo, hi) of x (C channels, H×W) into dst, ch planes
// of ps each, in the stacked layout, zeroing the padding (and only the
// padding: clearing the whole buffer first wrote it twice).
func stack[T Float](g geom, tg tapGeom, x []T, ch, lo, hi int, dst []T) {
	dst = dst[:ch*tg.ps]
	hw, nb := g.H*g.W, hi-lo
	if tg.side() {
		// Row y of every image in turn, each after PW zeros (stackRows);
		// then the PH zero rows at the top and the bottom.
		top := g.PH * tg.rs
		for c := range ch {
			plane := dst[c*tg.ps:][:tg.ps]
			zero(plane[:top])
			stackRows(plane[top:], tg.rs, tg.wp, x[(lo*ch+c)*hw:], g.W, ch*hw, g.W, g.PW, g.H, nb)
			zero(plane[top+g.H*tg.rs:])
		}
		return
	}
	for c := range ch {
		plane := dst[c*tg.ps:][:tg.ps]
		pos := 0 // the first position not yet written
		for b := lo; b < hi; b++ {
			src := x[(b*ch+c)*hw:][:hw]
			for y := range g.H {
				s := tg.at(g, b-lo, y)
				zero(plane[pos:s])
				copy(plane[s:][:g.W], src[y*g.W:][:g.W])
				pos = s + g.W
			}
		}
		zero(plane[pos:])
	}
}

// stackT writes images [lo, hi) of x (float32, C channels, H×W) into dst
// pixel-major: row q (of nq, C values each) holds the C channels of column
// q of the stacked layout, zero at the padding. It is stack followed by
// transpose8 without the planes in between: the weight gradient's input.
func stackT(g geom, tg tapGeom, x []float32, lo, hi, nq int, dst []float32) {
	dst = dst[:nq*g.C]
	hw := g.H * g.W
	pos := 0             // the first row not yet written
	n1, n2 := hi-lo, g.H // rows in the order of their positions
	if tg.side() {
		n1, n2 = n2, n1
	}
	for u := range n1 {
		for v := range n2 {
			i, y := u, v
			if tg.side() {
				i, y = v, u
			}
			s := min(tg.at(g, i, y), nq)
			zero(dst[pos*g.C : s*g.C])
			cols := min(g.W, nq-s)
			if cols > 0 {
				transpose8(x[(lo+i)*g.C*hw+y*g.W:], hw, dst[s*g.C:], g.C, g.C, cols)
			}
			pos = s + max(cols, 0)
		}
	}
	zero(dst[pos*g.C:])
}

// stackRows copies rows·nb runs of w values, run (y, i) from src[y·sr +
// i·si:] to dst[pw + y·dr + i·di:], each after pw zeros written from
// dst[y·dr + i·di]: the side-by-side layout's rows of images, with their
// padding, and back (pw = 0). Short runs go through stackRows512 in
// float32: pw + w ≤ 16 in one pass, pw + w ≤ 32 with pw < 16 in two (the
// rest the Go loop); the copy and clear calls of 7 values took most of
// stack's time. Without AVX-512, runs of pw + w ≤ 16 go through the AVX2
// twin (stackRowsAVX2Go), the rest the Go loop.
func stackRows[T Float](dst []T, dr, di int, src []T, sr, si, w, pw, rows, nb int) {
	if rows == 0 || nb == 0 || w+pw == 0 {
		return
	}
	dst = dst[:(rows-1)*dr+(nb-1)*di+pw+w]
	src = src[:(rows-1)*sr+(nb-1)*si+w]
	if d, ok := any(dst).([]float32); ok && stackRowsOK && !noStackRows && w >= 1 {
		s := any(src).([]float32)
		switch {
		case w+pw <= 16:
			stackRows512(&d[0], dr, di, &s[0], sr, si, w, pw, rows, nb)
			return
		case w+pw <= 32 && pw < 16:
			// Two passes: the zeros and the first 16 − pw values, then
			// the rest (16×16 images, 28×28).
			w1 := 16 - pw
			stackRows512(&d[0], dr, di, &s[0], sr, si, w1, pw, rows, nb)
			stackRows512(&d[pw+w1], dr, di, &s[w1], sr, si, w-w1, 0, rows, nb)
			return
		}
	}
	if d, ok := any(dst).([]float32); ok && stackRowsAVX2 && !noStackRows && w >= 1 && w+pw <= 16 {
		// AVX2 (no AVX-512): one pass of masked moves (7×7, 14×14).
		stackRowsAVX2Go(d, dr, di, any(src).([]float32), sr, si, w, pw, rows, nb, false, 0, 0)
		return
	}
	for y := range rows {
		for i := range nb {
			d := dst[y*dr+i*di:][:pw+w]
			for k := range pw {
				d[k] = 0
			}
			copy(d[pw:], src[y*sr+i*si:][:w])
		}
	}
}

// stackRowsAVX2Go runs stackRowsY (stackBiasY where bias, pw = 0, with
// b and floor) on stackRows's operands. Runs of fewer than 8 lanes store
// whole 8-lane runs where the 8 − n lanes past a run fall on the next
// row's run of the same image, written later (rows n ≥ 4 apart with
// nothing between them, the images' blocks apart): masked stores, slow on
// AMD Zen 3, remain for the last row only.
func stackRowsAVX2Go(d []float32, dr, di int, s []float32, sr, si, w, pw, rows, nb int, bias bool, b, floor float32) {
	n := pw + w
	if n < 8 && 2*n >= 8 && dr == n && di >= rows*dr && rows > 1 {
		m := laneMasks(pw, n, 8)
		if bias {
			stackBiasY(&d[0], dr, di, &s[0], sr, si, w, rows-1, nb, b, floor, 8, &m)
		} else {
			stackRowsY(&d[0], dr, di, &s[0], sr, si, w, pw, rows-1, nb, 8, &m)
		}
		d, s, rows = d[(rows-1)*dr:], s[(rows-1)*sr:], 1
	}
	m := laneMasks(pw, n, n)
	if bias {
		stackBiasY(&d[0], dr, di, &s[0], sr, si, w, rows, nb, b, floor, n, &m)
		return
	}
	stackRowsY(&d[0], dr, di, &s[0], sr, si, w, pw, rows, nb, n, &m)
}

// laneMasks returns stackRowsY's and stackBiasY's masks: lanes [0, lh)
// of a run's 16 on for the load where lane ≥ ll, and lanes [0, sh) for
// the store (an on lane is −1).
func laneMasks(ll, lh, sh int) (m [32]int32) {
	copy(m[ll:lh], laneOnes[:])
	copy(m[16:16+sh], laneOnes[:])
	return m
}

// laneOnes is 16 on lanes (laneMasks).
var laneOnes = [16]int32{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}

// noStackRows keeps stackRows in Go (tests).
var noStackRows = false

// zero clears s, with a plain loop for the short runs of a row's padding.
func zero[T Float](s []T) {
	if len(s) > 16 {
		clear(s)
		return
	}
	for i := range s {
		s[i] = 0
	}
}

// tapWeights fills wtap[t][o][c] = W[o][c][t] and wflip[t][c][o] =
// W[o][c][k−1−t] (for the input gradient).
func (c *Conv2D[T]) tapWeights(flip bool) {
	g := c.g
	k, n := g.k(), g.O*g.C*g.k()
	if cap(c.wtap) < n {
		c.wtap = make([]T, n)
	}
	c.wtap = c.wtap[:n]
	w := c.Weight.Value.data
	if flip {
		if cap(c.flip) < n {
			c.flip = make([]T, n)
		}
		c.flip = c.flip[:n]
	}
	// wtap is w as an (O·C)×k matrix transposed; flip's tap k−1−t is
	// wtap's tap t (O×C) transposed.
	oc := g.O * g.C
	permuteTaps(w[:n], oc, k, c.wtap)
	if flip {
		for t := range k {
			permuteTaps(c.wtap[t*oc:], g.O, g.C, c.flip[(k-1-t)*oc:])
		}
	}
}

// tapsForward is convForward on the tap-sum route.
func (c *Conv2D[T]) tapsForward(bias, y []T) {
	if c.tapsInnerOK() {
		c.tapsForwardInner(bias, y)
		return
	}
	g := c.g
	p := g.p()
	per, n := tapChunking(g)
	c.tapWeights(false)
	workers := Workers()
	c.ws.reserve(workers)
	c.pad.reserve(workers)
	x := c.x.data
	_, fast := any(x).([]float32)
	fast = fast && haveSgemmKernels()
	var pa []T // the taps packed once for every chunk (tapPack), or nil
	if fast && !tapRowsOK(g) {
		pa = c.packTaps(g.O, g.C, c.wtap)
	}
	parallelN(workers, n, func(worker, ci int) {
		lo, hi := ci*per, min(g.B, (ci+1)*per)
		tg := g.taps(hi - lo)
		xs := c.pad.get(worker, g.C*tg.ps)
		stack(g, tg, x, g.C, lo, hi, xs)
		// finish writes image b's outputs plus the bias (then the ReLU, and
		// its mask) into y from src: output channel o's rows of Wo at
		// src[o·ld:], row stride lds (src may be y itself).
		finish := func(b int, src []T, ld, lds int) {
			for o := range g.O {
				var bv T
				if bias != nil {
					bv = bias[o]
				}
				at := (b*g.O + o) * p
				if c.mask != nil {
					biasRowsM(y[at:][:p], g.Wo, src[o*ld:], lds, g.Ho, g.Wo, bv, c.mask[at/8:])
					continue
				}
				biasRows(y[at:][:p], g.Wo, src[o*ld:], lds, g.Ho, g.Wo, bv, g.ReLU)
			}
		}
		// The sums straight into y where the shape allows (tapSumRows),
		// then the bias and ReLU in place, image by image while it is in
		// cache; else into a stacked buffer, and from there into y.
		rows := fast && tapRowsOK(g)
		for b := lo; rows && b < hi; b++ {
			rows = tapSumRows(g, tg, g.O, g.C, b-lo, any(c.wtap).([]float32), any(xs).([]float32), any(y).([]float32)[b*g.O*p:])
			if rows {
				finish(b, y[b*g.O*p:], p, g.Wo)
			}
		}
		if rows {
			return
		}
		out := c.ws.get(worker, g.O*tg.ld)
		tapSum(g, tg, g.O, g.C, c.wtap, pa, xs, out)
		if c.mask == nil && biasSide(g, tg, out, bias, y, lo, hi) {
			return
		}
		for b := lo; b < hi; b++ {
			finish(b, out[(b-lo)*tg.io:], tg.ld, tg.rs)
		}
	})
}

// tapInnerImages is the images a chunk of the batch-innermost forward
// (tapsForwardInner) holds: one 16-wide strip of the AVX2 kernels a pixel.
const tapInnerImages = 16

// tapsInnerOK reports whether the forward takes the batch-innermost
// layout (tapsForwardInner): float32 on the AVX2 kernels (sumABTapsY),
// maps at most 8 wide (7×7: the side-by-side layout computes 8 columns
// for 7 pixels), no ReLU mask to record, input channels in one block of
// the kernels' inner dimension (sgemmSumABRows takes no more; the
// side-by-side route runs wider layers a tap at a time).
func (c *Conv2D[T]) tapsInnerOK() bool {
	g := c.g
	_, f32 := any(c.x.data).([]float32)
	return f32 && !noTapsInner && sumABTapsYOK() && vecOK && c.mask == nil &&
		g.W <= 8 && g.Ho == g.H && g.Wo == g.W && !tapRowsShape(g) && pixBlock(g.C) == g.C
}

// noTapsInner turns tapsForwardInner off (tests).
var noTapsInner = false

// tapsForwardInner is tapsForward with the images innermost: a chunk of
// up to tapInnerImages images is laid out per channel as one zero-padded
// plane of (H+2PH)×(W+2PW) pixels, each pixel the chunk's nb images side
// by side (element ((r·(W+2PW) + q)·nb + b) is image b's padded pixel (r,
// q)), so that output row y's W·nb columns are whole 16-wide strips with
// no padding among them, and tap (i, j) reads them at i·DH·rs + j·DW·nb
// (rs = (W+2PW)·nb): sgemmSumABRows with H runs of W·nb columns. The
// side-by-side layout computes W+PW columns for W pixels (8 for 7); here
// the images are transposed in (transpose8) and the sums out, the bias
// and ReLU added in between (biasRows: vbias's arithmetic, as biasSide).
// Each output has the bits of tapsForward's other layouts: the same
// products summed in the same order.
func (c *Conv2D[T]) tapsForwardInner(bias, y []T) {
	g := c.g
	p := g.p()
	c.tapWeights(false)
	x32, y32, w32 := any(c.x.data).([]float32), any(y).([]float32), any(c.wtap).([]float32)
	n := (g.B + tapInnerImages - 1) / tapInnerImages
	workers := Workers()
	c.ws.reserve(workers)
	c.pad.reserve(workers)
	wp, hp := g.W+2*g.PW, g.H+2*g.PH
	parallelN(workers, n, func(worker, ci int) {
		lo, hi := ci*tapInnerImages, min(g.B, (ci+1)*tapInnerImages)
		nb := hi - lo
		rs := wp * nb
		ps := (hp*rs + 15) &^ 15
		if ps%1024 == 0 {
			ps += 16
		}
		xs := any(c.pad.get(worker, g.C*ps)).([]float32)
		buf := any(c.ws.get(worker, g.O*p*nb+p*nb)).([]float32)
		out, tmp := buf[:g.O*p*nb], buf[g.O*p*nb:][:p*nb]
		top, bot := g.PH*rs, (g.PH+g.H)*rs
		for ch := range g.C {
			plane := xs[ch*ps:][:ps]
			// Channel ch of the chunk's images, pixel-major (p rows of nb).
			transpose8(x32[(lo*g.C+ch)*p:], g.C*p, tmp, nb, nb, p)
			zero(plane[:top])
			for r := range g.H {
				row := plane[top+r*rs:][:rs]
				zero(row[:g.PW*nb])
				copy(row[g.PW*nb:][:g.W*nb], tmp[r*g.W*nb:][:g.W*nb])
				zero(row[(g.PW+g.W)*nb:])
			}
			zero(plane[bot:])
		}
		var offs [64]int // each worker's own
		boff := offs[:0]
		if k := g.k(); k > len(offs) {
			boff = make([]int, 0, k)
		}
		for t := range g.k() {
			i, j := t/g.KW, t%g.KW
			boff = append(boff, i*g.DH*rs+j*g.DW*nb)
		}
		if !sgemmSumABRows(g.O, g.H, g.W*nb, g.C, w32, g.O*g.C, g.C, xs, ps, rs, boff, out, p*nb, g.W*nb) {
			panic("nn: tapsForwardInner: sgemmSumABRows declined")
		}
		for o := range g.O {
			var b float32
			if bias != nil {
				b = any(bias).([]float32)[o]
			}
			so := out[o*p*nb:][:p*nb]
			biasRows(so, p*nb, so, p*nb, 1, p*nb, b, g.ReLU)
			transpose8(so, nb, y32[(lo*g.O+o)*p:], g.O*p, p, nb)
		}
	})
}

// tapsBackward is convBackward on the tap-sum route.
func (c *Conv2D[T]) tapsBackward(dy, dw, db []T, input bool) {
	g := c.g
	p, k, ck := g.p(), g.k(), g.ck()
	wp := g.tapWp()
	per, n := tapChunking(g)
	nw := g.O*ck + g.O
	if cap(c.parts) < (n+1)*nw {
		c.parts = make([]T, (n+1)*nw)
	}
	// Each chunk's weight gradient stays tap-major ([t][o][c], as the GEMMs
	// write it); the sum over chunks is permuted into dw's [o][c][t] once.
	part, acc := c.parts[:n*nw], c.parts[n*nw:(n+1)*nw]
	c.tapWeights(input)
	workers := Workers()
	c.ws.reserve(workers)
	c.pad.reserve(workers)
	x, yv := c.x.data, c.y.data
	if !g.ReLU || c.mask != nil {
		yv = nil // gradSide reads y only for a fused ReLU without its mask
	}
	lw := g
	lw.LW = wp
	x32, fast := any(x).([]float32)
	fast = fast && haveSgemmKernels()
	var pflip []T // the flipped taps packed once (tapPack), or nil
	if input && fast && !tapRowsOK(g) {
		pflip = c.packTaps(g.C, g.O, c.flip)
	}
	parallelN(workers, n, func(worker, ci int) {
		lo, hi := ci*per, min(g.B, (ci+1)*per)
		tg := g.taps(hi - lo)
		oc := g.O * g.C
		nq := tg.ld + g.tapOff(tg, k-1) // rows of the pixel-major input
		buf := c.ws.get(worker, g.O*tg.ps+g.C*tg.ld+nq*g.C)
		gys, dxw, xt := buf[:g.O*tg.ps], buf[g.O*tg.ps:g.O*tg.ps+g.C*tg.ld], buf[g.O*tg.ps+g.C*tg.ld:]
		if tg.side() {
			gradSide(g, tg, gys, dy, yv, c.mask, lo, hi)
		} else {
			// gradRows writes Ho rows of Wp from each image's first pixel;
			// the rest of each plane is padding.
			for o := range g.O {
				plane, pos := gys[o*tg.ps:][:tg.ps], 0
				for b := lo; b < hi; b++ {
					s := (g.PH+(b-lo)*(g.H+g.PH))*wp + g.PW
					zero(plane[pos:s])
					pos = s + lw.pc()
				}
				zero(plane[pos:])
			}
			for b := lo; b < hi; b++ {
				at := (g.PH + (b-lo)*(g.H+g.PH)) * wp
				for o := range g.O {
					src := (b*g.O + o) * p
					if c.mask != nil {
						gradRowsM(lw, gys[o*tg.ps+at+g.PW:][:g.pc()], dy[src:src+p], c.mask[src/8:])
						continue
					}
					var yo []T
					if g.ReLU {
						yo = yv[src : src+p]
					}
					// Rows of Wp from the image's first padded row: the Wp−W
					// values gradRows clears after each row are padding.
					gradRows(lw, gys[o*tg.ps+at+g.PW:][:g.pc()], dy[src:src+p], yo)
				}
			}
		}
		gy := gys[g.PH*tg.rs+g.PW:]
		pw := part[ci*nw : ci*nw+g.O*ck]
		if fast {
			if g.W%8 == 0 {
				stackT(g, tg, x32, lo, hi, nq, any(xt).([]float32))
			} else {
				// Rows of W mod 8 ≠ 0 would leave stackT a scalar
				// remainder in every row (all of it at 7×7): stack
				// the planes and transpose them whole.
				xs := any(c.pad.get(worker, g.C*tg.ps)).([]float32)
				stack(g, tg, x32, g.C, lo, hi, xs)
				transpose8(xs, tg.ps, any(xt).([]float32), g.C, g.C, nq)
			}
			tapWeightGrad(g, tg, k, any(gy).([]float32), any(xt).([]float32), any(pw).([]float32))
		} else {
			xs := c.pad.get(worker, g.C*tg.ps)
			stack(g, tg, x, g.C, lo, hi, xs)
			for t := range k {
				gemm(false, true, g.O, g.C, tg.ld, 1, gy, tg.ps, xs[g.tapOff(tg, t):], tg.ps, 0, pw[t*oc:], g.C)
			}
		}
		pb := part[ci*nw+g.O*ck : (ci+1)*nw]
		for o := range g.O {
			pb[o] = sum(gy[o*tg.ps:][:tg.ld])
		}
		if !input {
			return
		}
		// Straight into dx where the shape allows (all images or none:
		// tapSumRows declines by shape only).
		rows := fast && tapRowsOK(g)
		for b := lo; rows && b < hi; b++ {
			rows = tapSumRows(g, tg, g.C, g.O, b-lo, any(c.flip).([]float32), any(gys).([]float32), any(c.dx.data).([]float32)[b*g.C*g.H*g.W:])
		}
		if rows {
			return
		}
		tapSum(g, tg, g.C, g.O, c.flip, pflip, gys, dxw)
		hw := g.H * g.W
		if tg.side() {
			for ch := range g.C {
				stackRows(c.dx.data[(lo*g.C+ch)*hw:], g.W, g.C*hw, dxw[ch*tg.ld:], tg.rs, tg.io, g.W, 0, g.H, hi-lo)
			}
			return
		}
		for b := lo; b < hi; b++ {
			for ch := range g.C {
				src := dxw[ch*tg.ld+(b-lo)*tg.io:]
				dst := c.dx.data[(b*g.C+ch)*hw:][:hw]
				for y := range g.H {
					copy(dst[y*g.W:][:g.W], src[y*tg.rs:][:g.W])
				}
			}
		}
	})
	// dw + part 0 + part 1 + … element by element, in chunk order as
	// before, but over tap-major copies: one gather and one scatter of dw
	// instead of a strided scatter of every chunk's part.
	oc := g.O * g.C
	dw = dw[:g.O*ck]
	permuteTaps(dw, oc, k, acc[:g.O*ck])
	for ci := range n {
		addTo(acc[:g.O*ck], part[ci*nw:ci*nw+g.O*ck])
		if db != nil {
			addTo(db[:g.O], part[ci*nw+g.O*ck:(ci+1)*nw])
		}
	}
	permuteTaps(acc[:g.O*ck], k, oc, dw)
}

// permuteTaps sets dst (cols×rows) to the transpose of src (rows×cols):
// a weight's [o][c][t] order and the tap-major [t][o][c] (rows = O·C, cols
// = k) and back. In float32 with the assembly kernels, transpose8's 8×8
// blocks; the scalar loops took a share of the backward at 7×7.
func permuteTaps[T Float](src []T, rows, cols int, dst []T) {
	src, dst = src[:rows*cols], dst[:rows*cols]
	if s, ok := any(src).([]float32); ok && haveSgemmKernels() {
		transpose8(s, cols, any(dst).([]float32), rows, rows, cols)
		return
	}
	for r := range rows {
		for q, v := range src[r*cols:][:cols] {
			dst[q*rows+r] = v
		}
	}
}

// tapWeightGrad sets dw[t] (O×C, t < k, one after another) = gy · X_tᵀ
// with the assembly kernels (haveSgemmKernels): xt holds the input
// pixel-major (stackT: row q holds the C channels of column q), where X_tᵀ
// is a plain row block (rows from tap t's offset, row stride C), and the
// output gradient is packed once for all k products (sgemmMultiB). The
// tap-by-tap form transposes each X_t as it packs it: k transposes
// instead of one.
func tapWeightGrad(g geom, tg tapGeom, k int, gy32, xt32, dw32 []float32) {
	var offs [64]int
	boff := offs[:0]
	if k > len(offs) {
		boff = make([]int, 0, k)
	}
	for t := range k {
		boff = append(boff, g.tapOff(tg, t)*g.C)
	}
	sgemmMultiB(g.O, g.C, tg.ld, gy32, tg.ps, xt32, g.C, boff, dw32, g.C, g.O*g.C)
}

// tapSum sets c (m×ld) = Σ_t a_t · (the planes b shifted by tap t), a_t
// being the m×kk matrix at a[t·m·kk:]: the forward pass (m = O, kk = C,
// b the input) and the input gradient (m = C, kk = O, b the padded output
// gradient). float32 keeps each tile of c in registers over all taps
// (sgemmSumAB, or tapSumPacked with the taps packed once by tapPack into
// pa, when pa is not nil: the same bits); otherwise one GEMM per tap
// accumulates into c.
func tapSum[T Float](g geom, tg tapGeom, m, kk int, a, pa, b, c []T) {
	k := g.k()
	var offs [64]int
	boff := offs[:0]
	if k > len(offs) {
		boff = make([]int, 0, k)
	}
	for t := range k {
		boff = append(boff, g.tapOff(tg, t))
	}
	if a32, ok := any(a).([]float32); ok && !tapSumPerTap {
		b32, c32 := any(b).([]float32), any(c).([]float32)
		if pa != nil && tapSumPacked(m, tg.ld, kk, any(pa).([]float32), a32, b32, tg.ps, boff, c32, tg.ld) {
			return
		}
		if sgemmSumAB(m, tg.ld, kk, a32, m*kk, kk, b32, tg.ps, boff, c32, tg.ld) {
			return
		}
	}
	for t, o := range boff {
		var beta T
		if t > 0 {
			beta = 1
		}
		gemm(false, false, m, tg.ld, kk, 1, a[t*m*kk:], kk, b[o:], tg.ps, beta, c, tg.ld)
	}
}

// packTaps packs the k taps of m×kk at a (the weight by tap, or its
// flips) once for every chunk's tapSum (tapPack), into the layer's buffer;
// nil where tapPack declines or T is not float32.
func (c *Conv2D[T]) packTaps(m, kk int, a []T) []T {
	a32, ok := any(a).([]float32)
	if !ok {
		return nil
	}
	pa := tapPack(&c.tapPA, m, kk, c.g.k(), a32)
	if pa == nil {
		return nil
	}
	return any(pa).([]T)
}

// tapSumPerTap makes tapSum run one GEMM per tap in float32 too (tests).
var tapSumPerTap = false

// tapRowsOK reports whether the output and the input gradient go straight
// into y and dx (tapSumRows) rather than through a stacked buffer and a
// copy of each row: where the rows are whole strips of the kernels (16 or
// 32 columns), as at the COCO net's 64×64. Narrower rows would leave a
// ragged strip per row. The column route follows it too (colRowsOK).
func tapRowsOK(g geom) bool {
	return !tapSumPerTap && !noTapRows && tapRowsShape(g)
}

// tapRowsShape is tapRowsOK's shape rule alone: it also picks the stacked
// layout (taps), so that the tests' switches change no layout.
func tapRowsShape(g geom) bool { return g.W >= 32 && g.W%16 == 0 }

// noTapRows turns tapRowsOK and colRowsOK off (tests).
var noTapRows = false

// tapSumRows is tapSum (the forward: m = O, kk = C, a the taps, b the
// input planes; the input gradient: m = C, kk = O, the flipped taps and
// the padded output gradient) for image i of the chunk, written into dst
// (that image's m×H×W) row by row: only the W columns of each output row
// are computed, and no stacked copy is made. Each element has tapSum's
// bits. It reports false, writing nothing, where sgemmSumABRows declines
// the shape.
func tapSumRows(g geom, tg tapGeom, m, kk, i int, a, b, dst []float32) bool {
	var offs [64]int
	boff := offs[:0]
	if k := g.k(); k > len(offs) {
		boff = make([]int, 0, k)
	}
	for t := range g.k() {
		boff = append(boff, g.tapOff(tg, t))
	}
	hw := g.H * g.W
	return sgemmSumABRows(m, g.H, g.W, kk, a, m*kk, kk, b[i*tg.io:], tg.ps, tg.rs, boff, dst[:m*hw], hw, g.W)
}

// gradSide writes the output gradient dy of images [lo, hi) into the
// side-by-side planes gys (O planes of ps, the layout of taps), masked
// where the fused ReLU's output is not positive (by the bits of mask, or
// by yv where it is not nil), and zeroes the planes' padding.
func gradSide[T Float](g geom, tg tapGeom, gys, dy, yv []T, mask []uint8, lo, hi int) {
	p, nb, top := g.p(), hi-lo, g.PH*tg.rs
	_, f32 := any(dy).([]float32)
	vec := f32 && vecOK
	for o := range g.O {
		plane := gys[o*tg.ps:][:tg.ps]
		zero(plane[:top])
		zero(plane[top+g.H*tg.rs:])
		if yv == nil && mask == nil {
			// No ReLU: the images' rows as stack lays the input's.
			stackRows(plane[top:], tg.rs, tg.wp, dy[(lo*g.O+o)*p:], g.W, g.O*p, g.W, g.PW, g.H, nb)
			continue
		}
		for y := range g.H {
			row := plane[top+y*tg.rs:][:tg.rs]
			first := ((lo*g.O)+o)*p + y*g.W // image lo's row y in dy
			if yv != nil && mask == nil && vec {
				// Row y of every image in one call: the source rows O·p
				// apart, each written after PW zeros (vmask clears the
				// PW columns after each row: the next image's).
				for k := range g.PW {
					row[k] = 0
				}
				n := (nb-1)*g.O*p + g.W
				d := plane[top+y*tg.rs+g.PW:][:nb*tg.wp]
				vmask(&any(d).([]float32)[0], tg.wp, &any(dy).([]float32)[first:][:n][0], g.O*p,
					&any(yv).([]float32)[first:][:n][0], nb, g.W)
				continue
			}
			for i := range nb {
				d := row[i*tg.wp:][:tg.wp]
				for k := range g.PW {
					d[k] = 0
				}
				d = d[g.PW:]
				at := first + i*g.O*p
				src := dy[at:][:len(d)]
				switch {
				case mask != nil:
					vmaskM(&any(d).([]float32)[0], g.W, &any(src).([]float32)[0], g.W, &mask[at/8:][:g.W/8][0], 1, g.W)
				default:
					yr := yv[at:][:len(d)]
					for k, v := range src {
						if yr[k] > 0 {
							d[k] = v
						} else {
							d[k] = 0
						}
					}
				}
			}
		}
	}
}

// biasSide writes the side-by-side sums out of images [lo, hi) into y
// plus the bias (then the fused ReLU), one call per output channel
// (stackBias512, vbias's arithmetic: the same bits as biasRows), where
// the rows are at most 16 values and float32 runs on AVX-512 (or AVX2:
// stackBiasY through stackRowsAVX2Go); it reports false, writing nothing,
// elsewhere. biasRows took a call per image and channel.
func biasSide[T Float](g geom, tg tapGeom, out, bias, y []T, lo, hi int) bool {
	o32, ok := any(out).([]float32)
	if !ok || !stackRowsOK && !stackRowsAVX2 || noStackRows || !vecOK || !tg.side() || g.W > 16 || g.Ho != g.H || g.Wo != g.W {
		return false
	}
	y32, p, nb := any(y).([]float32), g.p(), hi-lo
	floor := float32(math.Inf(-1))
	if g.ReLU {
		floor = 0
	}
	for o := range g.O {
		var b float32
		if bias != nil {
			b = any(bias).([]float32)[o]
		}
		d := y32[(lo*g.O+o)*p:][:(nb-1)*g.O*p+p]
		s := o32[o*tg.ld:][:(g.H-1)*tg.rs+(nb-1)*tg.wp+g.W]
		if !stackRowsOK {
			stackRowsAVX2Go(d, g.W, g.O*p, s, tg.rs, tg.wp, g.W, 0, g.H, nb, true, b, floor)
			continue
		}
		stackBias512(&d[0], g.W, g.O*p, &s[0], tg.rs, tg.wp, g.W, g.H, nb, b, floor)
	}
	return true
}
