package app

import (
	"strings"

	"github.com/deformscope/deformscope/viz"
)

// The figures and their drawing live in viz, shared with dcn plot; these
// names keep the window's code short.
type (
	figureID   = viz.FigureID
	plotInput  = viz.FigureInput
	figureData = viz.Figure
)

// The figures, in the order of the export menu; each model of a run has a
// confusion matrix, confusionFigure(model).
const (
	figLoss          = viz.FigLoss
	figAccuracy      = viz.FigAccuracy
	figStepLoss      = viz.FigStepLoss
	figScale         = viz.FigScale
	figConfusionCNN  = figureID("confusion-cnn")
	figConfusionDCNN = figureID("confusion-dcnn")
)

var (
	curveFigures    = viz.CurveFigures
	confusionFigure = viz.ConfusionFigure
	figuresFor      = viz.FiguresFor
	figureTitle     = viz.FigureTitle
	errNoData       = viz.ErrNoData
)

// allFigures are the figures of an MNIST run.
var allFigures = figuresFor(mnistModels)

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

// buildFigure draws figure id from in. A figure with nothing to show yet
// returns errNoData (curves still draw their empty axes).
func buildFigure(id figureID, in plotInput) (figureData, error) {
	return viz.BuildFigure(id, in, viz.Zoom{})
}

// buildZoomedFigure is buildFigure with a curve figure's axes fixed by z
// when z is on.
func buildZoomedFigure(id figureID, in plotInput, z zoomLimits) (figureData, error) {
	return viz.BuildFigure(id, in, viz.Zoom{On: z.on, X0: z.x0, X1: z.x1, Y0: z.y0, Y1: z.y1, Follow: z.follow, After: z.after})
}

// exportOptions says what an export writes.
type exportOptions struct {
	Dir           string
	PNG, SVG, PDF bool
	Render        viz.RenderOptions // size in pixels or inches, DPI, background
}

// exportFigures writes each figure of ids to o.Dir in every chosen format,
// with a CSV of its data beside it (viz.ExportFigures, as dcn plot), and
// returns the files written.
func exportFigures(in plotInput, ids []figureID, o exportOptions) ([]string, error) {
	var exts []string
	for _, f := range []struct {
		on  bool
		ext string
	}{{o.PNG, "png"}, {o.SVG, "svg"}, {o.PDF, "pdf"}} {
		if f.on {
			exts = append(exts, f.ext)
		}
	}
	return viz.ExportFigures(in, ids, o.Dir, exts, o.Render)
}
