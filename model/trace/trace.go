// Package trace follows a unit of a deformable layer back to the input
// image: the sampling locations of its taps, then of those taps' taps
// through every deformable layer below, as in figures 5 to 7 of the
// Deformable ConvNets papers (arXiv 1703.06211). Plain layers map
// coordinates through their stride, padding and dilation (and pooling
// through its window), so the points land in input-image pixels.
//
// Coordinates are pixel centres: (0, 0) is the centre of the top-left
// pixel of a map, as in torchvision's deform_conv2d.
package trace

import (
	"fmt"
	"math"

	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/nn"
)

// Point is a sampling location in input-image pixels with the product of
// the DCNv2 masks along its path (1 without masks).
type Point struct {
	Y, X   float64
	Weight float64
}

// Options control how offsets are read.
type Options struct {
	// Round reads each offset field at the nearest unit, as the paper's
	// figures do, instead of interpolating it bilinearly at fractional
	// positions.
	Round bool
	// Grid lists plain convolution layers to expand into their regular
	// kernel grid (zero offsets, weight 1): the plain CNN's counterpart of
	// the deformable layers, drawn beside them for comparison.
	Grid []string
	// Group is the offset group whose sampling locations the traced unit
	// expands into at its own layer (0 to G−1), or AllGroups for every
	// group's: G·K points. The layers below always expand into every
	// group's taps, since each position sampled holds all the channels of
	// the map below, which all its groups made. The zero value takes group
	// 0 (for our own nets, whose blocks have one group).
	Group int
}

// AllGroups is Options.Group for every offset group's taps.
const AllGroups = -1

// step is one layer's coordinate map from its output to its input.
type step struct {
	name           string
	kh, kw         int
	sh, sw, ph, pw int
	dh, dw         int
	expand         bool           // expand into taps (deformable or grid)
	field          *metrics.Field // offsets of a deformable layer; nil for a grid
	inH, inW       int
	// skip is a tap the layer does not sample (DCNv3's remove_center: the
	// kernel's centre), or −1.
	skip int
}

// Result is a traced unit.
type Result struct {
	Unit   Point   // the unit's centre in input pixels
	Points []Point // kh·kw per expanded layer, compounded
	Layer  string
	UnitY  int
	UnitX  int
}

// Trace follows unit (uy, ux) of the output of layer `layer` back to the
// input. layers is the network in order; fields holds the sampling field
// of each deformable block (by name) for the image, as recorded by a
// forward pass (see Fields); in is the input's H×W.
func Trace[T nn.Float](layers []nn.Layer[T], fields map[string]*metrics.Field, in [2]int, layer string, uy, ux int, opt Options) (*Result, error) {
	steps, err := plan(layers, fields, in, layer, opt)
	if err != nil {
		return nil, err
	}
	last := steps[len(steps)-1]
	ho, wo := outSize(last)
	if uy < 0 || uy >= ho || ux < 0 || ux >= wo {
		return nil, fmt.Errorf("trace: unit (%d, %d) is outside %s's %d×%d output", uy, ux, layer, ho, wo)
	}
	unit := Point{Y: float64(uy), X: float64(ux), Weight: 1}
	pts := []Point{unit}
	for i := len(steps) - 1; i >= 0; i-- {
		s := steps[i]
		unit = centre(s, unit)
		if !s.expand {
			for j := range pts {
				pts[j] = centre(s, pts[j])
			}
			continue
		}
		next := make([]Point, 0, len(pts)*s.kh*s.kw)
		for _, p := range pts {
			next = s.taps(next, p, opt.Round, 0)
		}
		pts = next
	}
	return &Result{Unit: unit, Points: pts, Layer: layer, UnitY: uy, UnitX: ux}, nil
}

// OutputSize returns the H×W of layer's output for an input of size in.
func OutputSize[T nn.Float](layers []nn.Layer[T], in [2]int, layer string) (int, int, error) {
	steps, err := plan(layers, nil, in, layer, Options{})
	if err != nil {
		return 0, 0, err
	}
	ho, wo := outSize(steps[len(steps)-1])
	return ho, wo, nil
}

