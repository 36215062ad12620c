package app

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"math"
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
