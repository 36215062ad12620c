package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
)

// DeformConv2D is torchvision.ops.deform_conv2d as a layer with its own
// weight and bias: a convolution whose taps sample the input at learned
// fractional offsets (DCNv1), optionally scaled by a mask (DCNv2).
//
// For output (oy, ox) and tap k = i·kw + j of offset group g, the sample
// point is
//
//	y = oy·sh − ph + i·dh + offset[2(g·kh·kw+k)]
//	x = ox·sw − pw + j·dw + offset[2(g·kh·kw+k)+1]
//
// read by bilinear interpolation in which every pixel outside the input is
// 0, and multiplied by mask[g·kh·kw+k] when a mask is given. Input channel c
// belongs to offset group c / (C/G).
type DeformConv2D[T Float] struct {
	name   string
	cfg    Conv2DConfig
	groups int
	Weight *Param[T] // O×C×kh×kw
	Bias   *Param[T] // O, nil with NoBias

	g                  geom
	x, off, mask       *Tensor[T]
	y, dx, doff, dmask *Tensor[T]
	ws                 scratch[T]
	tabs               []sampleTable[T]
	wT, dwT            []T // weight and its gradient in column order (see deformCols)
	wPix, wPixBuf      []T // wT packed for pixGemm (deform_gemm.go); nil where it does not run
	wDcol              []T // wT packed for the banded backward's dcolPix (deform_dcol.go)
	zeroBias           []T // the bias storePix adds with NoBias
	wNarrow            []T // wT padded to 32 columns for backwardNarrow (deform_narrow.go)
	parts              []T
	cache, cacheBuf    []T    // columns kept from Forward for Backward
	gen                uint64 // Forward calls, for sampleTable.holds
	forwarding         bool   // inside Forward: fills are lean (see fillRange)
	noBands            bool   // tests: never the banded passes (deform_bands.go)
	noNarrow           bool   // tests: never backwardNarrow (deform_narrow.go)
	noMaskT            bool   // tests: backwardNarrow without maskTranspose (deform_maskt.go)
	maskTRan           bool   // tests: the last backwardNarrow took maskTranspose
	noDotsGrad         bool   // tests: never dotsGrad (deform_dotsgrad.go)
	dcolPixRan         bool   // tests: the last banded Backward took dcolPix
	scatterColsRan     bool   // tests: the last banded Backward took scatterCols
	narrowBandsRan     bool   // tests: the last backwardNarrow ran narrowBands
	dwTRan             bool   // tests: the last backwardNarrow summed dWᵀ (narrowDwT)

	kept       []sampleTable[T] // each image's table and pad from Forward (see keepTables)
	views      []sampleTable[T] // per worker: a kept table with the worker's own scratch
	keepTabs   bool             // the last Forward kept its tables in kept
	noKeepTabs bool             // tests: never keep the tables
	noSmall    bool             // tests: never backwardNarrow for 32 or more column values
	smallCols  bool             // the last Forward kept tables but no columns (see smallColsOK)
	noSmallCol bool             // tests: never smallCols
	permBuf    []T              // permute's transposed gradient

	// pixPos is the fill kernels' pos for the geometry pixPosKey names
	// (setPixelPos): for each group of 8 of the image's first P/8·8 output
	// pixels, their 8 rows oy·SH − PH, then their 8 columns ox·SW − PW.
	// Set in Forward, before any worker starts; read by the fills of
	// tiles that start a group of 8 and by fillSmall and dotsGrad.
	pixPos    []int32
	pixPosKey [6]int

	// fillSmall's taps' i·DH and j·DW, set once a Forward
	// (fillSmallSetup); fillSmall runs where fsOK.
	fsIdh, fsJdw [64]int32
	fsOK         bool
	fsTails      []fsTail // per worker (fillTails)
	noFillSmall  bool     // tests: never fillSmall
	fillSmallRan bool     // tests: the last Forward took fillSmall
	fwdBlocksRan bool     // tests: the last Forward took forwardBlocks

	// NoColumnCache makes Forward skip keeping its column matrix (for
	// inference); Backward then recomputes it.
	NoColumnCache bool

	// NoInputGrad makes Backward skip dL/dx (for a network's first layer):
	// it returns nil for it, and the offset, mask, weight and bias
	// gradients as always.
	NoInputGrad bool
}

// NewDeformConv2D returns a deformable convolution with offset groups
// groups, initialised as PyTorch initialises nn.Conv2d (nil rng leaves the
// weights zero).
func NewDeformConv2D[T Float](name string, cfg Conv2DConfig, groups int, rng *rand.Rand) (*DeformConv2D[T], error) {
	if err := cfg.validate(name); err != nil {
		return nil, err
	}
	if groups <= 0 || cfg.In%groups != 0 {
		return nil, fmt.Errorf("%s: %d offset groups do not divide %d input channels", name, groups, cfg.In)
	}
	cfg = cfg.normalised()
	d := &DeformConv2D[T]{name: name, cfg: cfg, groups: groups}
	d.Weight = newParam[T](name+".weight", cfg.Out, cfg.In, cfg.Kernel[0], cfg.Kernel[1])
	if !cfg.NoBias {
		d.Bias = newParam[T](name+".bias", cfg.Out)
	}
	if rng != nil {
		initPyTorch(d.Weight, d.Bias, cfg.In*cfg.Kernel[0]*cfg.Kernel[1], rng)
	}
	return d, nil
}

// Name returns the layer's parameter prefix.
func (d *DeformConv2D[T]) Name() string { return d.name }

// Config returns the convolution's configuration.
func (d *DeformConv2D[T]) Config() Conv2DConfig { return d.cfg }

// Groups returns the number of offset groups.
func (d *DeformConv2D[T]) Groups() int { return d.groups }

// Params lists the weight and the bias.
func (d *DeformConv2D[T]) Params() []*Param[T] {
	if d.Bias == nil {
		return []*Param[T]{d.Weight}
	}
	return []*Param[T]{d.Weight, d.Bias}
}

// Forward computes the deformable convolution of x (B×C×H×W) with offset
// (B×2·G·kh·kw×Ho×Wo) and mask (B×G·kh·kw×Ho×Wo, or nil for DCNv1).
func (d *DeformConv2D[T]) Forward(x, offset, mask *Tensor[T]) (*Tensor[T], error) {
	g, err := geometry(d.name, d.cfg, x)
	if err != nil {
		return nil, err
	}
	if err := sampleSize(d.name, g.H, g.W); err != nil {
		return nil, err
	}
	gk := d.groups * g.k()
	if !offset.SameShape(g.B, 2*gk, g.Ho, g.Wo) {
		return nil, fmt.Errorf("%s: offset has shape %s, want %s (B×2·groups·kh·kw×Ho×Wo)",
			d.name, shapeString(offset.Shape()), shapeString([]int{g.B, 2 * gk, g.Ho, g.Wo}))
	}
	if mask != nil && !mask.SameShape(g.B, gk, g.Ho, g.Wo) {
		return nil, fmt.Errorf("%s: mask has shape %s, want %s (B×groups·kh·kw×Ho×Wo)",
			d.name, shapeString(mask.Shape()), shapeString([]int{g.B, gk, g.Ho, g.Wo}))
	}
	d.g, d.x, d.off, d.mask = g, x, offset, mask
	d.setPixelPos()
	d.gen++
	d.forwarding = true
	defer func() { d.forwarding = false }()
	d.fwdBlocksRan, d.fillSmallRan = false, false
	y := reuse(&d.y, g.B, g.O, g.Ho, g.Wo)
	var bias []T
	if d.Bias != nil {
		bias = d.Bias.Value.data
	}
	d.wT = grow(d.wT, len(d.Weight.Value.data))
	// The banded passes keep no column matrix: their Backward samples each
	// band again into a buffer that stays in the core's cache, cheaper than
	// writing the batch's matrix (37.7 MB for dcnn-middle's conv3 or
	// dcnn-last's conv6) to memory and reading it back (deform_bands.go).
	d.cache = nil
	d.smallCols = false
	if _, banded := d.deformBands(); !banded {
		if d.smallColsOK() {
			d.smallCols = true // the tables kept, no columns (see smallColsOK)
		} else {
			d.cache = colCache(&d.cacheBuf, g, !d.NoColumnCache)
		}
	}
	d.keepTabs = d.keepTables()
	if d.keepTabs {
		for len(d.kept) < g.B {
			d.kept = append(d.kept, sampleTable[T]{})
		}
	}
	d.permute(d.wT, d.Weight.Value.data, false)
	d.wPix = nil
	if pixGemmFits[T](g.O) {
		d.wPixBuf = grow(d.wPixBuf, len(d.wT))
		packPixWeight(any(d.wPixBuf).([]float32), any(d.wT).([]float32), g.O, g.ck())
		d.wPix = d.wPixBuf
		if bias == nil { // storePix adds a bias: zeros
			d.zeroBias = grow(d.zeroBias, g.O)
			clear(d.zeroBias)
			bias = d.zeroBias
		}
	}
	if d.NoColumnCache && g.p() > deformBandPixels {
		d.forwardBands(bias, y.data)
		return y, nil
	}
	if band, ok := d.deformBands(); ok {
		d.forwardBanded(band, bias, y.data)
		return y, nil
	}
	if d.wPix != nil {
		d.forwardChunks(bias, y.data)
		return y, nil
	}
	convForward(g, d.wT, bias, y.data, deformCols[T]{d}, &d.ws, d.cache)
	return y, nil
}

