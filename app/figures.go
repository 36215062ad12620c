package app

import (
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

	"github.com/deformscope/deformscope/model/atomicfile"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/viz"
)

// figureID names a figure of the window; it is also the base name of its
// exported files.
type figureID string

// The figures, in the order of the export menu; each model of a run has a
// confusion matrix, confusionFigure(model).
const (
	figLoss          figureID = "loss"
	figAccuracy      figureID = "accuracy"
	figStepLoss      figureID = "step-loss"
	figScale         figureID = "scale-accuracy"
	figConfusionCNN  figureID = "confusion-cnn"
	figConfusionDCNN figureID = "confusion-dcnn"
)

// confusionPrefix starts the id of a confusion figure; the model's name
// follows.
const confusionPrefix = "confusion-"

// confusionFigure names the confusion matrix of model.
func confusionFigure(model string) figureID { return figureID(confusionPrefix + model) }

// curveFigures are the figures of the Curves tab.
var curveFigures = []figureID{figLoss, figAccuracy, figStepLoss, figScale}

// allFigures are the figures of an MNIST run.
var allFigures = figuresFor(mnistModels)

// figuresFor lists the figures of a run of models: the curves, then a
// confusion matrix per model.
func figuresFor(models []string) []figureID {
	ids := slices.Clone(curveFigures)
	for _, m := range models {
		ids = append(ids, confusionFigure(m))
	}
	return ids
}

// figureTitle is a figure's name in the export menu.
func figureTitle(id figureID) string {
	switch id {
	case figLoss:
		return "Loss against epoch"
	case figAccuracy:
		return "Accuracy against epoch"
	case figStepLoss:
		return "Training loss per step"
	case figScale:
		return "Scaled-MNIST accuracy against scale"
	}
	if m, ok := strings.CutPrefix(string(id), confusionPrefix); ok {
		return "Confusion matrix, " + strings.ToUpper(m)
	}
	return string(id)
}

// plotInput is everything the figures are drawn from: plain values, shared
// read-only between the UI goroutine, the renderer and exports.
type plotInput struct {
	Data    string          // "mnist" or "coco"; "" before a run
	Classes []string        // the class names, once the data is loaded
	Records []metrics.Epoch // every model's epochs
	Steps   []viz.Series    // per-step training loss, one series per model
	Smooth  float64         // smoothing weight of the per-step curve
	LogY    bool            // log scale for the loss figures
	Epochs  int             // the run's length, for the x axes; 0 follows the data
}

// inputFrom gathers the plotted data of a snapshot.
func inputFrom(s Snapshot, smooth float64, logY bool) plotInput {
	in := plotInput{Data: s.Data, Classes: s.Classes, Smooth: smooth, LogY: logY}
	for _, m := range s.Models {
		in.Epochs = max(in.Epochs, m.Step.Epochs)
		in.Records = append(in.Records, m.Epochs...)
		if len(m.StepX) > 0 {
			in.Steps = append(in.Steps, viz.Series{Name: strings.ToUpper(m.Name), Model: m.Name, X: m.StepX, Y: m.StepY})
		}
	}
	return in
}

// heldOut returns the metric-key prefix of the held-out set the curves
// show: "val" when the run kept a validation split, else "test".
func (in plotInput) heldOut() string {
	for _, r := range in.Records {
		if !math.IsNaN(float64(r.ValLoss)) {
			return "val"
		}
	}
	return "test"
}

// xRange returns the epoch axis: from 0 to the run's length when known.
func (in plotInput) xRange() (lo, hi *float64) {
	zero := 0.0
	if in.Epochs <= 0 {
		return &zero, nil
	}
	end := float64(in.Epochs)
	return &zero, &end
}

// errNoData marks a figure that has nothing to draw yet.
var errNoData = errors.New("no data yet")

// noData is errNoData with a word for the user on when the figure appears.
func noData(id figureID, when string) error {
	return fmt.Errorf("%w: %s\n%s", errNoData, figureTitle(id), when)
}

// hasPoints reports whether any series has a finite point to draw.
func hasPoints(series []viz.Series) bool {
	for _, s := range series {
		for i := range s.Y {
			if !math.IsNaN(s.Y[i]) && !math.IsInf(s.Y[i], 0) {
				return true
			}
		}
	}
	return false
}

// figureData is a built figure and the numbers it plots.
type figureData struct {
	plot      *plot.Plot
	series    []viz.Series // the plotted curves, for the CSV
	confusion [][]int      // a confusion figure's matrix, for the CSV
	labels    []string     // and its class names
}

// buildFigure draws figure id from in. A figure with nothing to show yet
// returns errNoData (curves still draw their empty axes).
func buildFigure(id figureID, in plotInput) (figureData, error) {
	return buildZoomedFigure(id, in, zoomLimits{})
}

