package main

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/inspect"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/trace"
	"github.com/deformscope/deformscope/viz"
)

// photoSource is the input of a COCO run's offsets, heatmap or replay in
// its photo: the crop of --box cut as training cut it, or the whole photo
// resized so that --object px objects meet the net at training scale
// (--whole), with what maps traces back to the photo and the photo's boxes.
type photoSource struct {
	in     *inspect.Input
	crop   *inspect.Crop   // --box
	scaled *inspect.Scaled // --whole
	ctx    viz.SceneContext
	label  string
}

// photoMap maps between the input and the photo.
func (p *photoSource) photoMap() inspect.PhotoMap {
	return inspect.PhotoMap{Crop: p.crop, Scaled: p.scaled}
}

// toPhoto maps a trace on the input to the photo's pixels.
func (p *photoSource) toPhoto(r *trace.Result) *trace.Result { return p.photoMap().ToPhoto(r) }

// unit returns the unit a photo input shows by default: the one nearest
// the box's centre (the crop's centre may lie off the object where the crop
// was moved inside the photo), else the layer's centre.
func (p *photoSource) unit(net *model.Net[float32], in [2]int, layer string) (int, int, error) {
	if p.crop != nil {
		b := p.crop.Box
		y, x := p.fromPhoto(b.Y+b.H/2-0.5, b.X+b.W/2-0.5)
		return trace.UnitAt(net.Layers, in, layer, y, x)
	}
	ho, wo, err := trace.OutputSize(net.Layers, in, layer)
	return ho / 2, wo / 2, err
}

// fromPhoto maps a photo position to the input's pixels.
func (p *photoSource) fromPhoto(py, px float64) (y, x float64) { return p.photoMap().FromPhoto(py, px) }

// openPhoto prepares --image of a COCO run for net: the crop of --box, or
// with --whole the photo resized (and net's offsets clamped at training's
// bound). It returns nil when the flags ask for neither, or the run is not
// a COCO run (the image is then the net's input as it is).
func (f *inspectFlags) openPhoto(ctx context.Context, run *rundir.Run, net *model.Net[float32]) (*photoSource, error) {
	if f.box == "" && !(f.whole && run.Config.Data == "coco") {
		return nil, nil
	}
	if f.image == "" {
		return nil, fmt.Errorf("--box and --whole on a COCO run need --image (the photo)")
	}
	if f.box != "" && f.whole {
		return nil, fmt.Errorf("--box cuts its crop from --image; --whole runs the whole photo: give one")
	}
	photo, err := inspect.ReadImage(f.image)
	if err != nil {
		return nil, err
	}
	base := filepath.Base(f.image)
	p := &photoSource{ctx: viz.SceneContext{Photo: photo, Chosen: -1, Width: f.width}}
	var box *viz.Box
	if f.box != "" {
		b, err := parseBox(f.box)
		if err != nil {
			return nil, err
		}
		if p.crop, err = inspect.PrepareCrop(run, photo, b); err != nil {
			return nil, fmt.Errorf("%s: %w", f.image, err)
		}
		p.in, p.ctx.Crop = p.crop.Input, p.crop.Rect
		p.label = fmt.Sprintf("%s, box %g,%g,%g,%g", base, b.X, b.Y, b.W, b.H)
		box = &viz.Box{X: b.X, Y: b.Y, W: b.W, H: b.H}
	} else {
		factor, err := inspect.WholeFactor(run, f.object)
		if err != nil {
			return nil, err
		}
		if p.scaled, err = inspect.PrepareScaled(run, photo, factor); err != nil {
			return nil, fmt.Errorf("%s: %w", f.image, err)
		}
		lim, err := inspect.TrainingLimits(net)
		if err != nil {
			return nil, err
		}
		p.in = p.scaled.Input
		p.label = fmt.Sprintf("%s resized ×%.3g (%g px objects at training scale; offsets clamped at ±%s px as in training)",
			base, p.scaled.Factor, f.object, limitsText(lim))
	}
	p.ctx.Title = p.label
	boxes, names, err := inspect.PhotoBoxes(ctx, run, f.image)
	if err != nil {
		return nil, err
	}
	for i, a := range boxes {
		p.ctx.Boxes = append(p.ctx.Boxes, viz.Box{X: a.BBox.X, Y: a.BBox.Y, W: a.BBox.W, H: a.BBox.H, Label: names[i]})
		if box != nil && math.Abs(a.BBox.X-box.X) < 1 && math.Abs(a.BBox.Y-box.Y) < 1 && math.Abs(a.BBox.W-box.W) < 1 && math.Abs(a.BBox.H-box.H) < 1 {
			p.ctx.Chosen = i
		}
	}
	if box != nil && p.ctx.Chosen < 0 {
		p.ctx.Boxes = append(p.ctx.Boxes, *box)
		p.ctx.Chosen = len(p.ctx.Boxes) - 1
	}
	return p, nil
}

// chooseModel resolves --model for run: as given, or by default the run's
// first deformable model ("dcnn" on MNIST, the first placement on COCO).
// It returns the model and, when it chose it, a note saying so.
func chooseModel(run *rundir.Run, want string) (string, string, error) {
	models := run.Config.Models
	if want == "" {
		m := firstDeformable(models)
		if run.Config.Data != "coco" {
			return m, "", nil // MNIST runs have one: dcnn
		}
		return m, fmt.Sprintf(" (the run's first deformable model; --model picks another of %s)", strings.Join(models, ", ")), nil
	}
	if !slices.Contains(models, want) {
		return "", "", fmt.Errorf("the run in %s has no model %q (it has %s)", run.Dir, want, strings.Join(models, ", "))
	}
	return want, "", nil
}

// panelAspect is the width over height of a panel in context: 4:3.
const panelAspect = 4.0 / 3

// frameFlag checks --zoom.
func frameFlag(z string) error {
	switch z {
	case viz.FrameUnit, viz.FramePhoto, viz.FrameCrop:
		return nil
	}
	return fmt.Errorf("--zoom %q: want unit, photo or crop", z)
}

// place puts a points scene in its photo at the framing --zoom asks.
func (p *photoSource) place(sc *viz.OffsetScene, zoom string) {
	sc.Points = p.toPhoto(sc.Points)
	sc.Grid = p.toPhoto(sc.Grid)
	c := p.ctx
	sc.Context = &c
	sc.Label = c.Title
	sc.Frame(zoom, panelAspect)
}
