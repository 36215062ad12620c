package viz

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"github.com/deformscope/deformscope/model/metrics"
)

// RunCurves is one run's part of an overlay of several runs (FigureInput's
// Runs): its name in the legend and what its curves are drawn from.
type RunCurves struct {
	Label   string          // the run's name in the legend and the CSV
	Records []metrics.Epoch // every model's epochs
	Steps   []Series        // per-step training loss, one series per model, X in epochs
	Epochs  int             // the run's length; 0 when unknown
}

// runPalette is the colour of each overlaid run, in turn: Paul Tol's
// "vibrant" scheme (told apart with colour-blind vision too), with its
// blue from his "bright" one. The first two are far from the single-run
// figures' CNN blue and DCNN orange (ModelColor), and none is one of them,
// so an overlay never reads as one run's two models.
var runPalette = [...]color.NRGBA{
	{0x00, 0x99, 0x88, 0xff}, // teal
	{0xee, 0x33, 0x77, 0xff}, // magenta
	{0x44, 0x77, 0xaa, 0xff}, // blue
	{0xee, 0x77, 0x33, 0xff}, // orange
	{0x33, 0xbb, 0xee, 0xff}, // cyan
	{0xcc, 0x33, 0x11, 0xff}, // red
	{0x88, 0x88, 0x88, 0xff}, // grey
}

// RunColor is the colour of the i-th run (from 0) of an overlay; after
// seven runs the colours repeat.
func RunColor(i int) color.NRGBA {
	return runPalette[((i%len(runPalette))+len(runPalette))%len(runPalette)]
}

// modelStyles are the line styles of an overlay's models, in the order the
// models first appear over the runs.
var modelStyles = []string{"solid", "dashed", "dotted", "dashdot"}

// keyColor draws the legend's samples of line styles: no run's colour.
var keyColor = color.NRGBA{0x40, 0x40, 0x40, 0xff}

// overlayModels returns the models of every run, in order of first
// appearance, and each one's line style.
func overlayModels(runs []RunCurves) ([]string, map[string]string) {
	var models []string
	for _, r := range runs {
		for _, m := range modelsOf(r.Records) {
			if !slices.Contains(models, m) {
				models = append(models, m)
			}
		}
		for _, s := range r.Steps {
			if !slices.Contains(models, s.Model) {
				models = append(models, s.Model)
			}
		}
	}
	style := map[string]string{}
	for i, m := range models {
		style[m] = modelStyles[i%len(modelStyles)]
	}
	return models, style
}

// overlayKey is the legend of an overlay: one entry per run in its colour,
// then one per model in its line style (and extra entries, such as what a
// faint line means), as series without points.
func overlayKey(runs []RunCurves, models []string, style map[string]string, extra ...Series) []Series {
	var key []Series
	for i, r := range runs {
		key = append(key, Series{Name: r.Label, Color: RunColor(i)})
	}
	if len(models) > 1 {
		for _, m := range models {
			key = append(key, Series{Name: displayName(m), Color: keyColor, Style: style[m]})
		}
	}
	return append(key, extra...)
}

// overlayEpochSeries builds the series of metric ("loss" or "acc") of every
// run: the held-out curve in the run's colour and the training curve faint
// under it, one line style per model; with clock, against elapsed seconds
// (toTime). Names carry the run's label, for the
// CSV; the legend shows the key instead.
func overlayEpochSeries(runs []RunCurves, metric string, style map[string]string, clock bool) ([]Series, []string, error) {
	var out []Series
	var held []string
	for i, r := range runs {
		h := FigureInput{Records: r.Records}.heldOut()
		if !slices.Contains(held, h) {
			held = append(held, h)
		}
		for _, key := range []string{"train_" + metric, h + "_" + metric} {
			ss, err := EpochSeries(r.Records, key)
			if err != nil {
				return nil, nil, err
			}
			if clock {
				ss = toTime(ss, r.Records)
			}
			for _, s := range ss {
				s.Name = r.Label + " · " + s.Name
				s.Color, s.Style, s.Unlisted = RunColor(i), style[s.Model], true
				s.Faint = strings.HasPrefix(key, "train_")
				out = append(out, s)
			}
		}
	}
	// Faint lines first, so that no held-out line hides under one.
	slices.SortStableFunc(out, func(a, b Series) int {
		switch {
		case a.Faint && !b.Faint:
			return -1
		case b.Faint && !a.Faint:
			return 1
		}
		return 0
	})
	return out, held, nil
}

