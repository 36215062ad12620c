package dilation

import (
	"math"
	"testing"

	"github.com/deformscope/deformscope/model/metrics"
)

// field builds a one-group field of a kh×kw kernel over a 1×1 map from
// per-tap offsets (dy, dx).
func field(off [][2]float64) *metrics.Field {
	f := &metrics.Field{Ho: 1, Wo: 1, Groups: 1, Offset: make([]float64, 2*len(off))}
	for k, d := range off {
		f.Offset[2*k], f.Offset[2*k+1] = d[0], d[1]
	}
	return f
}

func TestUnit(t *testing.T) {
	zero := make([][2]float64, 9)
	// Every tap pushed away from the centre by its own position: a 3×3 of
	// dilation 2.
	spread := make([][2]float64, 9)
	for k := range spread {
		spread[k] = [2]float64{float64(k/3 - 1), float64(k%3 - 1)}
	}
	shift := make([][2]float64, 9) // all taps moved alike: the shape stays
	for k := range shift {
		shift[k] = [2]float64{3.5, -2}
	}
	// Only tap 0 moves up by 1: its two neighbours' distances become √2 (right: (0,1)-(-1,0)) and 2
	// (down).
	one := make([][2]float64, 9)
	one[0] = [2]float64{-1, 0}
	for _, tc := range []struct {
		name string
		f    *metrics.Field
		k    Kernel
		want float64
	}{
		{"plain 3×3", nil, Kernel{3, 3, 1, 1}, 1},
		{"plain 3×3 dilation 2", nil, Kernel{3, 3, 2, 2}, 2},
		{"plain 3×3 dilation 3×1", nil, Kernel{3, 3, 3, 1}, 2}, // 6 pairs of 1 across, 6 of 3 down
		{"plain 5×5 dilation 4", nil, Kernel{5, 5, 4, 4}, 4},
		{"zero offsets are the plain grid", field(zero), Kernel{3, 3, 1, 1}, 1},
		{"spread by its own position doubles", field(spread), Kernel{3, 3, 1, 1}, 2},
		{"a common shift keeps it", field(shift), Kernel{3, 3, 1, 1}, 1},
		{"one tap moved", field(one), Kernel{3, 3, 1, 1}, (10 + math.Sqrt2 + 2) / 12},
		{"1×1 has no pairs", nil, Kernel{1, 1, 1, 1}, math.NaN()},
	} {
		got := Unit(tc.f, tc.k, 0, 0, 0)
		if math.IsNaN(tc.want) != math.IsNaN(got) || (!math.IsNaN(got) && math.Abs(got-tc.want) > 1e-12) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestUnitReadsItsOwnUnitAndGroup checks the torchvision layout: channel
// 2·(g·taps + k) is tap k's dy in group g, and unit (uy, ux) is at
// uy·Wo + ux of each plane.
func TestUnitReadsItsOwnUnitAndGroup(t *testing.T) {
	const ho, wo, groups, taps = 2, 3, 2, 9
	f := &metrics.Field{Ho: ho, Wo: wo, Groups: groups, Offset: make([]float64, 2*groups*taps*ho*wo)}
	plane := ho * wo
	u := 1*wo + 2
	for k := range taps { // group 1, unit (1, 2): spread as in TestUnit
		f.Offset[(2*(taps+k))*plane+u] = float64(k/3 - 1)
		f.Offset[(2*(taps+k)+1)*plane+u] = float64(k%3 - 1)
	}
	if _, err := CheckField(f, Kernel{3, 3, 1, 1}); err != nil {
		t.Fatal(err)
	}
	if got := Unit(f, Kernel{3, 3, 1, 1}, 1, 1, 2); math.Abs(got-2) > 1e-12 {
		t.Errorf("group 1 unit (1, 2): %v, want 2", got)
	}
	if got := Unit(f, Kernel{3, 3, 1, 1}, 0, 1, 2); got != 1 {
		t.Errorf("group 0 unit (1, 2): %v, want 1", got)
	}
	if got := Unit(f, Kernel{3, 3, 1, 1}, 1, 0, 2); got != 1 {
		t.Errorf("group 1 unit (0, 2): %v, want 1", got)
	}
	if _, err := CheckField(f, Kernel{5, 5, 1, 1}); err == nil {
		t.Error("a 3×3 field passes as a 5×5 one")
	}
}

func TestStats(t *testing.T) {
	var s Stats
	if !math.IsNaN(s.Mean()) || !math.IsNaN(s.Std()) {
		t.Error("empty stats are not NaN")
	}
	for _, v := range []float64{2, 4, 4, 4, 5, 5, 7, 9, math.NaN()} {
		s.Add(v)
	}
	if s.N() != 8 || s.Mean() != 5 || s.Std() != 2 {
		t.Errorf("n %d mean %v std %v, want 8, 5, 2", s.N(), s.Mean(), s.Std())
	}
}
