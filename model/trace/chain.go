package trace

import (
	"fmt"

	"github.com/deformscope/deformscope/model/metrics"
)

// Geometry is one deformable convolution seen from outside a network, as a
// capture of a PyTorch model records it: its kernel geometry, the H×W of
// its input and output maps, and its sampling field on one image.
type Geometry struct {
	Name                              string
	Kernel, Stride, Padding, Dilation [2]int
	In, Out                           [2]int
	Field                             *metrics.Field
	// RemoveCenter says the layer does not sample its kernel's centre tap
	// (DCNv3 and DCNv4's remove_center; an odd square kernel).
	RemoveCenter bool
}

// groups returns the offset groups of g's field (1 without a field).
func (g Geometry) groups() int {
	if g.Field == nil || g.Field.Groups < 1 {
		return 1
	}
	return g.Field.Groups
}

// TraceChain follows unit (uy, ux) of the last layer's output back through
// each layer of chain in turn, from the last to the first, expanding every
// point into its layer's kh·kw taps (less a removed centre): at the last
// layer those of offset group opt.Group, or of every group for AllGroups
// (G·kh·kw), and at the layers below those of every group (see
// Options.Group). The layers of a capture need not feed each other
// directly: where a layer's input map is not the size of the
// previous layer's output (a pooling or a strided layer between them), the
// points are rescaled between the two maps with pixel centres aligned,
// y' = (y + ½)·Ho/H − ½. The points are in the first layer's input-map
// pixels; Unit is the unit's centre there.
func TraceChain(chain []Geometry, uy, ux int, opt Options) (*Result, error) {
	if len(chain) == 0 {
		return nil, fmt.Errorf("trace: no layers to trace through")
	}
	steps := make([]step, len(chain))
	for i, g := range chain {
		s := step{name: g.Name, kh: g.Kernel[0], kw: g.Kernel[1], sh: g.Stride[0], sw: g.Stride[1],
			ph: g.Padding[0], pw: g.Padding[1], dh: g.Dilation[0], dw: g.Dilation[1], expand: true, field: g.Field,
			inH: g.In[0], inW: g.In[1], skip: -1}
		if min(s.kh, s.kw, s.sh, s.sw, s.dh, s.dw) < 1 || s.ph < 0 || s.pw < 0 || max(s.kh, s.kw) > MaxKernel {
			return nil, fmt.Errorf("trace: %s: bad geometry %+v", g.Name, g)
		}
		if g.RemoveCenter {
			if s.kh != s.kw || s.kh%2 == 0 {
				return nil, fmt.Errorf("trace: %s: remove_center needs an odd square kernel, not %d×%d", g.Name, s.kh, s.kw)
			}
			s.skip = s.kh * s.kw / 2
		}
		if i == len(chain)-1 && (opt.Group >= g.groups() || opt.Group < AllGroups) {
			return nil, fmt.Errorf("trace: %s has %d offset groups: group %d is not one of them (0 to %d)", g.Name, g.groups(), opt.Group, g.groups()-1)
		}
		if ho, wo := outSize(s); ho != g.Out[0] || wo != g.Out[1] {
			return nil, fmt.Errorf("trace: %s: a %d×%d input gives a %d×%d output, not the %d×%d recorded", g.Name, g.In[0], g.In[1], ho, wo, g.Out[0], g.Out[1])
		}
		if f := g.Field; f != nil && (f.Ho != g.Out[0] || f.Wo != g.Out[1] || len(f.Offset) < 2*g.groups()*s.kh*s.kw*f.Ho*f.Wo ||
			f.Mask != nil && len(f.Mask) < g.groups()*s.kh*s.kw*f.Ho*f.Wo) {
			return nil, fmt.Errorf("trace: %s's sampling field does not fit its %d×%d output and %d×%d kernel", g.Name, g.Out[0], g.Out[1], s.kh, s.kw)
		}
		steps[i] = s
	}
	last := chain[len(chain)-1]
	if uy < 0 || uy >= last.Out[0] || ux < 0 || ux >= last.Out[1] {
		return nil, fmt.Errorf("trace: unit (%d, %d) is outside %s's %d×%d output", uy, ux, last.Name, last.Out[0], last.Out[1])
	}
	unit := Point{Y: float64(uy), X: float64(ux), Weight: 1}
	pts := []Point{unit}
	for i := len(steps) - 1; i >= 0; i-- {
		if i < len(steps)-1 {
			from, to := chain[i+1].In, chain[i].Out
			unit = Rescale(unit, from, to)
			for j := range pts {
				pts[j] = Rescale(pts[j], from, to)
			}
		}
		s := steps[i]
		unit = centre(s, unit)
		lo, hi := opt.Group, opt.Group+1
		if opt.Group == AllGroups || i < len(steps)-1 {
			lo, hi = 0, chain[i].groups()
		}
		next := make([]Point, 0, len(pts)*(hi-lo)*s.kh*s.kw)
		for _, p := range pts {
			for g := lo; g < hi; g++ {
				next = s.taps(next, p, opt.Round, g)
			}
		}
		pts = next
	}
	return &Result{Unit: unit, Points: pts, Layer: last.Name, UnitY: uy, UnitX: ux}, nil
}

// MaxKernel bounds each side of a traced kernel, so that a kernel read from
// a file cannot make kh·kw (or a buffer sized by it) overflow.
const MaxKernel = 1024

// Rescale maps a point between two maps that cover the same picture at
// sizes from and to (H×W), with pixel centres aligned.
func Rescale(p Point, from, to [2]int) Point {
	if from == to {
		return p
	}
	return Point{Y: (p.Y+0.5)*float64(to[0])/float64(from[0]) - 0.5, X: (p.X+0.5)*float64(to[1])/float64(from[1]) - 0.5, Weight: p.Weight}
}
