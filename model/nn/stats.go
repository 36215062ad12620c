package nn

import "math"

// SamplingStats summarises the sampling points of a deformable block over
// one or more forward passes.
type SamplingStats struct {
	Points  int     // sampling points counted (batch × groups × taps × outputs)
	SumAbs  float64 // sum of |Δp| = √(dy² + dx²)
	Outside int     // points outside the input map (beyond the outer pixel centres)
	SumMask float64 // sum of mask values (1 per point for DCNv1)
}

// Add accumulates o into s.
func (s *SamplingStats) Add(o SamplingStats) {
	s.Points += o.Points
	s.SumAbs += o.SumAbs
	s.Outside += o.Outside
	s.SumMask += o.SumMask
}

// MeanAbs returns the mean offset length in pixels.
func (s SamplingStats) MeanAbs() float64 { return s.SumAbs / float64(s.Points) }

// OutsideShare returns the fraction of points outside the map.
func (s SamplingStats) OutsideShare() float64 { return float64(s.Outside) / float64(s.Points) }

// MeanMask returns the mean modulation (1 for DCNv1).
func (s SamplingStats) MeanMask() float64 { return s.SumMask / float64(s.Points) }

// Stats measures the sampling points of the block's last Forward.
func (b *DeformBlock[T]) Stats() SamplingStats {
	d := b.Regular
	g := d.g
	if b.off == nil {
		return SamplingStats{}
	}
	K, P := g.k(), g.p()
	var s SamplingStats
	for bi := range g.B {
		for gk := range d.groups * K {
			k := gk % K
			i, j := k/g.KW, k%g.KW
			base := (bi*2*d.groups*K + 2*gk) * P
			dys, dxs := b.off.data[base:base+P], b.off.data[base+P:base+2*P]
			for p := range P {
				dy, dx := float64(dys[p]), float64(dxs[p])
				y := float64((p/g.Wo)*g.SH-g.PH+i*g.DH) + dy
				x := float64((p%g.Wo)*g.SW-g.PW+j*g.DW) + dx
				s.SumAbs += math.Hypot(dy, dx)
				if y < 0 || y > float64(g.H-1) || x < 0 || x > float64(g.W-1) {
					s.Outside++
				}
			}
		}
	}
	s.Points = g.B * d.groups * K * P
	if b.mask != nil {
		for _, m := range b.mask.data {
			s.SumMask += float64(m)
		}
	} else {
		s.SumMask = float64(s.Points)
	}
	return s
}
