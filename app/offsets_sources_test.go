package app

import (
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/deformscope/deformscope/model/experiment"
)

func TestOffsetsImageFiles(t *testing.T) {
	run, _ := tinyRun(t)
	h, v := offsetsHarness(t)
	v.useRunDir(run.Dir)
	waitShown(h, "the overlay", hasScene)

	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.png")
	if err := os.WriteFile(bad, []byte("not a picture"), 0o644); err != nil {
		t.Fatal(err)
	}
	v.useImageFile(bad)
	h.waitFor("the error dialog", flowTimeout, func() bool { return h.overlayText() != "" })
	if got := h.overlayText(); !strings.Contains(got, "bad.png") || !strings.Contains(got, "not a JPEG or PNG") {
		t.Errorf("a bad image file shows %q", got)
	}
	if v.source.Selected != srcTest {
		t.Errorf("after a bad file the source is %q, want the test images again", v.source.Selected)
	}
	waitShown(h, "the test image again", hasScene)
	h.w.Canvas().Overlays().Top().Hide()
	h.w.Canvas().Overlays().Remove(h.w.Canvas().Overlays().Top())

	// A 40×36 picture: resized to 28×28, or whole.
	pic := image.NewGray(image.Rect(0, 0, 40, 36))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range pic.Pix {
		pic.Pix[i] = uint8(rng.IntN(256))
	}
	good := filepath.Join(dir, "noise.png")
	f, err := os.Create(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, pic); err != nil {
		t.Fatal(err)
	}
	f.Close()
	v.useImageFile(good)
	r := waitShown(h, "the file", hasScene)
	if r.scene.in != [2]int{28, 28} || !strings.Contains(v.caption.Text, "noise.png") || v.whole.Disabled() || !v.index.Disabled() {
		t.Errorf("file: input %v, caption %q", r.scene.in, v.caption.Text)
	}
	v.whole.SetChecked(true)
	r = waitShown(h, "the whole file", func(r *offsetResult) bool { return r.scene != nil && r.req.whole })
	if r.scene.in != [2]int{36, 40} || r.scene.units != [2]int{9, 10} {
		t.Errorf("whole file: input %v, units %v; want 36×40 and 9×10", r.scene.in, r.scene.units)
	}
	if !hasColor(v.dcnn.img.Image, unitGreen) {
		t.Error("whole file: no unit ring")
	}
	if h.w.Canvas().Overlays().Top() != nil {
		t.Errorf("a dialog is shown: %q", h.overlayText())
	}
}

// TestOffsetsDeformableOnly shows a run of a DCNv1 net alone: no grid
// beside it, and a mask heat map of ones that says why.
func TestOffsetsDeformableOnly(t *testing.T) {
	run, _ := tinyRun(t, func(rc *experiment.RunConfig) {
		rc.Models, rc.DCNv1, rc.Train.Epochs = []string{deformModel}, true, 1
	})
	h, v := offsetsHarness(t)
	v.useRunDir(run.Dir)
	r := waitShown(h, "the overlay", hasScene)
	if r.cnn != nil || r.scene.Grid != nil || v.cnn.Visible() || v.dcnn.img.Image == nil {
		t.Errorf("a run without a cnn: grid %v, cnn panel visible %v", r.scene.Grid != nil, v.cnn.Visible())
	}
	if !v.epoch.Disabled() || v.epochLabel.Text != "1 of 1" {
		t.Errorf("one epoch: slider disabled %v, label %q", v.epoch.Disabled(), v.epochLabel.Text)
	}
	v.mode.SetSelected(modeMask)
	r = waitShown(h, "the mask heat map", func(r *offsetResult) bool { return r.scene != nil && r.scene.mode == modeMask })
	if r.scene.Field.Mask != nil || !r.scene.DCNv1 || r.main == nil {
		t.Errorf("DCNv1 mask heat map: mask %v, dcnv1 %v", r.scene.Field.Mask != nil, r.scene.DCNv1)
	}
}

