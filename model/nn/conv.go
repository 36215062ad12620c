package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
)

// Conv2DConfig describes a 2-D convolution. Zero Stride or Dilation
// entries mean 1.
type Conv2DConfig struct {
	In, Out  int    // channels
	Kernel   [2]int // kh, kw
	Stride   [2]int
	Padding  [2]int
	Dilation [2]int
	NoBias   bool
	// ReLU applies max(·, 0) to the output, as a following nn.ReLU would
	// (up to the sign of a zero), without the extra passes over memory;
	// the backward pass masks the output gradient where the output is not
	// positive.
	ReLU bool
}

func (c Conv2DConfig) normalised() Conv2DConfig {
	for i := range 2 {
		if c.Stride[i] == 0 {
			c.Stride[i] = 1
		}
		if c.Dilation[i] == 0 {
			c.Dilation[i] = 1
		}
	}
	return c
}

func (c Conv2DConfig) validate(name string) error {
	switch {
	case c.In <= 0 || c.Out <= 0:
		return fmt.Errorf("%s: channels must be positive, got in=%d out=%d", name, c.In, c.Out)
	case c.Kernel[0] <= 0 || c.Kernel[1] <= 0:
		return fmt.Errorf("%s: kernel must be positive, got %d×%d", name, c.Kernel[0], c.Kernel[1])
	case c.Stride[0] < 0 || c.Stride[1] < 0 || c.Dilation[0] < 0 || c.Dilation[1] < 0:
		return fmt.Errorf("%s: stride and dilation must be positive", name)
	case c.Padding[0] < 0 || c.Padding[1] < 0:
		return fmt.Errorf("%s: padding must not be negative, got %v", name, c.Padding)
	}
	return nil
}

// OutSize returns the output height and width for an h×w input.
func (c Conv2DConfig) OutSize(h, w int) (int, int) {
	c = c.normalised()
	ho := (h+2*c.Padding[0]-(c.Dilation[0]*(c.Kernel[0]-1)+1))/c.Stride[0] + 1
	wo := (w+2*c.Padding[1]-(c.Dilation[1]*(c.Kernel[1]-1)+1))/c.Stride[1] + 1
	return ho, wo
}

// geom is the full shape of one convolution call.
type geom struct {
	B, C, H, W             int
	O, KH, KW              int
	SH, SW, PH, PW, DH, DW int
	Ho, Wo                 int
	// LW is the row stride of the output pixels in a column matrix: Wo,
	// or for wide columns (see wideOK) the padded input's width, with the
	// columns past Wo in each row unused.
	LW   int
	ReLU bool
}

func (g geom) k() int  { return g.KH * g.KW }
func (g geom) ck() int { return g.C * g.KH * g.KW }
func (g geom) p() int  { return g.Ho * g.Wo }

// pc is the number of columns one image takes in a column matrix.
func (g geom) pc() int { return g.Ho * g.LW }

// wideOK reports whether a plain convolution may use wide columns: with
// stride 1, row (c, i, j) of the column matrix is one contiguous run of
// the zero-padded input plane, if each output row is given the padded
// width. The copies become long runs instead of Ho short ones, at the cost
// of the unused columns (Wp−Wo per row), so it is taken only while those
// add at most half.
func (g geom) wideOK() bool {
	wp := g.W + 2*g.PW
	return g.SH == 1 && g.SW == 1 && 2*wp <= 3*g.Wo
}

// eachWideRow calls fn for each row r = (c, i, j) of one image's wide
// column block with the start, in the padded planes laid one after
// another, of the run of pc() values that row holds.
func (g geom) eachWideRow(fn func(r, at int)) {
	ps, r := g.padPlane(), 0
	for ch := range g.C {
		for i := range g.KH {
			for j := range g.KW {
				fn(r, ch*ps+i*g.DH*g.LW+j*g.DW)
				r++
			}
		}
	}
}

// padPlane is the length of one padded input plane in the wide layout:
// Hp·Wp plus the (KW−1)·DW elements the last tap's run reads past it.
func (g geom) padPlane() int {
	return (g.H+2*g.PH)*(g.W+2*g.PW) + (g.KW-1)*g.DW
}

// validCols returns the output columns [lo, hi) whose tap j falls inside
// the input row: 0 ≤ ox·sw − pw + j·dw < W.
func (g geom) validCols(j int) (lo, hi int) {
	off := j*g.DW - g.PW
	lo = 0
	if off < 0 {
		lo = (-off + g.SW - 1) / g.SW
	}
	hi = 0
	if g.W-off > 0 {
		hi = (g.W - off + g.SW - 1) / g.SW
	}
	hi = min(hi, g.Wo)
	lo = min(lo, hi)
	return lo, hi
}

