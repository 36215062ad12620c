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

// Stats measures the sampling points of the block's last Forward. Each
// image is measured on its own, on all cores, and the images' sums are
// added in image order: the result does not depend on the number of cores.
func (b *DeformBlock[T]) Stats() SamplingStats {
	if b.off == nil {
		return SamplingStats{}
	}
	g := b.Regular.g
	per := make([]SamplingStats, g.B)
	parallel(g.B, func(_, bi int) { per[bi] = b.imageStats(bi) })
	var s SamplingStats
	for _, o := range per {
		s.Add(o)
	}
	return s
}

// imageStats measures the sampling points of image bi of the last Forward.
func (b *DeformBlock[T]) imageStats(bi int) SamplingStats {
	d := b.Regular
	g := d.g
	K, P := g.k(), g.p()
	s := SamplingStats{Points: d.groups * K * P}
	for gk := range d.groups * K {
		k := gk % K
		i, j := k/g.KW, k%g.KW
		base := (bi*2*d.groups*K + 2*gk) * P
		dys, dxs := b.off.data[base:base+P], b.off.data[base+P:base+2*P]
		for p := range P {
			dy, dx := float64(dys[p]), float64(dxs[p])
			y := float64((p/g.Wo)*g.SH-g.PH+i*g.DH) + dy
			x := float64((p%g.Wo)*g.SW-g.PW+j*g.DW) + dx
			// Squares of float32 values cannot overflow a float64: no
			// need for Hypot's scaling.
			s.SumAbs += math.Sqrt(dy*dy + dx*dx)
			if y < 0 || y > float64(g.H-1) || x < 0 || x > float64(g.W-1) {
				s.Outside++
			}
		}
	}
	if b.mask == nil {
		s.SumMask = float64(s.Points)
		return s
	}
	n := d.groups * K * P
	for _, m := range b.mask.data[bi*n : (bi+1)*n] {
		s.SumMask += float64(m)
	}
	return s
}
