package app

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/inspect"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/runner"
	"github.com/deformscope/deformscope/model/trace"
	"github.com/deformscope/deformscope/model/train"
	"github.com/deformscope/deformscope/viz"
)

// unitGreen is the overlay's unit ring colour (viz's default UnitColor).
var unitGreen = color.NRGBA{0x2c, 0xa0, 0x2c, 0xff}

// tinyRun trains a run folder in a few seconds: 2 epochs on 128 MNIST
// images, 16 test images, no scaled sets. It returns the run and each
// model's epoch records, whose DCNN records hold the in-memory sampling
// fields of the inspected test images.
func tinyRun(t *testing.T, edit ...func(*experiment.RunConfig)) (*rundir.Run, map[string][]metrics.Epoch) {
	t.Helper()
	needMNIST(t)
	rc := experiment.StudyProtocol()
	rc.Train.Epochs = 2
	rc.Limit, rc.Val, rc.TestLimit, rc.Scales = 128, 0, 16, nil
	for _, e := range edit {
		e(&rc)
	}
	run, err := rundir.Create(filepath.Join(t.TempDir(), "run"), rc)
	if err != nil {
		t.Fatal(err)
	}
	d, err := experiment.LoadData(rc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := runner.NewSession(rc, d.Data, run)
	if err != nil {
		t.Fatal(err)
	}
	epochs := make(chan metrics.Epoch, 16)
	if err := s.Train(context.Background(), func(e train.Event) {
		if e.Kind == train.KindEpoch {
			epochs <- e.Epoch
		}
	}); err != nil {
		t.Fatal(err)
	}
	close(epochs)
	byModel := map[string][]metrics.Epoch{}
	for e := range epochs {
		byModel[e.Model] = append(byModel[e.Model], e)
	}
	for _, es := range byModel {
		slices.SortFunc(es, func(a, b metrics.Epoch) int { return a.Epoch - b.Epoch })
	}
	return run, byModel
}

// offsetsHarness is a window showing the Offsets tab.
func offsetsHarness(t *testing.T) (*harness, *offsetsView) {
	t.Helper()
	h := newHarness(t, t.TempDir())
	h.u.tabs.SelectIndex(2)
	h.q.drain()
	return h, h.u.offsets
}

// waitShown waits until the view shows the answer to its latest request,
// and that answer satisfies cond.
func waitShown(h *harness, what string, cond func(r *offsetResult) bool) *offsetResult {
	h.t.Helper()
	v := h.u.offsets
	h.waitFor(what, flowTimeout, func() bool {
		return v.shown != nil && v.shown.req.seq == v.seq && cond(v.shown)
	})
	return v.shown
}

func hasScene(r *offsetResult) bool { return r.scene != nil }

// hasColor reports whether img has a pixel of colour c.
func hasColor(img image.Image, c color.NRGBA) bool {
	if img == nil {
		return false
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.NRGBAModel.Convert(img.At(x, y)) == c {
				return true
			}
		}
	}
	return false
}

// panelPos returns where input pixel (py, px) lies in panel p of the shown
// result: through the overlay's geometry (recovered with viz.OverlayPoint)
// and the panel's fit-and-centre.
func panelPos(t *testing.T, v *offsetsView, p *offsetPanel, py, px float64) fyne.Position {
	t.Helper()
	r := v.shown
	s := float64(r.scale)
	y0, x0, ok := viz.OverlayPoint(r.scene.in[1], r.scene.in[0], r.scale, 0, 0)
	if !ok {
		t.Fatal("OverlayPoint refuses the canvas origin")
	}
	// OverlayPoint is affine: input = (canvas − margin)/s − 0.5.
	cy, cx := (py-y0)*s, (px-x0)*s
	b := p.img.Image.Bounds()
	sz := p.Size()
	f := math.Min(float64(sz.Width)/float64(b.Dx()), float64(sz.Height)/float64(b.Dy()))
	ox := (float64(sz.Width) - f*float64(b.Dx())) / 2
	oy := (float64(sz.Height) - f*float64(b.Dy())) / 2
	return fyne.NewPos(float32(ox+cx*f), float32(oy+cy*f))
}