// geometry checks x against the configuration and returns the call's shape.
func geometry[T Float](name string, c Conv2DConfig, x *Tensor[T]) (geom, error) {
	s := x.Shape()
	if len(s) != 4 {
		return geom{}, fmt.Errorf("%s: input must be 4-D B×C×H×W, got shape %s", name, shapeString(s))
	}
	if s[1] != c.In {
		return geom{}, fmt.Errorf("%s: input has %d channels (dimension 1 of %s), want %d", name, s[1], shapeString(s), c.In)
	}
	ho, wo := c.OutSize(s[2], s[3])
	if s[0] <= 0 || ho <= 0 || wo <= 0 {
		return geom{}, fmt.Errorf("%s: input %s is too small for a %d×%d kernel (output would be %d×%d)",
			name, shapeString(s), c.Kernel[0], c.Kernel[1], ho, wo)
	}
	return geom{
		B: s[0], C: s[1], H: s[2], W: s[3], O: c.Out, KH: c.Kernel[0], KW: c.Kernel[1],
		SH: c.Stride[0], SW: c.Stride[1], PH: c.Padding[0], PW: c.Padding[1], DH: c.Dilation[0], DW: c.Dilation[1],
		Ho: ho, Wo: wo, LW: wo, ReLU: c.ReLU,
	}, nil
}

// columns is what differs between a plain and a deformable convolution:
// how an image becomes a column matrix and how a column gradient flows back.
type columns[T Float] interface {
	// im2col writes image b as a ck×p block into col at column off, with
	// row stride ld.
	im2col(worker, b int, col []T, ld, off int)
	// col2im takes image b's column gradient (same layout) and writes the
	// input gradient of image b (and any other per-image gradients).
	col2im(worker, b int, dcol []T, ld, off int)
	// reserve prepares per-worker state for workers goroutines.
	reserve(workers int)
	// transposed reports blocks stored the other way round: one row of ck
	// values per column (image b's rows start at row off), with the
	// reduction index in the implementation's own order, which the weight
	// handed to convForward and convBackward then follows too.
	transposed() bool
}

// colCacheLimit is the largest column matrix (in elements) a layer keeps
// from Forward for Backward; larger ones are recomputed, to bound memory.
const colCacheLimit = 16 << 20

// colCache returns a buffer for the whole batch's column matrix when it is
// small enough to keep, else nil.
func colCache[T Float](buf *[]T, g geom, train bool) []T {
	n := g.ck() * g.B * g.pc()
	if !train || n > colCacheLimit {
		return nil
	}
	if cap(*buf) < n {
		*buf = make([]T, n)
	}
	*buf = (*buf)[:n]
	return *buf
}

// chunkCols returns chunk c's block of a batch column cache: chunks are
// stored one after another, each ck×(nb·pc).
func chunkCols[T Float](cache []T, g geom, per, c int) []T {
	lo, hi := c*per, min(g.B, (c+1)*per)
	ck, pc := g.ck(), g.pc()
	return cache[lo*ck*pc : hi*ck*pc]
}

// convForward computes y = W ⋆ x + bias (then the ReLU, if fused) over the
// batch in parallel chunks. With a cache, the column matrices are kept
// there for convBackward.
func convForward[T Float](g geom, w, bias, y []T, cols columns[T], ws *scratch[T], cache []T) {
	convForwardM(g, w, bias, y, cols, ws, cache, nil)
}

// convForwardM is convForward that also records the fused ReLU's mask in
// mask (reluMask) when it is not nil.
func convForwardM[T Float](g geom, w, bias, y []T, cols columns[T], ws *scratch[T], cache []T, mask []uint8) {
	ck, p, pc := g.ck(), g.p(), g.pc()
	per, n := chunking(g.B, pc)
	workers := Workers()
	ws.reserve(workers)
	cols.reserve(workers)
	parallelN(workers, n, func(worker, c int) {
		lo, hi := c*per, min(g.B, (c+1)*per)
		nb := hi - lo
		ld := nb * pc
		buf := ws.get(worker, ck*ld+g.O*ld)
		col, out := buf[:ck*ld], buf[ck*ld:]
		if cache != nil {
			col = chunkCols(cache, g, per, c)
		}
		for b := lo; b < hi; b++ {
			cols.im2col(worker, b, col, ld, (b-lo)*pc)
		}
		// finish writes image b's outputs plus the bias (then the ReLU,
		// and its mask) into y from src: channel o's Ho rows at src[o·ls:],
		// row stride lds (src may be y itself).
		finish := func(b int, src []T, ls, lds int) {
			for o := range g.O {
				dst := y[(b*g.O+o)*p:][:p]
				var bv T
				if bias != nil {
					bv = bias[o]
				}
				if mask != nil {
					biasRowsM(dst, g.Wo, src[o*ls:], lds, g.Ho, g.Wo, bv, mask[(b*g.O+o)*p/8:])
					continue
				}
				biasRows(dst, g.Wo, src[o*ls:], lds, g.Ho, g.Wo, bv, g.ReLU)
			}
		}
		// Straight into y, row by row, where the rows are whole kernel
		// strips (as on the tap-sum route: one "tap", the column block);
		// then the bias in place while the image is in cache.
		rows := colRowsOK[T](g, cols)
		for b := lo; rows && b < hi; b++ {
			w32, c32, y32 := any(w).([]float32), any(col).([]float32), any(y).([]float32)
			yb := y32[b*g.O*p:][:g.O*p]
			rows = sgemmSumABRows(g.O, g.Ho, g.Wo, ck, w32, 0, ck, c32[(b-lo)*pc:], ld, g.LW, []int{0}, yb, p, g.Wo)
			if rows {
				finish(b, y[b*g.O*p:], p, g.Wo)
			}
		}
		if rows {
			return
		}
		if cols.transposed() {
			gemm(false, true, g.O, ld, ck, 1, w, ck, col, ck, 0, out, ld)
		} else {
			gemm(false, false, g.O, ld, ck, 1, w, ck, col, ld, 0, out, ld)
		}
		for b := lo; b < hi; b++ {
			finish(b, out[(b-lo)*pc:], ld, g.LW)
		}
	})
}

