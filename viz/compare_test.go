package viz

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/deformscope/deformscope/model/metrics"
)

// timedRecords are epochRecords with wall-clock times: every epoch trains
// for secs and evaluates for a tenth of that, and run b's accuracies sit
// shift points above run a's.
func timedRecords(epochs int, secs, shift float64) []metrics.Epoch {
	var recs []metrics.Epoch
	for _, r := range epochRecords() {
		if r.Epoch > epochs {
			continue
		}
		r.EpochSeconds, r.EvalSeconds = secs, secs/10
		r.TrainAcc += metrics.Num(shift)
		r.ValAcc += metrics.Num(shift)
		recs = append(recs, r)
	}
	return recs
}

// twoRuns is an overlay of a 14-epoch run and a 6-epoch run, each with a
// per-step loss.
func twoRuns() []RunCurves {
	stepsOf := func(epochs int, seed uint64) []Series {
		var ss []Series
		for i, m := range []string{"cnn", "dcnn"} {
			n := epochs * 50
			x := make([]float64, n)
			for j := range x {
				x[j] = float64(j+1) / 50
			}
			ss = append(ss, Series{Name: displayName(m), Model: m, X: x, Y: stepLoss(n, 0.1, seed+uint64(i))})
		}
		return ss
	}
	return []RunCurves{
		{Label: "adam lr 0.001", Records: timedRecords(14, 30, 0), Steps: stepsOf(14, 3), Epochs: 14},
		{Label: "sgd lr 0.01", Records: timedRecords(6, 80, -6), Steps: stepsOf(6, 5), Epochs: 6},
	}
}

func TestOverlayColourPerRunStylePerModel(t *testing.T) {
	in := FigureInput{Data: "mnist", Runs: twoRuns()}
	for _, id := range CurveFigures {
		t.Run(string(id), func(t *testing.T) {
			fd, err := BuildFigure(id, in, Zoom{})
			if err != nil {
				t.Fatal(err)
			}
			if len(fd.Series) == 0 {
				t.Fatal("no series")
			}
			for _, s := range fd.Series {
				run := slices.IndexFunc(in.Runs, func(r RunCurves) bool { return strings.HasPrefix(s.Name, r.Label+" · ") })
				if run < 0 {
					t.Fatalf("series %q does not name its run", s.Name)
				}
				if s.Color != RunColor(run) {
					t.Errorf("series %q has colour %v, want run %d's %v", s.Name, s.Color, run, RunColor(run))
				}
				want := map[string]string{"cnn": "solid", "dcnn": "dashed"}[s.Model]
				if s.Style != want {
					t.Errorf("series %q has style %q, want %q (its model's)", s.Name, s.Style, want)
				}
				if !s.Unlisted {
					t.Errorf("series %q is listed in the legend; the legend names runs and styles", s.Name)
				}
			}
			var names []string
			for _, e := range legendOf(t, fd).entries {
				names = append(names, e.name)
			}
			for _, want := range []string{"adam lr 0.001", "sgd lr 0.01", "CNN", "DCNN"} {
				if n := count(names, want); n != 1 {
					t.Errorf("legend %q names %q %d times, want once", names, want, n)
				}
			}
		})
	}
}

func count(ss []string, s string) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}

// legendOf returns a built figure's legend.
func legendOf(t *testing.T, fd Figure) *legend {
	t.Helper()
	if fd.legend == nil {
		t.Fatal("the figure has no legend")
	}
	return fd.legend
}

func TestOverlayTrainingFaintUnderHeldOut(t *testing.T) {
	fd, err := BuildFigure(FigAccuracy, FigureInput{Runs: twoRuns()}, Zoom{})
	if err != nil {
		t.Fatal(err)
	}
	seenSolid := false
	for _, s := range fd.Series {
		train := strings.Contains(s.Name, "train acc")
		if s.Faint != train {
			t.Errorf("series %q: faint %v, want %v (training curves faint)", s.Name, s.Faint, train)
		}
		if s.Faint && seenSolid {
			t.Errorf("faint series %q drawn over a held-out one", s.Name)
		}
		seenSolid = seenSolid || !s.Faint
	}
}