func TestOffsetsBadRunFolder(t *testing.T) {
	h, v := offsetsHarness(t)
	empty := t.TempDir()
	v.useRunDir(empty)
	h.waitFor("the error dialog", flowTimeout, func() bool { return h.overlayText() != "" })
	if got := h.overlayText(); !strings.Contains(got, "not a run folder") || !strings.Contains(got, empty) {
		t.Errorf("an empty folder shows %q", got)
	}
	if v.runDir != "" {
		t.Errorf("the view still shows %q", v.runDir)
	}
}

func TestOffsetsFollowsSession(t *testing.T) {
	run, epochs := tinyRun(t)
	h, v := offsetsHarness(t)
	snap := func(n int) Snapshot {
		s := Snapshot{Phase: PhaseTraining, RunDir: run.Dir}
		for _, m := range mnistModels {
			s.Models = append(s.Models, ModelState{Name: m, Epochs: epochs[m][:n]})
		}
		return s
	}
	h.u.run = run // as Start does
	h.u.apply(snap(0))
	waitShown(h, "the first-epoch message", func(r *offsetResult) bool { return strings.Contains(r.note, "first epoch") })
	// Regression: the wrapped message once stretched the window's minimum
	// height beyond the screen.
	if m := v.root.MinSize(); m.Height > 600 || m.Width > 900 {
		t.Errorf("with the message shown the view needs %v", m)
	}
	if !strings.Contains(v.runLabel.Text, "(this session)") {
		t.Errorf("run label %q", v.runLabel.Text)
	}

	h.u.apply(snap(1))
	r := waitShown(h, "epoch 1", hasScene)
	if !r.scene.live || !strings.Contains(v.caption.Text, "epoch 1 of 1") || !v.epoch.Disabled() {
		t.Errorf("epoch 1: live %v, caption %q, slider disabled %v", r.scene.live, v.caption.Text, v.epoch.Disabled())
	}
	h.u.apply(snap(2)) // the slider was at the end: it follows
	r = waitShown(h, "epoch 2", hasScene)
	if !r.scene.live || !strings.Contains(v.caption.Text, "epoch 2 of 2") || v.epoch.Value != 2 {
		t.Errorf("epoch 2: live %v, caption %q, slider %v", r.scene.live, v.caption.Text, v.epoch.Value)
	}
	live := r.scene.Points.Points

	// The checkpoint of the same epoch gives the same sampling points.
	v.useRunDir(run.Dir)
	r = waitShown(h, "the checkpoint", hasScene)
	if r.scene.live || len(r.scene.Points.Points) != len(live) {
		t.Fatalf("checkpoint: live %v, %d points", r.scene.live, len(r.scene.Points.Points))
	}
	for i, p := range r.scene.Points.Points {
		// Batch of 8 against batch of 1: float32 sums in another order.
		if math.Abs(p.Y-live[i].Y) > 1e-3 || math.Abs(p.X-live[i].X) > 1e-3 || math.Abs(p.Weight-live[i].Weight) > 1e-3 {
			t.Fatalf("point %d: checkpoint %+v, in memory %+v", i, p, live[i])
		}
	}

	// Back to the session; a test image beyond the inspected ones comes
	// from the checkpoint.
	test.Tap(v.session)
	v.index.SetText("12")
	r = waitShown(h, "test image 12", hasScene)
	if r.scene.live || !strings.Contains(v.caption.Text, "test image 12") || !strings.Contains(v.runLabel.Text, "this session") {
		t.Errorf("test image 12: live %v, caption %q, run %q", r.scene.live, v.caption.Text, v.runLabel.Text)
	}
	test.Tap(v.prev)
	waitShown(h, "test image 11", hasScene)
	if v.index.Text != "11" || !strings.Contains(v.caption.Text, "test image 11") {
		t.Errorf("after −: index %q, caption %q", v.index.Text, v.caption.Text)
	}
}
