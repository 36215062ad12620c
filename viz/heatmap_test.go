package viz

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/metrics"
)

// sevenField returns a 7×7 sampling field over the 28×28 "7" (one group, 9
// taps): offsets about 3.5 px long where a cell lies on the stroke, fading
// to 0.3 px away from it, turning 40° from tap to tap; cell (0, 6) is pushed
// to 6 px, beyond the golden picture's scale of 4. withMask adds a DCNv2
// mask that is high on the stroke.
func sevenField(withMask bool) *metrics.Field {
	const h, w, taps = 7, 7, 9
	n := h * w
	f := &metrics.Field{Ho: h, Wo: w, Groups: 1, Offset: make([]float64, 2*taps*n)}
	if withMask {
		f.Mask = make([]float64, taps*n)
	}
	segs := [][4]float64{{6, 7, 6, 20}, {6, 20, 23, 11}}
	for i := range h {
		for j := range w {
			// Cell centres: 4 input pixels a cell, first at 1.5.
			y, x := 4*float64(i)+1.5, 4*float64(j)+1.5
			d := math.Min(segmentDist(y, x, segs[0]), segmentDist(y, x, segs[1]))
			mag := 0.3 + 3.2*math.Exp(-d*d/18)
			if i == 0 && j == 6 {
				mag = 6
			}
			for k := range taps {
				th := float64(k) * 40 * math.Pi / 180
				f.Offset[(2*k)*n+i*w+j] = mag * math.Cos(th)
				f.Offset[(2*k+1)*n+i*w+j] = mag * math.Sin(th)
				if withMask {
					f.Mask[k*n+i*w+j] = 2 / (1 + math.Exp(d/3-1))
				}
			}
		}
	}
	return f
}

// handField returns a 2×3 field with groups offset groups and 9 taps: in
// group 0, tap 0 moves location i by (3, 4)·(i+1) and tap k > 0 by
// (k·(i+1), 0); the mask of tap k at location i is 0.1·k + 0.01·i. Other
// groups hold 100s, which group 0's results must not see.
func handField(groups int, withMask bool) *metrics.Field {
	const n, taps = 6, 9
	f := &metrics.Field{Ho: 2, Wo: 3, Groups: groups, Offset: make([]float64, 2*groups*taps*n)}
	for i := range f.Offset {
		f.Offset[i] = 100
	}
	for k := range taps {
		for i := range n {
			dy, dx := float64(k*(i+1)), 0.0
			if k == 0 {
				dy, dx = float64(3*(i+1)), float64(4*(i+1))
			}
			f.Offset[2*k*n+i], f.Offset[(2*k+1)*n+i] = dy, dx
		}
	}
	if withMask {
		f.Mask = make([]float64, groups*taps*n)
		for i := range f.Mask {
			f.Mask[i] = 100
		}
		for k := range taps {
			for i := range n {
				f.Mask[k*n+i] = 0.1*float64(k) + 0.01*float64(i)
			}
		}
	}
	return f
}

// approxEqual reports whether a and b have the same length and agree to
// within tol.
func approxEqual(a, b []float64, tol float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Abs(x-y) <= tol })
}

func TestOffsetMagnitude(t *testing.T) {
	perLoc := func(f func(i int) float64) []float64 {
		out := make([]float64, 6)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	tests := []struct {
		name  string
		field *metrics.Field
		tap   int
		want  []float64
	}{
		// |(3, 4)·(i+1)| = 5(i+1).
		{"tap 0", handField(1, false), 0, perLoc(func(i int) float64 { return 5 * float64(i+1) })},
		{"tap 4", handField(1, true), 4, perLoc(func(i int) float64 { return 4 * float64(i+1) })},
		{"tap 8", handField(1, false), 8, perLoc(func(i int) float64 { return 8 * float64(i+1) })},
		// Mean of the taps' lengths: (5 + 1 + 2 + ... + 8)(i+1)/9 = 41(i+1)/9.
		{"mean of the taps", handField(1, false), -1, perLoc(func(i int) float64 { return 41 * float64(i+1) / 9 })},
		{"group 0 of 2", handField(2, true), -1, perLoc(func(i int) float64 { return 41 * float64(i+1) / 9 })},
		{"groups 0 means 1", handField(1, false), 0, perLoc(func(i int) float64 { return 5 * float64(i+1) })},
	}
	tests[len(tests)-1].field.Groups = 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := OffsetMagnitude(tc.field, tc.tap)
			if err != nil {
				t.Fatal(err)
			}
			if !approxEqual(got, tc.want, 1e-12) {
				t.Errorf("OffsetMagnitude(tap %d) = %v, want %v", tc.tap, got, tc.want)
			}
		})
	}
}