// overlayLength is the longest run's length in epochs (0 when unknown).
func overlayLength(runs []RunCurves) int {
	n := 0
	for _, r := range runs {
		n = max(n, r.Epochs)
	}
	return n
}

// timeUnit is the unit of an elapsed-time axis.
type timeUnit struct {
	label   string
	seconds float64
}

// unitFor picks seconds, minutes or hours so that the axis reads at most
// about 120 of them.
func unitFor(maxSeconds float64) timeUnit {
	switch {
	case maxSeconds < 120:
		return timeUnit{"s", 1}
	case maxSeconds < 120*60:
		return timeUnit{"min", 60}
	}
	return timeUnit{"h", 3600}
}

// epochClock maps a model's epochs to the wall-clock time it had trained
// and evaluated for: the end of epoch e is the sum of the epoch and
// evaluation seconds of epochs 1 to e (a resumed run's last record of an
// epoch counts).
type epochClock struct {
	end  map[int]float64 // seconds at the end of each recorded epoch
	took map[int]float64 // training seconds of each recorded epoch
	last int             // the last recorded epoch, 0 for none
}

func newEpochClock(recs []metrics.Epoch, model string) epochClock {
	c := epochClock{end: map[int]float64{}, took: map[int]float64{}}
	var t float64
	for _, r := range latestPerEpoch(recs, model) {
		t += max(0, r.EpochSeconds) + max(0, r.EvalSeconds)
		c.end[r.Epoch], c.took[r.Epoch] = t, max(0, r.EpochSeconds)
		c.last = r.Epoch
	}
	return c
}

// atEpoch returns the time at fractional epoch x (2.5 is half-way through
// the third epoch): the end of the epochs before it plus the share of its
// training time. An epoch not recorded yet (the one under way) takes as
// long as the last recorded one; with no epoch recorded the time is
// unknown (NaN).
func (c epochClock) atEpoch(x float64) float64 {
	if c.last == 0 || !(x >= 0) {
		return math.NaN()
	}
	e := int(math.Ceil(x)) // the epoch x falls in (x = 3 is the end of epoch 3)
	e = max(e, 1)
	before := func(k int) float64 { // the end of epoch k
		if k <= 0 {
			return 0
		}
		if t, ok := c.end[k]; ok {
			return t
		}
		if k > c.last {
			return c.end[c.last] + float64(k-c.last)*c.took[c.last]
		}
		return math.NaN() // a gap in the records
	}
	took, ok := c.took[e]
	if !ok {
		took = c.took[c.last]
	}
	if x == float64(e) {
		if t, ok := c.end[e]; ok {
			return t // an epoch's record: its evaluation included
		}
	}
	return before(e-1) + (x-float64(e-1))*took
}

// toTime maps each series' x (epochs) to elapsed seconds with the clock of
// its model in recs, or of s.Model's records; points with no known time
// become NaN and are left out of the line.
func toTime(series []Series, recs []metrics.Epoch) []Series {
	clocks := map[string]epochClock{}
	out := make([]Series, len(series))
	for i, s := range series {
		c, ok := clocks[s.Model]
		if !ok {
			c = newEpochClock(recs, s.Model)
			clocks[s.Model] = c
		}
		s.X = slices.Clone(s.X)
		s.Y = slices.Clone(s.Y)
		for j, x := range s.X {
			s.X[j] = c.atEpoch(x)
			if math.IsNaN(s.X[j]) {
				s.Y[j] = math.NaN()
			}
		}
		out[i] = s
	}
	return out
}

// scaleTime divides every x by the unit chosen for the largest finite x,
// and returns the axis label.
func scaleTime(series []Series) string {
	var hi float64
	for _, s := range series {
		for _, x := range s.X {
			if finite(x) {
				hi = max(hi, x)
			}
		}
	}
	u := unitFor(hi)
	for i := range series {
		for j := range series[i].X {
			series[i].X[j] /= u.seconds
		}
	}
	return fmt.Sprintf("elapsed time (%s)", u.label)
}
