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
// per model, each in the asked formats with a CSV of its data.
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
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("--run is required")
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
	in := viz.FigureInput{Data: run.Config.Data, Classes: run.Classes(), Records: recs, Epochs: run.Config.Train.Epochs}
	files, err := viz.ExportFigures(in, viz.FiguresFor(run.Config.Models), *out, exts, opt)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d files to %s\n", len(files), *out)
	return nil
}