func TestMaskField(t *testing.T) {
	perLoc := func(f func(i int) float64) []float64 {
		out := make([]float64, 6)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	tests := []struct {
		name  string
		field *metrics.Field
		tap   int
		want  []float64
	}{
		{"tap 0", handField(1, true), 0, perLoc(func(i int) float64 { return 0.01 * float64(i) })},
		{"tap 7", handField(1, true), 7, perLoc(func(i int) float64 { return 0.7 + 0.01*float64(i) })},
		// Mean over k of 0.1k is 0.4.
		{"mean of the taps", handField(1, true), -1, perLoc(func(i int) float64 { return 0.4 + 0.01*float64(i) })},
		{"group 0 of 3", handField(3, true), -1, perLoc(func(i int) float64 { return 0.4 + 0.01*float64(i) })},
		{"DCNv1: ones", handField(1, false), -1, perLoc(func(int) float64 { return 1 })},
		{"DCNv1, one tap: ones", handField(2, false), 3, perLoc(func(int) float64 { return 1 })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := MaskField(tc.field, tc.tap)
			if err != nil {
				t.Fatal(err)
			}
			if !approxEqual(got, tc.want, 1e-12) {
				t.Errorf("MaskField(tap %d) = %v, want %v", tc.tap, got, tc.want)
			}
		})
	}
}

func TestFieldErrors(t *testing.T) {
	shortOffset := handField(1, true)
	shortOffset.Offset = shortOffset.Offset[:len(shortOffset.Offset)-1]
	shortMask := handField(1, true)
	shortMask.Mask = shortMask.Mask[:53]
	wrongGroups := handField(1, true)
	wrongGroups.Groups = 2 // 2·2·taps·6 does not divide 108
	negGroups := handField(1, false)
	negGroups.Groups = -1
	tests := []struct {
		name  string
		field *metrics.Field
		tap   int
		want  string
	}{
		{"nil field", nil, -1, "nil field"},
		{"zero size", &metrics.Field{Ho: 0, Wo: 3, Offset: make([]float64, 18)}, -1, "0×3"},
		{"no offsets", &metrics.Field{Ho: 2, Wo: 3}, -1, "offset has 0 values"},
		{"offset length", shortOffset, -1, "offset has 107 values"},
		{"mask length", shortMask, -1, "mask has 53 values, want 1 groups·9 taps·2×3 = 54"},
		{"groups do not fit", wrongGroups, -1, "offset has 108 values"},
		{"negative groups", negGroups, -1, "-1 offset groups"},
		{"tap 9 of 9", handField(1, true), 9, "tap 9 is outside -1..8"},
		{"tap -2", handField(1, true), -2, "tap -2"},
	}
	for _, tc := range tests {
		for _, fn := range []struct {
			name string
			f    func(*metrics.Field, int) ([]float64, error)
		}{{"OffsetMagnitude", OffsetMagnitude}, {"MaskField", MaskField}} {
			t.Run(tc.name+"/"+fn.name, func(t *testing.T) {
				got, err := fn.f(tc.field, tc.tap)
				if err == nil || !strings.HasPrefix(err.Error(), "viz: ") || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error = %v, want one with %q", err, tc.want)
				}
				if got != nil {
					t.Errorf("returned %v with the error", got)
				}
			})
		}
	}
}

// constField returns an H×W field of v.
func constField(h, w int, v float64) []float64 {
	f := make([]float64, h*w)
	for i := range f {
		f[i] = v
	}
	return f
}

