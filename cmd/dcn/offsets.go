package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/inspect"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/torchfile"
	"github.com/deformscope/deformscope/model/trace"
	"github.com/deformscope/deformscope/viz"
)

// inspectFlags are the flags shared by dcn offsets and dcn heatmap.
type inspectFlags struct {
	run, image, model, layer, out string
	index, epoch, scale           int
	whole                         bool
	object                        float64
}

func (f *inspectFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.run, "run", "", "run folder (required)")
	fs.StringVar(&f.image, "image", "", "a JPEG or PNG file to inspect (MNIST runs: light digit on dark)")
	fs.IntVar(&f.index, "index", -1, "test-set image to inspect (instead of --image)")
	fs.StringVar(&f.model, "model", "dcnn", "model of the run")
	fs.StringVar(&f.layer, "layer", "", "deformable layer (default: the last)")
	fs.IntVar(&f.epoch, "epoch", 0, "epoch whose checkpoint to use (default: the last)")
	fs.IntVar(&f.scale, "scale", 0, "integer upscale of the image (default: longer side ≥ 448 px)")
	fs.BoolVar(&f.whole, "whole", false, "run on the whole image instead of a training-size one (COCO: resized so that --object px objects meet the net at training scale, offsets clamped at the training bound)")
	fs.Float64Var(&f.object, "object", 96, "with --whole on a COCO run: the side (px) of the objects to show at the scale the net was trained at")
	fs.StringVar(&f.out, "out", "", "PNG file to write (required)")
}

// inspection is a loaded model with its sampling fields on one image.
type inspection struct {
	run     *rundir.Run
	model   string
	net     *model.Net[float32]
	epoch   int
	in      *inspect.Input
	fields  map[string]*trace.Field
	layer   string
	label   string // "test image 7 (label 3)" or the file name
	predict int
}

func (f *inspectFlags) load(ctx context.Context) (*inspection, error) {
	if f.run == "" || f.out == "" {
		return nil, fmt.Errorf("--run and --out are required")
	}
	if (f.image == "") == (f.index < 0) {
		return nil, fmt.Errorf("give exactly one of --image FILE and --index N")
	}
	run, err := rundir.Open(f.run)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(run.Config.Models, f.model) {
		return nil, fmt.Errorf("the run in %s has no model %q (it has %s)", f.run, f.model, strings.Join(run.Config.Models, ", "))
	}
	net, epoch, err := run.LoadModel(f.model, f.epoch)
	if err != nil {
		return nil, err
	}
	ins := &inspection{run: run, model: f.model, net: net, epoch: epoch}
	if f.image != "" {
		img, err := inspect.ReadImage(f.image)
		if err != nil {
			return nil, err
		}
		ins.label = filepath.Base(f.image)
		if f.whole && run.Config.Data == "coco" {
			// Objects of --object px become crop-size objects, and the
			// offsets are clamped at the bound training used, not at a
			// quarter of the larger photo.
			factor, err := inspect.WholeFactor(run, f.object)
			if err != nil {
				return nil, err
			}
			sc, err := inspect.PrepareScaled(run, img, factor)
			if err != nil {
				return nil, err
			}
			lim, err := inspect.TrainingLimits(net)
			if err != nil {
				return nil, err
			}
			ins.in = sc.Input
			ins.label = fmt.Sprintf("%s resized ×%.3g (%g px objects at training scale; offsets clamped at ±%s px as in training)",
				ins.label, sc.Factor, f.object, limitsText(lim))
		} else if ins.in, err = inspect.PrepareImage(run.Config, img, f.whole); err != nil {
			return nil, err
		}
	} else {
		var label int
		if ins.in, label, err = inspect.TestImage(run.Config, f.index); err != nil {
			return nil, err
		}
		ins.label = inspect.TestLabel(run.Config.Data == "coco", f.index, label, run.Classes())
	}
	if ins.fields, ins.predict, err = inspect.Sampling(ctx, net, ins.in); err != nil {
		return nil, err
	}
	blocks := net.DeformBlocks()
	if len(blocks) == 0 {
		return nil, fmt.Errorf("model %s (%s) has no deformable layers", f.model, net.Arch)
	}
	ins.layer = f.layer
	if ins.layer == "" {
		ins.layer = blocks[len(blocks)-1].Name()
	}
	if _, ok := ins.fields[ins.layer]; !ok {
		var names []string
		for _, b := range blocks {
			names = append(names, b.Name())
		}
		return nil, fmt.Errorf("%s is not a deformable layer of %s (those are %s)", ins.layer, net.Arch, strings.Join(names, ", "))
	}
	return ins, nil
}