func outSize(s step) (int, int) {
	ho := (s.inH+2*s.ph-(s.dh*(s.kh-1)+1))/s.sh + 1
	wo := (s.inW+2*s.pw-(s.dw*(s.kw-1)+1))/s.sw + 1
	return ho, wo
}

// plan lists the coordinate maps from the input to layer's output.
func plan[T nn.Float](layers []nn.Layer[T], fields map[string]*metrics.Field, in [2]int, layer string, opt Options) ([]step, error) {
	grid := map[string]bool{}
	for _, g := range opt.Grid {
		grid[g] = true
	}
	h, w := in[0], in[1]
	var steps []step
	for _, l := range layers {
		var s step
		switch l := l.(type) {
		case *nn.Conv2D[T]:
			s = convStep(l.Name(), l.Config())
			s.expand = grid[l.Name()]
		case *nn.DeformBlock[T]:
			s = convStep(l.Name(), l.Regular.Config())
			s.expand = true
			if fields != nil {
				f, ok := fields[l.Name()]
				if !ok {
					return nil, fmt.Errorf("trace: no sampling field recorded for %s", l.Name())
				}
				s.field = f
			}
		case *nn.MaxPool2D[T]:
			s = step{name: l.Name(), kh: l.K, kw: l.K, sh: l.K, sw: l.K, dh: 1, dw: 1, skip: -1}
		case *nn.ReLU[T], *nn.Dropout[T]:
			if l.Name() == layer {
				return nil, fmt.Errorf("trace: %s has no spatial map of its own; choose a convolution", layer)
			}
			continue
		default:
			return nil, fmt.Errorf("trace: cannot map coordinates through %s (%T); %s is not reached", l.Name(), l, layer)
		}
		s.inH, s.inW = h, w
		h, w = outSize(s)
		if h <= 0 || w <= 0 {
			return nil, fmt.Errorf("trace: the input %d×%d is too small for %s", in[0], in[1], l.Name())
		}
		if s.field != nil && (s.field.Ho != h || s.field.Wo != w) {
			return nil, fmt.Errorf("trace: %s's sampling field is %d×%d, its output %d×%d", s.name, s.field.Ho, s.field.Wo, h, w)
		}
		steps = append(steps, s)
		if l.Name() == layer {
			return steps, nil
		}
	}
	return nil, fmt.Errorf("trace: no layer %q", layer)
}

func convStep(name string, c nn.Conv2DConfig) step {
	return step{name: name, kh: c.Kernel[0], kw: c.Kernel[1], sh: c.Stride[0], sw: c.Stride[1],
		ph: c.Padding[0], pw: c.Padding[1], dh: c.Dilation[0], dw: c.Dilation[1], skip: -1}
}

// centre maps a point of s's output to the centre of its window in s's
// input.
func centre(s step, p Point) Point {
	return Point{
		Y:      p.Y*float64(s.sh) - float64(s.ph) + float64(s.dh*(s.kh-1))/2,
		X:      p.X*float64(s.sw) - float64(s.pw) + float64(s.dw*(s.kw-1))/2,
		Weight: p.Weight,
	}
}

// taps appends to out the sampling locations of a point of s's output in
// s's input, reading offset group g's field at the point: kh·kw of them,
// less the skipped tap.
func (s step) taps(out []Point, p Point, round bool, g int) []Point {
	k0 := g * s.kh * s.kw // group g's first channel of the mask
	for i := range s.kh {
		for j := range s.kw {
			k := i*s.kw + j
			if k == s.skip {
				continue
			}
			y := p.Y*float64(s.sh) - float64(s.ph) + float64(i*s.dh)
			x := p.X*float64(s.sw) - float64(s.pw) + float64(j*s.dw)
			w := p.Weight
			if f := s.field; f != nil {
				y += read(f, f.Offset, 2*(k0+k), p.Y, p.X, round)
				x += read(f, f.Offset, 2*(k0+k)+1, p.Y, p.X, round)
				if f.Mask != nil {
					w *= read(f, f.Mask, k0+k, p.Y, p.X, round)
				}
			}
			out = append(out, Point{Y: y, X: x, Weight: w})
		}
	}
	return out
}