func TestEpochClock(t *testing.T) {
	recs := []metrics.Epoch{
		{Model: "cnn", Epoch: 1, EpochSeconds: 10, EvalSeconds: 2},
		{Model: "cnn", Epoch: 2, EpochSeconds: 20, EvalSeconds: 2},
		// Resumed: the last record counts.
		{Model: "cnn", Epoch: 2, EpochSeconds: 30, EvalSeconds: 4},
		{Model: "dcnn", Epoch: 1, EpochSeconds: 99},
	}
	c := newEpochClock(recs, "cnn")
	tests := []struct {
		name string
		x    float64
		want float64
	}{
		{"start", 0, 0},
		{"half-way through epoch 1", 0.5, 5},
		{"end of epoch 1, evaluation included", 1, 12},
		{"a quarter into epoch 2", 1.25, 12 + 7.5},
		{"end of epoch 2 (its last record)", 2, 12 + 34},
		{"epoch 3 under way takes as long as epoch 2", 2.5, 46 + 15},
		{"epoch 4 extrapolated", 3.5, 46 + 30 + 15},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.atEpoch(tc.x); math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("atEpoch(%v) = %v, want %v", tc.x, got, tc.want)
			}
		})
	}
	if got := newEpochClock(nil, "cnn").atEpoch(0.5); !math.IsNaN(got) {
		t.Errorf("with no epoch recorded, atEpoch = %v, want NaN (unknown)", got)
	}
}

func TestTimeAxis(t *testing.T) {
	tests := []struct {
		name      string
		in        FigureInput
		id        FigureID
		wantLabel string
		wantMax   float64 // the largest x, in the axis's unit
	}{
		// 14 epochs of 30 s + 3 s evaluation: 462 s = 7.7 min.
		{"one run, minutes", FigureInput{Records: timedRecords(14, 30, 0), Time: true}, FigLoss, "elapsed time (min)", 7.7},
		// Run b: 6 epochs of 80 s + 8 s = 528 s = 8.8 min.
		{"overlay, the longer run sets the unit", FigureInput{Runs: twoRuns(), Time: true}, FigAccuracy, "elapsed time (min)", 8.8},
		{"seconds", FigureInput{Records: timedRecords(3, 10, 0), Time: true}, FigAccuracy, "elapsed time (s)", 33},
		// The last step sits at x = 6, the end of epoch 6, which the clock
		// reads as the end of its record, evaluation included.
		{"step loss ends with the last epoch", FigureInput{Runs: twoRuns(), Time: true}, FigStepLoss, "elapsed time (min)", 8.8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fd, err := BuildFigure(tc.id, tc.in, Zoom{})
			if err != nil {
				t.Fatal(err)
			}
			if got := fd.Plot.X.Label.Text; got != tc.wantLabel {
				t.Errorf("x label %q, want %q", got, tc.wantLabel)
			}
			hi := math.Inf(-1)
			for _, s := range fd.Series {
				for i, x := range s.X {
					if finite(x) && finite(s.Y[i]) {
						hi = max(hi, x)
					}
				}
			}
			if math.Abs(hi-tc.wantMax) > 1e-9 {
				t.Errorf("largest x %v, want %v", hi, tc.wantMax)
			}
			if fd.Plot.X.Max < hi {
				t.Errorf("x axis ends at %v, before the data's %v", fd.Plot.X.Max, hi)
			}
		})
	}
	t.Run("steps before the first epoch have no time yet", func(t *testing.T) {
		in := FigureInput{Time: true, Steps: []Series{{Name: "CNN", Model: "cnn", X: []float64{0.1, 0.2}, Y: []float64{2, 1.9}}}}
		if _, err := BuildFigure(FigStepLoss, in, Zoom{}); err == nil || !strings.Contains(err.Error(), "time axis") {
			t.Errorf("err = %v, want a no-data message about the time axis", err)
		}
	})
}

