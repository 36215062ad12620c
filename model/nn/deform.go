package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
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
	parts              []T
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
	y := reuse(&d.y, g.B, g.O, g.Ho, g.Wo)
	var bias []T
	if d.Bias != nil {
		bias = d.Bias.Value.data
	}
	convForward(g, d.Weight.Value.data, bias, y.data, deformCols[T]{d, false}, &d.ws)
	return y, nil
}

// Backward takes dL/dy for the last Forward, accumulates the weight and
// bias gradients, and returns dL/dx, dL/doffset and dL/dmask (nil without
// a mask).
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
	dx = reuse(&d.dx, g.B, g.C, g.H, g.W)
	doffset = reuse(&d.doff, g.B, 2*gk, g.Ho, g.Wo)
	if d.mask != nil {
		dmask = reuse(&d.dmask, g.B, gk, g.Ho, g.Wo)
	}
	var db []T
	if d.Bias != nil {
		db = d.Bias.Grad.data
	}
	convBackward(g, d.Weight.Value.data, dy.data, d.Weight.Grad.data, db, true, deformCols[T]{d, true}, &d.ws, &d.parts)
	return dx, doffset, dmask, nil
}

// sampleTable holds, for each (group, tap, output pixel) of one image, the
// four bilinear corners of the sample point: flat input indices, value
// weights (with torchvision's zero outside the input), and the derivatives
// of the value weights with respect to y and x.
type sampleTable[T Float] struct {
	idx    []int32
	w      []T
	wy, wx []T
	m      []T
}

func (s *sampleTable[T]) size(n int, grads bool) {
	if cap(s.idx) < 4*n {
		s.idx = make([]int32, 4*n)
		s.w = make([]T, 4*n)
		s.m = make([]T, n)
	}
	s.idx, s.w, s.m = s.idx[:4*n], s.w[:4*n], s.m[:n]
	if grads && cap(s.wy) < 4*n {
		s.wy = make([]T, 4*n)
		s.wx = make([]T, 4*n)
	}
	if grads {
		s.wy, s.wx = s.wy[:4*n], s.wx[:4*n]
	}
}

// fill computes the table of image b.
func (d *DeformConv2D[T]) fill(t *sampleTable[T], b int, grads bool) {
	g := d.g
	K, P := g.k(), g.p()
	n := d.groups * K * P
	t.size(n, grads)
	off := d.off.data[b*2*n : (b+1)*2*n]
	var mask []T
	if d.mask != nil {
		mask = d.mask.data[b*n : (b+1)*n]
	}
	H, W := T(g.H), T(g.W)
	for gk := range d.groups * K {
		k := gk % K
		i, j := k/g.KW, k%g.KW
		offY := off[2*gk*P : (2*gk+1)*P]
		offX := off[(2*gk+1)*P : (2*gk+2)*P]
		for p := range P {
			oy, ox := p/g.Wo, p%g.Wo
			e := gk*P + p
			y := T(oy*g.SH-g.PH+i*g.DH) + offY[p]
			x := T(ox*g.SW-g.PW+j*g.DW) + offX[p]
			if mask != nil {
				t.m[e] = mask[p+gk*P]
			} else {
				t.m[e] = 1
			}
			c := 4 * e
			idx, w := t.idx[c:c+4], t.w[c:c+4]
			clear(idx)
			clear(w)
			if grads {
				clear(t.wy[c : c+4])
				clear(t.wx[c : c+4])
			}
			// No corner of a point this far out (or NaN) is inside.
			if !(y > -2 && y < H+1 && x > -2 && x < W+1) {
				continue
			}
			yl, xl := math.Floor(float64(y)), math.Floor(float64(x))
			ly, lx := y-T(yl), x-T(xl)
			hy, hx := 1-ly, 1-lx
			y0, x0 := int(yl), int(xl)
			inside := y > -1 && y < H && x > -1 && x < W
			ws := [4]T{hy * hx, hy * lx, ly * hx, ly * lx}
			dys := [4]T{-hx, -lx, hx, lx}
			dxs := [4]T{-hy, hy, -ly, ly}
			for q := range 4 {
				yy, xx := y0+q/2, x0+q%2
				if yy < 0 || yy >= g.H || xx < 0 || xx >= g.W {
					continue
				}
				idx[q] = int32(yy*g.W + xx)
				if inside {
					w[q] = ws[q]
				}
				if grads {
					t.wy[c+q] = dys[q]
					t.wx[c+q] = dxs[q]
				}
			}
		}
	}
}

