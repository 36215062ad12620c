package nn

import (
	"fmt"
	"math/rand/v2"
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
}

func (g geom) k() int  { return g.KH * g.KW }
func (g geom) ck() int { return g.C * g.KH * g.KW }
func (g geom) p() int  { return g.Ho * g.Wo }

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
		Ho: ho, Wo: wo,
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
}

// colCacheLimit is the largest column matrix (in elements) a layer keeps
// from Forward for Backward; larger ones are recomputed, to bound memory.
const colCacheLimit = 16 << 20

// colCache returns a buffer for the whole batch's column matrix when it is
// small enough to keep, else nil.
func colCache[T Float](buf *[]T, g geom, train bool) []T {
	n := g.ck() * g.B * g.p()
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
// stored one after another, each ck×(nb·p).
func chunkCols[T Float](cache []T, g geom, per, c int) []T {
	lo, hi := c*per, min(g.B, (c+1)*per)
	ck, p := g.ck(), g.p()
	return cache[lo*ck*p : hi*ck*p]
}

// convForward computes y = W ⋆ x + bias over the batch in parallel chunks.
// With a cache, the column matrices are kept there for convBackward.
func convForward[T Float](g geom, w, bias, y []T, cols columns[T], ws *scratch[T], cache []T) {
	ck, p := g.ck(), g.p()
	per, n := chunking(g.B, p)
	workers := Workers()
	ws.reserve(workers)
	cols.reserve(workers)
	parallelN(workers, n, func(worker, c int) {
		lo, hi := c*per, min(g.B, (c+1)*per)
		nb := hi - lo
		ld := nb * p
		buf := ws.get(worker, ck*ld+g.O*ld)
		col, out := buf[:ck*ld], buf[ck*ld:]
		if cache != nil {
			col = chunkCols(cache, g, per, c)
		}
		for b := lo; b < hi; b++ {
			cols.im2col(worker, b, col, ld, (b-lo)*p)
		}
		gemm(false, false, g.O, ld, ck, 1, w, ck, col, ld, 0, out, ld)
		for b := lo; b < hi; b++ {
			for o := range g.O {
				src := out[o*ld+(b-lo)*p : o*ld+(b-lo+1)*p]
				dst := y[(b*g.O+o)*p : (b*g.O+o+1)*p]
				var bv T
				if bias != nil {
					bv = bias[o]
				}
				for i, v := range src {
					dst[i] = v + bv
				}
			}
		}
	})
}

// convBackward accumulates dW and db (db may be nil) and, when cols is not
// nil for the input side, runs col2im on W^T·dy. parts is scratch for the
// per-chunk weight gradients, reduced in chunk order.
func convBackward[T Float](g geom, w, dy, dw, db []T, input bool, cols columns[T], ws *scratch[T], parts *[]T, cache []T) {
	ck, p := g.ck(), g.p()
	per, n := chunking(g.B, p)
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
		ld := nb * p
		buf := ws.get(worker, 2*ck*ld+g.O*ld)
		col, dcol, gy := buf[:ck*ld], buf[ck*ld:2*ck*ld], buf[2*ck*ld:]
		if cache != nil {
			col = chunkCols(cache, g, per, c)
		}
		for b := lo; b < hi; b++ {
			if cache == nil {
				cols.im2col(worker, b, col, ld, (b-lo)*p)
			}
			for o := range g.O {
				copy(gy[o*ld+(b-lo)*p:o*ld+(b-lo+1)*p], dy[(b*g.O+o)*p:(b*g.O+o+1)*p])
			}
		}
		pw := part[c*nw : c*nw+g.O*ck]
		gemm(false, true, g.O, ck, ld, 1, gy, ld, col, ld, 0, pw, ck)
		pb := part[c*nw+g.O*ck : (c+1)*nw]
		for o := range g.O {
			var s T
			for _, v := range gy[o*ld : (o+1)*ld] {
				s += v
			}
			pb[o] = s
		}
		if !input {
			return
		}
		gemm(true, false, ck, ld, g.O, 1, w, ck, gy, ld, 0, dcol, ld)
		for b := lo; b < hi; b++ {
			cols.col2im(worker, b, dcol, ld, (b-lo)*p)
		}
	})
	for c := range n {
		for i, v := range part[c*nw : c*nw+g.O*ck] {
			dw[i] += v
		}
		if db != nil {
			for i, v := range part[c*nw+g.O*ck : (c+1)*nw] {
				db[i] += v
			}
		}
	}
}

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
	parts           []T
	cache, cacheBuf []T // columns kept from a training Forward
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
	c.g, c.x = g, x
	y := reuse(&c.y, g.B, g.O, g.Ho, g.Wo)
	var bias []T
	if c.Bias != nil {
		bias = c.Bias.Value.data
	}
	c.cache = colCache(&c.cacheBuf, g, train)
	convForward(g, c.Weight.Value.data, bias, y.data, plainCols[T]{c}, &c.ws, c.cache)
	return y, nil
}

// Backward implements Layer. With NoInputGrad it returns nil.
func (c *Conv2D[T]) Backward(dy *Tensor[T]) (*Tensor[T], error) {
	g := c.g
	if c.x == nil {
		return nil, fmt.Errorf("%s: Backward called before Forward", c.name)
	}
	if !dy.SameShape(g.B, g.O, g.Ho, g.Wo) {
		return nil, fmt.Errorf("%s: output gradient has shape %s, want %s", c.name, shapeString(dy.Shape()), shapeString([]int{g.B, g.O, g.Ho, g.Wo}))
	}
	var db []T
	if c.Bias != nil {
		db = c.Bias.Grad.data
	}
	if !c.NoInputGrad {
		reuse(&c.dx, g.B, g.C, g.H, g.W)
	}
	convBackward(g, c.Weight.Value.data, dy.data, c.Weight.Grad.data, db, !c.NoInputGrad, plainCols[T]{c}, &c.ws, &c.parts, c.cache)
	if c.NoInputGrad {
		return nil, nil
	}
	return c.dx, nil
}

// plainCols is the regular-grid im2col of a Conv2D.
type plainCols[T Float] struct{ c *Conv2D[T] }

func (pc plainCols[T]) im2col(_, b int, col []T, ld, off int) {
	g := pc.c.g
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
					if g.SW == 1 {
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

func (pc plainCols[T]) reserve(int) {}

func (pc plainCols[T]) col2im(_, b int, dcol []T, ld, off int) {
	g := pc.c.g
	dx := pc.c.dx.data[b*g.C*g.H*g.W : (b+1)*g.C*g.H*g.W]
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
					if g.SW == 1 {
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
