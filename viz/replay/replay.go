// Package replay draws a deformable layer over the epochs of a run (or a
// digit over Scaled-MNIST's scales) as the frames of an animated GIF: the
// one code behind `dcn replay` and the app's "Export GIF…".
package replay

import (
	"context"
	"fmt"
	"image"
	"slices"

	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/inspect"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/trace"
	"github.com/deformscope/deformscope/viz"
)

// Step is one frame's input: the epoch whose checkpoint runs, and the
// image (Scale is the Scaled-MNIST scale of a sweep's frame, 0 otherwise).
type Step struct {
	Epoch int
	Scale float64
	In    *inspect.Input
}

// Options choose what a replay shows.
type Options struct {
	// Model is the deformable model of the run; Layer its layer ("" the
	// last deformable one).
	Model, Layer string
	// Show is viz.ShowPoints (a unit's sampling points) or viz.ShowOffset
	// (the |Δp| heat map, its colour scale the 99th percentile over every
	// frame, so that it stays put).
	Show string
	// UnitY, UnitX is the unit (negative: the layer's centre on each
	// frame's input).
	UnitY, UnitX int
	// WeightBy and Round are as in the Offsets view.
	WeightBy string
	Round    bool
	// Grid draws the plain CNN's regular grid beside the points when the
	// run has a cnn.
	Grid bool
	// Label names the image in the title.
	Label string
	// Steps are the frames' inputs; EpochSteps makes one per epoch.
	Steps []Step
	// TrainingLimits clamps each frame's offsets at the bound training used
	// (inspect.TrainingLimits), for a whole photo larger than the crops.
	TrainingLimits bool
	// InContext, when set, draws the points of every frame in the photo
	// the input was cut from (Show viz.ShowPoints only).
	InContext *InContext
}

// InContext places a replay's frames in their photo, as the Offsets view
// and `dcn offsets --box` do, all at one framing.
type InContext struct {
	// Context is every frame's photo, boxes, crop, width and title; its
	// View is the framing when Framing is "" (the app's current view).
	Context viz.SceneContext
	// ToPhoto maps a trace on the input to the photo's pixels.
	ToPhoto func(*trace.Result) *trace.Result
	// Framing is viz.FrameUnit (every frame's points of the unit, framed
	// together, so that nothing jumps between frames), viz.FramePhoto,
	// viz.FrameCrop, or "" for Context.View as it is.
	Framing string
	// Aspect is the panels' width over height for viz.FrameUnit (0: the
	// points' own).
	Aspect float64
}

// place puts every scene in the photo at one framing.
func (c *InContext) place(scenes []*viz.OffsetScene) {
	var sets [][]trace.Point
	for _, sc := range scenes {
		sc.Points = c.ToPhoto(sc.Points)
		if sc.Grid != nil {
			sc.Grid = c.ToPhoto(sc.Grid)
		}
		ctx := c.Context
		sc.Context = &ctx
		sc.Label = ctx.Title
		for _, r := range []*trace.Result{sc.Points, sc.Grid} {
			if r != nil {
				sets = append(sets, r.Points, []trace.Point{r.Unit})
			}
		}
	}
	view := c.Context.View
	switch c.Framing {
	case viz.FrameUnit:
		view = viz.FitView(c.Aspect, sets...)
	case viz.FramePhoto:
		view = viz.Viewport{}
	case viz.FrameCrop:
		if !c.Context.Crop.Empty() {
			view = viz.CropView(c.Context.Crop)
		}
	}
	for _, sc := range scenes {
		sc.Context.View = view
	}
}

// EpochSteps is one step per epoch 1..last on one input.
func EpochSteps(in *inspect.Input, last int) []Step {
	steps := make([]Step, 0, last)
	for e := 1; e <= last; e++ {
		steps = append(steps, Step{Epoch: e, In: in})
	}
	return steps
}

