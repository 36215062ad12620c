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
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/nn"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/torchfile"
	"github.com/deformscope/deformscope/model/trace"
	"github.com/deformscope/deformscope/viz"
)

// inspectFlags are the flags shared by dcn offsets and dcn heatmap.
type inspectFlags struct {
	run, image, model, layer, out string
	box, zoom                     string
	index, epoch, scale, width    int
	whole                         bool
	object                        float64
}

func (f *inspectFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.run, "run", "", "run folder (required)")
	fs.StringVar(&f.image, "image", "", "a JPEG or PNG file to inspect (MNIST runs: light digit on dark)")
	fs.IntVar(&f.index, "index", -1, "test-set image to inspect (instead of --image)")
	fs.StringVar(&f.model, "model", "", "model of the run (default: its first deformable model, dcnn on MNIST, the first placement on COCO)")
	fs.StringVar(&f.layer, "layer", "", "deformable layer (default: the last)")
	fs.IntVar(&f.epoch, "epoch", 0, "epoch whose checkpoint to use (default: the last)")
	fs.IntVar(&f.scale, "scale", 0, "integer upscale of the image (default: longer side ≥ 448 px)")
	fs.BoolVar(&f.whole, "whole", false, "run on the whole image instead of a training-size one (COCO: resized so that --object px objects meet the net at training scale, offsets clamped at the training bound)")
	fs.Float64Var(&f.object, "object", 96, "with --whole on a COCO run: the side (px) of the objects to show at the scale the net was trained at")
	fs.StringVar(&f.out, "out", "", "PNG file to write (required)")
	fs.StringVar(&f.box, "box", "", "COCO: X,Y,W,H of an object in the --image photo (its pixels): cut its crop as training did and show the net on it, in the photo")
	fs.StringVar(&f.zoom, "zoom", viz.FrameUnit, `in a photo (--box, or --whole on COCO): frame the "unit" (its points in both panels, as the app opens), the whole "photo" or the "crop"`)
	fs.IntVar(&f.width, "width", 800, "in a photo: width of each panel in pixels")
}

// inspection is a loaded model with its sampling fields on one image.
type inspection struct {
	run     *rundir.Run
	model   string
	net     *model.Net[float32]
	epoch   int
	in      *inspect.Input
	fields  map[string]*metrics.Field
	layer   string
	label   string // "test image 7 (label 3)" or the file name
	predict int
	// chosen says that the model was chosen by default, and which ("" when
	// --model named it).
	chosen string
	// photo is the photo the input came from (--box, or --whole on COCO).
	photo *photoSource
}

func (f *inspectFlags) load(ctx context.Context) (*inspection, error) {
	if f.run == "" || f.out == "" {
		return nil, fmt.Errorf("--run and --out are required")
	}
	return f.loadRun(ctx)
}