func (ins *inspection) size() [2]int {
	s := ins.in.X.Shape()
	return [2]int{s[2], s[3]}
}

func cmdOffsets(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dcn offsets", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f inspectFlags
	f.register(fs)
	unit := fs.String("unit", "", "activation unit Y,X of the layer's output (default: the centre)")
	round := fs.Bool("round", false, "read offsets at the nearest unit, as the paper's figures do (default: bilinear)")
	weight := fs.String("weight", "size", `encode the product of the masks along each path: "size", "alpha" or "none"`)
	compare := fs.Bool("compare", true, "draw the plain CNN's regular grid beside it when the run has a cnn")
	box := fs.String("box", "", "COCO: X,Y,W,H of an object in the --image photo (its pixels): cut its crop as training did and draw the points over the whole photo")
	zoom := fs.String("zoom", "photo", `with --box: show the whole "photo" or zoom on the "crop"`)
	width := fs.Int("width", 800, "with --box: width of each panel in pixels")
	var cf captureFlags
	cf.register(fs)
	depth := fs.Int("depth", 0, "with --capture: captured layers to trace through, from --layer down (default 1)")
	space := fs.String("space", "image", "with --capture: coordinates of the points, map (the layer's input map) or image")
	asJSON := fs.Bool("json", false, "with --capture: print the points as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := cf.check(); err != nil {
		return err
	}
	if cf.path != "" && *box != "" {
		return fmt.Errorf("--capture has no net to run on a crop; --box does not go with it")
	}
	if cf.path != "" {
		return captureOffsets(&cf, &f, *unit, *depth, torchfile.Space(*space), *round, *weight, *asJSON, stdout)
	}
	if *box != "" {
		return offsetsInContext(ctx, &f, contextFlags{box: *box, unit: *unit, weight: *weight, zoom: *zoom, round: *round, compare: *compare, width: *width}, stdout)
	}
	ins, err := f.load(ctx)
	if err != nil {
		return err
	}
	ho, wo, err := trace.OutputSize(ins.net.Layers, ins.size(), ins.layer)
	if err != nil {
		return err
	}
	uy, ux := ho/2, wo/2
	if *unit != "" {
		if uy, ux, err = parseUnit(*unit); err != nil {
			return err
		}
	}
	wb := *weight
	if wb == "none" {
		wb = ""
	}
	sc := ins.scene(viz.ShowPoints)
	sc.WeightBy = wb
	if sc.Points, err = trace.Trace(ins.net.Layers, ins.fields, ins.size(), ins.layer, uy, ux, trace.Options{Round: *round}); err != nil {
		return err
	}
	if *compare && f.model != "cnn" && slices.Contains(ins.run.Config.Models, "cnn") {
		// The regular grid needs the plain net's geometry only, not its
		// weights.
		cnn, err := experiment.NewNet(ins.run.Config, "cnn")
		if err != nil {
			return err
		}
		var grid []string
		for _, b := range ins.net.DeformBlocks() {
			grid = append(grid, b.Name())
		}
		if sc.Grid, err = trace.Trace(cnn.Layers, nil, ins.size(), ins.layer, uy, ux, trace.Options{Grid: grid}); err != nil {
			return err
		}
		sc.GridModel = "cnn"
	}
	img, err := sc.Figure(f.scale)
	if err != nil {
		return err
	}
	if err := viz.SavePNG(f.out, img); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s of %s, unit (%d, %d), epoch %d, %d sampling points\n", f.out, ins.layer, f.model, uy, ux, ins.epoch, len(sc.Points.Points))
	return nil
}

// scene is the inspection as an offset scene showing show: the picture
// both faces draw.
func (ins *inspection) scene(show string) *viz.OffsetScene {
	last, _ := ins.run.LatestCheckpoint(ins.model)
	sc := &viz.OffsetScene{Show: show, Picture: ins.in.Picture, Label: ins.label, Model: ins.model, Layer: ins.layer,
		Epoch: ins.epoch, Epochs: max(last, ins.epoch), Field: ins.fields[ins.layer], Tap: -1, DCNv1: ins.run.Config.DCNv1,
		Predict: inspect.ClassName(ins.run.Classes(), ins.predict)}
	if sc.Field != nil {
		sc.Limit = sc.Field.Limit
	}
	return sc
}