// colRowsOK reports whether convForwardM writes its products straight
// into y row by row (sgemmSumABRows with one product: the bits of the one
// GEMM): for a plain layer's column blocks stored row by row, in float32
// on the assembly kernels, where the output rows are whole strips of the
// kernels, as tapRowsOK.
func colRowsOK[T Float](g geom, cols columns[T]) bool {
	_, f32 := any(T(0)).(float32)
	_, plain := cols.(plainCols[T])
	return f32 && plain && haveSgemmKernels() && g.Ho == g.H && g.Wo == g.W && g.SH == 1 && g.SW == 1 && tapRowsOK(g)
}

// biasRows sets dst[r·ldd+c] = src[r·lds+c] + b for r < rows, c < cols,
// clamped at 0 when relu (NaN stays NaN).
func biasRows[T Float](dst []T, ldd int, src []T, lds int, rows, cols int, b T, relu bool) {
	if rows == 0 || cols == 0 {
		return
	}
	dst, src = dst[:(rows-1)*ldd+cols], src[:(rows-1)*lds+cols]
	if d, ok := any(dst).([]float32); ok && vecOK {
		floor := float32(math.Inf(-1))
		if relu {
			floor = 0
		}
		vbias(&d[0], ldd, &any(src).([]float32)[0], lds, rows, cols, float32(b), floor)
		return
	}
	for r := range rows {
		d, s := dst[r*ldd:][:cols], src[r*lds:][:cols]
		for i, v := range s {
			if v += b; relu && v < 0 { // NaN and −0 stay, as in vbias
				v = 0
			}
			d[i] = v
		}
	}
}

// reluMaskOK reports whether a training forward of g records its fused
// ReLU's mask as bits for the backward (reluMask): in float32 with the
// vector kernels, and with rows of a multiple of 8 outputs, so that each
// row's bits start on a byte.
func reluMaskOK[T Float](g geom) bool {
	_, f32 := any(T(0)).(float32)
	return f32 && vecOK && !noReluMask && g.ReLU && g.Wo%8 == 0
}

// noReluMask makes the backward read y for a fused ReLU's mask (tests).
var noReluMask = false

// reluMask returns *buf grown to one bit per output of g (bit i%8 of byte
// i/8 for output i in y's order), or nil where a forward does not record
// the mask: outside training or where reluMaskOK does not hold. The
// backward then reads B·O·Ho·Wo/8 bytes instead of y's B·O·Ho·Wo floats.
func reluMask[T Float](buf *[]uint8, g geom, train bool) []uint8 {
	if !train || !reluMaskOK[T](g) {
		return nil
	}
	n := g.B * g.O * g.p() / 8
	if cap(*buf) < n {
		*buf = make([]uint8, n)
	}
	*buf = (*buf)[:n]
	return *buf
}

// biasRowsM is biasRows with the ReLU (T is float32, cols a multiple of
// 8: reluMaskOK), also setting bit c%8 of m[(r·cols+c)/8] where
// dst[r·ldd+c] > 0: the same values, and the mask gradRowsM reads.
func biasRowsM[T Float](dst []T, ldd int, src []T, lds int, rows, cols int, b T, m []uint8) {
	if rows == 0 || cols == 0 {
		return
	}
	dst, src, m = dst[:(rows-1)*ldd+cols], src[:(rows-1)*lds+cols], m[:rows*cols/8]
	vbiasM(&any(dst).([]float32)[0], ldd, &any(src).([]float32)[0], lds, rows, cols, float32(b), 0, &m[0])
}

