package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"

	"github.com/deformscope/deformscope/model/metrics"
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
	if err := fs.Parse(args); err != nil {
		return errUsage
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
	opt := viz.RenderOptions{WidthPx: *width, HeightPx: *height, DPI: *dpi, Transparent: *transparent}
	n := 0
	write := func(name string, p *plot.Plot, series []viz.Series) error {
		for _, ext := range exts {
			if err := viz.Export(p, filepath.Join(*out, name+"."+ext), opt); err != nil {
				return err
			}
			n++
		}
		if series != nil {
			if err := viz.WriteCSV(filepath.Join(*out, name+".csv"), series); err != nil {
				return err
			}
			n++
		}
		return nil
	}
	for _, fig := range []struct {
		name, title, ylabel string
		metrics             []string
	}{
		{"loss", "Loss", "cross-entropy loss", []string{"train_loss", "val_loss", "test_loss"}},
		{"accuracy", "Accuracy", "accuracy (%)", []string{"train_acc", "val_acc", "test_acc"}},
		{"scaled-accuracy-by-epoch", "Scaled-MNIST accuracy", "accuracy (%)", []string{"scaled_test_acc"}},
	} {
		var series []viz.Series
		for _, m := range fig.metrics {
			s, err := viz.EpochSeries(recs, m)
			if err != nil {
				return err
			}
			series = append(series, nonEmpty(s)...)
		}
		if len(series) == 0 {
			continue
		}
		p, err := viz.Curves(viz.CurveSpec{Title: fig.title, XLabel: "epoch", YLabel: fig.ylabel, Series: series})
		if err != nil {
			return err
		}
		if err := write(fig.name, p, series); err != nil {
			return err
		}
	}
	if s := viz.ScaleSeries(recs); len(nonEmpty(s)) > 0 {
		p, err := viz.ScaleAccuracy("Scaled-MNIST: accuracy against scale", s)
		if err != nil {
			return err
		}
		if err := write("accuracy-by-scale", p, s); err != nil {
			return err
		}
	}
	for _, m := range run.Config.Models {
		var last *metrics.Epoch
		for i := range recs {
			if recs[i].Model == m && len(recs[i].Confusion) > 0 && (last == nil || recs[i].Epoch > last.Epoch) {
				last = &recs[i]
			}
		}
		if last == nil {
			continue
		}
		labels := make([]string, len(last.Confusion))
		for i := range labels {
			labels[i] = fmt.Sprint(i)
		}
		p, err := viz.Confusion(fmt.Sprintf("%s confusion, test set, epoch %d", m, last.Epoch), last.Confusion, labels)
		if err != nil {
			return err
		}
		if err := write("confusion-"+m, p, nil); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "wrote %d files to %s\n", n, *out)
	return nil
}

// nonEmpty drops series without a finite value (a metric the run lacks).
func nonEmpty(s []viz.Series) []viz.Series {
	var out []viz.Series
	for _, x := range s {
		for _, y := range x.Y {
			if y == y {
				out = append(out, x)
				break
			}
		}
	}
	return out
}