// deformCols is the bilinear im2col of a DeformConv2D; with grads set,
// col2im also produces the offset and mask gradients.
type deformCols[T Float] struct {
	d     *DeformConv2D[T]
	grads bool
}

func (dc deformCols[T]) reserve(workers int) {
	for len(dc.d.tabs) < workers {
		dc.d.tabs = append(dc.d.tabs, sampleTable[T]{})
	}
}

func (dc deformCols[T]) table(worker int) *sampleTable[T] { return &dc.d.tabs[worker] }

func (dc deformCols[T]) im2col(worker, b int, col []T, ld, off int) {
	d, g := dc.d, dc.d.g
	t := dc.table(worker)
	d.fill(t, b, false)
	K, P, HW := g.k(), g.p(), g.H*g.W
	cpg := g.C / d.groups
	x := d.x.data[b*g.C*HW : (b+1)*g.C*HW]
	for ch := range g.C {
		img := x[ch*HW : (ch+1)*HW]
		grp := ch / cpg
		for k := range K {
			row := col[(ch*K+k)*ld+off : (ch*K+k)*ld+off+P]
			base := (grp*K + k) * P
			for p := range row {
				e := base + p
				c := 4 * e
				v := t.w[c]*img[t.idx[c]] + t.w[c+1]*img[t.idx[c+1]] +
					t.w[c+2]*img[t.idx[c+2]] + t.w[c+3]*img[t.idx[c+3]]
				row[p] = t.m[e] * v
			}
		}
	}
}

func (dc deformCols[T]) col2im(worker, b int, dcol []T, ld, off int) {
	d, g := dc.d, dc.d.g
	t := dc.table(worker)
	d.fill(t, b, true)
	K, P, HW := g.k(), g.p(), g.H*g.W
	n := d.groups * K * P
	cpg := g.C / d.groups
	x := d.x.data[b*g.C*HW : (b+1)*g.C*HW]
	dx := d.dx.data[b*g.C*HW : (b+1)*g.C*HW]
	doff := d.doff.data[b*2*n : (b+1)*2*n]
	clear(dx)
	clear(doff)
	var dmask []T
	if d.mask != nil {
		dmask = d.dmask.data[b*n : (b+1)*n]
		clear(dmask)
	}
	for ch := range g.C {
		img := x[ch*HW : (ch+1)*HW]
		gimg := dx[ch*HW : (ch+1)*HW]
		grp := ch / cpg
		for k := range K {
			row := dcol[(ch*K+k)*ld+off : (ch*K+k)*ld+off+P]
			gk := grp*K + k
			base := gk * P
			dOffY := doff[2*gk*P : (2*gk+1)*P]
			dOffX := doff[(2*gk+1)*P : (2*gk+2)*P]
			for p, gv := range row {
				e := base + p
				c := 4 * e
				i0, i1, i2, i3 := t.idx[c], t.idx[c+1], t.idx[c+2], t.idx[c+3]
				v0, v1, v2, v3 := img[i0], img[i1], img[i2], img[i3]
				m := t.m[e]
				gm := gv * m
				gimg[i0] += gm * t.w[c]
				gimg[i1] += gm * t.w[c+1]
				gimg[i2] += gm * t.w[c+2]
				gimg[i3] += gm * t.w[c+3]
				dOffY[p] += gm * (t.wy[c]*v0 + t.wy[c+1]*v1 + t.wy[c+2]*v2 + t.wy[c+3]*v3)
				dOffX[p] += gm * (t.wx[c]*v0 + t.wx[c+1]*v1 + t.wx[c+2]*v2 + t.wx[c+3]*v3)
				if dmask != nil {
					dmask[e] += gv * (t.w[c]*v0 + t.w[c+1]*v1 + t.w[c+2]*v2 + t.w[c+3]*v3)
				}
			}
		}
	}
}
