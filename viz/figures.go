package viz

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"

	"github.com/deformscope/deformscope/internal/atomicfile"
	"github.com/deformscope/deformscope/model/metrics"
)

// FigureID names a figure of a run; it is also the base name of its files.
type FigureID string

// The figures of a run, in the order of the app's export menu; each model
// also has a confusion matrix, ConfusionFigure(model).
const (
	FigLoss     FigureID = "loss"
	FigAccuracy FigureID = "accuracy"
	FigStepLoss FigureID = "step-loss"
	FigScale    FigureID = "scale-accuracy"
)

// confusionPrefix starts the id of a confusion figure; the model's name
// follows.
const confusionPrefix = "confusion-"

// ConfusionFigure names the confusion matrix of model.
func ConfusionFigure(model string) FigureID { return FigureID(confusionPrefix + model) }

// CurveFigures are the figures drawn against epoch or scale.
var CurveFigures = []FigureID{FigLoss, FigAccuracy, FigStepLoss, FigScale}

// FiguresFor is the figure list of a run of models: the curves, then a
// confusion matrix per model. The app's window and export and `dcn plot`
// all use it.
func FiguresFor(models []string) []FigureID {
	ids := slices.Clone(CurveFigures)
	for _, m := range models {
		ids = append(ids, ConfusionFigure(m))
	}
	return ids
}

// FigureTitle is a figure's name for people (the export menu).
func FigureTitle(id FigureID) string {
	switch id {
	case FigLoss:
		return "Loss against epoch"
	case FigAccuracy:
		return "Accuracy against epoch"
	case FigStepLoss:
		return "Training loss per step"
	case FigScale:
		return "Scaled-MNIST accuracy against scale"
	}
	if m, ok := strings.CutPrefix(string(id), confusionPrefix); ok {
		return "Confusion matrix, " + strings.ToUpper(m)
	}
	return string(id)
}

// FigureInput is everything a run's figures are drawn from: plain values,
// shared read-only.
type FigureInput struct {
	Data    string          // "mnist" or "coco"; "" before a run
	Classes []string        // the class names, once the data is loaded
	Records []metrics.Epoch // every model's epochs
	Steps   []Series        // per-step training loss, one series per model (live runs only)
	Smooth  float64         // smoothing weight of the per-step curve
	LogY    bool            // log scale for the loss figures
	Epochs  int             // the run's length, for the x axes; 0 follows the data
	// Runs, when it holds two runs or more, overlays them in the curve
	// figures (loss, accuracy, per-step loss, accuracy against scale): one
	// colour per run (RunColor), one line style per model, the training
	// curves faint under the held-out ones, and a legend that names each
	// run once and each line style once. Records and Steps then serve the
	// confusion matrices only.
	Runs []RunCurves
	// Time puts the wall-clock time each model had trained and evaluated
	// for on the x axis of the epoch and step figures, instead of epochs.
	Time bool
}

// overlay reports whether the curve figures overlay several runs.
func (in FigureInput) overlay() bool { return len(in.Runs) >= 2 }

// heldOut returns the metric-key prefix of the held-out set the curves
// show: "val" when the run kept a validation split, else "test".
func (in FigureInput) heldOut() string {
	for _, r := range in.Records {
		if !math.IsNaN(float64(r.ValLoss)) {
			return "val"
		}
	}
	return "test"
}

// xAxis returns the x axis of the epoch and step figures, whose series
// are series: on a time axis (their x in seconds, which it rescales to the
// unit it names) from 0 following the data; else epochs, from 0 to the
// run's length (the longest overlaid run's) when known.
func (in FigureInput) xAxis(series []Series) (label string, lo, hi *float64) {
	zero := 0.0
	if in.Time {
		return scaleTime(series), &zero, nil
	}
	n := in.Epochs
	if in.overlay() {
		n = overlayLength(in.Runs)
	}
	if n <= 0 {
		return "epoch", &zero, nil
	}
	end := float64(n)
	return "epoch", &zero, &end
}

// ErrNoData marks a figure that has nothing to draw yet.
var ErrNoData = errors.New("no data yet")