// loadRun is load without the --out check (dcn offsets --json writes no
// file).
func (f *inspectFlags) loadRun(ctx context.Context) (*inspection, error) {
	if (f.image == "") == (f.index < 0) {
		return nil, fmt.Errorf("give exactly one of --image FILE and --index N")
	}
	if err := frameFlag(f.zoom); err != nil {
		return nil, err
	}
	run, err := rundir.Open(f.run)
	if err != nil {
		return nil, err
	}
	if f.box != "" {
		if _, err := parseBox(f.box); err != nil {
			return nil, err
		}
	}
	if f.box != "" && run.Config.Data != "coco" {
		return nil, fmt.Errorf("--box cuts a COCO crop; %s is not a COCO run", f.run)
	}
	name, note, err := chooseModel(run, f.model)
	if err != nil {
		return nil, err
	}
	net, epoch, err := run.LoadModel(name, f.epoch)
	if err != nil {
		return nil, err
	}
	ins := &inspection{run: run, model: name, chosen: note, net: net, epoch: epoch}
	if ins.photo, err = f.openPhoto(ctx, run, net); err != nil {
		return nil, err
	}
	switch {
	case ins.photo != nil:
		ins.in, ins.label = ins.photo.in, ins.photo.label
	case f.image != "":
		img, err := inspect.ReadImage(f.image)
		if err != nil {
			return nil, err
		}
		ins.label = filepath.Base(f.image)
		if ins.in, err = inspect.PrepareImage(run.Config, img, f.whole); err != nil {
			return nil, err
		}
	default:
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
		return nil, fmt.Errorf("model %s (%s) has no deformable layers", name, net.Arch)
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

// cmdOffsets runs dcn offsets: it draws a unit's sampling locations over an image.
func cmdOffsets(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dcn offsets", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f inspectFlags
	f.register(fs)
	unit := fs.String("unit", "", "activation unit Y,X of the layer's output (default: the centre, or on a --box the unit nearest the box's centre)")
	round := fs.Bool("round", false, "read offsets at the nearest unit, as the paper's figures do (default: bilinear)")
	weight := fs.String("weight", "size", `encode the product of the masks along each path: "size", "alpha" or "none"`)
	compare := fs.Bool("compare", true, "draw the plain CNN's regular grid beside it when the run has a cnn")
	var cf captureFlags
	cf.register(fs)
	depth := fs.Int("depth", 0, "with --capture: captured layers to trace through, from --layer down (default 1)")
	space := fs.String("space", "image", "with --capture: coordinates of the points, map (the layer's input map) or image")
	asJSON := fs.Bool("json", false, "print the unit's points and measures as JSON on stdout (with --run, --out is then optional)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := cf.check(); err != nil {
		return err
	}
	if cf.path != "" && f.box != "" {
		return fmt.Errorf("--capture has no net to run on a crop; --box does not go with it")
	}
	if cf.path != "" {
		return captureOffsets(&cf, &f, *unit, *depth, torchfile.Space(*space), *round, *weight, *asJSON, stdout)
	}
	if f.run == "" || f.out == "" && !*asJSON {
		return fmt.Errorf("--run and --out are required (--json alone prints without --out)")
	}
	ins, err := f.loadRun(ctx)
	if err != nil {
		return err
	}
	sc, err := ins.pointsScene(*unit, *weight, *round, *compare, f.zoom)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := ins.writeJSON(stdout, sc); err != nil {
			return err
		}
	}
	if f.out == "" {
		return nil
	}
	img, err := sc.Figure(f.scale)
	if err != nil {
		return err
	}
	if err := viz.SavePNG(f.out, img); err != nil {
		return err
	}
	w := stdout
	if *asJSON {
		w = stderr // stdout holds the JSON alone
	}
	where := ""
	if p := ins.photo; p != nil && p.crop != nil {
		where = fmt.Sprintf(" on the crop %v of %s (resized to %d px)", p.crop.Rect, f.image, p.crop.Size)
	}
	inPhoto := ""
	if ins.photo != nil {
		inPhoto = " in the photo's pixels"
	}
	fmt.Fprintf(w, "wrote %s: %s of %s%s%s, unit (%d, %d), epoch %d, %d sampling points%s\n", f.out, ins.layer, ins.model, ins.chosen,
		where, sc.Points.UnitY, sc.Points.UnitX, ins.epoch, len(sc.Points.Points), inPhoto)
	return nil
}

// pointsScene traces the inspection's unit (Y,X as --unit gives it, or
// the default) through the deformable net and, with compare, the plain
// CNN's grid beside it, in the photo at the framing zoom when the input
// came from one.
func (ins *inspection) pointsScene(unit, weight string, round, compare bool, zoom string) (*viz.OffsetScene, error) {
	in := ins.size()
	var uy, ux int
	var err error
	switch {
	case unit != "":
		if uy, ux, err = parseUnit(unit); err != nil {
			return nil, err
		}
	case ins.photo != nil:
		if uy, ux, err = ins.photo.unit(ins.net, in, ins.layer); err != nil {
			return nil, err
		}
	default:
		ho, wo, err := trace.OutputSize(ins.net.Layers, in, ins.layer)
		if err != nil {
			return nil, err
		}
		uy, ux = ho/2, wo/2
	}
	if weight == "none" {
		weight = ""
	}
	sc := ins.scene(viz.ShowPoints)
	sc.WeightBy = weight
	var cnn []nn.Layer[float32]
	var grid []string
	if compare && ins.model != "cnn" && slices.Contains(ins.run.Config.Models, "cnn") {
		// The regular grid needs the plain net's geometry only, not its
		// weights.
		net, err := experiment.NewNet(ins.run.Config, "cnn")
		if err != nil {
			return nil, err
		}
		cnn = net.Layers
		for _, b := range ins.net.DeformBlocks() {
			grid = append(grid, b.Name())
		}
	}
	if err := sc.TracePoints(ins.net.Layers, ins.fields, in, uy, ux, round, cnn, grid); err != nil {
		return nil, err
	}
	m, err := ins.measure(sc)
	if err != nil {
		return nil, err
	}
	perInput := 0.0
	if ins.photo != nil {
		perInput = ins.photo.photoMap().PerInput()
	}
	sc.Measured = viz.MeasuredOf(m, perInput)
	if ins.photo != nil {
		ins.photo.place(sc, zoom)
	}
	return sc, nil
}

// scene is the inspection as an offset scene showing show: the picture
// the app and dcn draw.
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

// mustLatest is r.LatestCheckpoint(model)'s epoch: 0 when there is none.
func mustLatest(r *rundir.Run, model string) int {
	e, _ := r.LatestCheckpoint(model)
	return e
}

// parseUnit parses --unit's "Y,X".
func parseUnit(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, ",")
	y, err1 := strconv.Atoi(strings.TrimSpace(a))
	x, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("--unit %q: want Y,X (two integers)", s)
	}
	return y, x, nil
}

