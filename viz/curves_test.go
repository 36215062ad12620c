package viz

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestModelColor(t *testing.T) {
	tests := []struct {
		name, model string
		want        color.NRGBA
	}{
		{"cnn is blue", "cnn", color.NRGBA{0x1f, 0x77, 0xb4, 0xff}},
		{"dcnn is orange", "dcnn", color.NRGBA{0xff, 0x7f, 0x0e, 0xff}},
		{"case and spaces ignored", " DCNN ", color.NRGBA{0xff, 0x7f, 0x0e, 0xff}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ModelColor(tc.model); got != tc.want {
				t.Errorf("ModelColor(%q) = %v, want %v", tc.model, got, tc.want)
			}
		})
	}
	t.Run("others come from the palette and are stable", func(t *testing.T) {
		for _, m := range []string{"", "dcnn-first", "dcnn-last", "resnet"} {
			c := ModelColor(m)
			if !slices.Contains(otherColors[:], c) {
				t.Errorf("ModelColor(%q) = %v, not in the palette", m, c)
			}
			if ModelColor(m) != c {
				t.Errorf("ModelColor(%q) changed between calls", m)
			}
		}
	})
}

func TestSmooth(t *testing.T) {
	tests := []struct {
		name string
		y    []float64
		w    float64
		want []float64
	}{
		// By hand, w = 0.5: s1 = 0.5, /0.5 = 1; s2 = 0.25+1 = 1.25, /0.75 = 5/3;
		// s3 = 0.625+1.5 = 2.125, /0.875 = 17/7.
		{"hand-computed", []float64{1, 2, 3}, 0.5, []float64{1, 5.0 / 3, 17.0 / 7}},
		// The NaN is skipped: s2 = 0.25+1.5 = 1.75 with two inputs, /0.75 = 7/3.
		{"NaN gives NaN and does not poison", []float64{1, nan, 3}, 0.5, []float64{1, nan, 7.0 / 3}},
		{"leading NaN", []float64{nan, 4, 4}, 0.9, []float64{nan, 4, 4}},
		{"Inf is skipped like NaN", []float64{2, math.Inf(1), 2}, 0.7, []float64{2, nan, 2}},
		{"debiased: first value is the first input", []float64{7, 0}, 0.99, []float64{7, 7 * 0.99 * 0.01 / (1 - 0.99*0.99)}},
		{"weight 0 is the identity", []float64{3, -1, nan, 8}, 0, []float64{3, -1, nan, 8}},
		{"empty", nil, 0.6, []float64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Smooth(tc.y, tc.w)
			if len(got) != len(tc.want) {
				t.Fatalf("Smooth(%v, %v) has %d values, want %d", tc.y, tc.w, len(got), len(tc.want))
			}
			for i := range got {
				if math.IsNaN(tc.want[i]) != math.IsNaN(got[i]) || math.Abs(got[i]-tc.want[i]) > 1e-12 {
					t.Errorf("Smooth(%v, %v)[%d] = %v, want %v", tc.y, tc.w, i, got[i], tc.want[i])
				}
			}
		})
	}
	t.Run("constant input stays constant", func(t *testing.T) {
		for _, v := range Smooth([]float64{5, 5, 5, 5, 5}, 0.95) {
			if math.Abs(v-5) > 1e-12 {
				t.Fatalf("smoothed constant 5 gave %v", v)
			}
		}
	})
}

func TestSmoothPanicsOnBadWeight(t *testing.T) {
	for _, w := range []float64{-0.1, 1, 1.5, nan} {
		func() {
			defer func() {
				r := recover()
				if r == nil || !strings.HasPrefix(r.(string), "viz: ") {
					t.Errorf("Smooth(_, %v) did not panic with a viz message: %v", w, r)
				}
			}()
			Smooth([]float64{1}, w)
		}()
	}
}