// noData is ErrNoData with a word for the user on when the figure appears.
func noData(id FigureID, when string) error {
	return fmt.Errorf("%w: %s\n%s", ErrNoData, FigureTitle(id), when)
}

// hasPoints reports whether any series has a finite point to draw.
func hasPoints(series []Series) bool {
	for _, s := range series {
		for i := range s.Y {
			if !math.IsNaN(s.Y[i]) && !math.IsInf(s.Y[i], 0) {
				return true
			}
		}
	}
	return false
}

// Figure is a built figure and the numbers it plots.
type Figure struct {
	Plot      *plot.Plot
	Series    []Series // the plotted curves, for the CSV
	Confusion [][]int  // a confusion figure's matrix, for the CSV
	Labels    []string // and its class names
	legend    *legend  // a curve figure's legend (nil without one), for tests
}

// Zoom fixes a curve figure's axes when On: the x and y limits in data
// units. With Follow (a zoom that held the newest point of a live run,
// at x After, when it was set) the limits grow to hold the points that came
// since, those beyond After: x1 to the newest, and the y range to those
// between x0 and x1. They never shrink, and the points that were there when
// the zoom was set keep the zoom's y range.
type Zoom struct {
	On             bool
	X0, X1, Y0, Y1 float64
	Follow         bool
	After          float64
}

// grow widens the zoom z to hold series' new points, as Follow says.
func (z Zoom) grow(series []Series, logY bool) Zoom {
	if !z.Follow {
		return z
	}
	fresh := func(x, y float64) bool { return finite(x) && finite(y) && (!logY || y > 0) && x > z.After }
	for _, s := range series {
		for i, x := range s.X {
			if fresh(x, s.Y[i]) {
				z.X1 = max(z.X1, x)
			}
		}
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for i, x := range s.X {
			if y := s.Y[i]; fresh(x, y) && x >= z.X0 && x <= z.X1 {
				lo, hi = min(lo, y), max(hi, y)
			}
		}
	}
	if hi < lo || logY && !(z.Y0 > 0 && z.Y1 > 0) {
		return z
	}
	if logY {
		r := math.Pow(max(z.Y1, hi)/min(z.Y0, lo), rangePad)
		if lo < z.Y0 {
			z.Y0 = lo / r
		}
		if hi > z.Y1 {
			z.Y1 = hi * r
		}
		return z
	}
	pad := (max(z.Y1, hi) - min(z.Y0, lo)) * rangePad
	if lo < z.Y0 {
		z.Y0 = lo - pad
	}
	if hi > z.Y1 {
		z.Y1 = hi + pad
	}
	return z
}

