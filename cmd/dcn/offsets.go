package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/deformscope/deformscope/model"
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
	ins := &inspection{run: run, net: net, epoch: epoch}
	if f.image != "" {
		img, err := inspect.ReadImage(f.image)
		if err != nil {
			return nil, err
		}
		ins.label = f.image
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
				f.image, sc.Factor, f.object, limitsText(lim))
		} else if ins.in, err = inspect.PrepareImage(run.Config, img, f.whole); err != nil {
			return nil, err
		}
	} else {
		var label int
		if ins.in, label, err = inspect.TestImage(run.Config, f.index); err != nil {
			return nil, err
		}
		ins.label = fmt.Sprintf("test image %d (label %d)", f.index, label)
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
	r, err := trace.Trace(ins.net.Layers, ins.fields, ins.size(), ins.layer, uy, ux, trace.Options{Round: *round})
	if err != nil {
		return err
	}
	panel, err := viz.Overlay(viz.OverlaySpec{Image: ins.in.Picture, Scale: f.scale, Unit: r.Unit, Points: r.Points, WeightBy: wb,
		Caption: fmt.Sprintf("%s %s · unit (%d, %d) · epoch %d · %d points · predicts %d", f.model, ins.layer, uy, ux, ins.epoch, len(r.Points), ins.predict)})
	if err != nil {
		return err
	}
	panels := []*image.NRGBA{panel}
	if *compare && f.model != "cnn" && slices.Contains(ins.run.Config.Models, "cnn") {
		cnn, epoch, err := ins.run.LoadModel("cnn", min(ins.epoch, mustLatest(ins.run, "cnn")))
		if err != nil {
			return err
		}
		var grid []string
		for _, b := range ins.net.DeformBlocks() {
			grid = append(grid, b.Name())
		}
		g, err := trace.Trace(cnn.Layers, nil, ins.size(), ins.layer, uy, ux, trace.Options{Grid: grid})
		if err != nil {
			return err
		}
		p, err := viz.Overlay(viz.OverlaySpec{Image: ins.in.Picture, Scale: f.scale, Unit: g.Unit, Points: g.Points,
			Caption: fmt.Sprintf("cnn %s · unit (%d, %d) · epoch %d · regular grid", ins.layer, uy, ux, epoch)})
		if err != nil {
			return err
		}
		panels = append([]*image.NRGBA{p}, panels...)
	}
	img, err := viz.SideBySide("Sampling locations: "+ins.label, panels...)
	if err != nil {
		return err
	}
	if img, err = viz.WithKey(img, viz.OverlayKey(wb, len(r.Points))); err != nil {
		return err
	}
	if err := viz.SavePNG(f.out, img); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s of %s, unit (%d, %d), epoch %d, %d sampling points\n", f.out, ins.layer, f.model, uy, ux, ins.epoch, len(r.Points))
	return nil
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
	vmaxFlag := fs.String("vmax", "robust", `top of the |Δp| colour scale: "robust" (99th percentile of the field), "clamp" (the block's clamp bound ×√2) or a number of pixels`)
	var cf captureFlags
	cf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if cf.path != "" {
		return captureHeatmap(&cf, &f, *tap, stdout)
	}
	ins, err := f.load(ctx)
	if err != nil {
		return err
	}
	field := ins.fields[ins.layer]
	var limit float64
	for _, b := range ins.net.DeformBlocks() {
		if b.Name() == ins.layer {
			limit = b.Limit()
		}
	}
	mag, err := viz.OffsetMagnitude(field, *tap)
	if err != nil {
		return err
	}
	what := "mean over taps"
	if *tap >= 0 {
		what = fmt.Sprintf("tap %d", *tap)
	}
	caption := fmt.Sprintf("%s %s · epoch %d · %s", f.model, ins.layer, ins.epoch, what)
	// By default |Δp| runs to a robust maximum of the data, so that offsets
	// of a pixel or two do not drown in a scale made for the clamp bound;
	// the mask keeps its fixed range [0, 2].
	vmax, scaleName := viz.RobustMax(0, mag), "99th pct"
	switch *vmaxFlag {
	case "robust":
	case "clamp":
		vmax, scaleName = limit*math.Sqrt2, "clamp bound"
	default:
		v, err := strconv.ParseFloat(*vmaxFlag, 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("--vmax %q: want robust, clamp or a positive number", *vmaxFlag)
		}
		vmax, scaleName = v, "fixed"
	}
	p1, err := viz.Heatmap(viz.HeatmapSpec{Image: ins.in.Picture, Field: mag, H: field.Ho, W: field.Wo, VMin: 0, VMax: vmax,
		Scale: f.scale, Caption: "|Δp| · " + caption, Label: "|Δp| (px of the layer's input), scale: " + scaleName, Outline: true})
	if err != nil {
		return err
	}
	panels := []*image.NRGBA{p1}
	if field.Mask != nil {
		mask, err := viz.MaskField(field, *tap)
		if err != nil {
			return err
		}
		p2, err := viz.Heatmap(viz.HeatmapSpec{Image: ins.in.Picture, Field: mask, H: field.Ho, W: field.Wo, VMin: 0, VMax: 2,
			Colormap: "magma", Scale: f.scale, Caption: "mask · " + caption, Label: "mask (2·sigmoid)", Outline: true})
		if err != nil {
			return err
		}
		panels = append(panels, p2)
	}
	img, err := viz.SideBySide("Offsets: "+ins.label, panels...)
	if err != nil {
		return err
	}
	if img, err = viz.WithKey(img, viz.HeatmapKey("mean offset length |Δp| over the taps (left) and DCNv2 mask (right, magma, fixed 0..2)", "|Δp|: "+scaleName)); err != nil {
		return err
	}
	if err := viz.SavePNG(f.out, img); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s of %s, epoch %d\n", f.out, ins.layer, f.model, ins.epoch)
	return nil
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
