// Package dilation measures the effective dilation of deformable layers, as
// in table 2 of the Deformable ConvNets paper (arXiv 1703.06211): for a
// unit, the mean distance between the sampling locations of adjacent taps
// of its kernel (left-right and up-down neighbours), in pixels of the
// layer's input. A plain convolution's effective dilation is exactly its
// dilation; a deformable one's grows where the offsets spread the kernel
// and shrinks where they gather it.
//
// The package is the measurement alone: sampling fields in, a Report or a
// Table out. Running a run's nets over its test images to fill a Report is
// model/inspect's MeasureDilation.
package dilation

import (
	"fmt"
	"math"

	"github.com/deformscope/deformscope/model/metrics"
)

// Kernel is a convolution's geometry as far as the dilation needs it.
type Kernel struct {
	KH, KW int // kernel size
	DH, DW int // dilation
}

// Unit returns the effective dilation of unit (uy, ux) of a layer with
// kernel k and sampling field f (nil: a plain convolution), reading offset
// group g. Tap (i, j) samples at (i·DH + dy, j·DW + dx) relative to the
// window's corner; the result is the mean Euclidean distance over the
// KH·(KW−1) horizontally and (KH−1)·KW vertically adjacent pairs. A 1×1
// kernel has no pairs: NaN.
func Unit(f *metrics.Field, k Kernel, g, uy, ux int) float64 {
	taps := k.KH * k.KW
	n := 0
	var at func(tap int) (float64, float64)
	if f == nil {
		at = func(tap int) (float64, float64) {
			return float64(tap / k.KW * k.DH), float64(tap % k.KW * k.DW)
		}
	} else {
		plane := f.Ho * f.Wo
		u := uy*f.Wo + ux
		at = func(tap int) (float64, float64) {
			ch := 2 * (g*taps + tap)
			return float64(tap/k.KW*k.DH) + f.Offset[ch*plane+u], float64(tap%k.KW*k.DW) + f.Offset[(ch+1)*plane+u]
		}
	}
	sum := 0.0
	for i := range k.KH {
		for j := range k.KW {
			y, x := at(i*k.KW + j)
			if j+1 < k.KW {
				y1, x1 := at(i*k.KW + j + 1)
				sum += math.Hypot(y1-y, x1-x)
				n++
			}
			if i+1 < k.KH {
				y1, x1 := at((i+1)*k.KW + j)
				sum += math.Hypot(y1-y, x1-x)
				n++
			}
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// CheckField checks that f fits kernel k with its Groups and returns the
// number of groups.
func CheckField(f *metrics.Field, k Kernel) (int, error) {
	if k.KH <= 0 || k.KW <= 0 || k.DH <= 0 || k.DW <= 0 {
		return 0, fmt.Errorf("dilation: kernel %d×%d with dilation %d×%d", k.KH, k.KW, k.DH, k.DW)
	}
	if f == nil {
		return 1, nil
	}
	g := max(f.Groups, 1)
	if f.Ho <= 0 || f.Wo <= 0 || len(f.Offset) != 2*g*k.KH*k.KW*f.Ho*f.Wo {
		return 0, fmt.Errorf("dilation: field of %d values for %d groups of a %d×%d kernel over %d×%d units",
			len(f.Offset), g, k.KH, k.KW, f.Ho, f.Wo)
	}
	return g, nil
}

// Stats accumulates a mean and a standard deviation (Welford's update, so
// that millions of units add up without cancellation).
type Stats struct {
	n        int
	mean, m2 float64
}

// Add counts v; NaN is ignored.
func (s *Stats) Add(v float64) {
	if math.IsNaN(v) {
		return
	}
	s.n++
	d := v - s.mean
	s.mean += d / float64(s.n)
	s.m2 += d * (v - s.mean)
}

// N returns the number of values counted.
func (s *Stats) N() int { return s.n }

// Mean returns the mean (NaN when empty).
func (s *Stats) Mean() float64 {
	if s.n == 0 {
		return math.NaN()
	}
	return s.mean
}

// Std returns the population standard deviation (NaN when empty).
func (s *Stats) Std() float64 {
	if s.n == 0 {
		return math.NaN()
	}
	return math.Sqrt(s.m2 / float64(s.n))
}
