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
	cache, cacheBuf    []T // columns kept from Forward for Backward

	// NoColumnCache makes Forward skip keeping its column matrix (for
	// inference); Backward then recomputes it.
	NoColumnCache bool
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
	d.cache = colCache(&d.cacheBuf, g, !d.NoColumnCache)
	convForward(g, d.Weight.Value.data, bias, y.data, deformCols[T]{d}, &d.ws, d.cache)
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
	convBackward(g, d.Weight.Value.data, d.y.data, dy.data, d.Weight.Grad.data, db, true, deformCols[T]{d}, &d.ws, &d.parts, d.cache)
	return dx, doffset, dmask, nil
}

// sampleTable holds, for each (group, tap, output pixel) of one image, the
// bilinear sample point as one index into the image padded by a ring of
// zeros (corners base, base+1, base+Wp, base+Wp+1) and its fractional
// position (fy, fx) between them. With a = 1−fy, b = fy, c = 1−fx, d = fx
// and corner values v0..v3:
//
//	value   = a(c·v0 + d·v1) + b(c·v2 + d·v3)
//	∂/∂y    = c(v2 − v0) + d(v3 − v1)
//	∂/∂x    = a(v1 − v0) + b(v3 − v2)
//
// The zero ring stands for torchvision's "pixels outside the input are 0",
// so no corner needs a bounds check. torchvision counts a point at y ≤ −1 or
// x ≤ −1 as 0 but still takes its coordinate derivative from the corners:
// vv is 1 where the value counts, mv = mask·vv and md = mask (0 for points
// too far out to touch the input at all).
type sampleTable[T Float] struct {
	base       []int32
	fy, fx     []T
	mv, md, vv []T
	pad        []T // one padded input plane per channel: C × (H+2)(W+2)
	dpad       []T // padded input gradient, same layout
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// fill computes the table of image b.
func (d *DeformConv2D[T]) fill(t *sampleTable[T], b int) {
	g := d.g
	K, P := g.k(), g.p()
	n := d.groups * K * P
	t.base = grow(t.base, n)
	t.fy, t.fx = grow(t.fy, n), grow(t.fx, n)
	t.mv, t.md, t.vv = grow(t.mv, n), grow(t.md, n), grow(t.vv, n)
	off := d.off.data[b*2*n : (b+1)*2*n]
	var mask []T
	if d.mask != nil {
		mask = d.mask.data[b*n : (b+1)*n]
	}
	wp := g.W + 2
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
			m := T(1)
			if mask != nil {
				m = mask[e]
			}
			// Corners span rows y0..y0+1 and columns x0..x0+1; the padded
			// plane holds rows −1..H and columns −1..W.
			if !(y >= -1 && y < H && x >= -1 && x < W) {
				t.base[e], t.fy[e], t.fx[e], t.mv[e], t.md[e], t.vv[e] = 0, 0, 0, 0, 0, 0
				continue
			}
			yl, xl := math.Floor(float64(y)), math.Floor(float64(x))
			t.base[e] = int32((int(yl)+1)*wp + int(xl) + 1)
			t.fy[e], t.fx[e] = y-T(yl), x-T(xl)
			t.md[e] = m
			if y > -1 && x > -1 {
				t.vv[e], t.mv[e] = 1, m
			} else {
				t.vv[e], t.mv[e] = 0, 0
			}
		}
	}
}

// padImage copies image b's channels into t.pad with a ring of zeros.
func (d *DeformConv2D[T]) padImage(t *sampleTable[T], b int) {
	g := d.g
	hw, wp, pp := g.H*g.W, g.W+2, (g.H+2)*(g.W+2)
	t.pad = grow(t.pad, g.C*pp)
	x := d.x.data[b*g.C*hw : (b+1)*g.C*hw]
	for c := range g.C {
		dst := t.pad[c*pp : (c+1)*pp]
		clear(dst[:wp])
		clear(dst[(g.H+1)*wp:])
		for r := range g.H {
			row := dst[(r+1)*wp : (r+2)*wp]
			row[0], row[wp-1] = 0, 0
			copy(row[1:wp-1], x[c*hw+r*g.W:c*hw+(r+1)*g.W])
		}
	}
}