// TestHeatmapFixedScale checks that the colour scale is VMin..VMax, not the
// data's range: the same field differs under two VMax, and values beyond
// the scale take its end colours.
func TestHeatmapFixedScale(t *testing.T) {
	grey := uniformImage(28, 28, 0x80)
	render := func(field []float64, vmin, vmax, alpha float64) *image.NRGBA {
		t.Helper()
		img, err := Heatmap(HeatmapSpec{Image: grey, Field: field, H: 7, W: 7, VMin: vmin, VMax: vmax, Alpha: alpha})
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	inside := func(img *image.NRGBA) color.NRGBA { return img.NRGBAAt(heatPad+100, heatPad+200) }
	top, _ := Colormap("viridis", 1)
	bottom, _ := Colormap("viridis", 0)
	mid, _ := Colormap("viridis", 0.5)

	t.Run("two VMax differ", func(t *testing.T) {
		a, b := render(constField(7, 7, 3), 0, 4, 0), render(constField(7, 7, 3), 0, 8, 0)
		if bytes.Equal(a.Pix, b.Pix) || inside(a) == inside(b) {
			t.Errorf("the same field under VMax 4 and 8 looks the same (%v)", inside(a))
		}
	})
	tests := []struct {
		name       string
		v          float64
		vmin, vmax float64
		alpha      float64
		want       color.NRGBA
	}{
		{"above VMax: top colour", 5, 0, 4, 1, top},
		{"far above VMax: top colour", 1e9, 0, 4, 1, top},
		{"+Inf: top colour", math.Inf(1), 0, 4, 1, top},
		{"below VMin: bottom colour", -3, 0, 4, 1, bottom},
		{"middle", 3, 2, 4, 1, mid},
		// Default alpha 0.6 of viridis(0) = #440154 over grey 0x80.
		{"default alpha", 0, 0, 1, 0, color.NRGBA{92, 52, 102, 0xff}},
		{"NaN: image only", nan, 0, 1, 1, color.NRGBA{0x80, 0x80, 0x80, 0xff}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := render(constField(7, 7, tc.v), tc.vmin, tc.vmax, tc.alpha)
			if got := inside(img); pixelDiff(got, tc.want) > 1 {
				t.Errorf("pixel is %v, want %v", got, tc.want)
			}
		})
	}
}

// TestFieldSamples checks where canvas pixels read the field: cell i's
// centre is at input position (i+0.5)·px/cells − 0.5, and canvas pixels
// straddle it symmetrically.
func TestFieldSamples(t *testing.T) {
	tests := []struct {
		name           string
		n, s, px, cell int
		c              int     // canvas pixel
		want           float64 // field position i0 + u
	}{
		// 7 cells over 28 pixels at scale 2: cell 0's centre is at input
		// 1.5, canvas 4.0, between pixels 3 and 4 (clamped below 0).
		{"before cell 0's centre clamps", 56, 2, 28, 7, 3, 0},
		{"after cell 0's centre", 56, 2, 28, 7, 4, 0.0625},
		{"before cell 1's centre", 56, 2, 28, 7, 11, 0.9375},
		{"after cell 1's centre", 56, 2, 28, 7, 12, 1.0625},
		{"last pixel clamps to the last cell", 56, 2, 28, 7, 55, 6},
		// One cell per pixel at scale 1: each pixel reads its own cell.
		{"identity", 10, 1, 10, 10, 7, 7},
		// 2 cells over 4 pixels at scale 1: cell 0's centre is at pixel
		// 0.5, cell 1's at 2.5, so pixel 1 reads a quarter of the way.
		{"half resolution", 4, 1, 4, 2, 1, 0.25},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := fieldSamples(tc.n, tc.s, tc.px, tc.cell)[tc.c]
			if pos := float64(got.i0) + got.u; math.Abs(pos-tc.want) > 1e-12 || got.i1 > tc.cell-1 || got.i1 < got.i0 {
				t.Errorf("sample %d = %+v (position %v), want position %v", tc.c, got, pos, tc.want)
			}
		})
	}
}