// gradRowsM is gradRows with a fused ReLU whose mask biasRowsM recorded
// in m (one output channel's bits) in place of y.
func gradRowsM[T Float](g geom, dst, src []T, m []uint8) {
	dst, src, m = dst[:g.pc()], src[:g.p()], m[:g.p()/8]
	vmaskM(&any(dst).([]float32)[0], g.LW, &any(src).([]float32)[0], g.Wo, &m[0], g.Ho, g.Wo)
}

// gradRows copies one output channel's gradient src (Ho×Wo) into a column
// layout row dst (Ho×LW, zero past Wo), masked where the output y is not
// positive when the ReLU is fused (y is nil otherwise).
func gradRows[T Float](g geom, dst, src, y []T) {
	dst, src = dst[:g.pc()], src[:g.p()]
	if y == nil {
		if g.LW == g.Wo {
			copy(dst, src)
			return
		}
		for oy := range g.Ho {
			d := dst[oy*g.LW:][:g.LW]
			copy(d, src[oy*g.Wo:][:g.Wo])
			clear(d[g.Wo:])
		}
		return
	}
	y = y[:g.p()]
	if d, ok := any(dst).([]float32); ok && vecOK {
		vmask(&d[0], g.LW, &any(src).([]float32)[0], g.Wo, &any(y).([]float32)[0], g.Ho, g.Wo)
		return
	}
	for oy := range g.Ho {
		d := dst[oy*g.LW:][:g.LW]
		s, yr := src[oy*g.Wo:][:g.Wo], y[oy*g.Wo:][:g.Wo]
		for i, v := range s {
			if yr[i] > 0 {
				d[i] = v
			} else {
				d[i] = 0
			}
		}
		clear(d[g.Wo:])
	}
}

// colPadOK reports whether convBackwardM pads a chunk's column matrix
// with zero rows to a multiple of 8 for the weight gradient: in float32
// on the assembly kernels, for column blocks stored row by row and built
// per chunk (not the cache), where ck is not a multiple of 8 already. The
// transposed B (col) then packs in whole 8×8 transposes instead of a
// scalar loop over its last ck mod 8 rows, and the product's tiles are
// whole: the 3-channel first layer's 27 rows become 32.
func colPadOK[T Float](g geom, cols columns[T], cache []T) bool {
	_, f32 := any(T(0)).(float32)
	return f32 && !noColPad && haveSgemmKernels() && cache == nil && !cols.transposed() && g.ck()%8 != 0
}

// noColPad turns colPadOK off (tests).
var noColPad = false

// convBackward accumulates dW and db (db may be nil) and, when input is
// set, runs col2im on W^T·dy. y is the layer's output, read for the mask of
// a fused ReLU. parts is scratch for the per-chunk weight gradients,
// reduced in chunk order.
func convBackward[T Float](g geom, w, y, dy, dw, db []T, input bool, cols columns[T], ws *scratch[T], parts *[]T, cache []T) {
	convBackwardM(g, w, y, dy, dw, db, input, cols, ws, parts, cache, nil)
}