// deformCols is the bilinear im2col of a DeformConv2D; its col2im also
// produces the offset and mask gradients.
type deformCols[T Float] struct {
	d *DeformConv2D[T]
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
	d.fill(t, b)
	d.padImage(t, b)
	K, P, pp, wp := g.k(), g.p(), (g.H+2)*(g.W+2), g.W+2
	cpg := g.C / d.groups
	for ch := range g.C {
		img := t.pad[ch*pp : (ch+1)*pp]
		grp := ch / cpg
		for k := range K {
			row := col[(ch*K+k)*ld+off : (ch*K+k)*ld+off+P]
			e0 := (grp*K + k) * P
			base := t.base[e0 : e0+P]
			fy, fx, mv := t.fy[e0:e0+P], t.fx[e0:e0+P], t.mv[e0:e0+P]
			for p := range row {
				q := int(base[p])
				v := img[q : q+wp+2 : q+wp+2]
				b, d := fy[p], fx[p]
				a, c := 1-b, 1-d
				row[p] = mv[p] * (a*(c*v[0]+d*v[1]) + b*(c*v[wp]+d*v[wp+1]))
			}
		}
	}
}

func (dc deformCols[T]) col2im(worker, b int, dcol []T, ld, off int) {
	d, g := dc.d, dc.d.g
	t := dc.table(worker)
	d.fill(t, b)
	d.padImage(t, b)
	K, P, HW := g.k(), g.p(), g.H*g.W
	pp, wp := (g.H+2)*(g.W+2), g.W+2
	n := d.groups * K * P
	cpg := g.C / d.groups
	t.dpad = grow(t.dpad, g.C*pp)
	clear(t.dpad)
	doff := d.doff.data[b*2*n : (b+1)*2*n]
	clear(doff)
	var dmask []T
	if d.mask != nil {
		dmask = d.dmask.data[b*n : (b+1)*n]
		clear(dmask)
	}
	for ch := range g.C {
		img := t.pad[ch*pp : (ch+1)*pp]
		gimg := t.dpad[ch*pp : (ch+1)*pp]
		grp := ch / cpg
		for k := range K {
			row := dcol[(ch*K+k)*ld+off : (ch*K+k)*ld+off+P]
			gk := grp*K + k
			e0 := gk * P
			base := t.base[e0 : e0+P]
			fy, fx := t.fy[e0:e0+P], t.fx[e0:e0+P]
			mv, md, vv := t.mv[e0:e0+P], t.md[e0:e0+P], t.vv[e0:e0+P]
			dOffY := doff[2*gk*P : (2*gk+1)*P]
			dOffX := doff[(2*gk+1)*P : (2*gk+2)*P]
			var dm []T
			if dmask != nil {
				dm = dmask[e0 : e0+P]
			}
			for p, gv := range row {
				q := int(base[p])
				v := img[q : q+wp+2 : q+wp+2]
				v0, v1, v2, v3 := v[0], v[1], v[wp], v[wp+1]
				b, d := fy[p], fx[p]
				a, c := 1-b, 1-d
				gmv := gv * mv[p]
				gi := gimg[q : q+wp+2 : q+wp+2]
				gi[0] += gmv * a * c
				gi[1] += gmv * a * d
				gi[wp] += gmv * b * c
				gi[wp+1] += gmv * b * d
				gmd := gv * md[p]
				dOffY[p] += gmd * (c*(v2-v0) + d*(v3-v1))
				dOffX[p] += gmd * (a*(v1-v0) + b*(v3-v2))
				if dm != nil {
					dm[p] += gv * vv[p] * (a*(c*v0+d*v1) + b*(c*v2+d*v3))
				}
			}
		}
	}
	dx := d.dx.data[b*g.C*HW : (b+1)*g.C*HW]
	for c := range g.C {
		src := t.dpad[c*pp : (c+1)*pp]
		for r := range g.H {
			copy(dx[c*HW+r*g.W:c*HW+(r+1)*g.W], src[(r+1)*wp+1:(r+1)*wp+1+g.W])
		}
	}
}
