package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/coco"
	"github.com/deformscope/deformscope/model/data"
	"github.com/deformscope/deformscope/model/dilation"
	"github.com/deformscope/deformscope/model/inspect"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/viz"
	"github.com/deformscope/deformscope/viz/replay"
)

// parseBox reads X,Y,W,H in the photo's pixels.
func parseBox(s string) (coco.Box, error) {
	parts := strings.Split(s, ",")
	var v [4]float64
	if len(parts) != 4 {
		return coco.Box{}, fmt.Errorf("--box %q: want X,Y,W,H (four numbers, the photo's pixels)", s)
	}
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return coco.Box{}, fmt.Errorf("--box %q: want X,Y,W,H (four numbers, the photo's pixels)", s)
		}
		v[i] = f
	}
	return coco.Box{X: v[0], Y: v[1], W: v[2], H: v[3]}, nil
}

// contextFlags are dcn offsets' flags for a box in a photo.
type contextFlags struct {
	box, unit, weight, zoom string
	round, compare          bool
	width                   int
}

// firstDeformable returns the first model of a run that has deformable
// layers (COCO runs name them by placement).
func firstDeformable(models []string) string {
	for _, m := range models {
		if m != "cnn" {
			return m
		}
	}
	return "cnn"
}

func cmdDilation(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dcn dilation", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runDir := fs.String("run", "", "run folder (required)")
	models := fs.String("model", "", "model(s) to report, comma-separated (default: all of the run's)")
	epoch := fs.Int("epoch", 0, "epoch whose checkpoints to use (default: each model's last)")
	limit := fs.Int("limit", inspect.DefaultDilationLimit, "test images per Scaled-MNIST scale, or COCO test crops")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	table := fs.Bool("table", false, "print the paper's table 2: a row per layer, small / medium / large objects / background (MNIST: digit / background), mean ± std")
	out := fs.String("out", "", "also write the chart of dilation against scale or object size (PNG, SVG or PDF)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *runDir == "" {
		return fmt.Errorf("--run is required")
	}
	if *limit < 1 {
		return fmt.Errorf("--limit %d: want at least 1", *limit)
	}
	run, err := rundir.Open(*runDir)
	if err != nil {
		return err
	}
	var ms []string
	if *models != "" {
		ms = strings.Split(*models, ",")
	}
	rep, err := inspect.MeasureDilation(ctx, run, inspect.DilationOptions{Models: ms, Epoch: *epoch, Limit: *limit})
	if err != nil {
		return err
	}
	if *out != "" {
		p, err := viz.DilationChart(filepath.Base(filepath.Clean(*runDir)), rep)
		if err != nil {
			return err
		}
		if err := viz.Export(p, *out, viz.RenderOptions{WidthPx: 900, HeightPx: 560}); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s\n", *out)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	if *table {
		fmt.Fprintf(stdout, "effective dilation, %d images%s\n", rep.Images, map[bool]string{true: " per scale", false: ""}[rep.Data == "mnist"])
		_, err := io.WriteString(stdout, dilation.TableOf(rep).Text())
		return err
	}
	fmt.Fprintf(stdout, "effective dilation (mean distance between adjacent taps' sampling locations, px of the layer's input), %d images%s\n",
		rep.Images, map[bool]string{true: " per scale", false: ""}[rep.Data == "mnist"])
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "model\tlayer\tepoch\tgroup\tmean\tstd\tunits\t")
	for _, l := range rep.Layers {
		for _, g := range l.Groups {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%.3f\t%.3f\t%d\t\n", l.Model, l.Layer, l.Epoch, g.Group, g.Mean, g.Std, g.Units)
		}
	}
	return tw.Flush()
}

// replayFrames renders one frame per epoch of a model on one input.
func cmdReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dcn replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f inspectFlags
	f.register(fs)
	what := fs.String("what", "offsets", `what each frame shows: "offsets" (a unit's sampling locations) or "heatmap" (|Δp| over the image)`)
	unit := fs.String("unit", "", "activation unit Y,X (default: the centre)")
	sweep := fs.Bool("sweep", false, "MNIST: one frame per scale 0.5 → 1.5 of the digit, at --epoch, instead of one per epoch")
	delay := fs.Int("delay", 70, "hundredths of a second per frame")
	compare := fs.Bool("compare", true, "with --what offsets: draw the plain CNN's regular grid beside the points when the run has a cnn")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if f.run == "" || f.out == "" {
		return fmt.Errorf("--run and --out are required")
	}
	if *what != "offsets" && *what != "heatmap" {
		return fmt.Errorf("--what %q: want offsets or heatmap", *what)
	}
	// The inputs, model and photo as dcn offsets opens them (the last
	// epoch's net places the unit; each frame runs its own epoch's).
	ins, err := f.loadRun(ctx)
	if err != nil {
		return err
	}
	run, in, label := ins.run, ins.in, ins.label
	last, _ := run.LatestCheckpoint(ins.model)
	if last == 0 {
		return fmt.Errorf("%s has no complete epoch of %s", f.run, ins.model)
	}
	o := replay.Options{Show: viz.ShowPoints, WeightBy: "size", Label: label}
	ro := inspect.ReplayOptions{Model: ins.model, Layer: ins.layer, Points: true, UnitY: -1, UnitX: -1,
		Grid: *compare, TrainingLimits: ins.photo != nil && ins.photo.scaled != nil}
	if *what == "heatmap" {
		o.Show, ro.Points = viz.ShowOffset, false
	}
	if p := ins.photo; p != nil && *unit == "" {
		if ro.UnitY, ro.UnitX, err = p.unit(ins.net, ins.size(), ins.layer); err != nil {
			return err
		}
	}
	if p := ins.photo; p != nil && o.Show == viz.ShowPoints {
		o.InContext = &replay.InContext{Context: p.ctx, ToPhoto: p.toPhoto, Framing: f.zoom, Aspect: panelAspect}
	}
	if *unit != "" {
		if ro.UnitY, ro.UnitX, err = parseUnit(*unit); err != nil {
			return err
		}
	}
	if *sweep {
		if run.Config.Data != "mnist" {
			return fmt.Errorf("--sweep scales MNIST digits; %s is a %s run", f.run, run.Config.Data)
		}
		e := f.epoch
		if e == 0 {
			e = last
		}
		for k := 5; k <= 15; k++ {
			sc := float64(k) / 10
			sin, err := inspect.ScaleDigit(run.Config, in, sc)
			if err != nil {
				return err
			}
			ro.Steps = append(ro.Steps, inspect.ReplayStep{Epoch: e, Scale: sc, In: sin})
		}
	} else {
		ro.Steps = inspect.EpochSteps(in, last)
	}
	rf, err := inspect.Replay(ctx, run, ro, nil)
	if err != nil {
		return err
	}
	frames := make([]replay.Frame, len(rf))
	for i, fr := range rf {
		frames[i] = replay.Frame(fr)
	}
	scenes, err := replay.Scenes(frames, o)
	if err != nil {
		return err
	}
	if err := replay.Save(f.out, scenes, f.scale, *delay); err != nil {
		return err
	}
	imgs := scenes
	fmt.Fprintf(stdout, "wrote %s: %d frames of %s%s on %s\n", f.out, len(imgs), ins.model, ins.chosen, label)
	return nil
}