func TestDecimate(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 10000
	x, y := steps(n), make([]float64, n)
	for i := range y {
		y[i] = r.NormFloat64()
	}
	y[1234], y[8765] = 50, -50 // the extremes, which must survive
	for i := 5000; i < 5003; i++ {
		y[i] = nan
	}
	dx, dy := decimate(x, y, maxPoints)

	if len(dx) > 3*(maxPoints/2)+2 || len(dx) < maxPoints/2 {
		t.Errorf("decimated to %d points, want about %d", len(dx), maxPoints)
	}
	if !slices.Contains(dy, 50.0) || !slices.Contains(dy, -50.0) {
		t.Errorf("decimation lost the extremes 50 and -50")
	}
	if dx[0] != x[0] || dx[len(dx)-1] != x[n-1] {
		t.Errorf("decimation lost the first or last point: %v..%v", dx[0], dx[len(dx)-1])
	}
	if !slices.ContainsFunc(dy, math.IsNaN) {
		t.Errorf("decimation lost the NaN gap")
	}
	if !slices.IsSorted(dx) {
		t.Errorf("decimated points are out of order")
	}
	// Every bucket keeps its own minimum and maximum.
	buckets := maxPoints / 2
	for b := range buckets {
		lo, hi := b*n/buckets, (b+1)*n/buckets
		seg := slices.DeleteFunc(slices.Clone(y[lo:hi]), math.IsNaN)
		if len(seg) == 0 {
			continue
		}
		for _, v := range []float64{slices.Min(seg), slices.Max(seg)} {
			if !slices.Contains(dy, v) {
				t.Fatalf("bucket %d lost its extreme %v", b, v)
			}
		}
	}
	t.Run("short series unchanged", func(t *testing.T) {
		sx, sy := decimate(x[:maxPoints], y[:maxPoints], maxPoints)
		if len(sx) != maxPoints || &sy[0] != &y[0] {
			t.Errorf("a series of %d points was decimated", maxPoints)
		}
	})
}

// seriesColumns returns, for each column of img, whether some pixel in rows
// [y0, y1) has colour c (within a small tolerance for anti-aliasing).
func seriesColumns(img *image.NRGBA, c color.NRGBA, y0, y1 int) []bool {
	cols := make([]bool, img.Bounds().Dx())
	for x := range cols {
		for y := y0; y < y1; y++ {
			if pixelDiff(img.NRGBAAt(x, y), c) <= 40 {
				cols[x] = true
				break
			}
		}
	}
	return cols
}

// longestGap returns the longest run of false between the first and last
// true in cols.
func longestGap(cols []bool) int {
	first, last := slices.Index(cols, true), len(cols)-1
	for last >= 0 && !cols[last] {
		last--
	}
	gap, run := 0, 0
	for x := first; x >= 0 && x <= last; x++ {
		if cols[x] {
			run = 0
			continue
		}
		run++
		gap = max(gap, run)
	}
	return gap
}

func TestCurvesNaNLeavesGap(t *testing.T) {
	x0, x1, y0, y1 := 0.0, 100.0, 0.0, 2.0
	tests := []struct {
		name    string
		y       func(x float64) float64
		logY    bool
		smooth  float64
		wantGap bool
	}{
		{"no NaN, no gap", func(float64) float64 { return 1 }, false, 0, false},
		{"NaN stretch", func(x float64) float64 {
			if x >= 40 && x < 60 {
				return nan
			}
			return 1
		}, false, 0, true},
		{"NaN stretch, smoothed", func(x float64) float64 {
			if x >= 40 && x < 60 {
				return nan
			}
			return 1
		}, false, 0.9, true},
		{"zeros on a log axis", func(x float64) float64 {
			if x >= 40 && x < 60 {
				return 0
			}
			return 1
		}, true, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var xs, ys []float64
			for i := 0; i <= 100; i++ {
				xs, ys = append(xs, float64(i)), append(ys, tc.y(float64(i)))
			}
			spec := CurveSpec{XMin: &x0, XMax: &x1, YMin: &y0, YMax: &y1, LogY: tc.logY, Smooth: tc.smooth,
				// No name: no legend to confuse the count.
				Series: []Series{{Model: "cnn", X: xs, Y: ys}}}
			if tc.logY {
				lo := 0.5
				spec.YMin = &lo
			}
			p, err := Curves(spec)
			if err != nil {
				t.Fatal(err)
			}
			img, err := Render(p, RenderOptions{WidthPx: 600, HeightPx: 300})
			if err != nil {
				t.Fatal(err)
			}
			cols := seriesColumns(img, ModelColor("cnn"), 0, 300)
			n := 0
			for _, c := range cols {
				if c {
					n++
				}
			}
			if n < 300 {
				t.Fatalf("the line covers only %d columns of 600", n)
			}
			// The data span about 520 px, so 20 % of it is about 100 px.
			gap := longestGap(cols)
			t.Logf("line covers %d columns; longest gap %d px", n, gap)
			if tc.wantGap && (gap < 80 || gap > 120) {
				t.Errorf("gap is %d px, want about 100", gap)
			}
			if !tc.wantGap && gap > 0 {
				t.Errorf("unexpected gap of %d px", gap)
			}
		})
	}
}