// deformBandPixels bounds the output pixels whose columns an inference
// Forward (NoColumnCache) builds at once: on a whole photo one image's
// column matrix is the largest thing in memory (conv4 of the COCO net on
// 356×533 pixels: 47,000 pixels × 576 values, 109 MB), and a band of
// 4,096 pixels holds 9.4 MB per worker.
const deformBandPixels = 4096

// forwardBands is Forward for images larger than deformBandPixels outputs
// when no column matrix is kept for Backward: each image is padded once
// and its output pixels are computed in bands of at most deformBandPixels
// on all workers. Every output is the same dot product over the same
// column in the same order as in convForward (the GEMM's blocking of the
// inner dimension depends on ck only), so the result is bit-identical.
func (d *DeformConv2D[T]) forwardBands(bias, y []T) {
	g := d.g
	ck, P := g.ck(), g.p()
	nb := (P + deformBandPixels - 1) / deformBandPixels
	per := (P + nb - 1) / nb // equal bands: none is a sliver
	workers := Workers()
	d.ws.reserve(workers)
	dc := deformCols[T]{d}
	dc.reserve(workers)
	for b := range g.B {
		img := &d.tabs[0]
		d.padImage(img, b)
		img.holds = tableKey{}
		parallelN(workers, nb, func(worker, j int) {
			q0, q1 := j*per, min(P, (j+1)*per)
			n := q1 - q0
			t := &d.tabs[worker]
			d.fillRange(t, b, q0, q1)
			t.holds = tableKey{}
			extra := d.forwardScratch(n)
			buf := d.ws.get(worker, ck*n+g.O*n+extra)
			col, out, rest := buf[:ck*n], buf[ck*n:ck*n+g.O*n], buf[ck*n+g.O*n:]
			dc.gatherTable(t, img.pad, col, n)
			var pm, scratch []T
			if extra > 0 {
				pm, scratch = rest[:n*g.O], rest[n*g.O:]
			}
			d.forwardOut(n, col, out, pm, scratch, y[b*g.O*P+q0:], P, bias)
		})
	}
}

// Backward takes dL/dy for the last Forward, accumulates the weight and
// bias gradients, and returns dL/dx (nil with NoInputGrad), dL/doffset and
// dL/dmask (nil without a mask).
func (d *DeformConv2D[T]) Backward(dy *Tensor[T]) (dx, doffset, dmask *Tensor[T], err error) {
	g := d.g
	if d.x == nil {
		return nil, nil, nil, fmt.Errorf("%s: Backward called before Forward", d.name)
	}
	if !dy.SameShape(g.B, g.O, g.Ho, g.Wo) {
		return nil, nil, nil, fmt.Errorf("%s: output gradient has shape %s, want %s",
			d.name, shapeString(dy.Shape()), shapeString([]int{g.B, g.O, g.Ho, g.Wo}))
	}
	gk := d.groups * g.k()
	if !d.NoInputGrad {
		dx = reuse(&d.dx, g.B, g.C, g.H, g.W)
	}
	doffset = reuse(&d.doff, g.B, 2*gk, g.Ho, g.Wo)
	if d.mask != nil {
		dmask = reuse(&d.dmask, g.B, gk, g.Ho, g.Wo)
	}
	var db []T
	if d.Bias != nil {
		db = d.Bias.Grad.data
	}
	d.dwT = grow(d.dwT, len(d.wT))
	clear(d.dwT)
	if band, ok := d.deformBands(); ok {
		d.backwardBanded(band, dy.data, d.dwT, db)
		d.permute(d.Weight.Grad.data, d.dwT, true)
		return dx, doffset, dmask, nil
	}
	if d.narrowOK() || d.smallOK() {
		d.backwardNarrow(dy.data, d.dwT, db)
	} else {
		convBackward(g, d.wT, d.y.data, dy.data, d.dwT, db, true, deformCols[T]{d}, &d.ws, &d.parts, d.cache)
	}
	d.permute(d.Weight.Grad.data, d.dwT, true)
	return dx, doffset, dmask, nil
}

// permute converts between the weight's O×C×kh×kw order and the column
// order O×G×kh·kw×(C/G) of deformCols: wT = w reordered, or with back,
// w += wT reordered back. Each (output channel, group) block is a
// transpose of a (C/G)×kh·kw matrix (8×8 blocks in assembly where the
// GEMM's kernels run; a loop over the weights took 14 µs at 32→32, 3×3,
// 2 % of the 7×7 layer's forward, on one core before the workers start).
func (d *DeformConv2D[T]) permute(dst, src []T, back bool) {
	g := d.g
	K, cpg := g.k(), g.C/d.groups
	blk := K * cpg
	if back {
		d.permBuf = grow(d.permBuf, len(src))
		for q := 0; q < len(src); q += blk {
			transposeInto(src[q:], cpg, d.permBuf[q:], K, K, cpg)
		}
		addTo(dst[:len(src)], d.permBuf)
		return
	}
	for q := 0; q < len(src); q += blk {
		transposeInto(src[q:], K, dst[q:], cpg, cpg, K)
	}
}

// sampleTable holds, for each output pixel p, offset group and tap k of one
// image (entry e = (p·G + group)·kh·kw + k), the bilinear sample point as
// the index of its top-left corner in the image padded by a ring of zeros
// (corners base, base+1, base+Wp, base+Wp+1), the four corner weights and
// the fractional position (fy, fx) between the corners. With a = 1−fy,
// b = fy, c = 1−fx, d = fx and corner values v0..v3:
//
//	value   = a(c·v0 + d·v1) + b(c·v2 + d·v3)
//	∂/∂y    = c(v2 − v0) + d(v3 − v1)
//	∂/∂x    = a(v1 − v0) + b(v3 − v2)
//
// The zero ring stands for torchvision's "pixels outside the input are 0",
// so no corner needs a bounds check. torchvision counts a point at y ≤ −1 or
// x ≤ −1 as 0 but still takes its coordinate derivative from the corners:
// vv is 1 where the value counts, the weights carry mask·vv, and md is the
// mask (0 for points too far out to touch the input at all).
//
// The padded image is stored pixel-major (Hp·Wp pixels of C channels), so
// that the corners of one sample point are runs of C/G channels: sampling
// and its gradient are then element-wise over channels, and the column
// matrix is stored one row per output pixel, ordered (group, tap, channel).
type sampleTable[T Float] struct {
	base   []int32
	wts    []T // 4 per entry: mask·vv·(ac, ad, bc, bd)
	fy, fx []T
	md, vv []T
	s      []T     // 4 per entry: backward dot products of the gradient with the corners
	pad    []T     // padded input, (H+2)(W+2) pixels × C
	dpad   []T     // padded input gradient, same layout
	flat   []T     // the unpadded image, pixel-major (for narrow rows; see padImage)
	sink   []T     // where a lean fill writes fy, fx, md and vv (see fillRange)
	fbuf   []T     // fy, fx, md and vv, one after another
	pos    []int32 // dotsGrad's rows and columns where pixelPos has none (deform_dotsgrad.go)
	fpos   []int32 // fillRangeLean's rows and columns of a tile's pixels
	scr    []int32 // dcnFillTAVX's scratch (8 bases a tap a half)

	// padKey is the geometry (H, W, pixel stride, C) of the last image
	// padImage wrote to pad: its ring and padding lanes are still zero.
	padKey [4]int

	// holds is what the table and pad describe when they are one whole
	// image's (set by a whole fill outside Forward, and on the tables
	// Forward keeps for Backward; cleared by any partial or lean fill):
	// col2im right after Backward's im2col of the same image (Backward
	// without a column cache, one image a chunk) then skips filling both
	// again, and Backward takes a kept table only for its own Forward.
	holds tableKey
}