// TestHeatmapBilinear checks the blend across a 1×2 field [0, 1]: the left
// quarter is viridis(0), the right quarter viridis(1), the middle halfway.
func TestHeatmapBilinear(t *testing.T) {
	img, err := Heatmap(HeatmapSpec{Image: uniformImage(28, 28, 0), Field: []float64{0, 1}, H: 1, W: 2,
		VMin: 0, VMax: 1, Alpha: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		x int // canvas column in the image
		v float64
	}{
		{3 * 16, 0},
		{25 * 16, 1},
		// Canvas 224.5 is input 13.53, field (14.03·2/28 − 0.5) = 0.502.
		{224, 0.502},
	} {
		want, _ := Colormap("viridis", tc.v)
		if got := img.NRGBAAt(heatPad+tc.x, heatPad+100); pixelDiff(got, want) > 1 {
			t.Errorf("canvas column %d is %v, want viridis(%v) = %v", tc.x, got, tc.v, want)
		}
	}
}

// TestHeatmapColourBar checks the bar's ends and its label's orientation.
func TestHeatmapColourBar(t *testing.T) {
	img, err := Heatmap(HeatmapSpec{Image: uniformImage(28, 28, 0xff), Field: constField(7, 7, 1), H: 7, W: 7,
		VMin: 0, VMax: 2, Colormap: "magma", Label: "|Δp| (px)"})
	if err != nil {
		t.Fatal(err)
	}
	barX := heatPad + 448 + barGap
	top, _ := Colormap("magma", 1-0.5/448)
	bottom, _ := Colormap("magma", 0.5/448)
	if got := img.NRGBAAt(barX+barWidth/2, heatPad); pixelDiff(got, top) > 1 {
		t.Errorf("top of the bar is %v, want %v", got, top)
	}
	if got := img.NRGBAAt(barX+barWidth/2, heatPad+447); pixelDiff(got, bottom) > 1 {
		t.Errorf("bottom of the bar is %v, want %v", got, bottom)
	}
	// The label stands right of the tick labels ("0", "1", "2"), turned:
	// its ink is taller than wide.
	x0 := barX + barWidth + tickLen + 3 + 12
	ink := image.Rectangle{}
	for y := range img.Bounds().Dy() {
		for x := x0; x < img.Bounds().Dx(); x++ {
			if c := img.NRGBAAt(x, y); c.R < 0x80 {
				ink = ink.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	if ink.Empty() || ink.Dy() < 3*ink.Dx() {
		t.Errorf("label ink is %v, want a tall narrow box right of the ticks", ink)
	}
}

func TestTickLabel(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "0"}, {4, "4"}, {2, "2"}, {0.125, "0.125"}, {1.5, "1.5"},
		{1234.5, "1.23e+03"}, {-0.5, "-0.5"}, {1.0 / 3, "0.333"},
	}
	for _, tc := range tests {
		if got := tickLabel(tc.v); got != tc.want {
			t.Errorf("tickLabel(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestHeatmapErrors(t *testing.T) {
	img := uniformImage(28, 28, 0)
	ok := HeatmapSpec{Image: img, Field: constField(7, 7, 1), H: 7, W: 7, VMin: 0, VMax: 1}
	with := func(f func(*HeatmapSpec)) HeatmapSpec { s := ok; f(&s); return s }
	tests := []struct {
		name string
		spec HeatmapSpec
		want string
	}{
		{"nil image", with(func(s *HeatmapSpec) { s.Image = nil }), "nil image"},
		{"empty image", with(func(s *HeatmapSpec) { s.Image = image.NewGray(image.Rect(0, 0, 28, 0)) }), "28×0"},
		{"zero H", with(func(s *HeatmapSpec) { s.H = 0 }), "field size 0×7"},
		{"negative W", with(func(s *HeatmapSpec) { s.W = -7 }), "field size 7×-7"},
		{"field too short", with(func(s *HeatmapSpec) { s.Field = s.Field[:48] }), "field has 48 values, want 7×7 = 49"},
		{"field too long", with(func(s *HeatmapSpec) { s.Field = constField(7, 8, 0) }), "field has 56 values"},
		{"VMax equals VMin", with(func(s *HeatmapSpec) { s.VMax = 0 }), "VMax above VMin"},
		{"VMax below VMin", with(func(s *HeatmapSpec) { s.VMin, s.VMax = 2, 1 }), "VMax above VMin"},
		{"NaN VMin", with(func(s *HeatmapSpec) { s.VMin = nan }), "VMax above VMin"},
		{"infinite VMax", with(func(s *HeatmapSpec) { s.VMax = math.Inf(1) }), "finite"},
		{"alpha above 1", with(func(s *HeatmapSpec) { s.Alpha = 1.5 }), "alpha 1.5"},
		{"NaN alpha", with(func(s *HeatmapSpec) { s.Alpha = nan }), "alpha NaN"},
		{"unknown colormap", with(func(s *HeatmapSpec) { s.Colormap = "jet" }), `"jet"`},
		{"negative scale", with(func(s *HeatmapSpec) { s.Scale = -1 }), "negative"},
		{"too large", with(func(s *HeatmapSpec) { s.Scale = 1000 }), "exceeds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Heatmap(tc.spec)
			if err == nil || !strings.HasPrefix(err.Error(), "viz: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Heatmap error = %v, want one with %q", err, tc.want)
			}
		})
	}
}