// read samples channel ch of field f at output position (y, x): bilinear
// between the four nearest units, or the nearest one, with positions
// clamped to the map (a point beyond the edge takes the edge's offsets).
func read(f *metrics.Field, data []float64, ch int, y, x float64, round bool) float64 {
	plane := data[ch*f.Ho*f.Wo : (ch+1)*f.Ho*f.Wo]
	y = math.Max(0, math.Min(float64(f.Ho-1), y))
	x = math.Max(0, math.Min(float64(f.Wo-1), x))
	if round {
		return plane[int(math.Round(y))*f.Wo+int(math.Round(x))]
	}
	y0, x0 := int(math.Floor(y)), int(math.Floor(x))
	y1, x1 := min(y0+1, f.Ho-1), min(x0+1, f.Wo-1)
	ly, lx := y-float64(y0), x-float64(x0)
	return (1-ly)*(1-lx)*plane[y0*f.Wo+x0] + (1-ly)*lx*plane[y0*f.Wo+x1] +
		ly*(1-lx)*plane[y1*f.Wo+x0] + ly*lx*plane[y1*f.Wo+x1]
}

// Fields copies the sampling field of every deformable block after a
// forward pass, for image b of the batch.
func Fields[T nn.Float](layers []nn.Layer[T], b int) map[string]*metrics.Field {
	out := map[string]*metrics.Field{}
	for _, l := range layers {
		blk, ok := l.(*nn.DeformBlock[T])
		if !ok {
			continue
		}
		off, mask := blk.Sampling()
		if off == nil {
			continue
		}
		s := off.Shape()
		f := &metrics.Field{Ho: s[2], Wo: s[3], Groups: blk.Regular.Groups(), Limit: blk.Limit()}
		n := s[1] * s[2] * s[3]
		f.Offset = toF64(off.Data()[b*n : (b+1)*n])
		if mask != nil {
			m := mask.Shape()[1] * s[2] * s[3]
			f.Mask = toF64(mask.Data()[b*m : (b+1)*m])
		}
		out[l.Name()] = f
	}
	return out
}

func toF64[T nn.Float](v []T) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// UnitAt returns the unit of layer's output whose centre lies nearest to
// input pixel (py, px), clamped to the output: the inverse of Result.Unit,
// for picking a unit by pointing at the image.
func UnitAt[T nn.Float](layers []nn.Layer[T], in [2]int, layer string, py, px float64) (uy, ux int, err error) {
	steps, err := plan(layers, nil, in, layer, Options{})
	if err != nil {
		return 0, 0, err
	}
	// The centre map is affine: c = a·u + b per axis.
	o := Point{}
	e := Point{Y: 1, X: 1}
	for i := len(steps) - 1; i >= 0; i-- {
		o, e = centre(steps[i], o), centre(steps[i], e)
	}
	ho, wo := outSize(steps[len(steps)-1])
	uy = int(math.Round((py - o.Y) / (e.Y - o.Y)))
	ux = int(math.Round((px - o.X) / (e.X - o.X)))
	return min(max(uy, 0), ho-1), min(max(ux, 0), wo-1), nil
}

// UnitCentre returns the centre of unit (uy, ux) of layer's output in
// input-image pixels (pixel centres at whole numbers): where the unit's
// receptive field is centred, whatever its offsets.
func UnitCentre[T nn.Float](layers []nn.Layer[T], in [2]int, layer string, uy, ux int) (y, x float64, err error) {
	steps, err := plan(layers, nil, in, layer, Options{})
	if err != nil {
		return 0, 0, err
	}
	p := Point{Y: float64(uy), X: float64(ux)}
	for i := len(steps) - 1; i >= 0; i-- {
		p = centre(steps[i], p)
	}
	return p.Y, p.X, nil
}