// convBackwardM is convBackward that masks the output gradient with the
// bits convForwardM recorded in mask, when it is not nil, instead of y.
func convBackwardM[T Float](g geom, w, y, dy, dw, db []T, input bool, cols columns[T], ws *scratch[T], parts *[]T, cache []T, mask []uint8) {
	ck, p, pc := g.ck(), g.p(), g.pc()
	per, n := chunking(g.B, pc)
	nw := g.O*ck + g.O
	if cap(*parts) < n*nw {
		*parts = make([]T, n*nw)
	}
	part := (*parts)[:n*nw]
	workers := Workers()
	ws.reserve(workers)
	cols.reserve(workers)
	parallelN(workers, n, func(worker, c int) {
		lo, hi := c*per, min(g.B, (c+1)*per)
		nb := hi - lo
		ld := nb * pc
		ckp := ck // rows of col: ck, or padded to a multiple of 8 (colPadOK)
		if colPadOK[T](g, cols, cache) {
			ckp = (ck + 7) &^ 7
		}
		lg := ld // gy's row stride and dcol's rows: ld, or more (dcolPadRows)
		if cols.transposed() {
			lg = dcolPadRows[T](ld, ck, g.O)
			if lg > ld {
				dcolPadRan.Store(true)
			}
		}
		buf := ws.get(worker, ckp*ld+ck*lg+g.O*lg+g.O*ckp)
		col, dcol, gy := buf[:ckp*ld], buf[ckp*ld:ckp*ld+ck*lg], buf[ckp*ld+ck*lg:ckp*ld+ck*lg+g.O*lg]
		if cache != nil {
			col = chunkCols(cache, g, per, c)
		}
		for b := lo; b < hi; b++ {
			if cache == nil {
				cols.im2col(worker, b, col, ld, (b-lo)*pc)
			}
			for o := range g.O {
				at := (b*g.O + o) * p
				if mask != nil {
					gradRowsM(g, gy[o*lg+(b-lo)*pc:][:pc], dy[at:at+p], mask[at/8:])
					continue
				}
				var yo []T
				if g.ReLU {
					yo = y[at : at+p]
				}
				gradRows(g, gy[o*lg+(b-lo)*pc:][:pc], dy[at:at+p], yo)
			}
		}
		if lg > ld {
			for o := range g.O {
				clear(gy[o*lg+ld : (o+1)*lg]) // dcolPadRows' zero pixels
			}
		}
		pw := part[c*nw : c*nw+g.O*ck]
		tr := cols.transposed()
		if tr {
			if !dwSumAB(g.O, ck, ld, gy, lg, col, pw) {
				gemmWideA(false, false, g.O, ck, ld, 1, gy, lg, col, ck, 0, pw, ck)
			}
		} else if ckp != ck {
			// col's rows padded to ckp: the transposed B packs in blocks
			// of 8 rows and the tiles are full, and the ck columns of the
			// product hold the same bits. The padding rows reach only the
			// dropped columns; they are zeroed so that stale scratch
			// (subnormals) cannot slow the multiply.
			clear(col[ck*ld : ckp*ld])
			tmp := buf[(ckp+ck)*ld+g.O*ld:][:g.O*ckp]
			gemm(false, true, g.O, ckp, ld, 1, gy, ld, col, ld, 0, tmp, ckp)
			for o := range g.O {
				copy(pw[o*ck:][:ck], tmp[o*ckp:][:ck])
			}
		} else {
			gemm(false, true, g.O, ck, ld, 1, gy, ld, col, ld, 0, pw, ck)
		}
		pb := part[c*nw+g.O*ck : (c+1)*nw]
		for o := range g.O {
			pb[o] = sum(gy[o*lg : o*lg+ld])
		}
		if !input {
			return
		}
		if tr {
			gemmWideA(true, false, lg, ck, g.O, 1, gy, lg, w, ck, 0, dcol, ck)
		} else {
			gemm(true, false, ck, ld, g.O, 1, w, ck, gy, ld, 0, dcol, ld)
		}
		for b := lo; b < hi; b++ {
			cols.col2im(worker, b, dcol, ld, (b-lo)*pc)
		}
	})
	for c := range n {
		addTo(dw[:g.O*ck], part[c*nw:c*nw+g.O*ck])
		if db != nil {
			addTo(db[:g.O], part[c*nw+g.O*ck:(c+1)*nw])
		}
	}
}

// dcolPadRows is the rows of the column gradient's product dcol = gyᵀ·W
// in convBackwardM for transposed column blocks (the deformable layer's),
// and gy's row stride, for a chunk of ld pixels: ld, or ld rounded up to
// the GEMM's 6-row panels in float32 on the AVX2 kernels. The pixels added
// to gy are zero and their rows of dcol are never read. At the 7×7 layer
// (chunks of 5 images, 245 pixels) the product then runs 41 full row
// panels of 6, read in place (sgemmKernel6x16T) and stored in place, where
// its last panel of 5 rows was packed and went through a scratch tile and
// Go's partial store. Each element of dcol is the same chain of fused
// multiply-adds over the O output channels whichever panel computes it,
// and the weight and bias gradients read the same ld pixels of gy: the same
// bits (TestDcolPadRowsSameBits). With AVX-512 or without kernels the
// product stays as it is, and so does a product of ld×ck×o small enough
// for gemm's plain loop (sgemmTinyProduct), which rounds each product
// where the kernels fuse them: padded, it would reach the kernels.
func dcolPadRows[T Float](ld, ck, o int) int {
	_, f32 := any(T(0)).(float32)
	if f32 && !noDcolPad && pixAVX2OK() && !sgemmTinyProduct(ld, ck, o) {
		return (ld + 5) / 6 * 6
	}
	return ld
}

// noDcolPad turns dcolPadRows' padding off (tests, benchmarks).
var noDcolPad bool

// dcolPadRan records that convBackwardM padded a chunk (tests).
var dcolPadRan atomic.Bool

