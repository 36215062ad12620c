package viz

import (
	"math"
	"slices"
)

// Percentile returns the q-th percentile (0 to 100) of the finite values of
// all fields together, interpolating linearly between ranks (as numpy's
// default does); NaN when there is no finite value.
func Percentile(q float64, fields ...[]float64) float64 {
	var all []float64
	for _, f := range fields {
		for _, v := range f {
			if finite(v) {
				all = append(all, v)
			}
		}
	}
	if len(all) == 0 || math.IsNaN(q) {
		return math.NaN()
	}
	slices.Sort(all)
	q = min(max(q, 0), 100)
	r := q / 100 * float64(len(all)-1)
	i := int(r)
	if i+1 >= len(all) {
		return all[len(all)-1]
	}
	return all[i] + (r-float64(i))*(all[i+1]-all[i])
}

// RobustPercentile is the percentile RobustMax takes.
const RobustPercentile = 99

// RobustMax returns the top of a colour scale that shows the data: the 99th
// percentile of the finite values of all fields together (for a replay, the
// fields of every epoch, so that the scale stays put while the epochs
// change), so that a few outlying cells do not flatten the rest into one
// colour. When that is not above lo (no finite data, or all at lo) it falls
// back to the maximum, then to lo + 1, so that the result always makes a
// usable scale [lo, RobustMax].
func RobustMax(lo float64, fields ...[]float64) float64 {
	if v := Percentile(RobustPercentile, fields...); v > lo {
		return v
	}
	if v := Percentile(100, fields...); v > lo {
		return v
	}
	return lo + 1
}
