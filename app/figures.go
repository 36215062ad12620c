package app

import (
	"context"
	"strings"

	"github.com/deformscope/deformscope/viz"
)

// The figures and their drawing live in viz, shared with dcn plot; the
// window calls viz directly and keeps here only what adapts its own state.

// allFigures are the figures of an MNIST run.
var allFigures = viz.FiguresFor(mnistModels)

// inputFrom gathers the plotted data of a snapshot.
func inputFrom(s Snapshot, smooth float64, logY bool) viz.FigureInput {
	in := viz.FigureInput{Data: s.Data, Classes: s.Classes, Smooth: smooth, LogY: logY}
	for _, m := range s.Models {
		in.Epochs = max(in.Epochs, m.Step.Epochs)
		in.Records = append(in.Records, m.Epochs...)
		if len(m.StepX) > 0 {
			in.Steps = append(in.Steps, viz.Series{Name: strings.ToUpper(m.Name), Model: m.Name, X: m.StepX, Y: m.StepY})
		}
	}
	return in
}

// buildZoomedFigure is viz.BuildFigure with a curve figure's axes fixed by
// z when z is on.
func buildZoomedFigure(id viz.FigureID, in viz.FigureInput, z zoomLimits) (viz.Figure, error) {
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
// returns the files written. It stops when ctx is done.
func exportFigures(ctx context.Context, in viz.FigureInput, ids []viz.FigureID, o exportOptions) ([]string, error) {
	var exts []string
	for _, f := range []struct {
		on  bool
		ext string
	}{{o.PNG, "png"}, {o.SVG, "svg"}, {o.PDF, "pdf"}} {
		if f.on {
			exts = append(exts, f.ext)
		}
	}
	return viz.ExportFiguresContext(ctx, in, ids, o.Dir, exts, o.Render)
}