// dwSumAB sets convBackwardM's weight gradient pw (o×ck, row stride ck) =
// gy·col for transposed column blocks (gy o×ld, row stride lg; col ld×ck)
// through sgemmSumAB as one product, and reports whether it did (float32
// on the AVX2 kernels, at least 4 output channels, ld within one kc block,
// a product larger than gemm's plain loop takes: sgemmTinyProduct). Where
// sgemmSumAB's AVX2 route (sumABTapsY) runs, it takes the rows in panels of
// six and four, A and B read in place: at the 7×7 layer's 32 output
// channels 6+6+6+6+4+4, where the GEMM ran five panels of six and a ragged
// one of two through the 3-row kernel and a partial tile's store (47.4
// against 51.3 µs a chunk of 245 pixels alone, Zen 3). Each element is the
// same chain of fused multiply-adds over the chunk's pixels from zero: the
// same bits (TestDcolPadRowsSameBits).
func dwSumAB[T Float](o, ck, ld int, gy []T, lg int, col, pw []T) bool {
	g32, ok := any(gy).([]float32)
	if !ok || noDwSumAB || !sumABTapsYOK() || o < 4 || sgemmTinyProduct(o, ck, ld) {
		return false
	}
	if !sgemmSumAB(o, ck, ld, g32, 0, lg, any(col).([]float32), ck, oneTap, any(pw).([]float32), ck) {
		return false
	}
	dwSumABRan.Store(true)
	return true
}

// oneTap is sgemmSumAB's offsets of a single product (read only).
var oneTap = []int{0}

// noDwSumAB turns dwSumAB off (tests, benchmarks).
var noDwSumAB bool

// dwSumABRan records that dwSumAB ran (tests).
var dwSumABRan atomic.Bool

// Conv2D is a plain 2-D convolution (PyTorch's nn.Conv2d without groups).
type Conv2D[T Float] struct {
	name   string
	cfg    Conv2DConfig
	Weight *Param[T] // O×C×kh×kw
	Bias   *Param[T] // O, nil with NoBias

	// NoInputGrad skips dL/dx in Backward (for a network's first layer).
	NoInputGrad bool

	g               geom
	x, y, dx        *Tensor[T]
	ws              scratch[T]
	pad             scratch[T] // per-worker zero-padded image (wide columns)
	parts           []T
	cache, cacheBuf []T     // columns kept from a training Forward
	mask, maskBuf   []uint8 // the fused ReLU's mask from a training Forward (reluMask)
	narrow          bool    // tests: never use wide columns
	wtap, flip      []T     // the weight by tap, and flipped (conv_taps.go)
	noTaps          bool    // tests and benchmarks: never the tap-sum route
	forceTaps       bool    // tests: the tap-sum route at any channel count
	winoU           []T     // the transformed weight U[ξ][o][c] (conv_wino.go)
	winoUp          []T     // U[ξ] or U[ξ]ᵀ packed for every chunk's GEMM (winoPackU)
	winoM           winoMats[T]
	noWino          bool // tests and benchmarks: never the Winograd route
	forceWino       bool // tests: the Winograd route at any 3×3 shape it can compute
	winoForceM      int  // tests and benchmarks: the Winograd route's tile side (2 or 4)

	// tapPA is wtap or flip packed for the kernels, once per call (tapPack).
	tapPA []float32
}

var _ Layer[float32] = (*Conv2D[float32])(nil)

// NewConv2D returns a convolution initialised as PyTorch initialises
// nn.Conv2d, drawing from rng (nil leaves the weights zero).
func NewConv2D[T Float](name string, cfg Conv2DConfig, rng *rand.Rand) (*Conv2D[T], error) {
	if err := cfg.validate(name); err != nil {
		return nil, err
	}
	cfg = cfg.normalised()
	c := &Conv2D[T]{name: name, cfg: cfg}
	c.Weight = newParam[T](name+".weight", cfg.Out, cfg.In, cfg.Kernel[0], cfg.Kernel[1])
	if !cfg.NoBias {
		c.Bias = newParam[T](name+".bias", cfg.Out)
	}
	if rng != nil {
		initPyTorch(c.Weight, c.Bias, cfg.In*cfg.Kernel[0]*cfg.Kernel[1], rng)
	}
	return c, nil
}

// Name implements Layer.
func (c *Conv2D[T]) Name() string { return c.name }

// Config returns the layer's configuration.
func (c *Conv2D[T]) Config() Conv2DConfig { return c.cfg }

// Params implements Layer.
func (c *Conv2D[T]) Params() []*Param[T] {
	if c.Bias == nil {
		return []*Param[T]{c.Weight}
	}
	return []*Param[T]{c.Weight, c.Bias}
}