func TestOffsetsViewOpensRun(t *testing.T) {
	run, _ := tinyRun(t)
	h, v := offsetsHarness(t)
	r := waitShown(h, "the message without a run", func(r *offsetResult) bool { return r.note != "" })
	if !v.msg.Visible() || !strings.Contains(v.msg.Text, "No run to show yet") || !v.export.Disabled() {
		t.Errorf("before a run: message %q (visible %v), export disabled %v", v.msg.Text, v.msg.Visible(), v.export.Disabled())
	}
	_ = r

	v.useRunDir(run.Dir)
	r = waitShown(h, "the run's overlay", hasScene)
	if v.msg.Visible() {
		t.Errorf("message still shown: %q", v.msg.Text)
	}
	if !hasColor(v.dcnn.img.Image, unitGreen) {
		t.Error("the DCNN overlay has no pixel of the unit's colour")
	}
	if v.cnn.img.Image == nil || !v.cnn.Visible() || !hasColor(v.cnn.img.Image, unitGreen) {
		t.Error("the CNN's regular grid is not shown beside the DCNN")
	}
	if got, want := v.layer.Options, []string{"conv4", "conv5"}; !slices.Equal(got, want) || v.layer.Selected != "conv5" {
		t.Errorf("layers %v (selected %q), want %v with conv5", got, v.layer.Selected, want)
	}
	if v.epoch.Max != 2 || v.epoch.Value != 2 || v.epochLabel.Text != "2 of 2" {
		t.Errorf("epoch slider: max %v, value %v, label %q", v.epoch.Max, v.epoch.Value, v.epochLabel.Text)
	}
	for _, want := range []string{"dcnn conv5", "unit (3, 3) of 7×7", "epoch 2 of 2", "test image 0 (label 7)", "predicts"} {
		if !strings.Contains(v.caption.Text, want) {
			t.Errorf("caption %q lacks %q", v.caption.Text, want)
		}
	}
	if r.scene.live || len(r.scene.Points.Points) != 81 || len(r.scene.Grid.Points) != 81 {
		t.Errorf("scene: live %v, %d points, %d grid points; want a checkpoint's 81 and 81", r.scene.live,
			len(r.scene.Points.Points), len(r.scene.Grid.Points))
	}
	if r.testN != 10000 || v.testN != 10000 {
		t.Errorf("test set size %d (view %d), want MNIST's 10000", r.testN, v.testN)
	}

	// The epoch slider replays the run.
	v.epoch.SetValue(1)
	waitShown(h, "epoch 1", hasScene)
	if !strings.Contains(v.caption.Text, "epoch 1 of 2") || v.epochLabel.Text != "1 of 2" {
		t.Errorf("after moving to epoch 1: caption %q, label %q", v.caption.Text, v.epochLabel.Text)
	}
	v.epoch.SetValue(2)
	v.layer.SetSelected("conv4")
	waitShown(h, "conv4", hasScene)
	if !strings.Contains(v.caption.Text, "dcnn conv4 · unit (3, 3)") || !strings.Contains(v.caption.Text, "epoch 2 of 2") {
		t.Errorf("after choosing conv4: caption %q", v.caption.Text)
	}
	v.layer.SetSelected("conv5")
	r = waitShown(h, "conv5", hasScene)

	// A click on input pixel (5, 20) chooses the unit nearest to it.
	wantY, wantX, err := trace.UnitAt(r.scene.geom, r.scene.in, "conv5", 5, 20)
	if err != nil {
		t.Fatal(err)
	}
	if wantY == 3 && wantX == 3 {
		t.Fatal("the test's pixel maps to the default unit; pick another")
	}
	pos := panelPos(t, v, v.dcnn, 5, 20)
	abs := fyne.CurrentApp().Driver().AbsolutePositionForObject(v.dcnn).Add(pos)
	test.MoveMouse(h.w.Canvas(), abs)
	if want := fmt.Sprintf("Unit (%d, %d) of conv5 under the pointer", wantY, wantX); !strings.Contains(v.hint.Text, want) {
		t.Errorf("hovering: hint %q, want %q", v.hint.Text, want)
	}
	test.TapAt(v.dcnn, pos)
	r = waitShown(h, "the clicked unit", hasScene)
	if want := fmt.Sprintf("unit (%d, %d) of 7×7", wantY, wantX); !strings.Contains(v.caption.Text, want) {
		t.Errorf("after clicking pixel (5, 20): caption %q, want %q", v.caption.Text, want)
	}
	// The same input position picks the nearest unit of another layer too,
	// and a click on the CNN's panel works as well.
	test.TapAt(v.cnn, panelPos(t, v, v.cnn, 22, 4))
	r = waitShown(h, "the unit clicked on the CNN's panel", func(r *offsetResult) bool { return r.scene != nil && r.req.hasPick })
	wy, wx, _ := trace.UnitAt(r.scene.geom, r.scene.in, "conv5", 22, 4)
	if r.scene.unit != [2]int{wy, wx} {
		t.Errorf("clicking pixel (22, 4) of the CNN panel chose unit %v, want (%d, %d)", r.scene.unit, wy, wx)
	}

	h.capture("offsets-points")

	// Rounded reads, and the heat maps.
	v.read.SetSelected(readRounded)
	r = waitShown(h, "rounded reads", hasScene)
	if !r.scene.round || !r.req.round {
		t.Error("rounded reads not requested")
	}
	v.mode.SetSelected(modeOffset)
	r = waitShown(h, "the offset heat map", func(r *offsetResult) bool { return r.scene != nil && r.scene.mode == modeOffset })
	if v.cnn.Visible() || r.cnn != nil || v.dcnn.img.Image == nil || strings.Contains(v.caption.Text, "unit") {
		t.Errorf("offset heat map: cnn visible %v, caption %q", v.cnn.Visible(), v.caption.Text)
	}
	// The |Δp| scale is the 99th percentile over both epochs, and stays put
	// when the slider goes back to epoch 1.
	var mags [][]float64
	for e := 1; e <= 2; e++ {
		net, _, err := run.LoadModel("dcnn", e)
		if err != nil {
			t.Fatal(err)
		}
		in, _, err := inspect.TestImage(run.Config, 0)
		if err != nil {
			t.Fatal(err)
		}
		fields, _, err := inspect.Sampling(context.Background(), net, in)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := viz.OffsetMagnitude(fields["conv5"], -1)
		mags = append(mags, m)
	}
	want := viz.RobustMax(0, mags...)
	if math.Abs(r.scene.Range.Max-want) > 1e-6*want {
		t.Errorf("|Δp| scale %v, want the 99th percentile over the epochs %v", r.scene.Range.Max, want)
	}
	v.epoch.SetValue(1)
	r = waitShown(h, "epoch 1's heat map", func(r *offsetResult) bool { return r.scene != nil && r.scene.mode == modeOffset && r.scene.Epoch == 1 })
	if math.Abs(r.scene.Range.Max-want) > 1e-6*want {
		t.Errorf("epoch 1: |Δp| scale %v, want it unchanged at %v", r.scene.Range.Max, want)
	}
	v.mode.SetSelected(modeMask)
	waitShown(h, "the mask heat map", func(r *offsetResult) bool { return r.scene != nil && r.scene.mode == modeMask })
	if v.dcnn.img.Image == nil || !v.read.Disabled() {
		t.Error("mask heat map not shown, or the offset reading still enabled")
	}
	h.capture("offsets-mask")
}