// BuildFigure draws figure id from in, with a curve figure's axes fixed by
// z when z is on (on a log axis, y limits that are not positive are
// dropped). A figure with nothing to show yet returns ErrNoData.
func BuildFigure(id FigureID, in FigureInput, z Zoom) (Figure, error) {
	// limits returns the spec's limits: the zoom's (grown to hold series
	// when it follows), or the defaults.
	limits := func(lo, hi *float64, logY bool, series []Series) (x0, x1, y0, y1 *float64) {
		if !z.On {
			return lo, hi, nil, nil
		}
		g := z.grow(series, logY)
		zx0, zx1, zy0, zy1 := g.X0, g.X1, g.Y0, g.Y1
		if logY && !(zy0 > 0 && zy1 > 0) {
			return &zx0, &zx1, nil, nil
		}
		return &zx0, &zx1, &zy0, &zy1
	}
	switch id {
	case FigLoss, FigAccuracy:
		metric, title, ylabel := "loss", "Loss", "cross-entropy loss"
		if id == FigAccuracy {
			metric, title, ylabel = "acc", "Accuracy", "accuracy (%)"
		}
		var series, key []Series
		if in.overlay() {
			models, style := overlayModels(in.Runs)
			var held []string
			var err error
			series, held, err = overlayEpochSeries(in.Runs, metric, style, in.Time)
			if err != nil {
				return Figure{}, err
			}
			key = overlayKey(in.Runs, models, style,
				Series{Name: strings.Join(held, "/"), Color: keyColor},
				Series{Name: "train", Color: keyColor, Faint: true})
			title = fmt.Sprintf("%s, %d runs", title, len(in.Runs))
		} else {
			for _, k := range []string{"train_" + metric, in.heldOut() + "_" + metric} {
				s, err := EpochSeries(in.Records, k)
				if err != nil {
					return Figure{}, err
				}
				series = append(series, s...)
			}
			if in.Time {
				series = toTime(series, in.Records)
			}
			// The legend names each model once, in its colour, and the two
			// line styles once: half the entries of one per line, so that
			// it fits a small figure without covering a line.
			for i := range series {
				series[i].Unlisted = true
			}
			for _, m := range modelsOf(in.Records) {
				key = append(key, Series{Name: displayName(m), Model: m})
			}
			key = append(key, Series{Name: "train", Color: keyColor}, Series{Name: in.heldOut(), Color: keyColor, Style: "dashed"})
		}
		if !hasPoints(series) {
			return Figure{}, noData(id, "appears after the first epoch")
		}
		logY := in.LogY && id == FigLoss
		xlabel, lo, hi := in.xAxis(series)
		x0, x1, y0, y1 := limits(lo, hi, logY, series)
		p, leg, err := curves(CurveSpec{Title: title, XLabel: xlabel, YLabel: ylabel, Series: append(slices.Clone(series), key...),
			LogY: logY, XMin: x0, XMax: x1, YMin: y0, YMax: y1, XWhole: !in.Time}, false)
		return Figure{Plot: p, Series: series, legend: leg}, err
	case FigStepLoss:
		series, key, title := in.Steps, []Series(nil), "Training loss per step"
		if in.overlay() {
			models, style := overlayModels(in.Runs)
			series = nil
			for i, r := range in.Runs {
				steps := r.Steps
				if in.Time {
					steps = toTime(steps, r.Records)
				}
				for _, s := range steps {
					s.Name = r.Label + " · " + displayName(s.Model) + " train loss"
					s.Color, s.Style, s.Unlisted = RunColor(i), style[s.Model], true
					series = append(series, s)
				}
			}
			key = overlayKey(in.Runs, models, style)
			title = fmt.Sprintf("%s, %d runs", title, len(in.Runs))
		} else if in.Time {
			series = toTime(series, in.Records)
		}
		if !hasPoints(series) {
			if in.overlay() {
				return Figure{}, noData(id, "none of the compared runs kept its per-step loss (steps.json), or none has its first epoch's time yet")
			}
			if in.Time && hasPoints(in.Steps) {
				return Figure{}, noData(id, "appears on the time axis once the first epoch has taken its time")
			}
			return Figure{}, noData(id, "appears with the first training steps")
		}
		xlabel, lo, hi := in.xAxis(series)
		x0, x1, y0, y1 := limits(lo, hi, in.LogY, series)
		p, leg, err := curves(CurveSpec{Title: title, XLabel: xlabel, YLabel: "loss",
			Series: append(slices.Clone(series), key...), Smooth: in.Smooth, LogY: in.LogY, XMin: x0, XMax: x1, YMin: y0, YMax: y1, XWhole: !in.Time}, false)
		return Figure{Plot: p, Series: series, legend: leg}, err
	case FigScale:
		title := "Scaled-MNIST: accuracy against scale"
		var series, key []Series
		if in.overlay() {
			models, style := overlayModels(in.Runs)
			for i, r := range in.Runs {
				for _, s := range ScaleSeries(r.Records) {
					s.Name = r.Label + " · " + s.Name
					s.Color, s.Style, s.Unlisted = RunColor(i), style[s.Model], true
					series = append(series, s)
				}
			}
			key = overlayKey(in.Runs, models, style)
			title = fmt.Sprintf("Scaled-MNIST accuracy against scale, %d runs", len(in.Runs))
		} else {
			if in.Data == "coco" {
				return Figure{}, noData(id, "MNIST runs only: a COCO run has no scaled test sets")
			}
			series = ScaleSeries(in.Records)
		}
		if !hasPoints(series) {
			return Figure{}, noData(id, "appears after the first epoch of a run with test scales (MNIST runs only)")
		}
		p, leg, err := scaleAccuracy(title, append(slices.Clone(series), key...))
		if err == nil && z.On {
			// ScaleAccuracy fixes its own x axis; a zoom overrides the axes.
			p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = z.X0, z.X1, z.Y0, z.Y1
		}
		return Figure{Plot: p, Series: series, legend: leg}, err
	}
	if model, ok := strings.CutPrefix(string(id), confusionPrefix); ok {
		var last *metrics.Epoch
		for i := range in.Records {
			if r := &in.Records[i]; r.Model == model && len(r.Confusion) > 0 && (last == nil || r.Epoch >= last.Epoch) {
				last = r
			}
		}
		if last == nil {
			return Figure{}, noData(id, "appears after the first epoch")
		}
		labels := in.Classes
		if len(labels) != len(last.Confusion) {
			labels = make([]string, len(last.Confusion))
			for i := range labels {
				labels[i] = strconv.Itoa(i)
			}
		}
		title := fmt.Sprintf("%s, test set, epoch %d", strings.ToUpper(model), last.Epoch)
		p, err := Confusion(title, last.Confusion, labels)
		return Figure{Plot: p, Confusion: last.Confusion, Labels: labels}, err
	}
	return Figure{}, fmt.Errorf("viz: unknown figure %q", id)
}