// Forward implements Layer.
func (c *Conv2D[T]) Forward(x *Tensor[T], train bool) (*Tensor[T], error) {
	g, err := geometry(c.name, c.cfg, x)
	if err != nil {
		return nil, err
	}
	if g.wideOK() && !c.narrow {
		g.LW = g.W + 2*g.PW
	}
	c.g, c.x = g, x
	c.mask = nil
	y := reuse(&c.y, g.B, g.O, g.Ho, g.Wo)
	var bias []T
	if c.Bias != nil {
		bias = c.Bias.Value.data
	}
	if m := c.winoTile(); m != 0 {
		c.winoForward(m, bias, y.data, train)
		return y, nil
	}
	if c.tapsOK() {
		c.cache = nil
		c.mask = reluMask[T](&c.maskBuf, g, train)
		c.tapsForward(bias, y.data)
		return y, nil
	}
	// Wide columns are cheap to rebuild from the image (long copies of a
	// cache-resident plane), cheaper than a round trip through memory.
	c.cache = colCache(&c.cacheBuf, g, train && g.LW == g.Wo)
	c.mask = reluMask[T](&c.maskBuf, g, train)
	convForwardM(g, c.Weight.Value.data, bias, y.data, plainCols[T]{c}, &c.ws, c.cache, c.mask)
	return y, nil
}

// Backward implements Layer. With NoInputGrad it returns nil.
func (c *Conv2D[T]) Backward(dy *Tensor[T]) (*Tensor[T], error) {
	if err := c.backward(dy, nil); err != nil || c.NoInputGrad {
		return nil, err
	}
	return c.dx, nil
}

// BackwardAdd is Backward with the input gradient added to acc's elements
// (acc[i] + dL/dx[i], one rounding each: the same bits as Backward and
// addTo after it) instead of returned; acc has the input's shape. On the
// Winograd route the scatter's last pass adds (no pass over dx of its
// own); the other routes write their own dx and add it. It counts as a
// Backward: it may rewrite the tensor an earlier Backward returned, so acc
// must not be that tensor (an error). With NoInputGrad acc is left as it
// is, but must still have the input's shape.
func (c *Conv2D[T]) BackwardAdd(dy, acc *Tensor[T]) error {
	g := c.g
	if c.x == nil {
		return fmt.Errorf("%s: Backward called before Forward", c.name)
	}
	if acc == nil || !acc.SameShape(g.B, g.C, g.H, g.W) {
		want := shapeString([]int{g.B, g.C, g.H, g.W})
		if acc == nil {
			return fmt.Errorf("%s: BackwardAdd without a gradient to add to, want %s", c.name, want)
		}
		return fmt.Errorf("%s: gradient to add to has shape %s, want %s", c.name, shapeString(acc.Shape()), want)
	}
	if c.dx != nil && len(acc.data) > 0 && len(c.dx.data) > 0 && &acc.data[0] == &c.dx.data[0] {
		return fmt.Errorf("%s: BackwardAdd into the input gradient its last Backward returned, which it rewrites", c.name)
	}
	return c.backward(dy, acc)
}

// backward runs Backward; with acc (and the input gradient asked for) the
// input gradient is added to acc's elements instead of written to c.dx.
func (c *Conv2D[T]) backward(dy, acc *Tensor[T]) error {
	g := c.g
	if c.x == nil {
		return fmt.Errorf("%s: Backward called before Forward", c.name)
	}
	if !dy.SameShape(g.B, g.O, g.Ho, g.Wo) {
		return fmt.Errorf("%s: output gradient has shape %s, want %s", c.name, shapeString(dy.Shape()), shapeString([]int{g.B, g.O, g.Ho, g.Wo}))
	}
	var db []T
	if c.Bias != nil {
		db = c.Bias.Grad.data
	}
	input := !c.NoInputGrad
	if c.winoOK() {
		if input && acc != nil {
			c.winoBackward(c.winoTile(), dy.data, c.Weight.Grad.data, db, true, acc.data, true)
			return nil
		}
		if input {
			reuse(&c.dx, g.B, g.C, g.H, g.W)
			c.winoBackward(c.winoTile(), dy.data, c.Weight.Grad.data, db, true, c.dx.data, false)
			return nil
		}
		c.winoBackward(c.winoTile(), dy.data, c.Weight.Grad.data, db, false, nil, false)
		return nil
	}
	if input {
		reuse(&c.dx, g.B, g.C, g.H, g.W)
	}
	if c.tapsOK() {
		c.tapsBackward(dy.data, c.Weight.Grad.data, db, input)
	} else {
		convBackwardM(g, c.Weight.Value.data, c.y.data, dy.data, c.Weight.Grad.data, db, input, plainCols[T]{c}, &c.ws, &c.parts, c.cache, c.mask)
	}
	if input && acc != nil {
		parallelRange(len(acc.data), func(lo, hi int) {
			addTo(acc.data[lo:hi], c.dx.data[lo:hi])
		})
	}
	return nil
}

// plainCols is the regular-grid im2col of a Conv2D.
type plainCols[T Float] struct{ c *Conv2D[T] }

func (pc plainCols[T]) reserve(workers int) { pc.c.pad.reserve(workers) }

func (pc plainCols[T]) transposed() bool { return false }