// Scenes runs each step's checkpoint on its input and returns one scene
// per step. progress, if not nil, is told after each frame.
func Scenes(ctx context.Context, run *rundir.Run, o Options, progress func(done, total int)) ([]*viz.OffsetScene, error) {
	if len(o.Steps) == 0 {
		return nil, fmt.Errorf("replay: no frames")
	}
	if o.Show != viz.ShowPoints && o.Show != viz.ShowOffset {
		return nil, fmt.Errorf("replay: show %q: want %q or %q", o.Show, viz.ShowPoints, viz.ShowOffset)
	}
	if !slices.Contains(run.Config.Models, o.Model) {
		return nil, fmt.Errorf("replay: the run in %s has no model %q", run.Dir, o.Model)
	}
	last, _ := run.LatestCheckpoint(o.Model)
	// The plain CNN's grid needs its geometry only, not its weights.
	var cnn *model.Net[float32]
	if o.Grid && o.Model != "cnn" && slices.Contains(run.Config.Models, "cnn") {
		var err error
		if cnn, err = experiment.NewNet(run.Config, "cnn"); err != nil {
			return nil, err
		}
	}
	var grid []string
	classes := run.Classes()
	scenes := make([]*viz.OffsetScene, 0, len(o.Steps))
	var fields []*metrics.Field
	for i, st := range o.Steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		net, epoch, err := run.LoadModel(o.Model, st.Epoch)
		if err != nil {
			return nil, err
		}
		if o.TrainingLimits {
			if _, err := inspect.TrainingLimits(net); err != nil {
				return nil, err
			}
		}
		fs, predict, err := inspect.Sampling(ctx, net, st.In)
		if err != nil {
			return nil, err
		}
		blocks := net.DeformBlocks()
		if len(blocks) == 0 {
			return nil, fmt.Errorf("replay: model %s has no deformable layers", o.Model)
		}
		layer := o.Layer
		if layer == "" {
			layer = blocks[len(blocks)-1].Name()
		}
		if fs[layer] == nil {
			return nil, fmt.Errorf("replay: %s is not a deformable layer of %s", layer, o.Model)
		}
		if grid == nil {
			for _, b := range blocks {
				grid = append(grid, b.Name())
			}
		}
		label := o.Label
		if st.Scale > 0 {
			label = fmt.Sprintf("%s at scale %.1f", o.Label, st.Scale)
		}
		sc := &viz.OffsetScene{Show: o.Show, Picture: st.In.Picture, Label: label, Predict: inspect.ClassName(classes, predict),
			Model: o.Model, Layer: layer, Epoch: epoch, Epochs: max(last, epoch), WeightBy: o.WeightBy, Field: fs[layer], Tap: -1,
			Limit: fs[layer].Limit, DCNv1: run.Config.DCNv1}
		if o.Show == viz.ShowPoints {
			sz := st.In.X.Shape()
			in := [2]int{sz[2], sz[3]}
			uy, ux := o.UnitY, o.UnitX
			if uy < 0 || ux < 0 {
				ho, wo, err := trace.OutputSize(net.Layers, in, layer)
				if err != nil {
					return nil, err
				}
				uy, ux = ho/2, wo/2
			}
			if sc.Points, err = trace.Trace(net.Layers, fs, in, layer, uy, ux, trace.Options{Round: o.Round}); err != nil {
				return nil, err
			}
			if cnn != nil {
				if sc.Grid, err = trace.Trace(cnn.Layers, nil, in, layer, uy, ux, trace.Options{Grid: grid}); err != nil {
					return nil, err
				}
				sc.GridModel = "cnn"
			}
		}
		fields = append(fields, fs[layer])
		scenes = append(scenes, sc)
		if progress != nil {
			progress(i+1, len(o.Steps))
		}
	}
	// The floor looks at every frame: a layer that learned in a later epoch
	// is not "nothing learned" in an early frame's scale.
	largest := viz.LargestOffset(fields...)
	for _, sc := range scenes {
		sc.Largest = largest
	}
	if o.InContext != nil && o.Show == viz.ShowPoints {
		o.InContext.place(scenes)
	}
	if o.Show == viz.ShowOffset {
		top, err := viz.RobustOffsetMax(fields...)
		if err != nil {
			return nil, err
		}
		for _, sc := range scenes {
			sc.Range = viz.HeatRange{Mode: viz.RangeRobust, Max: top, Over: "every frame"}
		}
	}
	return scenes, nil
}

// Frames draws each scene's figure at scale (0: the longer side at least
// 448 px), one GIF frame each.
//
// All frames are held at once, so their pixels together are capped at
// MaxFramePixels, checked on the first frame before the others are drawn
// (`dcn replay --whole` on one 640×480 photo took 1.64 GB).
func Frames(scenes []*viz.OffsetScene, scale int) ([]image.Image, error) {
	frames := make([]image.Image, 0, len(scenes))
	for i, sc := range scenes {
		img, err := sc.Figure(scale)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			b := img.Bounds()
			if total := int64(b.Dx()) * int64(b.Dy()) * int64(len(scenes)); total > MaxFramePixels {
				return nil, fmt.Errorf("replay: %d frames of %d×%d px are %.0f megapixels, above the limit of %d: "+
					"draw them smaller (a lower scale) or replay fewer steps", len(scenes), b.Dx(), b.Dy(),
					float64(total)/1e6, MaxFramePixels/1_000_000)
			}
		}
		frames = append(frames, img)
	}
	return frames, nil
}

// MaxFramePixels bounds the pixels of a replay's frames together (4 bytes
// each while they are held: 256 MB).
const MaxFramePixels = 64_000_000

// Save writes the scenes as an animated GIF to path, atomically, each
// frame shown for delay hundredths of a second.
func Save(path string, scenes []*viz.OffsetScene, scale, delay int) error {
	frames, err := Frames(scenes, scale)
	if err != nil {
		return err
	}
	return viz.SaveGIF(path, frames, delay)
}