// TestLegendNeverCoversData draws figures whose lines fill different parts
// of the data area, at the app's figure sizes and an export's, and checks
// that the legend's box, wherever it went, holds no point of any line
// (sampled along every segment, with the line's half width).
func TestLegendNeverCoversData(t *testing.T) {
	flat := func(v float64) []float64 {
		y := make([]float64, 14)
		for i := range y {
			y[i] = v + 0.01*float64(i%2)
		}
		return y
	}
	zigzag := func(lo, hi float64) []float64 {
		y := make([]float64, 14)
		for i := range y {
			y[i] = lo
			if i%2 == 1 {
				y[i] = hi
			}
		}
		return y
	}
	recs := epochRecords()
	loss, _ := EpochSeries(recs, "train_loss")
	acc, _ := EpochSeries(recs, "val_acc")
	cases := []struct {
		name   string
		series []Series
	}{
		{"falling loss", loss},
		{"rising accuracy", acc},
		{"lines across the top and the bottom", []Series{
			{Name: "top", Model: "cnn", X: steps(14), Y: flat(10)},
			{Name: "bottom", Model: "dcnn", X: steps(14), Y: flat(0)},
		}},
		{"zigzag over everything", []Series{{Name: "CNN val acc", Model: "cnn", X: steps(14), Y: zigzag(0, 100)}}},
		{"many entries", func() []Series {
			var ss []Series
			for i := range 8 {
				ss = append(ss, Series{Name: fmt.Sprintf("run %d val acc", i), Model: fmt.Sprint(i), X: steps(14), Y: flat(float64(i))})
			}
			return ss
		}()},
	}
	// The smallest is a figure of the Curves tab in a 1024×640 window
	// (about 305×240 px); the largest dcn plot's default.
	sizes := []RenderOptions{{WidthPx: 300, HeightPx: 240}, {WidthPx: 420, HeightPx: 300}, {WidthPx: 800, HeightPx: 500}}
	for _, tc := range cases {
		for _, o := range sizes {
			t.Run(fmt.Sprintf("%s at %dx%d", tc.name, o.WidthPx, o.HeightPx), func(t *testing.T) {
				p, leg, err := curves(CurveSpec{Title: tc.name, XLabel: "epoch", YLabel: "y", Series: tc.series}, false)
				if err != nil {
					t.Fatal(err)
				}
				if err := legendClear(p, leg, o); err != nil {
					t.Error(err)
				}
				if _, err := Render(p, o); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
	t.Run("a COCO run's four models", func(t *testing.T) {
		var recs4 []metrics.Epoch
		for _, r := range recs {
			if r.Model != "cnn" {
				continue
			}
			for i, m := range []string{"cnn", "dcnn-first", "dcnn-middle", "dcnn-last"} {
				q := r
				q.Model = m
				q.TrainLoss *= metrics.Num(1 - 0.05*float64(i))
				q.TrainAcc -= metrics.Num(i)
				recs4 = append(recs4, q)
			}
		}
		for _, id := range []FigureID{FigLoss, FigAccuracy} {
			fd, err := BuildFigure(id, FigureInput{Records: recs4, Epochs: 14}, Zoom{})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(legendOf(t, fd).entries); n != 6 {
				t.Errorf("%s: %d legend entries, want 6 (four models, train and val)", id, n)
			}
			for _, o := range sizes {
				if err := legendClearRoom(fd.Plot, legendOf(t, fd), o, true); err != nil {
					t.Errorf("%s at %dx%d: %v", id, o.WidthPx, o.HeightPx, err)
				}
			}
		}
	})
	t.Run("overlay figures", func(t *testing.T) {
		for _, id := range CurveFigures {
			for _, timeAxis := range []bool{false, true} {
				fd, err := BuildFigure(id, FigureInput{Runs: twoRuns(), Time: timeAxis}, Zoom{})
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range sizes {
					if err := legendClearRoom(fd.Plot, legendOf(t, fd), o, true); err != nil {
						t.Errorf("%s (time %v) at %dx%d: %v", id, timeAxis, o.WidthPx, o.HeightPx, err)
					}
				}
			}
		}
	})
}

// legendClear lays p out as Render does at o and reports a line point
// inside the legend's box, or a legend outside the data area that
// overlaps it or leaves the figure.
func legendClear(p *plot.Plot, leg *legend, o RenderOptions) error {
	return legendClearRoom(p, leg, o, false)
}

// legendClearRoom is legendClear; with room it also checks that a legend
// outside the data area leaves it at least 45 % of the figure's width and
// 20 % of its height (the app's figures, whose legends are compact).
func legendClearRoom(p *plot.Plot, leg *legend, o RenderOptions, room bool) error {
	w, h, dpi, err := o.pixels()
	if err != nil {
		return err
	}
	wl := vg.Length(float64(w)/float64(dpi)) * vg.Inch
	hl := vg.Length(float64(h)/float64(dpi)) * vg.Inch
	q := *p
	c := draw.Canvas{Rectangle: vg.Rectangle{
		Min: vg.Point{X: figureMargin, Y: figureMargin},
		Max: vg.Point{X: wl - figureMargin, Y: hl - figureMargin}}}
	defer placeLegend(p, &q, c)()
	da := q.DataCanvas(c)
	pl := leg.current(&q)
	box := leg.box(da.Rectangle, pl)
	if testing.Verbose() {
		fmt.Printf("at %dx%d: legend %d (%d columns), data area %.0f×%.0f pt\n", w, h, pl.at, pl.cols, da.Size().X, da.Size().Y)
	}
	if box.Min.X < 0 || box.Max.X > wl || box.Min.Y < 0 || box.Max.Y > hl {
		return fmt.Errorf("legend box %v leaves the %v×%v pt figure", box, wl, hl)
	}
	switch pl.at {
	case outside, above:
		if box.Min.X < da.Max.X && box.Max.X > da.Min.X && box.Min.Y < da.Max.Y && box.Max.Y > da.Min.Y {
			return fmt.Errorf("legend box %v outside the data area overlaps it (%v)", box, da.Rectangle)
		}
		if room && (da.Size().X < wl*0.45 || da.Size().Y < hl*0.2) {
			return fmt.Errorf("the legend leaves a data area of %v×%v pt in a %v×%v pt figure", da.Size().X, da.Size().Y, wl, hl)
		}
		return nil
	}
	grow := lineWidth
	box.Min.X, box.Min.Y, box.Max.X, box.Max.Y = box.Min.X-grow, box.Min.Y-grow, box.Max.X+grow, box.Max.Y+grow
	trX, trY := q.Transforms(&da)
	for _, l := range leg.lines {
		for _, run := range l.runs {
			for i := range run {
				j := min(i+1, len(run)-1)
				a := vg.Point{X: trX(run[i].X), Y: trY(run[i].Y)}
				b := vg.Point{X: trX(run[j].X), Y: trY(run[j].Y)}
				for s := 0; s <= 200; s++ {
					f := vg.Length(s) / 200
					pt := vg.Point{X: a.X + (b.X-a.X)*f, Y: a.Y + (b.Y-a.Y)*f}
					if !da.Contains(pt) {
						continue // clipped away
					}
					if pt.X >= box.Min.X && pt.X <= box.Max.X && pt.Y >= box.Min.Y && pt.Y <= box.Max.Y {
						return fmt.Errorf("legend in corner %d covers the line at (%v, %v), drawn at %v", pl.at, run[i].X, run[i].Y, pt)
					}
				}
			}
		}
	}
	return nil
}

func TestRunColorsDifferFromModelColors(t *testing.T) {
	for i := range len(runPalette) {
		c := RunColor(i)
		for _, m := range []string{"cnn", "dcnn"} {
			mc := ModelColor(m)
			d := math.Abs(float64(c.R)-float64(mc.R)) + math.Abs(float64(c.G)-float64(mc.G)) + math.Abs(float64(c.B)-float64(mc.B))
			if d < 40 {
				t.Errorf("run %d's colour %v is close to %s's %v: an overlay would read as one run's models", i, c, m, mc)
			}
		}
		for j := range i {
			if RunColor(j) == c {
				t.Errorf("runs %d and %d share colour %v", j, i, c)
			}
		}
	}
	if RunColor(len(runPalette)) != RunColor(0) || RunColor(-1) != RunColor(len(runPalette)-1) {
		t.Error("RunColor does not cycle")
	}
}

// TestLegendPlacementPerRender renders one figure at two sizes at once,
// many times: each render places the legend for its own size, and gets
// the same picture as when it renders alone.
func TestLegendPlacementPerRender(t *testing.T) {
	fd, err := BuildFigure(FigAccuracy, FigureInput{Runs: twoRuns()}, Zoom{})
	if err != nil {
		t.Fatal(err)
	}
	small, big := RenderOptions{WidthPx: 300, HeightPx: 240}, RenderOptions{WidthPx: 800, HeightPx: 500}
	wantSmall, err := Render(fd.Plot, small)
	if err != nil {
		t.Fatal(err)
	}
	wantBig, err := Render(fd.Plot, big)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 20)
	for i := range 20 {
		go func() {
			o, want := small, wantSmall
			if i%2 == 1 {
				o, want = big, wantBig
			}
			img, err := Render(fd.Plot, o)
			if err == nil && !bytes.Equal(img.Pix, want.Pix) {
				err = fmt.Errorf("render %d at %dx%d differs from the render alone", i, o.WidthPx, o.HeightPx)
			}
			errs <- err
		}()
	}
	for range 20 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
