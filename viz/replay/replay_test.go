package replay

import (
	"image"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/trace"
	"github.com/deformscope/deformscope/viz"
)

// TestScenesRefuses: what a replay cannot draw is refused by name. (The
// GIFs themselves are tested through dcn replay and the app's Export GIF…,
// which write the same bytes.)
func TestScenesRefuses(t *testing.T) {
	frames := []Frame{{Model: "dcnn", Layer: "conv5", Field: &metrics.Field{}}}
	for _, tc := range []struct {
		name   string
		frames []Frame
		o      Options
		want   string
	}{
		{"no frames", nil, Options{Show: viz.ShowPoints}, "no frames"},
		{"a mask replay", frames, Options{Show: viz.ShowMask}, "want"},
	} {
		if _, err := Scenes(tc.frames, tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestFramesCapped is #26 item 10: `dcn replay --whole` on one 640×480 photo took 1.64 GB, every
// frame held at once. The frames' pixels together are capped, checked on the first frame before the
// others are drawn.
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