func TestOffsetsExport(t *testing.T) {
	run, _ := tinyRun(t)
	h, v := offsetsHarness(t)
	v.useRunDir(run.Dir)
	r := waitShown(h, "the overlay", hasScene)

	// Two 28×28 overlays at scale 5 side by side: each 28·5 + 2·(5·7) px
	// wide (a margin of a quarter of the side, rounded up to whole input
	// pixels), with viz.SideBySide's 8 px border and 16 px gap.
	out := filepath.Join(t.TempDir(), "figs", "view.png")
	v.exportTo(r.scene, 5, out)
	if !v.export.Disabled() {
		t.Error("export stays enabled while exporting")
	}
	h.waitFor("the export", flowTimeout, func() bool { return !v.export.Disabled() })
	if got := h.overlayText(); !strings.Contains(got, "Wrote "+out) {
		t.Errorf("after the export the window says %q", got)
	}
	size, img := pngSize(t, out)
	if size.X != 2*8+16+2*(28*5+2*5*7) || size.Y <= 8+28*5+2*5*7 {
		t.Errorf("exported %v, want 452 px wide and taller than the overlay", size)
	}
	if !hasColor(img, unitGreen) {
		t.Error("the exported view has no unit ring")
	}

	// Through the dialog: the folder is remembered.
	d := v.exportDialog(r.scene)
	if d.scale.Text != "16" || !strings.HasPrefix(d.name.Text, "offsets-test0-conv5-epoch2-unit3_3") {
		t.Errorf("dialog defaults: scale %q, name %q", d.scale.Text, d.name.Text)
	}
	dir := filepath.Join(t.TempDir(), "mine")
	d.dir.SetText(dir)
	d.scale.SetText("2")
	d.name.SetText("fig")
	d.Submit()
	h.waitFor("the dialog's export", flowTimeout, func() bool { return !v.export.Disabled() })
	// 240 px of panels; the key underneath widens the figure to its least 360 px.
	if size, _ := pngSize(t, filepath.Join(dir, "fig.png")); size.X != max(2*8+16+2*(28*2+2*2*7), 360) {
		t.Errorf("fig.png is %v", size)
	}
	if got := h.u.exportDirFor(v.exportRun()); got != dir {
		t.Errorf("export folder %q not remembered (want %q)", got, dir)
	}

	// Again, in all three formats: fig.png exists, so the export asks
	// before it overwrites anything.
	d = v.exportDialog(r.scene)
	d.dir.SetText(dir)
	d.name.SetText("fig.png")
	d.svg.SetChecked(true)
	d.pdf.SetChecked(true)
	d.Submit()
	if got := h.overlayText(); !strings.Contains(got, "already exist") || !strings.Contains(got, "fig.png") {
		t.Fatalf("a second export into the same file asks %q", got)
	}
	if !h.tapDialogButton("Overwrite") {
		t.Fatal("no Overwrite button")
	}
	h.waitFor("the export in three formats", flowTimeout, func() bool { return !v.export.Disabled() })
	for _, f := range []string{"fig.svg", "fig.pdf"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}

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

// TestOffsetsCoalesces drags the epoch slider faster than the worker
// draws: at most one picture waits for the UI goroutine, and the last one
// shown answers the last request.
func TestOffsetsCoalesces(t *testing.T) {
	run, _ := tinyRun(t)
	h, v := offsetsHarness(t)
	// The busy sign's timer would queue a function of its own.
	v.busyDelay = time.Hour
	v.useRunDir(run.Dir)
	waitShown(h, "the overlay", hasScene)
	h.settle()
	for i := range 40 {
		v.epoch.SetValue(float64(1 + i%2))
	}
	v.epoch.SetValue(1)
	last := v.seq
	// The test goroutine plays the UI goroutine and does not drain the
	// queue until the worker has drawn the last request.
	b := h.u.bridge
	deadline := time.Now().Add(flowTimeout)
	for {
		if n := h.q.len(); n > 1 {
			t.Fatalf("%d functions queued for the UI goroutine, want at most 1", n)
		}
		if r, queued := b.offsets.peek(); queued && r != nil && r.req.seq == last {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for the last request's picture")
		}
		time.Sleep(time.Millisecond)
	}
	if n := h.q.len(); n != 1 {
		t.Fatalf("%d functions queued for the UI goroutine, want 1", n)
	}
	r := waitShown(h, "the last request", hasScene)
	if r.req.seq != last || r.scene.Epoch != 1 {
		t.Errorf("shown request %d (epoch %d), want %d (epoch 1)", r.req.seq, r.scene.Epoch, last)
	}
}

func TestMarkupOffsets(t *testing.T) {
	h := newHarness(t, "/runs")
	v := h.u.offsets
	h.u.tabs.SelectIndex(2)
	waitShown(h, "the message", func(r *offsetResult) bool { return r.note != "" })
	h.settle()
	if !strings.Contains(v.msg.Text, "No run to show yet") {
		t.Errorf("message %q", v.msg.Text)
	}
	h.capture("offsets-idle")
	h.assertMarkup("offsets_idle.xml")
}

func TestContainPoint(t *testing.T) {
	for _, tc := range []struct {
		name   string
		box    fyne.Size
		w, h   int
		pos    fyne.Position
		cx, cy float64
		ok     bool
	}{
		{"exact fit", fyne.NewSize(100, 50), 100, 50, fyne.NewPos(10, 20), 10, 20, true},
		{"wider box: centred across", fyne.NewSize(300, 100), 100, 50, fyne.NewPos(100, 0), 25, 0, true},
		{"wider box: left band", fyne.NewSize(300, 100), 100, 50, fyne.NewPos(40, 10), 0, 0, false},
		{"taller box, scaled down", fyne.NewSize(50, 100), 100, 100, fyne.NewPos(25, 50), 50, 50, true},
		{"beyond the bottom", fyne.NewSize(50, 100), 100, 100, fyne.NewPos(25, 80), 0, 0, false},
		{"empty image", fyne.NewSize(50, 100), 0, 100, fyne.NewPos(25, 50), 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cx, cy, ok := containPoint(tc.box, tc.w, tc.h, tc.pos)
			if ok != tc.ok || ok && (math.Abs(cx-tc.cx) > 1e-6 || math.Abs(cy-tc.cy) > 1e-6) {
				t.Errorf("containPoint = (%v, %v, %v), want (%v, %v, %v)", cx, cy, ok, tc.cx, tc.cy, tc.ok)
			}
		})
	}
}