// tableKey names one image of one Forward: gen counts the layer's Forward
// calls (0 means none).
type tableKey struct {
	gen uint64
	b   int
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// fill computes the table of image b.
func (d *DeformConv2D[T]) fill(t *sampleTable[T], b int) { d.fillRange(t, b, 0, d.g.p()) }

// keepTables reports whether Forward keeps each image's whole table and
// padded image (in d.kept) for Backward, which then neither fills nor pads
// again: where the column matrix is kept or smallColsOK stands in for it
// (training, the whole-image passes) and a table entry's 9 values (base, 4 weights, fy, fx, md, vv)
// are small beside its C/G column values, at least 16 (7×7 and 14×14 maps
// of 32 channels: 36 bytes against 128; the table and pad add about 45 %
// to the column cache). With fewer channels a group the tables would
// match the columns in size at 8 (36 bytes against 32) and outgrow them
// below (conv1: 3; its gradient needs only the pad, dotsGrad).
func (d *DeformConv2D[T]) keepTables() bool {
	return (d.cache != nil || d.smallCols) && d.g.C/d.groups >= 16 && !d.noKeepTabs
}

// smallColsOK reports whether a training Forward of small images keeps
// each image's table and pad (keepTables) but no column matrix: where
// backwardNarrow takes them (smallOK) and scatterCols runs, Backward's
// scatter writes each chunk's columns again over their gradient (the same
// bits as the gather), and the weight gradient's GEMM reads them there.
// The batch's columns (3.6 MB at 7×7, 32 channels, a batch of 64) are then
// not written to memory by Forward and read back by Backward. Measured
// with scatterCols512 alone (runs of a multiple of 16 channels), and kept
// to it.
func (d *DeformConv2D[T]) smallColsOK() bool {
	g := d.g
	return !d.NoColumnCache && !d.noSmallCol && !noScatterCols && d.smallOK() && !d.narrowOK() &&
		deformCols[T]{d}.scatterColsOK() && scatterCols512OK(g.C/d.groups) && !d.noKeepTabs &&
		g.ck()*g.B*g.pc() <= colCacheLimit
}

// tableFor makes worker's table and padded image those of image b.
func (dc deformCols[T]) tableFor(worker, b int) *sampleTable[T] {
	d := dc.d
	t := dc.table(worker)
	if t.holds != (tableKey{d.gen, b}) {
		d.fill(t, b)
		d.padImage(t, b)
		t.holds = d.holdKey(b)
	}
	return t
}

// backwardTable returns the table and padded image of image b for the
// sampling's gradient on worker: the one Forward kept (keepTables), seen
// through the worker's view so that the corner sums and the input
// gradient go to the worker's own scratch, or else the worker's table
// filled now (tableFor).
func (dc deformCols[T]) backwardTable(worker, b int) *sampleTable[T] {
	d := dc.d
	if !d.keepTabs || b >= len(d.kept) || d.kept[b].holds != (tableKey{d.gen, b}) {
		return dc.tableFor(worker, b)
	}
	k, v := &d.kept[b], &d.views[worker]
	v.base, v.wts, v.fbuf, v.pad = k.base, k.wts, k.fbuf, k.pad
	v.fy, v.fx, v.md, v.vv = k.fy, k.fx, k.md, k.vv
	v.holds = k.holds
	return v
}

// holdKey is the key a table filled now for image b holds: none when the
// fill was lean (Forward), so that Backward fills it again whole.
func (d *DeformConv2D[T]) holdKey(b int) tableKey {
	if d.forwarding {
		return tableKey{}
	}
	return tableKey{d.gen, b}
}

// fillRange computes the table of output pixels [q0, q1) of image b:
// base and wts at entry e = ((p−q0)·G + group)·kh·kw + k for pixel p (the
// order the sampling reads them in), fy, fx, md and vv at (group·kh·kw +
// k)·fieldStride(q1−q0) + p−q0 (read only by the offset and mask
// gradients; this way each is written in runs).
func (d *DeformConv2D[T]) fillRange(t *sampleTable[T], b, q0, q1 int) {
	d.fillRangeLean(t, b, q0, q1, d.forwarding)
}

// fillRangeLean is fillRange, lean or whole as told.
func (d *DeformConv2D[T]) fillRangeLean(t *sampleTable[T], b, q0, q1 int, lean bool) {
	g := d.g
	K, P := g.k(), g.p()
	GK := d.groups * K
	n := GK * P
	np := q1 - q0
	m := GK * np
	t.base = grow(t.base, m)
	t.wts = grow(t.wts, 4*m)
	// In Forward (lean) only the sampling's base and wts are read: fy, fx,
	// md and vv, which only Backward reads, go to one small sink instead
	// (Backward fills the table again).
	if lean {
		t.sink = grow(t.sink, len(fillOnes))
	} else {
		// One buffer, so that fx, md and vv lie at one distance apart
		// (dcnFill512T); each tap's values fieldStride(np) apart.
		mf := GK * fieldStride(np)
		t.fbuf = grow(t.fbuf, 4*mf)
		t.fy, t.fx, t.md, t.vv = t.fbuf[:mf], t.fbuf[mf:2*mf], t.fbuf[2*mf:3*mf], t.fbuf[3*mf:]
	}
	off := d.off.data[b*2*n : (b+1)*2*n]
	var mask []T
	if d.mask != nil {
		mask = d.mask.data[b*n : (b+1)*n]
	}
	wp := g.W + 2
	H, W := T(g.H), T(g.W)
	// The offsets are read a channel (a plane of P) at a time, in tiles of
	// pixels, so that big maps do not stride across every plane per pixel.
	// Tiles of 256 pixels: the offsets and mask of one tile (27 planes of
	// 1 KB with one group) stay in L1 across its taps, and each AVX2 run
	// is long enough to carry its call's cost.
	const tile = len(fillOnes)
	// Kept in the table: not cleared on each call (clearing it was 7 % of
	// this function's own time in conv1's lean fills, tiles of 128 pixels).
	t.fpos = grow(t.fpos, 2*tile)
	for p0 := q0; p0 < q1; p0 += tile {
		p1 := min(q1, p0+tile)
		// Per group of 8 pixels: their rows, then their columns (for the
		// AVX2 kernels; the last partial group is the Go loop's): the
		// layer's array where the tile starts a group, else computed here.
		pos, ok := d.pixelPos(p0, (p1-p0)/8*8)
		if !ok {
			pos = t.fpos[:2*((p1-p0)/8*8)]
			putPixelPos(d.g, pos, p0)
		}
		// Every tap of the first 16·k pixels at once where dcnFill512T
		// or dcnFillTAVX runs; the rest tap by tap.
		start := 0
		if vecOK && len(pos) >= 32 {
			start = d.fillTaps(t, pos[:len(pos)/32*32], off, mask, b, p0, q0, np, lean)
		}
		if start == p1-p0 {
			continue // every tap of every pixel filled
		}
		for gk := range GK {
			k := gk % K
			i, j := k/g.KW, k%g.KW
			offY, offX := off[2*gk*P:][p0:p1], off[(2*gk+1)*P:][p0:p1]
			var mk []T
			if mask != nil {
				mk = mask[gk*P:][p0:p1]
			}
			// This tap's fy, fx, md, vv for pixels p0..p1 (index p−p0).
			fyk, fxk, mdk, vvk := t.sink, t.sink, t.sink, t.sink
			if !lean {
				f0, f1 := gk*fieldStride(np)+p0-q0, gk*fieldStride(np)+p1-q0
				fyk, fxk, mdk, vvk = t.fy[f0:f1], t.fx[f0:f1], t.md[f0:f1], t.vv[f0:f1]
			}
			done := start
			if vecOK && len(pos) > 2*done {
				e0 := (p0+done-q0)*GK + gk
				var mkd []T
				if mk != nil {
					mkd = mk[done:]
				}
				done += fillRun(i*g.DH, j*g.DW, H, W, wp, GK, pos[2*done:], offY[done:], offX[done:], mkd,
					t.base[e0:], t.wts[4*e0:], fyk[done:], fxk[done:], mdk[done:], vvk[done:])
			}
			oy, ox := (p0+done)/g.Wo, (p0+done)%g.Wo
			for p := p0 + done; p < p1; p++ {
				e, f := (p-q0)*GK+gk, p-p0
				y := T(oy*g.SH-g.PH+i*g.DH) + offY[p-p0]
				x := T(ox*g.SW-g.PW+j*g.DW) + offX[p-p0]
				if ox++; ox == g.Wo {
					oy, ox = oy+1, 0
				}
				m := T(1)
				if mk != nil {
					m = mk[p-p0]
				}
				w := t.wts[4*e : 4*e+4]
				// Corners span rows y0..y0+1 and columns x0..x0+1; the padded
				// plane holds rows −1..H and columns −1..W.
				if !(y >= -1 && y < H && x >= -1 && x < W) {
					t.base[e], fyk[f], fxk[f], mdk[f], vvk[f] = 0, 0, 0, 0, 0
					w[0], w[1], w[2], w[3] = 0, 0, 0, 0
					continue
				}
				yl, xl := floor(y), floor(x)
				t.base[e] = int32((int(yl)+1)*wp + int(xl) + 1)
				fy, fx := y-T(yl), x-T(xl)
				fyk[f], fxk[f] = fy, fx
				mdk[f] = m
				mv := T(0)
				if y > -1 && x > -1 {
					vvk[f], mv = 1, m
				} else {
					vvk[f] = 0
				}
				a, c := 1-fy, 1-fx
				w[0], w[1], w[2], w[3] = mv*a*c, mv*a*fx, mv*fy*c, mv*fy*fx
			}
		}
	}
}

// setPixelPos makes pixPos the current geometry's (see there); it keeps
// the array while the geometry stays.
func (d *DeformConv2D[T]) setPixelPos() {
	g := d.g
	key := [6]int{g.Ho, g.Wo, g.SH, g.SW, g.PH, g.PW}
	n := g.p() / 8 * 8
	if d.pixPosKey == key && len(d.pixPos) == 2*n {
		return
	}
	d.pixPos = grow(d.pixPos, 2*n)
	putPixelPos(g, d.pixPos, 0)
	d.pixPosKey = key
}

// pixelPos returns the pos of the n output pixels from p0 (n a multiple
// of 8) from the layer's array, and whether it could: p0 must start a
// group of 8, and the array must be the geometry's (fills outside
// Forward, in tests, may come before any).
func (d *DeformConv2D[T]) pixelPos(p0, n int) ([]int32, bool) {
	g := d.g
	if p0%8 != 0 || d.pixPosKey != [6]int{g.Ho, g.Wo, g.SH, g.SW, g.PH, g.PW} || 2*(p0+n) > len(d.pixPos) {
		return nil, false
	}
	return d.pixPos[2*p0 : 2*(p0+n) : 2*(p0+n)], true
}

// putPixelPos writes the pos of the len(pos)/2 output pixels from p0 (a
// multiple of 8 of them): for each group of 8, their rows oy·SH − PH,
// then their columns ox·SW − PW.
func putPixelPos(g geom, pos []int32, p0 int) {
	ox := p0 % g.Wo
	ry, cx := int32(p0/g.Wo*g.SH-g.PH), int32(ox*g.SW-g.PW)
	for q := 0; q+16 <= len(pos); q += 16 {
		p8 := pos[q : q+16 : q+16]
		for l := range 8 {
			p8[l], p8[8+l] = ry, cx
			cx += int32(g.SW)
			if ox++; ox == g.Wo {
				ox, ry, cx = 0, ry+int32(g.SH), int32(-g.PW)
			}
		}
	}
}

// fieldStride is the distance between two taps' fy (and fx, md, vv) in
// the table of a range of np pixels: np, or np + 16 where np is a
// multiple of 256 (the planes' 4·np bytes a multiple of 1 KB): the 4·GK
// planes, each written 64 bytes a group of 16 pixels by dcnFillTAVX, then
// start on successive L1 sets instead of on the same few (all on one
// where np is a multiple of 1024: 64×64 and 32×32 maps), where the lines
// of one group were evicted between its two halves. A whole 64×64 table
// (9 taps) took dcnFillTAVX 124 µs with planes np apart, 65–68 µs with
// these, dcnFillAVX tap by tap 71–76 µs (BenchmarkFillTable's whole/avx2:
// 80.7 → 73.9 µs, tap by tap to this kernel); 32×32 30, 14 and 18 µs (Zen
// 3, one thread; docs/PERFORMANCE.md, session 15), so whole fills of any
// size now take dcnFillTAVX.
func fieldStride(np int) int {
	if np%256 == 0 {
		return np + 16
	}
	return np
}

// dcnFillTArgs is one run of dcnFill512T: every tap of 16·groups pixels
// of one tile. The layout is read by the assembly.
type dcnFillTArgs struct {
	// offY and mk are tap 0's offset (y) and mask planes at the run's first pixel; mk is fillOnes
	// for none.
	offY, mk *float32
	base     *int32 // the run's first entry
	wts      *float32
	fy       *float32 // tap 0's fy at the run's first pixel
	pos      *int32   // fillRange's pos for the run
	groups   int      // groups of 16 pixels (counted down by the assembly)
	idh, jdw *int32   // i·DH and j·DW of each of the GK taps
	gk       int      // taps a pixel (G·kh·kw)
	pstride  int      // bytes from an offset plane to the next (y to x)
	mstride  int      // bytes from a mask plane to the next (0 for none)
	fstride  int      // bytes from one tap's fy to the next's (0 when lean)
	fdelta   int      // bytes from fy to fx, fx to md, md to vv (0 when lean)
	wstride  int      // bytes between pixels' wts (16·GK)
	wp       int      // padded row width
	h, w     float32  // H and W
	scr      *int32   // dcnFillTAVX's scratch: 8 bases a tap a half (4 KB)
}

// fillTaps fills every tap of the tile's pixels that pos covers (16·k
// pixels from p0) with dcnFill512T, or with dcnFillTAVX where that runs
// instead (where fill512TOK does not; fillTAVXOK: AVX2, 8 to 64 taps),
// and returns how many it filled (0 where neither runs: float64, more
// than 64 taps).
func (d *DeformConv2D[T]) fillTaps(t *sampleTable[T], pos []int32, off, mask []T, b, p0, q0, np int, lean bool) int {
	g := d.g
	K, P := g.k(), g.p()
	GK := d.groups * K
	n := len(pos) / 2
	off32, ok := any(off).([]float32)
	avx2 := !fill512TOK() && fillTAVXOK(GK)
	if !ok || !fill512TOK() && !avx2 || n == 0 || n%16 != 0 || n > len(fillOnes) || GK > 64 {
		return 0
	}
	var idh, jdw [64]int32
	for gk := range GK {
		k := gk % K
		idh[gk], jdw[gk] = int32(k/g.KW*g.DH), int32(k%g.KW*g.DW)
	}
	e0 := (p0 - q0) * GK
	base, wts := t.base[e0:e0+n*GK], any(t.wts[4*e0:4*(e0+n*GK)]).([]float32)
	_, _ = off32[(2*GK-1)*P+p0+n-1], pos[2*n-1]
	a := dcnFillTArgs{
		offY: &off32[p0], mk: &fillOnes[0], base: &base[0], wts: &wts[0],
		pos: &pos[0], idh: &idh[0], jdw: &jdw[0], gk: GK, pstride: 4 * P,
		wstride: 16 * GK, wp: g.W + 2, h: float32(g.H), w: float32(g.W),
	}
	a.groups = n / 16
	if mask != nil {
		m32 := any(mask).([]float32)
		_ = m32[(GK-1)*P+p0+n-1]
		a.mk, a.mstride = &m32[p0], 4*P
	}
	if lean {
		a.fy = &any(t.sink).([]float32)[0]
	} else {
		m, fs := len(t.fy), fieldStride(np)
		f0 := p0 - q0
		_ = t.fbuf[3*m+(GK-1)*fs+f0+n-1]
		a.fy, a.fstride, a.fdelta = &any(t.fbuf).([]float32)[f0], 4*fs, 4*m
	}
	if avx2 {
		t.scr = grow(t.scr, 64*16)
		a.scr = &t.scr[0]
		dcnFillTAVX(&a)
		if !fillTRan.Load() {
			fillTRan.Store(true)
		}
		return n
	}
	dcnFill512T(&a)
	return n
}

// dcnFillArgs is one run of dcnFillAVX: n pixels (a multiple of 8) of one
// tap; see fillRun. The layout is read by the assembly.
type dcnFillArgs struct {
	offY, offX, mk *float32 // mk: fillOnes for no mask
	base           *int32   // stride GK entries
	wts            *float32 // 4 per entry, stride 4·GK
	fy, fx, md, vv *float32 // contiguous
	pos            *int32   // per 8 pixels: 8 rows oy·SH − PH, 8 columns ox·SW − PW
	n, stride      int      // pixels; entries between pixels (GK)
	idh, jdw, wp   int      // the tap's i·DH and j·DW; padded row width
	h, w           float32  // H and W
}

// fillOnes stands for "no mask" in dcnFillAVX; its length is fillRange's
// tile of pixels.
var fillOnes = func() (o [256]float32) {
	for i := range o {
		o[i] = 1
	}
	return
}()

// fillRun fills the table for the first len(pos)/2 pixels of a tile (one
// offset group and tap) with the AVX2 kernel, 8 at a time, and returns how
// many it filled (0 where it does not apply); the caller's loop does the
// rest (where AVX-512 runs, fillTaps has filled the tile's first 16·k
// pixels before). The kernel does the Go loop's arithmetic in the same
// order without fused multiply-adds: the same bits (TestFillAVXMatchesGo).
func fillRun[T Float](idh, jdw int, h, w T, wp, stride int, pos []int32, offY, offX, mk []T, base []int32, wts, fy, fx, md, vv []T) int {
	n := len(pos) / 2
	oy, ok := any(offY).([]float32)
	if !ok || n == 0 || n > len(fillOnes) {
		return 0
	}
	_, _ = base[(n-1)*stride], wts[4*(n-1)*stride+3]
	_, _, _, _, _, _ = oy[n-1], offX[n-1], fy[n-1], fx[n-1], md[n-1], vv[n-1]
	a := dcnFillArgs{
		offY: &oy[0], offX: &any(offX).([]float32)[0], mk: &fillOnes[0], base: &base[0], wts: &any(wts).([]float32)[0],
		fy: &any(fy).([]float32)[0], fx: &any(fx).([]float32)[0], md: &any(md).([]float32)[0], vv: &any(vv).([]float32)[0],
		pos: &pos[0], n: n, stride: stride, idh: idh, jdw: jdw, wp: wp, h: float32(h), w: float32(w),
	}
	if mk != nil {
		_ = mk[n-1]
		a.mk = &any(mk).([]float32)[0]
	}
	dcnFillAVX(&a)
	return n
}

// dcnOffGradArgs is one run of dcnOffGradAVX: n pixels (a multiple of 8)
// of one tap; see offGradRun. The layout is read by the assembly.
type dcnOffGradArgs struct {
	s              *float32 // corner sums, 4 a pixel, sstride bytes apart
	fy, fx, md, vv *float32
	dy, dx, dm     *float32 // offset gradients (y, x) and the mask's (nil for none)
	n, sstride     int
}

// offGradRun computes the offset and mask gradients of the first pixels of
// one tap (a multiple of 8) with the AVX2 kernel and returns how many; the
// caller's loop does the rest. s holds the tap's corner sums, 4 a pixel and
// 4·stride values apart. Same operations in the same order as the loop, no
// fused multiply-adds: the same bits (TestOffGradAVXMatchesGo).
func offGradRun[T Float](s []T, stride int, fy, fx, md, vv, dy, dx, dm []T) int {
	n := len(fy) / 8 * 8
	s32, ok := any(s).([]float32)
	if !ok || !vecOK || n == 0 {
		return 0
	}
	_, _, _, _, _, _ = s32[4*(n-1)*stride+3], fx[n-1], md[n-1], vv[n-1], dy[n-1], dx[n-1]
	a := dcnOffGradArgs{
		s: &s32[0], fy: &any(fy).([]float32)[0], fx: &any(fx).([]float32)[0], md: &any(md).([]float32)[0],
		vv: &any(vv).([]float32)[0], dy: &any(dy).([]float32)[0], dx: &any(dx).([]float32)[0],
		n: n, sstride: 16 * stride,
	}
	if dm != nil {
		_ = dm[n-1]
		a.dm = &any(dm).([]float32)[0]
	}
	dcnOffGradAVX(&a)
	return n
}

// floor is math.Floor for the sample coordinates (−1 ≤ v < H or W, so
// well inside int's range), without the call and the float64 round trip.
func floor[T Float](v T) T {
	f := T(int(v)) // rounds toward zero
	if f > v {
		f--
	}
	return f
}

// pix is the padded image's pixel stride: C values, but 4 for fewer than 4
// input channels in one offset group, so that the sampling's gradient can
// read and write each corner as a whole 16-byte vector (dcnScatter4).
func (d *DeformConv2D[T]) pix() int {
	if d.g.C < 4 && d.groups == 1 {
		return 4
	}
	return d.g.C
}

// padImage copies image b into t.pad, pixel-major with a ring of zeros
// (pixel stride d.pix(); channels beyond C stay 0).
func (d *DeformConv2D[T]) padImage(t *sampleTable[T], b int) {
	g := d.g
	hw, wp, pp, pix := g.H*g.W, g.W+2, (g.H+2)*(g.W+2), d.pix()
	// Only the inside's C lanes are written below: the ring and lanes
	// C..pix−1 are cleared once, when the buffer is new to this geometry
	// (a fresh one from make is zero already).
	key := [4]int{g.H, g.W, pix, g.C}
	fresh := cap(t.pad) < pp*pix
	t.pad = grow(t.pad, pp*pix)
	x := d.x.data[b*g.C*hw : (b+1)*g.C*hw]
	switch {
	case fresh || t.padKey == key:
	case pix != g.C:
		clear(t.pad) // lanes C..pix−1 stay 0
	default:
		clearRing(t.pad, g.H, g.W, pix)
	}
	t.padKey = key
	if pix == 4 && g.C == 3 {
		// Three channels (conv1's RGB) into pixels of 4: each pixel's
		// values placed at once. transposeInto's 8×8 blocks need 8 rows
		// (channels), and its Go loop took 1.8 ns a value here (Zen 3).
		for r := range g.H {
			dst := t.pad[((r+1)*wp+1)*pix:][:pix*g.W]
			x0, x1, x2 := x[r*g.W:][:g.W], x[hw+r*g.W:][:g.W], x[2*hw+r*g.W:][:g.W]
			for q, v := range x0 {
				p := dst[4*q : 4*q+3 : 4*q+3]
				p[0], p[1], p[2] = v, x1[q], x2[q]
			}
		}
		return
	}
	if g.W == 7 && g.H >= 2 && g.C%8 == 0 && pix == g.C { // padRows7's layout: C values a pixel
		if s, ok := any(x).([]float32); ok && padRows7(s, g.H, g.C, any(t.pad).([]float32)) {
			return
		}
	}
	if g.W%8 != 0 && g.C >= 8 {
		// Rows narrower than the 8×8 blocks (14×14 maps, and 7×7 where
		// padRows7 does not run): transpose the image whole (C×H·W into
		// H·W pixels), then place its rows.
		t.flat = grow(t.flat, hw*pix)
		if h8 := hw / 8 * 8; h8 < hw && h8 > 0 && g.C%8 == 0 {
			// The last hw%8 pixels (the 49th of 7×7) by an 8×8 block
			// that overlaps the one before (its pixels written twice,
			// the same values), not transposeInto's loop value by value.
			transposeInto(x, hw, t.flat, pix, g.C, h8)
			transposeInto(x[hw-8:], hw, t.flat[(hw-8)*pix:], pix, g.C, 8)
		} else {
			transposeInto(x, hw, t.flat, pix, g.C, hw)
		}
		for r := range g.H {
			copy(t.pad[((r+1)*wp+1)*pix:][:g.W*pix], t.flat[r*g.W*pix:][:g.W*pix])
		}
		return
	}
	for r := range g.H {
		// Row r of every channel (C×W, row stride H·W) becomes W pixels of
		// C channels.
		transposeInto(x[r*g.W:], hw, t.pad[((r+1)*wp+1)*pix:], pix, g.C, g.W)
	}
}

// clearRing zeroes the ring of a padded pixel-major image of h×w pixels
// (the first and last rows, the first and last pixel of every other row).
func clearRing[T Float](pad []T, h, w, pix int) {
	wp := w + 2
	clear(pad[:wp*pix])
	clear(pad[(h+1)*wp*pix:][:wp*pix])
	for r := 1; r <= h; r++ {
		clear(pad[r*wp*pix:][:pix])
		clear(pad[(r*wp+w+1)*pix:][:pix])
	}
}

// transposeInto sets dst[q·ldd+r] = src[r·lds+q] for r < rows, q < cols:
// 8×8 blocks in assembly for float32 where the GEMM kernels run.
func transposeInto[T Float](src []T, lds int, dst []T, ldd, rows, cols int) {
	if rows == 0 || cols == 0 {
		return
	}
	if s, ok := any(src).([]float32); ok && haveSgemmKernels() {
		transpose8(s, lds, any(dst).([]float32), ldd, rows, cols)
		return
	}
	_, _ = src[(rows-1)*lds+cols-1], dst[(cols-1)*ldd+rows-1]
	for r := range rows {
		for q, v := range src[r*lds:][:cols] {
			dst[q*ldd+r] = v
		}
	}
}

// deformCols is the bilinear im2col of a DeformConv2D; its col2im also
// produces the offset and mask gradients. Its column blocks are
// transposed: one row of ck values per output pixel.
type deformCols[T Float] struct {
	d *DeformConv2D[T]
}

func (dc deformCols[T]) transposed() bool { return true }

func (dc deformCols[T]) reserve(workers int) {
	for len(dc.d.tabs) < workers {
		dc.d.tabs = append(dc.d.tabs, sampleTable[T]{})
	}
	for len(dc.d.views) < workers {
		dc.d.views = append(dc.d.views, sampleTable[T]{})
	}
}

func (dc deformCols[T]) table(worker int) *sampleTable[T] { return &dc.d.tabs[worker] }

// runs calls fn for each run of entries whose channel blocks are
// contiguous in both the padded image and the column row: all of them with
// one offset group, else the kh·kw taps of one (pixel, group).
func (dc deformCols[T]) runs(fn func(e0, e1, ch0 int)) { dc.runsN(dc.d.g.p(), fn) }

// runsN is runs over a table of P output pixels.
func (dc deformCols[T]) runsN(P int, fn func(e0, e1, ch0 int)) {
	d, g := dc.d, dc.d.g
	K := g.k()
	if d.groups == 1 {
		fn(0, K*P, 0)
		return
	}
	cpg := g.C / d.groups
	for p := range P {
		for grp := range d.groups {
			e0 := (p*d.groups + grp) * K
			fn(e0, e0+K, grp*cpg)
		}
	}
}

func (dc deformCols[T]) im2col(worker, b int, col []T, _, off int) {
	d, g := dc.d, dc.d.g
	t := dc.table(worker)
	if d.forwarding && d.keepTabs {
		// The whole table, kept with the pad for Backward (keepTables).
		t = &d.kept[b]
		// The fill's scratch (scr, 4 KB) and padImage's narrow-row one
		// (flat) are the worker's, lent: a kept table holding its own
		// would keep them an image for nothing.
		w := dc.table(worker)
		t.scr, w.scr = w.scr, nil
		d.fillRangeLean(t, b, 0, g.p(), false)
		w.scr, t.scr = t.scr, nil
		t.flat, w.flat = w.flat, nil
		d.padImage(t, b)
		w.flat, t.flat = t.flat, nil
		t.holds = tableKey{d.gen, b}
	} else if d.forwarding && !noIm2colTiles {
		// A lean table (Backward fills its own again): filled and read a
		// tile of pixels at a time (fillRange's entries of pixels q0..q1),
		// so that the tile's bases and weights are read back from the
		// core's cache, not from memory (a whole 64×64 image's of 9 taps
		// are 737 KB).
		d.padImage(t, b)
		t.holds = tableKey{}
		ck := g.ck()
		for q0 := 0; q0 < g.p(); q0 += im2colTile {
			q1 := min(g.p(), q0+im2colTile)
			d.fillRangeLean(t, b, q0, q1, true)
			dc.gatherTable(t, t.pad, col[(off+q0)*ck:(off+q1)*ck], q1-q0)
		}
		return
	} else {
		d.fill(t, b)
		d.padImage(t, b)
		t.holds = d.holdKey(b)
	}
	ck := g.ck()
	dc.gatherTable(t, t.pad, col[off*ck:(off+g.p())*ck], g.p())
}

// gatherTable samples the n pixels whose entries t holds (filled from its
// first pixel) from pad, the padded image, into rows (n×ck, pixel-major).
func (dc deformCols[T]) gatherTable(t *sampleTable[T], pad, rows []T, n int) {
	dc.gatherFrom(t, 0, pad, rows, n)
}

// gatherFrom is gatherTable for the n pixels whose entries start at entry
// e of t.
func (dc deformCols[T]) gatherFrom(t *sampleTable[T], e int, pad, rows []T, n int) {
	d := dc.d
	cpg, row, pix := d.g.C/d.groups, (d.g.W+2)*d.pix(), d.pix()
	last := d.baseLimit()
	dc.runsN(n, func(e0, e1, ch0 int) {
		if e1 > e0 {
			dcnGatherBound(rows[e0*cpg:e1*cpg], pad[ch0:], pix, row, t.base[e+e0:e+e1], t.wts[4*(e+e0):4*(e+e1)], cpg, last)
		}
	})
}

// noIm2colTiles turns im2col's tiles off (tests: the whole table, then the
// gather).
var noIm2colTiles bool

// im2colTile is im2col's tile of output pixels for a lean table: 128
// pixels of 9 taps hold 23 KB of bases and weights (the core's L1 data
// cache is 32 KB), a multiple of the fill kernels' 8 and 16 pixels.
const im2colTile = 128

// col2imBand is col2im's band of output pixels where it fills the table
// itself: 256 pixels of 9 taps hold ~120 KB of table and corner sums.
const col2imBand = 256

// noCol2imBands makes col2im fill whole tables (tests: the reference);
// col2imBandsRan records that it filled one in bands (tests; atomic:
// workers run col2im at once).
var (
	noCol2imBands  bool
	col2imBandsRan atomic.Bool
)

func (dc deformCols[T]) col2im(worker, b int, dcol []T, _, off int) {
	d, g := dc.d, dc.d.g
	if dc.dotsGrad(worker, b, dcol[off*g.ck():(off+g.p())*g.ck()]) {
		return
	}
	K, P := g.k(), g.p()
	GK := d.groups * K
	ck, cpg := g.ck(), g.C/d.groups
	rows := dcol[off*ck : (off+P)*ck]
	if P > col2imBand && !noCol2imBands && !dc.holdsTable(worker, b) {
		// No table of the image in hand (none kept by Forward, none
		// filled by im2col just before): the image padded once and its
		// table filled a band at a time, each band's scatter and offset
		// gradients reading it while it is in cache, as backwardBanded
		// does. A whole table with its corner sums (1.9 MB at conv1's
		// 64×64, 9 taps; 1.3 MB without) went out of the core's L2 and
		// back.
		if !col2imBandsRan.Load() {
			col2imBandsRan.Store(true)
		}
		t := dc.table(worker)
		d.padImage(t, b)
		t.holds = tableKey{}
		dc.startScatter(t)
		for q0 := 0; q0 < P; q0 += col2imBand {
			q1 := min(P, q0+col2imBand)
			d.fillRange(t, b, q0, q1)
			t.s = grow(t.s, 4*GK*(q1-q0))
			dc.scatterRange(t, q0, q1, rows[q0*ck:q1*ck], false)
			dc.offsetGrads(t, b, q0, q1)
		}
		dc.inputGrad(t, b)
		return
	}
	t := dc.backwardTable(worker, b)
	n := GK * P
	dc.startScatter(t)
	t.s = grow(t.s, 4*n)
	dc.runs(func(e0, e1, ch0 int) {
		dc.scatter(t, e0, e1, ch0, rows[e0*cpg:e1*cpg])
	})
	dc.finishGrads(t, b)
}

// holdsTable reports whether image b's whole table is in hand for
// Backward's scatter on worker: kept by Forward, or filled by an im2col of
// this Backward (backwardTable takes either without filling).
func (dc deformCols[T]) holdsTable(worker, b int) bool {
	d := dc.d
	key := tableKey{d.gen, b}
	if d.keepTabs && b < len(d.kept) && d.kept[b].holds == key {
		return true
	}
	return dc.table(worker).holds == key
}

// col2imCols is col2im by scatterCols: image b's sampling gradient from its
// column gradient rows, and its columns written over them (the rows the
// gather wrote in Forward, the same bits). scatterColsOK must hold.
func (dc deformCols[T]) col2imCols(worker, b int, dcol []T, off int) {
	d, g := dc.d, dc.d.g
	t := dc.backwardTable(worker, b)
	P, ck, cpg := g.p(), g.ck(), g.C/d.groups
	dc.startScatter(t)
	t.s = grow(t.s, 4*d.groups*g.k()*P)
	rows := dcol[off*ck : (off+P)*ck]
	dc.runs(func(e0, e1, ch0 int) {
		dc.scatterCols(t, e0, e1, ch0, rows[e0*cpg:e1*cpg])
	})
	dc.finishGrads(t, b)
}

// dotsOnly reports whether the sampling's gradient needs only its corner
// sums (no input gradient) and dots4 computes them: pixels of 4 values
// with one offset group.
func (dc deformCols[T]) dotsOnly() bool {
	d := dc.d
	return d.NoInputGrad && d.pix() == 4 && d.groups == 1 && vecOK
}

// startScatter readies t's input gradient for an image's scatter.
func (dc deformCols[T]) startScatter(t *sampleTable[T]) {
	if dc.dotsOnly() {
		return // no input gradient: dpad is not written
	}
	t.dpad = grow(t.dpad, len(t.pad))
	clear(t.dpad)
}

// scatter runs the sampling's gradient for entries [e0, e1) (channels from
// ch0) with their column gradient rows: the corner sums into t.s and, but
// with NoInputGrad, the input gradient into t.dpad.
func (dc deformCols[T]) scatter(t *sampleTable[T], e0, e1, ch0 int, rows []T) {
	d, g := dc.d, dc.d.g
	cpg, wp, pix := g.C/d.groups, g.W+2, d.pix()
	if e1 <= e0 {
		return
	}
	last := d.baseLimit()
	if dc.dotsOnly() {
		if f, ok := any(t.pad).([]float32); ok && dots4Bound(f[ch0:], pix, wp*pix, t.base[e0:e1],
			any(rows).([]float32), any(t.s[4*e0:4*e1]).([]float32), cpg, last) {
			return
		}
		t.dpad = grow(t.dpad, len(t.pad)) // not cleared: only scratch here
	}
	if pix == 4 && (d.groups == 1 || cpg == 4) { // lanes cpg..3 are zero padding
		dcnScatter4Bound(t.dpad[ch0:], t.pad[ch0:], pix, wp*pix, t.base[e0:e1], t.wts[4*e0:4*e1], rows,
			t.s[4*e0:4*e1], cpg, last)
		return
	}
	dcnScatterBound(t.dpad[ch0:], t.pad[ch0:], pix, wp*pix, t.base[e0:e1], t.wts[4*e0:4*e1], rows, t.s[4*e0:4*e1],
		cpg, last)
}

// scatterColsOK reports whether scatterCols runs: float32, a kernel for
// one offset group's runs of channels (scatterColsVecOK: AVX-512 and a
// multiple of 16, or AVX2 and a multiple of 8), an input gradient wanted.
func (dc deformCols[T]) scatterColsOK() bool {
	d := dc.d
	_, f32 := any(d.wT).([]float32)
	return f32 && !d.NoInputGrad && scatterColsVecOK(d.g.C/d.groups)
}

// scatterCols is scatter for entries [e0, e1) that also writes their
// columns (gatherBand's rows, the same bits) over the column gradient rows
// once it has read them: one pass over the corners where gather and
// scatter made two. scatterColsOK must hold.
func (dc deformCols[T]) scatterCols(t *sampleTable[T], e0, e1, ch0 int, rows []T) {
	d, g := dc.d, dc.d.g
	cpg, wp, pix := g.C/d.groups, g.W+2, d.pix()
	if e1 <= e0 {
		return
	}
	scatterColsVecBound(any(t.dpad[ch0:]).([]float32), any(t.pad[ch0:]).([]float32), pix, wp*pix, t.base[e0:e1],
		any(t.wts[4*e0:4*e1]).([]float32), any(rows).([]float32), any(t.s[4*e0:4*e1]).([]float32), cpg,
		d.baseLimit())
}

// finishGrads sets image b's offset and mask gradients from the corner sums
// t.s and its input gradient from t.dpad, once the sampling's gradient has
// been scattered.
func (dc deformCols[T]) finishGrads(t *sampleTable[T], b int) {
	dc.offsetGrads(t, b, 0, dc.d.g.p())
	dc.inputGrad(t, b)
}

// offsetGrads sets the offset and mask gradients of output pixels
// [q0, q1) of image b from the corner sums t.s of a table filled for those
// pixels (fillRange(t, b, q0, q1)): the whole image in finishGrads, a band
// whose table is still in cache in backwardBanded and in col2im's bands.
// Each pixel's values
// are offGrad's, whichever route and split computes them (the same bits).
func (dc deformCols[T]) offsetGrads(t *sampleTable[T], b, q0, q1 int) {
	d, g := dc.d, dc.d.g
	P := g.p()
	GK := d.groups * g.k()
	n, np := GK*P, q1-q0
	doff := d.doff.data[b*2*n : (b+1)*2*n]
	var dmask []T
	if d.mask != nil {
		dmask = d.dmask.data[b*n : (b+1)*n]
	}
	fs := fieldStride(np)
	for gk := range GK {
		fyk, fxk, mdk, vvk := t.fy[gk*fs:][:np], t.fx[gk*fs:][:np], t.md[gk*fs:][:np], t.vv[gk*fs:][:np]
		dy, dxo := doff[2*gk*P+q0:][:np], doff[(2*gk+1)*P+q0:][:np]
		var dm []T
		if dmask != nil {
			dm = dmask[gk*P+q0:][:np]
		}
		done := offGradRun(t.s[4*gk:], GK, fyk, fxk, mdk, vvk, dy, dxo, dm)
		for p := done; p < np; p++ {
			gy, gx, gm := offGrad(t.s[4*(p*GK+gk):][:4], fyk[p], fxk[p], mdk[p], vvk[p])
			dy[p], dxo[p] = gy, gx
			if dm != nil {
				dm[p] = gm
			}
		}
	}
}

// offGrad is one sample's offset gradients (y, x) and mask gradient from
// its corner sums s (the output gradient's dot products with the four
// corners' values), its fractions fy, fx, its mask md and its validity vv:
// the AVX kernel's arithmetic (dcnOffGradAVX), each product rounded on its
// own. The conversions keep the compiler from fusing a multiply and an add
// (GOAMD64=v3 does), which the kernel does not: the pixels a route leaves
// to this loop would otherwise differ in their last bit.
func offGrad[T Float](s []T, fy, fx, md, vv T) (gy, gx, gm T) {
	a, c := 1-fy, 1-fx
	gy = md * (T(c*(s[2]-s[0])) + T(fx*(s[3]-s[1])))
	gx = md * (T(a*(s[1]-s[0])) + T(fy*(s[3]-s[2])))
	gm = vv * (T(a*(T(c*s[0])+T(fx*s[1]))) + T(fy*(T(c*s[2])+T(fx*s[3]))))
	return gy, gx, gm
}

// inputGrad writes image b's input gradient from t.dpad to dx, unless the
// layer computes none (then t.dpad was only the scatter's scratch).
func (dc deformCols[T]) inputGrad(t *sampleTable[T], b int) {
	d, g := dc.d, dc.d.g
	if d.NoInputGrad {
		return
	}
	HW := g.H * g.W
	d.unpad(t, d.dx.data[b*g.C*HW:(b+1)*g.C*HW])
}

// unpad writes the padded pixel-major input gradient t.dpad to dx, one
// image in its C×H×W layout (padImage's inverse, the ring dropped).
func (d *DeformConv2D[T]) unpad(t *sampleTable[T], dx []T) {
	g := d.g
	HW, wp, pix := g.H*g.W, g.W+2, d.pix()
	if g.W%8 != 0 && g.C >= 8 {
		// Narrow rows: gather the image's pixels, then transpose it whole
		// (see padImage).
		t.flat = grow(t.flat, HW*pix)
		for r := range g.H {
			copy(t.flat[r*g.W*pix:][:g.W*pix], t.dpad[((r+1)*wp+1)*pix:][:g.W*pix])
		}
		transposeInto(t.flat, pix, dx, HW, HW, g.C)
		return
	}
	for r := range g.H {
		// W pixels of C channels become row r of every channel.
		transposeInto(t.dpad[((r+1)*wp+1)*pix:], pix, dx[r*g.W:], HW, g.W, g.C)
	}
}

// noGather3 turns dcnGather3x4 and its AVX2 twin dcnGather3x4AVX2 off (tests).
var noGather3 bool

// dcnGather writes, for each entry e of base, n values to dst[e·n:]: the
// weighted sum of the four corners img[q+i], img[q+pix+i], img[q+row+i],
// img[q+row+pix+i] with q = base[e]·pix and weights wts[4e:4e+4]. Its
// bound is maxBase's pass over base (tests and the reference; the layer
// calls dcnGatherBound with baseLimit, as for the scatters below).
func dcnGather[T Float](dst, img []T, pix, row int, base []int32, wts []T, n int) {
	if len(base) == 0 {
		return
	}
	dcnGatherBound(dst, img, pix, row, base, wts, n, maxBase(base))
}

// dcnGatherBound is dcnGather for entries whose bases are at most last
// (checked against img's length here, not entry by entry: a bound the
// caller knows, such as the largest base a fill writes, saves maxBase's
// pass over base). base is not empty.
func dcnGatherBound[T Float](dst, img []T, pix, row int, base []int32, wts []T, n, last int) {
	checkBound(base, last)
	_, _, _ = dst[len(base)*n-1], img[last*pix+row+pix+n-1], wts[4*len(base)-1]
	if f, ok := any(dst).([]float32); ok && vecOK {
		if gather512(f, any(img).([]float32), pix, row, base, any(wts).([]float32), n) {
			return
		}
		w32 := any(wts).([]float32)
		if gather32(f, any(img).([]float32), pix, row, base, w32, n) {
			return
		}
		done := gather3(f, any(img).([]float32), pix, row, base, w32, n, last)
		if done == len(base) {
			return
		}
		f, base, w32 = f[done*n:], base[done:], w32[4*done:]
		dcnGatherAVX(&f[0], &any(img).([]float32)[0], pix, row, &base[0], &w32[0], len(base), n)
		return
	}
	for e, q := range base {
		q := int(q) * pix
		v0, v1 := img[q:][:n], img[q+pix:][:n]
		v2, v3 := img[q+row:][:n], img[q+row+pix:][:n]
		w := wts[4*e : 4*e+4]
		out := dst[e*n:][:n]
		for i := range out {
			out[i] = w[0]*v0[i] + w[1]*v1[i] + w[2]*v2[i] + w[3]*v3[i]
		}
	}
}

// baseLimit is the largest base any fill writes for this layer's geometry:
// a fill writes (yl+1)·(W+2) + xl+1 only for a point with −1 ≤ y < H and
// −1 ≤ x < W (yl ≤ H−1, xl ≤ W−1), else 0, so none is above H·(W+2) + W,
// whose bottom-right corner is the padded image's last pixel
// (TestFillAVXMatchesGo and TestFill512MatchesAVX2 hold every fill route
// to it; withBaseChecks, the layer's own calls in its tests). The sampling's
// kernels check their reads against it once, not by a pass over the bases
// (maxBase: 3 % of conv1's forward, 2–5 % of its backward with dots4's).
func (d *DeformConv2D[T]) baseLimit() int { return d.g.H*(d.g.W+2) + d.g.W }

// sampleSize reports an error where an h×w input is too large for the
// sampling table's bases, int32 pixel indices of the padded image.
func sampleSize(name string, h, w int) error {
	if int64(h+2)*int64(w+2) > math.MaxInt32 {
		return fmt.Errorf("%s: input of %d×%d pixels is too large for the sampling's int32 indices "+
			"(at most 2³¹−1 pixels with the padding)", name, h, w)
	}
	return nil
}

// checkBases makes the *Bound kernels' wrappers check every base against
// their bound, and panic past it (tests: withBaseChecks). Off, they trust
// the fill's limit, as the layer does.
var checkBases bool

// checkBound panics if a base of base is negative or above last, where
// checkBases is on.
func checkBound(base []int32, last int) {
	if !checkBases {
		return
	}
	for i, q := range base {
		if q < 0 || int(q) > last {
			panic(fmt.Sprintf("nn: sampling base[%d] = %d outside [0, %d]", i, q, last))
		}
	}
}

// maxBase returns the largest of base (not empty): dcnGather's bound on
// the corners its assembly reads. Four running maxima, not one: a run of
// conv1's 36864 entries took 0.65 ns an entry through one chain of
// compares, 0.32 through four (Zen 3).
func maxBase(base []int32) int {
	m0, m1, m2, m3 := base[0], base[0], base[0], base[0]
	i := 0
	for ; i+4 <= len(base); i += 4 {
		b := base[i : i+4 : i+4]
		m0, m1, m2, m3 = max(m0, b[0]), max(m1, b[1]), max(m2, b[2]), max(m3, b[3])
	}
	for _, q := range base[i:] {
		m0 = max(m0, q)
	}
	return int(max(m0, m1, m2, m3))
}

// dcnScatter4 is dcnScatter for runs of n ≤ 4 channels in pixels of
// pix = 4 values whose lanes n..3 are 0 in img and scratch in dimg (the
// padded image of a layer with fewer than 4 input channels and one offset
// group; or n = 4): the assembly then reads and writes each corner whole,
// which lets an entry reuse the corner an earlier one just updated (masked
// stores stall the loads after them). The values of lanes < n are
// dcnScatter's to the bit; lanes n..3 of dimg gain only ±0.
func dcnScatter4[T Float](dimg, img []T, pix, row int, base []int32, wts, g, s []T, n int) {
	if len(base) == 0 {
		return
	}
	dcnScatter4Bound(dimg, img, pix, row, base, wts, g, s, n, maxBase(base))
}

// dcnScatter4Bound is dcnScatter4 for entries whose bases are at most last
// (see dcnGatherBound). base is not empty.
func dcnScatter4Bound[T Float](dimg, img []T, pix, row int, base []int32, wts, g, s []T, n, last int) {
	checkBound(base, last)
	f, ok := any(dimg).([]float32)
	if !ok || !vecOK || pix != 4 || n > 4 {
		dcnScatterBound(dimg, img, pix, row, base, wts, g, s, n, last)
		return
	}
	// The last corner is read and written whole: all 4 lanes.
	_, _, _, _ = g[len(base)*n-1], s[4*len(base)-1], img[last*pix+row+pix+3], dimg[last*pix+row+pix+3]
	_ = wts[4*len(base)-1]
	dcnScatter4AVX(&f[0], &any(img).([]float32)[0], pix, row, &base[0], &any(wts).([]float32)[0],
		&any(g).([]float32)[0], &any(s).([]float32)[0], len(base), n)
}

// dcnScatter is the transpose of dcnGather: for each entry e it adds
// weight·g[e·n+i] to the four corners of dimg, and stores in s[4e:4e+4]
// the dot products of g[e·n:][:n] with the four corners of img.
func dcnScatter[T Float](dimg, img []T, pix, row int, base []int32, wts, g, s []T, n int) {
	if len(base) == 0 {
		return
	}
	dcnScatterBound(dimg, img, pix, row, base, wts, g, s, n, maxBase(base))
}

// dcnScatterBound is dcnScatter for entries whose bases are at most last
// (see dcnGatherBound). base is not empty.
func dcnScatterBound[T Float](dimg, img []T, pix, row int, base []int32, wts, g, s []T, n, last int) {
	checkBound(base, last)
	_, _, _, _ = g[len(base)*n-1], s[4*len(base)-1], img[last*pix+row+pix+n-1], dimg[last*pix+row+pix+n-1]
	_ = wts[4*len(base)-1]
	if f, ok := any(dimg).([]float32); ok && vecOK {
		if scatter512(f, any(img).([]float32), pix, row, base, any(wts).([]float32), any(g).([]float32), any(s).([]float32), n) {
			return
		}
		dcnScatterAVX(&f[0], &any(img).([]float32)[0], pix, row, &base[0], &any(wts).([]float32)[0],
			&any(g).([]float32)[0], &any(s).([]float32)[0], len(base), n)
		return
	}
	for e, q := range base {
		q := int(q) * pix
		v0, v1 := img[q:][:n], img[q+pix:][:n]
		v2, v3 := img[q+row:][:n], img[q+row+pix:][:n]
		d0, d1 := dimg[q:][:n], dimg[q+pix:][:n]
		d2, d3 := dimg[q+row:][:n], dimg[q+row+pix:][:n]
		w := wts[4*e : 4*e+4]
		var s0, s1, s2, s3 T
		for i, gv := range g[e*n:][:n] {
			s0 += gv * v0[i]
			s1 += gv * v1[i]
			s2 += gv * v2[i]
			s3 += gv * v3[i]
			d0[i] += w[0] * gv
			d1[i] += w[1] * gv
			d2[i] += w[2] * gv
			d3[i] += w[3] * gv
		}
		s[4*e], s[4*e+1], s[4*e+2], s[4*e+3] = s0, s1, s2, s3
	}
}