func TestCurvesLogSkipsNonPositive(t *testing.T) {
	tests := []struct {
		name    string
		y       []float64
		wantMin float64 // smallest positive value, before padding
	}{
		{"zero and negatives skipped", []float64{0, -3, 0.5, 2, 8}, 0.5},
		{"all non-positive", []float64{0, -1, -2}, 0},
		{"all NaN", []float64{nan, nan, nan}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Curves(CurveSpec{LogY: true, Series: []Series{{Name: "a", Model: "cnn", X: steps(len(tc.y)), Y: tc.y}}})
			if err != nil {
				t.Fatal(err)
			}
			if !(p.Y.Min > 0) {
				t.Fatalf("log axis minimum is %v", p.Y.Min)
			}
			if tc.wantMin > 0 && (p.Y.Min > tc.wantMin || p.Y.Min < tc.wantMin/2) {
				t.Errorf("log axis minimum is %v, want just below %v", p.Y.Min, tc.wantMin)
			}
			if _, err := Render(p, RenderOptions{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestCurvesErrors(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	ok := Series{Name: "ok", Model: "cnn", X: []float64{1, 2}, Y: []float64{1, 2}}
	tests := []struct {
		name string
		spec CurveSpec
		want string
	}{
		{"lengths differ", CurveSpec{Series: []Series{{Name: "bad", X: []float64{1, 2}, Y: []float64{1}}}}, "2 x values and 1 y values"},
		{"unknown style", CurveSpec{Series: []Series{{Name: "s", Style: "wavy"}}}, `unknown style "wavy"`},
		{"smooth 1", CurveSpec{Series: []Series{ok}, Smooth: 1}, "outside [0, 1)"},
		{"smooth negative", CurveSpec{Series: []Series{ok}, Smooth: -0.1}, "outside [0, 1)"},
		{"smooth NaN", CurveSpec{Series: []Series{ok}, Smooth: nan}, "outside [0, 1)"},
		{"x limits crossed", CurveSpec{Series: []Series{ok}, XMin: f(3), XMax: f(1)}, "XMin 3 is not below XMax 1"},
		{"y limit NaN", CurveSpec{Series: []Series{ok}, YMin: f(nan)}, "YMin is NaN"},
		{"log with zero limit", CurveSpec{Series: []Series{ok}, LogY: true, YMin: f(0)}, "positive limits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Curves(tc.spec)
			if err == nil || !strings.HasPrefix(err.Error(), "viz: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Curves error = %v, want one with %q", err, tc.want)
			}
		})
	}
}

func TestCurvesEdgeCasesRender(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name string
		spec CurveSpec
	}{
		{"no series", CurveSpec{Title: "empty"}},
		{"empty series", CurveSpec{Series: []Series{{Name: "e", Model: "cnn"}}}},
		{"all NaN", CurveSpec{Series: []Series{{Name: "n", Model: "cnn", X: []float64{1, 2}, Y: []float64{nan, nan}}}}},
		{"one point", CurveSpec{Series: []Series{{Name: "p", Model: "cnn", X: []float64{3}, Y: []float64{0.5}}}}},
		{"isolated points between NaNs", CurveSpec{Series: []Series{{Name: "p", Model: "dcnn", X: steps(5), Y: []float64{1, nan, 2, nan, 3}}}}},
		{"only XMin given beyond data", CurveSpec{Series: []Series{{Model: "cnn", X: []float64{1, 2}, Y: []float64{1, 2}}}, XMin: f(10)}},
		{"log, one point", CurveSpec{LogY: true, Series: []Series{{Model: "cnn", X: []float64{1}, Y: []float64{0.5}}}}},
		{"log, constant", CurveSpec{LogY: true, Series: []Series{{Model: "cnn", X: []float64{1, 2}, Y: []float64{0.3, 0.3}}}}},
		{"log, YMax below the data", CurveSpec{LogY: true, YMax: f(0.5), Series: []Series{{Model: "cnn", X: []float64{1, 2}, Y: []float64{2, 3}}}}},
		{"log, YMin above the data", CurveSpec{LogY: true, YMin: f(50), Series: []Series{{Model: "cnn", X: []float64{1, 2}, Y: []float64{2, 3}}}}},
		{"infinite values", CurveSpec{Series: []Series{{Model: "cnn", X: []float64{1, 2, 3}, Y: []float64{1, math.Inf(1), math.Inf(-1)}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Curves(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Render(p, RenderOptions{WidthPx: 300, HeightPx: 200}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestLegendCorner(t *testing.T) {
	tests := []struct {
		name string
		y    []float64
		want corner
	}{
		{"falling loss: top right is free", []float64{2, 1, 0.5, 0.3, 0.2, 0.15}, topRight},
		{"rising accuracy: bottom right is free", []float64{10, 50, 80, 90, 95, 97}, bottomRight},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, leg, err := curves(CurveSpec{Series: []Series{{Name: "a", Model: "cnn", X: steps(len(tc.y)), Y: tc.y}}}, false)
			if err != nil {
				t.Fatal(err)
			}
			if leg == nil || leg.corner != tc.want {
				t.Errorf("legend = %+v, want one in corner %d", leg, tc.want)
			}
		})
	}
}

func TestNiceTicks(t *testing.T) {
	tests := []struct {
		name   string
		lo, hi float64
		want   []string
	}{
		{"epochs", 0.6, 14.4, []string{"2", "4", "6", "8", "10", "12", "14"}},
		{"loss", 0.03, 0.32, []string{"0.05", "0.10", "0.15", "0.20", "0.25", "0.30"}},
		{"accuracy", 62, 97, []string{"65", "70", "75", "80", "85", "90", "95"}},
		{"through zero", -1, 1, []string{"-1.0", "-0.5", "0", "0.5", "1.0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, tk := range (niceTicks{}).Ticks(tc.lo, tc.hi) {
				if tk.Label != "" {
					got = append(got, tk.Label)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("labels = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLogTicks(t *testing.T) {
	tests := []struct {
		name   string
		lo, hi float64
		want   []string
	}{
		{"four decades", 0.0009, 2.5, []string{"0.001", "0.01", "0.1", "1"}},
		{"one decade", 0.15, 1.8, []string{"0.2", "0.5", "1"}},
		{"narrow", 0.31, 0.95, []string{"0.4", "0.5", "0.6", "0.7", "0.8", "0.9"}},
		// An early loss that stays within one step of the ladder showed no
		// number on its axis.
		{"within one step", 2.05, 2.3, []string{"2.1", "2.2", "2.3"}},
		{"within one step, finer", 2.14, 2.31, []string{"2.15", "2.20", "2.25", "2.30"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, tk := range (logTicks{}).Ticks(tc.lo, tc.hi) {
				if tk.Label != "" && tk.Value >= tc.lo && tk.Value <= tc.hi {
					got = append(got, tk.Label)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("labels = %q, want %q", got, tc.want)
			}
		})
	}
}