func TestDisplayScale(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode string
		size image.Point
		w, h int
		want int
	}{
		// A 28×28 overlay spans 42 input pixels with its margin.
		{"overlay", modePoints, image.Pt(430, 600), 28, 28, 10},
		{"overlay, height decides", modePoints, image.Pt(900, 64+42*4+5), 28, 28, 4},
		{"heat map", modeOffset, image.Pt(140+28*12, 1000), 28, 28, 12},
		{"tiny panel", modePoints, image.Pt(10, 10), 28, 28, 1},
		{"huge panel", modePoints, image.Pt(5000, 5000), 28, 28, maxDisplayScale},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := displayScale(tc.mode, tc.size, tc.w, tc.h); got != tc.want {
				t.Errorf("displayScale = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestFieldLimit checks that a sampling field carries its block's clamp
// bound, at the training size and another (the Offsets view's heat-map
// scale comes from it).
func TestFieldLimit(t *testing.T) {
	rc := experiment.StudyProtocol()
	net, err := experiment.NewNet(rc, deformModel)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range [][2]int{{28, 28}, {36, 60}} {
		run := &rundir.Run{Config: rc}
		x, err := inspect.PrepareImage(run.Config, image.NewGray(image.Rect(0, 0, in[1], in[0])), true)
		if err != nil {
			t.Fatal(err)
		}
		fields, _, err := inspect.Sampling(context.Background(), net, x)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range net.DeformBlocks() {
			if got := fields[b.Name()].Limit; got != b.Limit() || !(got > 0) {
				t.Errorf("%v %s: field's bound %v, the block's %v", in, b.Name(), got, b.Limit())
			}
		}
	}
}