// buildZoomedFigure is buildFigure with a curve figure's axes fixed by z
// when z is on. On a log axis, y limits that are not positive are dropped.
func buildZoomedFigure(id figureID, in plotInput, z zoomLimits) (figureData, error) {
	// limits returns the spec's limits: the zoom's, or the defaults.
	limits := func(lo, hi *float64, logY bool) (x0, x1, y0, y1 *float64) {
		if !z.on {
			return lo, hi, nil, nil
		}
		zx0, zx1, zy0, zy1 := z.x0, z.x1, z.y0, z.y1
		if logY && !(zy0 > 0 && zy1 > 0) {
			return &zx0, &zx1, nil, nil
		}
		return &zx0, &zx1, &zy0, &zy1
	}
	switch id {
	case figLoss, figAccuracy:
		metric, title, ylabel := "loss", "Loss", "cross-entropy loss"
		if id == figAccuracy {
			metric, title, ylabel = "acc", "Accuracy", "accuracy (%)"
		}
		var series []viz.Series
		for _, key := range []string{"train_" + metric, in.heldOut() + "_" + metric} {
			s, err := viz.EpochSeries(in.Records, key)
			if err != nil {
				return figureData{}, err
			}
			series = append(series, s...)
		}
		if !hasPoints(series) {
			return figureData{}, noData(id, "appears after the first epoch")
		}
		logY := in.LogY && id == figLoss
		lo, hi := in.xRange()
		x0, x1, y0, y1 := limits(lo, hi, logY)
		p, err := viz.Curves(viz.CurveSpec{Title: title, XLabel: "epoch", YLabel: ylabel, Series: series,
			LogY: logY, XMin: x0, XMax: x1, YMin: y0, YMax: y1})
		return figureData{plot: p, series: series}, err
	case figStepLoss:
		if !hasPoints(in.Steps) {
			return figureData{}, noData(id, "appears with the first training steps")
		}
		lo, hi := in.xRange()
		x0, x1, y0, y1 := limits(lo, hi, in.LogY)
		p, err := viz.Curves(viz.CurveSpec{Title: "Training loss per step", XLabel: "epoch", YLabel: "loss",
			Series: in.Steps, Smooth: in.Smooth, LogY: in.LogY, XMin: x0, XMax: x1, YMin: y0, YMax: y1})
		return figureData{plot: p, series: in.Steps}, err
	case figScale:
		if in.Data == "coco" {
			return figureData{}, noData(id, "MNIST runs only: a COCO run has no scaled test sets")
		}
		series := viz.ScaleSeries(in.Records)
		if !hasPoints(series) {
			return figureData{}, noData(id, "appears after the first epoch of a run with test scales")
		}
		p, err := viz.ScaleAccuracy("Scaled-MNIST: accuracy against scale", series)
		if err == nil && z.on {
			// ScaleAccuracy fixes its own x axis; a zoom overrides the axes.
			p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = z.x0, z.x1, z.y0, z.y1
		}
		return figureData{plot: p, series: series}, err
	}
	if model, ok := strings.CutPrefix(string(id), confusionPrefix); ok {
		var last *metrics.Epoch
		for i := range in.Records {
			if r := &in.Records[i]; r.Model == model && len(r.Confusion) > 0 && (last == nil || r.Epoch >= last.Epoch) {
				last = r
			}
		}
		if last == nil {
			return figureData{}, noData(id, "appears after the first epoch")
		}
		labels := in.Classes
		if len(labels) != len(last.Confusion) {
			labels = make([]string, len(last.Confusion))
			for i := range labels {
				labels[i] = strconv.Itoa(i)
			}
		}
		title := fmt.Sprintf("%s, test set, epoch %d", strings.ToUpper(model), last.Epoch)
		p, err := viz.Confusion(title, last.Confusion, labels)
		return figureData{plot: p, confusion: last.Confusion, labels: labels}, err
	}
	return figureData{}, fmt.Errorf("unknown figure %q", id)
}

// exportOptions says what an export writes.
type exportOptions struct {
	Dir           string
	PNG, SVG, PDF bool
	Render        viz.RenderOptions // size in pixels or inches, DPI, background
}

// exportFigures writes each figure of ids to o.Dir in every chosen format,
// with a CSV of its data beside it, and returns the files written. Figures
// with no data yet are skipped; if none has data, that is an error.
func exportFigures(in plotInput, ids []figureID, o exportOptions) ([]string, error) {
	if o.Dir == "" {
		return nil, errors.New("export: choose a folder")
	}
	if !o.PNG && !o.SVG && !o.PDF {
		return nil, errors.New("export: choose at least one format (PNG, SVG or PDF)")
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	var files []string
	for _, id := range ids {
		fd, err := buildFigure(id, in)
		if errors.Is(err, errNoData) {
			continue
		}
		if err != nil {
			return files, fmt.Errorf("export %s: %w", id, err)
		}
		base := filepath.Join(o.Dir, string(id))
		for _, f := range []struct {
			on  bool
			ext string
		}{{o.PNG, ".png"}, {o.SVG, ".svg"}, {o.PDF, ".pdf"}} {
			if !f.on {
				continue
			}
			if err := viz.Export(fd.plot, base+f.ext, o.Render); err != nil {
				return files, err
			}
			files = append(files, base+f.ext)
		}
		if fd.confusion != nil {
			err = writeConfusionCSV(base+".csv", fd.confusion, fd.labels)
		} else {
			err = viz.WriteCSV(base+".csv", fd.series)
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

// writeConfusionCSV writes a confusion matrix as CSV: a header of the
// predicted classes, then one row per true class, each named by labels.
func writeConfusionCSV(path string, m [][]int, labels []string) error {
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