// cmdFigure draws the paper's three-panel figure (arXiv 1703.06211, fig. 5)
// for a Scaled-MNIST run: a unit on a small digit (scale 0.6), on a large
// one (scale 1.4) and on the background, the DCNN's sampling locations
// above the plain CNN's regular grid.
func cmdFigure(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dcn figure", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runDir := fs.String("run", "", "run folder with a cnn and a deformable model (required): MNIST scales a test digit; COCO takes the smallest and the largest object of the run's photos and the background around the small one")
	index := fs.Int("index", 0, "test digit to scale")
	layer := fs.String("layer", "", "deformable layer (default: the last)")
	epoch := fs.Int("epoch", 0, "epoch (default: the last)")
	small := fs.Float64("small", 0.6, "scale of the small digit")
	large := fs.Float64("large", 1.4, "scale of the large digit")
	out := fs.String("out", "", "PNG file to write (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *runDir == "" || *out == "" {
		return fmt.Errorf("--run and --out are required")
	}
	for _, s := range []float64{*small, *large} {
		if !(s >= data.MinScale && s <= data.MaxScale) {
			return fmt.Errorf("scale %g: want %g to %g", s, data.MinScale, float64(data.MaxScale))
		}
	}
	run, err := rundir.Open(*runDir)
	if err != nil {
		return err
	}
	if run.Config.Data == "coco" {
		return cocoFigure(ctx, run, *layer, *epoch, *out, stdout)
	}
	if run.Config.Data != "mnist" || !slices.Contains(run.Config.Models, "dcnn") {
		return fmt.Errorf("the three-panel figure scales an MNIST digit; %s is not an MNIST run with a dcnn", *runDir)
	}
	net, ep, err := run.LoadModel("dcnn", *epoch)
	if err != nil {
		return err
	}
	name := *layer
	blocks := net.DeformBlocks()
	var grid []string
	for _, b := range blocks {
		grid = append(grid, b.Name())
	}
	if name == "" {
		name = grid[len(grid)-1]
	}
	in, label, err := inspect.TestImage(run.Config, *index)
	if err != nil {
		return err
	}
	type panel struct {
		title string
		in    *inspect.Input
		bg    bool
	}
	var panels []panel
	for _, p := range []struct {
		title string
		s     float64
		bg    bool
	}{{fmt.Sprintf("small object (scale %.1f)", *small), *small, false}, {fmt.Sprintf("large object (scale %.1f)", *large), *large, false}, {"background (scale 1.0)", 1, true}} {
		sin, err := inspect.ScaleDigit(run.Config, in, p.s)
		if err != nil {
			return err
		}
		panels = append(panels, panel{p.title, sin, p.bg})
	}
	var cnn *model.Net[float32]
	if slices.Contains(run.Config.Models, "cnn") {
		if cnn, _, err = run.LoadModel("cnn", min(ep, mustLatest(run, "cnn"))); err != nil {
			return err
		}
	}
	fig := viz.DigitFigure{Title: fmt.Sprintf("%s, epoch %d: test digit %d (label %d)", *runDir, ep, *index, label),
		Net: net.Layers, Model: "dcnn", Layer: name, Epoch: ep, Grid: grid}
	if cnn != nil {
		fig.CNN = cnn.Layers
	}
	for _, p := range panels {
		fields, _, err := inspect.Sampling(ctx, net, p.in)
		if err != nil {
			return err
		}
		sz := p.in.X.Shape()
		fig.Panels = append(fig.Panels, viz.DigitPanel{Kind: p.title, Picture: p.in.Picture.(*image.Gray), In: [2]int{sz[2], sz[3]},
			Fields: fields, Background: p.bg})
	}
	img, err := fig.Draw()
	if err != nil {
		return err
	}
	if err := viz.SavePNG(*out, img); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s of dcnn, epoch %d, test digit %d at scales %g and %g and the background\n", *out, name, ep, *index, *small, *large)
	return nil
}
