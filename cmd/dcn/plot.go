package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/viz"
)

// cmdPlot writes the figures the app shows for a run folder: loss and
// accuracy against epoch, accuracy against scale, and a confusion matrix
// per model, each in the asked formats with a CSV of its data. With
// --compare it writes the app's overlay of several runs instead (the
// curve figures, one colour per run), and --x time puts elapsed time on
// the x axis, as the app's Curves tab does.
func cmdPlot(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dcn plot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("run", "", "run folder (required)")
	out := fs.String("out", "", "folder for the figures (default RUN/figures)")
	formats := fs.String("formats", "png,svg,pdf", "comma-separated: png, svg, pdf")
	width := fs.Int("width", 800, "PNG width in pixels")
	height := fs.Int("height", 500, "PNG height in pixels")
	dpi := fs.Float64("dpi", 96, "PNG resolution; SVG and PDF take their size in inches from pixels/dpi")
	transparent := fs.Bool("transparent", false, "transparent PNG background")
	compare := fs.String("compare", "", "comma-separated run folders to overlay with --run in the curve figures (needs --out)")
	xAxis := fs.String("x", "epoch", "x axis of the epoch and step figures: epoch or time (elapsed)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("--run is required")
	}
	if *xAxis != "epoch" && *xAxis != "time" {
		return fmt.Errorf("--x: want epoch or time, got %q", *xAxis)
	}
	if *compare != "" && *out == "" {
		return fmt.Errorf("--compare needs --out (the figures of several runs belong to none of them)")
	}
	run, err := rundir.Open(*dir)
	if err != nil {
		return err
	}
	recs := run.Records()
	if len(recs) == 0 {
		return fmt.Errorf("%s has no complete epoch yet", *dir)
	}
	opt := viz.RenderOptions{WidthPx: *width, HeightPx: *height, DPI: *dpi, Transparent: *transparent}
	if err := opt.Check(); err != nil {
		return err
	}
	if *out == "" {
		*out = filepath.Join(*dir, "figures")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	var exts []string
	for _, f := range strings.Split(*formats, ",") {
		switch f = strings.TrimSpace(f); f {
		case "png", "svg", "pdf":
			exts = append(exts, f)
		default:
			return fmt.Errorf("--formats: unknown format %q (want png, svg or pdf)", f)
		}
	}
	// The app's figure list, drawn and written by the same code as the
	// app's export; the per-step curve is the app's alone (steps are not
	// kept in the run folder).
	in := viz.FigureInput{Data: run.Config.Data, Classes: run.Classes(), Records: recs, Epochs: run.Config.Train.Epochs,
		Time: *xAxis == "time"}
	ids := viz.FiguresFor(run.Config.Models)
	if *compare != "" {
		dirs := []string{*dir}
		for _, d := range strings.Split(*compare, ",") {
			if d = strings.TrimSpace(d); d != "" {
				dirs = append(dirs, d)
			}
		}
		if in.Runs, err = compareRuns(dirs); err != nil {
			return err
		}
		if len(in.Runs) < 2 {
			return fmt.Errorf("--compare: name at least one other run folder")
		}
		ids = viz.CurveFigures
	}
	files, err := viz.ExportFigures(in, ids, *out, exts, opt)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d files to %s\n", len(files), *out)
	return nil
}

// compareRuns reads the curves of each run folder for an overlay, named
// as the app's Runs tab names them (the name given, else the folder's).
func compareRuns(dirs []string) ([]viz.RunCurves, error) {
	var runs []viz.RunCurves
	for _, d := range dirs {
		run, err := rundir.Open(d)
		if err != nil {
			return nil, err
		}
		steps, err := rundir.ReadStepCurves(d)
		if err != nil {
			return nil, err
		}
		label, err := rundir.ReadName(d)
		if err != nil {
			return nil, err
		}
		if label == "" {
			label = filepath.Base(filepath.Clean(d))
		}
		rc := viz.RunCurves{Label: label, Records: run.Records(), Epochs: run.Config.Train.Epochs}
		for _, sc := range steps {
			rc.Steps = append(rc.Steps, viz.Series{Name: strings.ToUpper(sc.Model), Model: sc.Model, X: sc.X, Y: sc.Y})
		}
		runs = append(runs, rc)
	}
	return runs, nil
}
