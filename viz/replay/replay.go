// Package replay draws a deformable layer over the epochs of a run (or a
// digit over Scaled-MNIST's scales) as the frames of an animated GIF: the
// one code behind `dcn replay` and the app's "Export GIF…". It composes
// frames only; model/inspect's Replay runs the checkpoints that fill them.
package replay

import (
	"fmt"
	"image"

	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/trace"
	"github.com/deformscope/deformscope/viz"
)

// Frame is one frame's data: a checkpoint run on an input, as
// model/inspect's Replay returns it (its ReplayFrame converts to Frame).
type Frame struct {
	// Picture is the input's picture; Scale its step's scale.
	Picture image.Image
	Scale   float64
	// Model is the model; Epoch its checkpoint's epoch, Epochs its last.
	Model         string
	Epoch, Epochs int
	// Predict names the class the net predicts.
	Predict string
	// Layer is the deformable layer and Field its sampling field.
	Layer string
	Field *metrics.Field
	// Points is the unit's trace, Grid the plain CNN's (nil: none).
	Points, Grid *trace.Result
	// DCNv1 says the run's deformable layers have no mask.
	DCNv1 bool
}

// Options choose how a replay's frames are drawn.
type Options struct {
	// Show is viz.ShowPoints (a unit's sampling points) or viz.ShowOffset
	// (the |Δp| heat map, its colour scale the 99th percentile over every
	// frame, so that it stays put).
	Show string
	// WeightBy is as in the Offsets view.
	WeightBy string
	// Label names the image in the title.
	Label string
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

// Scenes composes one scene per frame: the points (with the plain CNN's
// grid) or the |Δp| heat map, the floor and the heat map's colour scale
// over every frame, and, in context, every frame at one framing.
func Scenes(frames []Frame, o Options) ([]*viz.OffsetScene, error) {
	if len(frames) == 0 {
		return nil, fmt.Errorf("replay: no frames")
	}
	if o.Show != viz.ShowPoints && o.Show != viz.ShowOffset {
		return nil, fmt.Errorf("replay: show %q: want %q or %q", o.Show, viz.ShowPoints, viz.ShowOffset)
	}
	scenes := make([]*viz.OffsetScene, 0, len(frames))
	var fields []*metrics.Field
	for _, f := range frames {
		label := o.Label
		if f.Scale > 0 {
			label = fmt.Sprintf("%s at scale %.1f", o.Label, f.Scale)
		}
		sc := &viz.OffsetScene{Show: o.Show, Picture: f.Picture, Label: label, Predict: f.Predict,
			Model: f.Model, Layer: f.Layer, Epoch: f.Epoch, Epochs: f.Epochs, WeightBy: o.WeightBy, Field: f.Field, Tap: -1,
			Limit: f.Field.Limit, DCNv1: f.DCNv1}
		if o.Show == viz.ShowPoints {
			sc.Points = f.Points
			if f.Grid != nil {
				sc.Grid = f.Grid
				sc.GridModel = "cnn"
			}
		}
		fields = append(fields, f.Field)
		scenes = append(scenes, sc)
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
