package inspect

import (
	"context"
	"fmt"
	"image"
	"slices"

	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/trace"
)

// ReplayStep is one frame's input: the epoch whose checkpoint runs, and the
// image (Scale is the Scaled-MNIST scale of a sweep's frame, 0 otherwise).
type ReplayStep struct {
	Epoch int
	Scale float64
	In    *Input
}

// ReplayOptions choose what Replay runs.
type ReplayOptions struct {
	// Model is the deformable model of the run; Layer its layer ("" the
	// last deformable one).
	Model, Layer string
	// Points traces a unit's sampling points on each frame (else only the
	// layer's field is kept, for a heat map).
	Points bool
	// UnitY, UnitX is the unit (negative: the layer's centre on each
	// frame's input).
	UnitY, UnitX int
	// Round is as in the Offsets view.
	Round bool
	// Grid traces the plain CNN's regular grid beside the points when the
	// run has a cnn.
	Grid bool
	// Steps are the frames' inputs; EpochSteps makes one per epoch.
	Steps []ReplayStep
	// TrainingLimits clamps each frame's offsets at the bound training used
	// (TrainingLimits), for a whole photo larger than the crops.
	TrainingLimits bool
}

// ReplayFrame is what one step's checkpoint gives a replay: its fields are
// those of viz/replay's Frame, which it converts to.
type ReplayFrame struct {
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
	// Points is the unit's trace (with ReplayOptions.Points), Grid the
	// plain CNN's (with ReplayOptions.Grid and a cnn in the run).
	Points, Grid *trace.Result
	// DCNv1 says the run's deformable layers have no mask.
	DCNv1 bool
}

// EpochSteps is one step per epoch 1..last on one input.
func EpochSteps(in *Input, last int) []ReplayStep {
	steps := make([]ReplayStep, 0, last)
	for e := 1; e <= last; e++ {
		steps = append(steps, ReplayStep{Epoch: e, In: in})
	}
	return steps
}

// Replay runs each step's checkpoint on its input and returns one frame
// per step. progress, if not nil, is told after each frame.
func Replay(ctx context.Context, run *rundir.Run, o ReplayOptions, progress func(done, total int)) ([]ReplayFrame, error) {
	if len(o.Steps) == 0 {
		return nil, fmt.Errorf("inspect: replay: no frames")
	}
	if !slices.Contains(run.Config.Models, o.Model) {
		return nil, fmt.Errorf("inspect: replay: the run in %s has no model %q", run.Dir, o.Model)
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
	frames := make([]ReplayFrame, 0, len(o.Steps))
	for i, st := range o.Steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		net, epoch, err := run.LoadModel(o.Model, st.Epoch)
		if err != nil {
			return nil, err
		}
		if o.TrainingLimits {
			if _, err := TrainingLimits(net); err != nil {
				return nil, err
			}
		}
		fs, predict, err := Sampling(ctx, net, st.In)
		if err != nil {
			return nil, err
		}
		blocks := net.DeformBlocks()
		if len(blocks) == 0 {
			return nil, fmt.Errorf("inspect: replay: model %s has no deformable layers", o.Model)
		}
		layer := o.Layer
		if layer == "" {
			layer = blocks[len(blocks)-1].Name()
		}
		if fs[layer] == nil {
			return nil, fmt.Errorf("inspect: replay: %s is not a deformable layer of %s", layer, o.Model)
		}
		if grid == nil {
			for _, b := range blocks {
				grid = append(grid, b.Name())
			}
		}
		f := ReplayFrame{Picture: st.In.Picture, Scale: st.Scale, Model: o.Model, Epoch: epoch, Epochs: max(last, epoch),
			Predict: ClassName(classes, predict), Layer: layer, Field: fs[layer], DCNv1: run.Config.DCNv1}
		if o.Points {
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
			if f.Points, err = trace.Trace(net.Layers, fs, in, layer, uy, ux, trace.Options{Round: o.Round}); err != nil {
				return nil, err
			}
			if cnn != nil {
				if f.Grid, err = trace.Trace(cnn.Layers, nil, in, layer, uy, ux, trace.Options{Grid: grid}); err != nil {
					return nil, err
				}
			}
		}
		frames = append(frames, f)
		if progress != nil {
			progress(i+1, len(o.Steps))
		}
	}
	return frames, nil
}
