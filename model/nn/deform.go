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
	convForward(g, d.Weight.Value.data, bias, y.data, deformCols[T]{d, false}, &d.ws, d.cache)
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
	convBackward(g, d.Weight.Value.data, dy.data, d.Weight.Grad.data, db, true, deformCols[T]{d, true}, &d.ws, &d.parts, d.cache)
	return dx, doffset, dmask, nil
}

// sampleTable holds, for each (group, tap, output pixel) of one image, the
// bilinear sample point as one index into the image padded by a ring of
// zeros (corners base, base+1, base+Wp, base+Wp+1), the four corner
// weights, and for the backward pass the derivatives of those weights with
// respect to y and x. The zero ring stands for torchvision's "pixels
// outside the input are 0", so no corner needs a bounds check; points
// farther out get zero weights.
type sampleTable[T Float] struct {
	base   []int32
	w      []T // value weights; times the mask in forward tables
	wy, wx []T
	m      []T
	pad    []T // one padded input plane per channel: C × (H+2)(W+2)
	dpad   []T // padded input gradient, same layout
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// fill computes the table of image b; with grads it keeps unmasked weights,
// the mask and the coordinate derivatives, else the masked weights only.
func (d *DeformConv2D[T]) fill(t *sampleTable[T], b int, grads bool) {
	g := d.g
	K, P := g.k(), g.p()
	n := d.groups * K * P
	t.base = grow(t.base, n)
	t.w = grow(t.w, 4*n)
	t.m = grow(t.m, n)
	if grads {
		t.wy = grow(t.wy, 4*n)
		t.wx = grow(t.wx, 4*n)
	}
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
			t.m[e] = m
			w := t.w[4*e : 4*e+4]
			// Corners span rows y0..y0+1 and columns x0..x0+1; the padded
			// plane holds rows −1..H and columns −1..W.
			if !(y >= -1 && y < H && x >= -1 && x < W) {
				t.base[e] = 0
				clear(w)
				if grads {
					clear(t.wy[4*e : 4*e+4])
					clear(t.wx[4*e : 4*e+4])
				}
				continue
			}
			yl, xl := math.Floor(float64(y)), math.Floor(float64(x))
			ly, lx := y-T(yl), x-T(xl)
			hy, hx := 1-ly, 1-lx
			t.base[e] = int32((int(yl)+1)*wp + int(xl) + 1)
			// torchvision: a point at y ≤ −1 or x ≤ −1 is worth 0, but its
			// coordinate derivative is still taken from the corners.
			if y > -1 && x > -1 {
				if grads {
					w[0], w[1], w[2], w[3] = hy*hx, hy*lx, ly*hx, ly*lx
				} else {
					w[0], w[1], w[2], w[3] = m*hy*hx, m*hy*lx, m*ly*hx, m*ly*lx
				}
			} else {
				clear(w)
			}
			if grads {
				wy, wx := t.wy[4*e:4*e+4], t.wx[4*e:4*e+4]
				wy[0], wy[1], wy[2], wy[3] = -hx, -lx, hx, lx
				wx[0], wx[1], wx[2], wx[3] = -hy, hy, -ly, ly
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
			w := t.w[4*e0 : 4*(e0+P)]
			for p, q32 := range base {
				q := int(q32)
				w4 := w[4*p : 4*p+4 : 4*p+4]
				v := img[q : q+wp+2 : q+wp+2]
				row[p] = w4[0]*v[0] + w4[1]*v[1] + w4[2]*v[wp] + w4[3]*v[wp+1]
			}
		}
	}
}

func (dc deformCols[T]) col2im(worker, b int, dcol []T, ld, off int) {
	d, g := dc.d, dc.d.g
	t := dc.table(worker)
	d.fill(t, b, true)
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
			dOffY := doff[2*gk*P : (2*gk+1)*P]
			dOffX := doff[(2*gk+1)*P : (2*gk+2)*P]
			for p, gv := range row {
				q := int(base[p])
				c := 4 * (e0 + p)
				w4 := t.w[c : c+4 : c+4]
				wy := t.wy[c : c+4 : c+4]
				wx := t.wx[c : c+4 : c+4]
				v := img[q : q+wp+2 : q+wp+2]
				v0, v1, v2, v3 := v[0], v[1], v[wp], v[wp+1]
				gm := gv * t.m[e0+p]
				gi := gimg[q : q+wp+2 : q+wp+2]
				gi[0] += gm * w4[0]
				gi[1] += gm * w4[1]
				gi[wp] += gm * w4[2]
				gi[wp+1] += gm * w4[3]
				dOffY[p] += gm * (wy[0]*v0 + wy[1]*v1 + wy[2]*v2 + wy[3]*v3)
				dOffX[p] += gm * (wx[0]*v0 + wx[1]*v1 + wx[2]*v2 + wx[3]*v3)
				if dmask != nil {
					dmask[e0+p] += gv * (w4[0]*v0 + w4[1]*v1 + w4[2]*v2 + w4[3]*v3)
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