// padded returns worker's buffer holding input image b zero-padded, one
// padPlane per channel; with fill false it is only zeroed.
func (pc plainCols[T]) padded(worker, b int, fill bool) []T {
	g := pc.c.g
	ps, wp := g.padPlane(), g.W+2*g.PW
	buf := pc.c.pad.get(worker, g.C*ps)
	clear(buf)
	if !fill {
		return buf
	}
	x := pc.c.x.data[b*g.C*g.H*g.W : (b+1)*g.C*g.H*g.W]
	for ch := range g.C {
		for iy := range g.H {
			copy(buf[ch*ps+(iy+g.PH)*wp+g.PW:][:g.W], x[(ch*g.H+iy)*g.W:][:g.W])
		}
	}
	return buf
}

func (pc plainCols[T]) im2col(worker, b int, col []T, ld, off int) {
	g := pc.c.g
	if g.LW != g.Wo {
		xp := pc.padded(worker, b, true)
		n := g.pc()
		g.eachWideRow(func(r, at int) {
			copy(col[r*ld+off:][:n], xp[at:at+n])
		})
		return
	}
	x := pc.c.x.data[b*g.C*g.H*g.W : (b+1)*g.C*g.H*g.W]
	r := 0
	for ch := range g.C {
		img := x[ch*g.H*g.W : (ch+1)*g.H*g.W]
		for i := range g.KH {
			for j := range g.KW {
				row := col[r*ld+off : r*ld+off+g.p()]
				r++
				lo, hi := g.validCols(j)
				shift := j*g.DW - g.PW
				for oy := range g.Ho {
					iy := oy*g.SH - g.PH + i*g.DH
					dst := row[oy*g.Wo : (oy+1)*g.Wo]
					if iy < 0 || iy >= g.H {
						clear(dst)
						continue
					}
					src := img[iy*g.W : (iy+1)*g.W]
					for ox := range lo {
						dst[ox] = 0
					}
					for ox := hi; ox < len(dst); ox++ {
						dst[ox] = 0
					}
					if g.SW == 1 && lo < hi {
						s := src[lo+shift : hi+shift]
						d := dst[lo:hi]
						for k := range d {
							d[k] = s[k]
						}
						continue
					}
					for ox := lo; ox < hi; ox++ {
						dst[ox] = src[ox*g.SW+shift]
					}
				}
			}
		}
	}
}

func (pc plainCols[T]) col2im(worker, b int, dcol []T, ld, off int) {
	g := pc.c.g
	dx := pc.c.dx.data[b*g.C*g.H*g.W : (b+1)*g.C*g.H*g.W]
	if g.LW != g.Wo {
		// The transpose of the wide im2col: each row adds into the padded
		// plane (the unused columns of dcol are zero, since those of the
		// output gradient are), then the interior is the input gradient.
		dp := pc.padded(worker, b, false)
		ps, n := g.padPlane(), g.pc()
		g.eachWideRow(func(r, at int) {
			addTo(dp[at:at+n], dcol[r*ld+off:][:n])
		})
		for ch := range g.C {
			plane := dp[ch*ps : (ch+1)*ps]
			for iy := range g.H {
				copy(dx[(ch*g.H+iy)*g.W:][:g.W], plane[(iy+g.PH)*g.LW+g.PW:][:g.W])
			}
		}
		return
	}
	clear(dx)
	r := 0
	for ch := range g.C {
		img := dx[ch*g.H*g.W : (ch+1)*g.H*g.W]
		for i := range g.KH {
			for j := range g.KW {
				row := dcol[r*ld+off : r*ld+off+g.p()]
				r++
				lo, hi := g.validCols(j)
				shift := j*g.DW - g.PW
				for oy := range g.Ho {
					iy := oy*g.SH - g.PH + i*g.DH
					if iy < 0 || iy >= g.H {
						continue
					}
					dst := img[iy*g.W : (iy+1)*g.W]
					src := row[oy*g.Wo : (oy+1)*g.Wo]
					if g.SW == 1 && lo < hi {
						d := dst[lo+shift : hi+shift]
						s := src[lo:hi]
						for k := range d {
							d[k] += s[k]
						}
						continue
					}
					for ox := lo; ox < hi; ox++ {
						dst[ox*g.SW+shift] += src[ox]
					}
				}
			}
		}
	}
}

// addTo sets dst += src.
func addTo[T Float](dst, src []T) {
	dst = dst[:len(src)]
	if d, ok := any(dst).([]float32); ok && vecOK && len(d) > 0 {
		vadd(&d[0], &any(src).([]float32)[0], len(d))
		return
	}
	for i, v := range src {
		dst[i] += v
	}
}

// sum returns the sum of x.
func sum[T Float](x []T) T {
	if f, ok := any(x).([]float32); ok && vecOK && len(f) > 0 {
		return T(vsum(&f[0], len(f)))
	}
	var s T
	for _, v := range x {
		s += v
	}
	return s
}
