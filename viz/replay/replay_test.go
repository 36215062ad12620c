package replay

import (
	"context"
	"image"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/inspect"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/trace"
	"github.com/deformscope/deformscope/viz"
)

// TestScenesRefuses: what a replay cannot draw is refused by name before
// any checkpoint is read. (The GIFs themselves are tested through dcn
// replay and the app's Export GIF…, which write the same bytes.)
func TestScenesRefuses(t *testing.T) {
	run := &rundir.Run{Dir: "runs/x", Config: experiment.StudyProtocol()}
	in := &inspect.Input{}
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"no frames", Options{Model: "dcnn", Show: viz.ShowPoints}, "no frames"},
		{"a mask replay", Options{Model: "dcnn", Show: viz.ShowMask, Steps: EpochSteps(in, 2)}, "want"},
		{"another model", Options{Model: "resnet", Show: viz.ShowPoints, Steps: EpochSteps(in, 2)}, `no model "resnet"`},
	} {
		if _, err := Scenes(context.Background(), run, tc.o, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if s := EpochSteps(in, 3); len(s) != 3 || s[0].Epoch != 1 || s[2].Epoch != 3 || s[1].In != in {
		t.Errorf("EpochSteps %+v", s)
	}
}

// TestFramesCapped is #26 item 10: `dcn replay --whole` on one 640×480 photo took 1.64 GB, every frame held at
// once. The frames' pixels together are capped, checked on the first frame before the others are drawn.
func TestFramesCapped(t *testing.T) {
	pic := image.NewGray(image.Rect(0, 0, 640, 480))
	unit := &trace.Result{Unit: trace.Point{Y: 4, X: 4}, Points: []trace.Point{{Y: 3, X: 3, Weight: 1}}, UnitY: 1, UnitX: 1}
	sc := &viz.OffsetScene{Picture: pic, Label: "photo", Model: "dcnn", Layer: "conv5", Epoch: 1, Epochs: 1, Tap: -1,
		Show: viz.ShowPoints, Points: unit}
	img, err := sc.Figure(0)
	if err != nil {
		t.Fatal(err)
	}
	per := img.Bounds().Dx() * img.Bounds().Dy()
	fit := MaxFramePixels / per
	few := make([]*viz.OffsetScene, 2)
	many := make([]*viz.OffsetScene, fit+1)
	for i := range many {
		many[i] = sc
	}
	copy(few, many)
	if _, err := Frames(few, 0); err != nil {
		t.Fatalf("two frames of %d px: %v", per, err)
	}
	if _, err := Frames(many, 0); err == nil || !strings.Contains(err.Error(), "megapixels, above the limit of 64") {
		t.Fatalf("%d frames of %d px: %v", len(many), per, err)
	}
}
