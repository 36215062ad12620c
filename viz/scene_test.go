package viz

import (
	"image"
	"math"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/trace"
)

// sceneField is a 2×2 field of one 3×3 tap set whose offsets have known
// lengths: tap k at cell i is (3·i, 4·i) for k = 0, zero elsewhere, so the
// mean |Δp| over the 9 taps at cell i is 5·i/9.
func sceneField(mask bool) *metrics.Field {
	f := &metrics.Field{Ho: 2, Wo: 2, Groups: 1, Offset: make([]float64, 2*9*4), Limit: 7}
	for i := range 4 {
		f.Offset[i], f.Offset[4+i] = 3*float64(i), 4*float64(i)
	}
	if mask {
		f.Mask = make([]float64, 9*4)
		for i := range f.Mask {
			f.Mask[i] = 1
		}
	}
	return f
}

func TestOffsetScene(t *testing.T) {
	pic := image.NewGray(image.Rect(0, 0, 8, 8))
	unit := &trace.Result{Unit: trace.Point{Y: 4, X: 4}, Points: []trace.Point{{Y: 3, X: 3, Weight: 1}}, UnitY: 1, UnitX: 1}
	base := OffsetScene{Picture: pic, Label: "digit", Model: "dcnn", Layer: "conv5", Epoch: 2, Epochs: 3, Tap: -1}
	for _, tc := range []struct {
		name   string
		edit   func(*OffsetScene)
		panels int
		label  string // in the key
		err    string
	}{
		{"points", func(s *OffsetScene) { s.Show, s.Points = ShowPoints, unit }, 1, "sampling location (1", ""},
		{"points and grid", func(s *OffsetScene) { s.Show, s.Points, s.Grid = ShowPoints, unit, unit }, 2, "the unit", ""},
		{"points without a trace", func(s *OffsetScene) { s.Show = ShowPoints }, 0, "", "no traced unit"},
		{"robust", func(s *OffsetScene) {
			s.Show, s.Field, s.Range = ShowOffset, sceneField(true), HeatRange{Mode: RangeRobust, Max: 1.5, Over: "epochs 1-3"}
		}, 1, "99th percentile over epochs 1-3", ""},
		{"clamp", func(s *OffsetScene) {
			s.Show, s.Field, s.Range, s.Limit = ShowOffset, sceneField(true), HeatRange{Mode: RangeClamp}, 7
		}, 1, "clamp bound ±7", ""},
		{"clamp without a bound", func(s *OffsetScene) {
			s.Show, s.Field, s.Range = ShowOffset, sceneField(true), HeatRange{Mode: RangeClamp}
		}, 0, "", "no clamp bound"},
		{"fixed", func(s *OffsetScene) {
			s.Show, s.Field, s.Range = ShowOffset, sceneField(true), HeatRange{Mode: RangeFixed, Max: 2}
		}, 1, "fixed 0-2 px", ""},
		{"fixed at zero", func(s *OffsetScene) {
			s.Show, s.Field, s.Range = ShowOffset, sceneField(true), HeatRange{Mode: RangeFixed}
		}, 0, "", "want a positive"},
		{"unknown range", func(s *OffsetScene) { s.Show, s.Field, s.Range = ShowOffset, sceneField(true), HeatRange{Mode: "max2"} }, 0, "", "unknown colour scale"},
		{"heat with mask", func(s *OffsetScene) { s.Show, s.Field = ShowHeat, sceneField(true) }, 2, "DCNv2 mask (right", ""},
		{"heat without mask", func(s *OffsetScene) { s.Show, s.Field = ShowHeat, sceneField(false) }, 1, "layer's largest", ""},
		{"mask", func(s *OffsetScene) { s.Show, s.Field = ShowMask, sceneField(true) }, 1, "fixed 0-2", ""},
		{"heat without a field", func(s *OffsetScene) { s.Show = ShowHeat }, 0, "", "no sampling field"},
		{"unknown show", func(s *OffsetScene) { s.Show = "dots" }, 0, "", "unknown Show"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			tc.edit(&s)
			panels, err := s.Panels(2)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				if _, err := s.Figure(2); err == nil {
					t.Error("Figure draws what Panels refuses")
				}
				return
			}
			if err != nil || len(panels) != tc.panels {
				t.Fatalf("%d panels, %v; want %d", len(panels), err, tc.panels)
			}
			var key []string
			for _, k := range s.Key() {
				key = append(key, k.Text)
			}
			if !strings.Contains(strings.Join(key, "\n"), tc.label) {
				t.Errorf("key %q lacks %q", key, tc.label)
			}
			fig, err := s.Figure(2)
			if err != nil || fig.Bounds().Dx() < panels[0].Bounds().Dx() {
				t.Errorf("figure %v, %v", fig.Bounds(), err)
			}
		})
	}
}

func TestOffsetRange(t *testing.T) {
	s := OffsetScene{Show: ShowOffset, Field: sceneField(false), Tap: -1, Limit: 7}
	mag, err := OffsetMagnitude(s.Field, -1)
	if err != nil {
		t.Fatal(err)
	}
	// The largest mean length is 5·3/9.
	for _, tc := range []struct {
		r    HeatRange
		want float64
	}{
		{HeatRange{Mode: RangeMax}, 15.0 / 9},
		{HeatRange{Mode: RangeClamp}, 7 * math.Sqrt2},
		{HeatRange{Mode: RangeFixed, Max: 3}, 3},
		{HeatRange{Mode: RangeRobust, Max: 1.2}, 1.2},
		// A robust scale with nothing measured falls back to the bound.
		{HeatRange{Mode: RangeRobust}, 7 * math.Sqrt2},
	} {
		s.Range = tc.r
		got, _, err := s.offsetRange(mag)
		if err != nil || math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%+v: %v, %v; want %v", tc.r, got, err, tc.want)
		}
	}
	top, err := RobustOffsetMax(sceneField(false), nil, sceneField(false))
	if want := RobustMax(0, mag, mag); err != nil || top != want {
		t.Errorf("RobustOffsetMax %v, %v; want %v", top, err, want)
	}
}