func mustLatest(r *rundir.Run, model string) int {
	e, _ := r.LatestCheckpoint(model)
	return e
}

func parseUnit(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, ",")
	y, err1 := strconv.Atoi(strings.TrimSpace(a))
	x, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("--unit %q: want Y,X (two integers)", s)
	}
	return y, x, nil
}

func cmdHeatmap(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dcn heatmap", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f inspectFlags
	f.register(fs)
	tap := fs.Int("tap", -1, "kernel tap 0..8 (default: mean over the taps)")
	show := fs.String("show", viz.ShowHeat, `"heat" (|Δp| and the mask side by side), "offset" (|Δp| alone) or "mask"`)
	vmaxFlag := fs.String("vmax", "robust", `top of the |Δp| colour scale: "robust" (99th percentile over every epoch of the run; with --capture, of the layer), "clamp" (the block's clamp bound ×√2), "max" (with --capture: the layer's largest) or a number of pixels`)
	var cf captureFlags
	cf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := cf.check(); err != nil {
		return err
	}
	switch *show {
	case viz.ShowHeat, viz.ShowOffset, viz.ShowMask:
	default:
		return fmt.Errorf("--show %q: want heat, offset or mask", *show)
	}
	if cf.path != "" {
		return captureHeatmap(&cf, &f, *show, *tap, *vmaxFlag, stdout)
	}
	ins, err := f.load(ctx)
	if err != nil {
		return err
	}
	sc := ins.scene(*show)
	sc.Tap = *tap
	// By default |Δp| runs to a robust maximum of the data, so that offsets
	// of a pixel or two do not drown in a scale made for the clamp bound;
	// the mask keeps its fixed range [0, 2].
	switch *vmaxFlag {
	case "robust":
		// Over every epoch of the run, as the app's replay slider keeps it.
		last, _ := ins.run.LatestCheckpoint(ins.model)
		sc.Range = viz.HeatRange{Mode: viz.RangeRobust, Over: viz.EpochsText(last)}
		if sc.Range.Max, err = epochsRobustMax(ctx, ins, last, *tap); err != nil {
			return err
		}
	case "clamp":
		sc.Range.Mode = viz.RangeClamp
	default:
		v, err := strconv.ParseFloat(*vmaxFlag, 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("--vmax %q: want robust, clamp or a positive number", *vmaxFlag)
		}
		sc.Range = viz.HeatRange{Mode: viz.RangeFixed, Max: v}
	}
	img, err := sc.Figure(f.scale)
	if err != nil {
		return err
	}
	if err := viz.SavePNG(f.out, img); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s of %s, epoch %d\n", f.out, ins.layer, f.model, ins.epoch)
	return nil
}

// epochsRobustMax is the top of a robust |Δp| scale for the inspection's
// image and layer: the 99th percentile over epochs 1..last of tap's
// lengths (−1: the mean over the taps), as the app's Offsets view takes it.
func epochsRobustMax(ctx context.Context, ins *inspection, last, tap int) (float64, error) {
	var mags [][]float64
	for e := 1; e <= last; e++ {
		fields := ins.fields
		if e != ins.epoch {
			net, _, err := ins.run.LoadModel(ins.model, e)
			if err != nil {
				return 0, err
			}
			if fields, _, err = inspect.Sampling(ctx, net, ins.in); err != nil {
				return 0, err
			}
		}
		if fields[ins.layer] == nil {
			continue
		}
		m, err := viz.OffsetMagnitude(fields[ins.layer], tap)
		if err != nil {
			return 0, err
		}
		mags = append(mags, m)
	}
	return viz.RobustMax(0, mags...), nil
}

// limitsText lists clamp bounds by layer: "2 (conv3), 1 (conv4)".
func limitsText(lim map[string]float64) string {
	names := make([]string, 0, len(lim))
	for n := range lim {
		names = append(names, n)
	}
	slices.Sort(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%g (%s)", lim[n], n))
	}
	return strings.Join(parts, ", ")
}
