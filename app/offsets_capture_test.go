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
	wy, wx, err := c.UnitAt("wide", 3, 3, 20)
	if err != nil {
		t.Fatal(err)
	}
	test.TapAt(v.dcnn, panelPos(t, v, v.dcnn, 3, 20))
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

// groupCapture is a DCNv3 capture with 4 offset groups (layer "0", and
// layer "1" with remove_center), written by capture_families.py --fixture.
const groupCapture = "../model/torchfile/testdata/dcnv3_g4.safetensors"

func TestOffsetsCaptureGroups(t *testing.T) {
	h, v := offsetsHarness(t)
	waitShown(h, "the message without a run", func(r *offsetResult) bool { return r.note != "" })
	v.useCapture(groupCapture)
	r := waitShown(h, "the capture's points", hasScene)
	want := []string{allGroups, "group 0", "group 1", "group 2", "group 3"}
	if !slices.Equal(v.group.Options, want) || v.group.Selected != allGroups || v.group.Disabled() {
		t.Fatalf("group choice %v (selected %q, disabled %v), want %v", v.group.Options, v.group.Selected, v.group.Disabled(), want)
	}
	// Layer 1 (no centre tap) through layer 0: (4·8)·(4·9) points.
	if r.scene.Depth != 2 || len(r.scene.Points.Points) != 32*36 {
		t.Errorf("layer 1: depth %d, %d points", r.scene.Depth, len(r.scene.Points.Points))
	}
	v.layer.SetSelected("0")
	r = waitShown(h, "layer 0", func(r *offsetResult) bool { return r.scene != nil && r.req.layer == "0" })
	// Depth 1: G·K = 4·9 points, each group's taps.
	if r.scene.Depth != 1 || len(r.scene.Points.Points) != 36 {
		t.Errorf("layer 0, all groups: depth %d, %d points, want 36 at depth 1", r.scene.Depth, len(r.scene.Points.Points))
	}
	if !strings.Contains(v.caption.Text, "all groups") {
		t.Errorf("caption %q does not say all groups", v.caption.Text)
	}
	c, err := torchfile.ReadCapture(groupCapture)
	if err != nil {
		t.Fatal(err)
	}
	v.group.SetSelected("group 2")
	r = waitShown(h, "group 2", func(r *offsetResult) bool { return r.scene != nil && r.req.group == 2 })
	one, err := c.Trace("0", r.scene.unit[0], r.scene.unit[1], 1, torchfile.SpaceImage, trace.Options{Group: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.scene.Points.Points, one.Points) || !strings.Contains(v.caption.Text, "group 2") {
		t.Errorf("group 2: %d points, caption %q", len(r.scene.Points.Points), v.caption.Text)
	}
	v.mode.SetSelected(modeOffset)
	r = waitShown(h, "group 2's heat map", func(r *offsetResult) bool { return r.scene != nil && r.scene.mode == modeOffset })
	if f, _ := c.Layers[0].HeatField(2); !slices.Equal(r.scene.Field.Offset, f.Offset) {
		t.Error("the heat map is not group 2's field")
	}
	h.capture("offsets-capture-groups")
	// A run folder has no groups to choose.
	v.useCapture(toyCapture)
	waitShown(h, "a capture with one group", func(r *offsetResult) bool { return r.scene != nil && r.req.dir == toyCapture })
	if len(v.group.Options) != 0 || !v.group.Disabled() {
		t.Errorf("one group: choice %v, disabled %v", v.group.Options, v.group.Disabled())
	}
}