// cmdHeatmap runs dcn heatmap: it draws a deformable layer's offset lengths and mask over an image.
func cmdHeatmap(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dcn heatmap", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f inspectFlags
	f.register(fs)
	tap := fs.Int("tap", -1, "kernel tap 0..8 (default: mean over the taps)")
	show := fs.String("show", viz.ShowHeat, `"heat" (|Δp| and the mask side by side), "offset" (|Δp| alone) or "mask"`)
	vmaxFlag := fs.String("vmax", "robust", `top of the |Δp| colour scale: "robust" (99th percentile over every epoch of the run; with --capture, of the layer), "clamp" (the block's clamp bound ×√2), "max" (with --capture: the layer's largest) or a number of pixels`)
	npyOut := fs.String("npy", "", "also write the layer's sampling field for numpy: the offsets to FILE.npy (float32, 1×2·G·kh·kw×Ho×Wo, torchvision's layout) and the mask to FILE_mask.npy")
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
	if *npyOut != "" && !strings.HasSuffix(*npyOut, ".npy") {
		return fmt.Errorf("--npy %q: want a file name ending in .npy", *npyOut)
	}
	if cf.path != "" {
		return captureHeatmap(&cf, &f, *show, *tap, *vmaxFlag, *npyOut, stdout)
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
		if sc.Range.Max, sc.Largest, err = epochsRobustMax(ctx, ins, last, *tap); err != nil {
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
	fmt.Fprintf(stdout, "wrote %s: %s of %s%s, epoch %d\n", f.out, ins.layer, ins.model, ins.chosen, ins.epoch)
	return writeFieldNpy(*npyOut, ins.fields[ins.layer], ins.layer, stdout)
}

// writeFieldNpy writes heatmap --npy's files (none for an empty path) and
// says what they hold.
func writeFieldNpy(path string, field *metrics.Field, layer string, stdout io.Writer) error {
	if path == "" {
		return nil
	}
	files, err := torchfile.WriteFieldNpy(path, field)
	for i, file := range files { // the offsets, then the mask
		what, n := "offsets", len(field.Offset)
		if i == 1 {
			what, n = "mask", len(field.Mask)
		}
		fmt.Fprintf(stdout, "wrote %s: %s's %s, float32 1×%d×%d×%d\n", file, layer, what, n/(field.Ho*field.Wo), field.Ho, field.Wo)
	}
	return err
}

// epochsRobustMax is the robust |Δp| scale for the inspection's image and
// layer over epochs 1..last (viz.EpochsScale), as the app's Offsets view
// takes it.
func epochsRobustMax(ctx context.Context, ins *inspection, last, tap int) (top, largest float64, err error) {
	var all []*metrics.Field
	for e := 1; e <= last; e++ {
		fields := ins.fields
		if e != ins.epoch {
			net, _, err := ins.run.LoadModel(ins.model, e)
			if err != nil {
				return 0, 0, err
			}
			if ins.photo != nil && ins.photo.scaled != nil {
				if _, err := inspect.TrainingLimits(net); err != nil {
					return 0, 0, err
				}
			}
			if fields, _, err = inspect.Sampling(ctx, net, ins.in); err != nil {
				return 0, 0, err
			}
		}
		all = append(all, fields[ins.layer])
	}
	return viz.EpochsScale(all, tap)
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