// ExportFigures writes each figure of ids into dir, in each format of exts
// ("png", "svg", "pdf"), with a CSV of its data beside it, and returns the
// files written. Figures with no data yet are skipped; if none has data,
// that is an error. Both the app's export and `dcn plot` write through it.
func ExportFigures(in FigureInput, ids []FigureID, dir string, exts []string, opt RenderOptions) ([]string, error) {
	return ExportFiguresContext(context.Background(), in, ids, dir, exts, opt)
}

// ExportFiguresContext is ExportFigures, stopped when ctx is done: it
// returns ctx's error and the files written whole before, and leaves no
// part of the file it was writing.
func ExportFiguresContext(ctx context.Context, in FigureInput, ids []FigureID, dir string, exts []string,
	opt RenderOptions) ([]string, error) {
	if dir == "" {
		return nil, errors.New("export: choose a folder")
	}
	if len(exts) == 0 {
		return nil, errors.New("export: choose at least one format (PNG, SVG or PDF)")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	var files []string
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return files, fmt.Errorf("export: %w", err)
		}
		fd, err := BuildFigure(id, in, Zoom{})
		if errors.Is(err, ErrNoData) {
			continue
		}
		if err != nil {
			return files, fmt.Errorf("export %s: %w", id, err)
		}
		base := filepath.Join(dir, string(id))
		for _, ext := range exts {
			if err := ExportContext(ctx, fd.Plot, base+"."+ext, opt); err != nil {
				return files, err
			}
			files = append(files, base+"."+ext)
		}
		if err := ctx.Err(); err != nil {
			return files, fmt.Errorf("export: %w", err)
		}
		if fd.Confusion != nil {
			err = WriteConfusionCSV(base+".csv", fd.Confusion, fd.Labels)
		} else {
			err = WriteCSV(base+".csv", fd.Series)
		}
		if err != nil {
			return files, err
		}
		files = append(files, base+".csv")
	}
	if len(files) == 0 {
		return nil, errors.New("export: no figure has data yet; train first")
	}
	return files, nil
}

// WriteConfusionCSV writes a confusion matrix as CSV, atomically: a header
// of the predicted classes, then one row per true class, each named by
// labels.
func WriteConfusionCSV(path string, m [][]int, labels []string) error {
	if len(labels) != len(m) {
		return fmt.Errorf("export %s: %d labels for %d classes", path, len(labels), len(m))
	}
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		head := []string{"true\\predicted"}
		head = append(head, labels...)
		if err := cw.Write(head); err != nil {
			return err
		}
		for i, row := range m {
			rec := []string{labels[i]}
			for _, v := range row {
				rec = append(rec, strconv.Itoa(v))
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
	if err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	return nil
}
