package app

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/deformscope/deformscope/model/torchfile"
	"github.com/deformscope/deformscope/model/trace"
)

// toyCapture is the capture of a toy PyTorch model with three deformable
// layers, written by model/testdata/make_bridge.py.
const toyCapture = "../model/torchfile/testdata/toy_capture.safetensors"

func TestOffsetsCapture(t *testing.T) {
	h, v := offsetsHarness(t)
	waitShown(h, "the message without a run", func(r *offsetResult) bool { return r.note != "" })
	v.useCapture(toyCapture)
	r := waitShown(h, "the capture's points", hasScene)
	if got, want := v.layer.Options, []string{"first", "down", "wide"}; !slices.Equal(got, want) || v.layer.Selected != "wide" {
		t.Errorf("layers %v (selected %q), want %v with wide", got, v.layer.Selected, want)
	}
	// wide is the third captured layer: its points go through all three.
	if r.scene.Depth != 3 || len(r.scene.Points.Points) != 729 || r.scene.Grid != nil || v.cnn.Visible() {
		t.Errorf("scene: depth %d, %d points, grid %v, CNN panel visible %v", r.scene.Depth, len(r.scene.Points.Points), r.scene.Grid != nil, v.cnn.Visible())
	}
	if !hasColor(v.dcnn.img.Image, unitGreen) {
		t.Error("the capture's overlay has no unit ring")
	}
	for _, want := range []string{"capture toy_capture.safetensors", "wide", "unit (3, 3) of 6×6", "3 captured layers"} {
		if !strings.Contains(v.caption.Text, want) {
			t.Errorf("caption %q lacks %q", v.caption.Text, want)
		}
	}
	if !strings.Contains(v.runLabel.Text, "(capture)") || !v.source.Disabled() || !v.epoch.Disabled() {
		t.Errorf("run label %q, image source disabled %v, epoch disabled %v", v.runLabel.Text, v.source.Disabled(), v.epoch.Disabled())
	}
	// The points are those dcn offsets --capture gives.
	c, err := torchfile.ReadCapture(toyCapture)
	if err != nil {
		t.Fatal(err)
	}
	want, err := c.Trace("wide", 3, 3, 3, torchfile.SpaceImage, trace.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(want.Points, r.scene.Points.Points) {
		t.Error("the view's points differ from the capture's trace")
	}

	// A click chooses the unit under the pointer.
	wy, wx, err := c.UnitAt("wide", 3, 3.3, 20)
	if err != nil {
		t.Fatal(err)
	}
	// y 3 lies on a boundary between units, where a float32 pointer
	// position may round either way: click a little inside one.
	test.TapAt(v.dcnn, panelPos(t, v, v.dcnn, 3.3, 20))
	waitShown(h, "the clicked unit", func(r *offsetResult) bool { return r.scene != nil && r.req.hasPick })
	if want := fmt.Sprintf("unit (%d, %d) of 6×6", wy, wx); !strings.Contains(v.caption.Text, want) {
		t.Errorf("after a click: caption %q, want %q", v.caption.Text, want)
	}

	v.layer.SetSelected("down")
	r = waitShown(h, "layer down", func(r *offsetResult) bool { return r.scene != nil && r.scene.Layer == "down" })
	if r.scene.Depth != 2 || len(r.scene.Points.Points) != 81 {
		t.Errorf("down: depth %d, %d points", r.scene.Depth, len(r.scene.Points.Points))
	}
	h.capture("offsets-capture")

	v.mode.SetSelected(modeOffset)
	waitShown(h, "the offset heat map", func(r *offsetResult) bool { return r.scene != nil && r.scene.mode == modeOffset })
	v.mode.SetSelected(modeMask)
	r = waitShown(h, "the mask heat map", func(r *offsetResult) bool { return r.scene != nil && r.scene.mode == modeMask })
	if v.dcnn.img.Image == nil {
		t.Error("no mask heat map")
	}
	out := filepath.Join(t.TempDir(), "cap.png")
	v.exportTo(r.scene, 4, out)
	h.waitFor("the export", flowTimeout, func() bool { return !v.export.Disabled() })
	if _, err := os.Stat(out); err != nil {
		t.Errorf("export: %v", err)
	}
	if name := r.scene.fileName(); name != "mask-heatmap-toy_capture-down.png" {
		t.Errorf("export name %q", name)
	}
}

func TestOffsetsBadCapture(t *testing.T) {
	h, v := offsetsHarness(t)
	bad := filepath.Join(t.TempDir(), "bad.safetensors")
	if err := os.WriteFile(bad, []byte("not a capture"), 0o644); err != nil {
		t.Fatal(err)
	}
	v.useCapture(bad)
	h.waitFor("the error dialog", flowTimeout, func() bool { return h.overlayText() != "" })
	if got := h.overlayText(); !strings.Contains(got, "annot show this capture") || !strings.Contains(got, bad) {
		t.Errorf("a bad capture shows %q", got)
	}
	if v.runDir != "" || v.capture {
		t.Errorf("the view still shows %q (capture %v)", v.runDir, v.capture)
	}
}
