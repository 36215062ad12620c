package app

import (
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/train"
)

func TestApplySnapshotShowsProgress(t *testing.T) {
	h := newHarness(t, "/runs")
	h.u.apply(sampleSnapshot("/runs/demo"))

	cnn, dcnn := h.u.train.progress["cnn"], h.u.train.progress["dcnn"]
	// Half-way through epoch 2 of 4: (1 + 50/100) / 4.
	if got := cnn.bar.Value; math.Abs(got-0.375) > 1e-9 {
		t.Errorf("cnn progress = %v, want 0.375", got)
	}
	if got := dcnn.bar.Value; math.Abs(got-0.5) > 1e-9 {
		t.Errorf("dcnn progress = %v, want 0.5", got)
	}
	for _, want := range []string{"epoch 2/4", "batch 50/100", "loss 0.2345", "1234 img/s", "ETA 1m05s"} {
		if !strings.Contains(cnn.detail.Text, want) {
			t.Errorf("cnn detail %q lacks %q", cnn.detail.Text, want)
		}
	}
	if !strings.Contains(dcnn.detail.Text, "evaluating") || !strings.Contains(dcnn.detail.Text, "ETA 2m03s") {
		t.Errorf("dcnn detail = %q", dcnn.detail.Text)
	}
	if !h.u.train.start.Disabled() || h.u.train.pause.Disabled() || h.u.train.stop.Disabled() {
		t.Errorf("buttons during training: start disabled %v, pause disabled %v, stop disabled %v",
			h.u.train.start.Disabled(), h.u.train.pause.Disabled(), h.u.train.stop.Disabled())
	}
	if !h.u.train.form.epochs.Disabled() {
		t.Error("the settings stay editable during training")
	}
	if got := h.u.train.status.Text; !strings.HasPrefix(got, "Training") || !strings.Contains(got, "/runs/demo") {
		t.Errorf("status = %q", got)
	}
	table := h.u.results.table.text()
	for _, want := range []string{
		"Test accuracy\t90.50 %\t93.00 %\t+2.50",
		"Parameters\t37,642\t53,248\t+15,606",
		"Seconds per epoch\t12.5 s\t12.5 s\t+0.0",
		"Validation loss\t0.3600\t0.2700\t-0.0900",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}

	// Paused, then finished.
	s := sampleSnapshot("/runs/demo")
	s.Paused = true
	h.u.apply(s)
	if h.u.train.pause.Text != "Resume" || !strings.HasPrefix(h.u.train.status.Text, "Paused") {
		t.Errorf("paused: button %q, status %q", h.u.train.pause.Text, h.u.train.status.Text)
	}
	s.Paused, s.Phase = false, PhaseDone
	s.Models[0].State, s.Models[1].State = "done", "done"
	h.u.apply(s)
	if cnn.bar.Value != 1 || dcnn.bar.Value != 1 {
		t.Errorf("done: progress %v, %v, want 1", cnn.bar.Value, dcnn.bar.Value)
	}
	if h.u.train.start.Disabled() || !h.u.train.pause.Disabled() || !h.u.train.stop.Disabled() || h.u.train.pause.Text != "Pause" {
		t.Error("buttons after the run: want start enabled, pause and stop disabled")
	}
	if strings.Contains(cnn.detail.Text, "ETA") {
		t.Errorf("a finished model still shows an ETA: %q", cnn.detail.Text)
	}
}

func TestBridgeCoalescesEvents(t *testing.T) {
	h := newHarness(t, "/runs")
	// A bridge of its own with a queue of its own, so that only its
	// applies are counted: the renderer and the Offsets worker post to the
	// window's queue whenever the (loaded) machine lets them get to it.
	q := &uiQueue{}
	b := newBridge(h.u, q.do)
	b.reset("/runs/x", "mnist", mnistModels)
	const perModel = 2000
	var wg sync.WaitGroup
	for _, m := range mnistModels {
		wg.Go(func() {
			for i := 1; i <= perModel; i++ {
				b.emit(train.Event{Kind: train.KindStep, Model: m, Step: metrics.Step{
					Epoch: 1, Epochs: 1, Batch: i, Batches: perModel, Step: i, Loss: 1 / float64(i)}})
			}
		})
	}
	b.emit(train.Event{Kind: train.KindStep, Model: "nobody"}) // ignored
	for range 5 {
		b.tick() // concurrent with the emitters: at most one apply waits
	}
	wg.Wait()
	for range 5 {
		b.tick()
	}
	if n := q.len(); n != 1 {
		t.Fatalf("%d applies queued, want 1 (the bridge must coalesce)", n)
	}
	q.drain()
	b.tick() // the queued apply ran: the newest state goes out
	q.drain()
	for _, m := range mnistModels {
		ms := h.u.last.Model(m)
		if ms == nil || ms.Step.Step != perModel {
			t.Fatalf("%s: applied step %+v, want the last one (%d)", m, ms, perModel)
		}
		if len(ms.StepX) == 0 || len(ms.StepX) > rundir.MaxStepPoints || len(ms.StepX) != len(ms.StepY) {
			t.Errorf("%s: step curve has %d/%d points", m, len(ms.StepX), len(ms.StepY))
		}
	}
	b.tick()
	if n := q.len(); n != 0 {
		t.Errorf("nothing changed, yet %d applies were queued", n)
	}
}

func TestSnapshotIsACopy(t *testing.T) {
	h := newHarness(t, "/runs")
	b := h.u.bridge
	b.reset("/runs/x", "mnist", mnistModels)
	b.emit(train.Event{Kind: train.KindEpoch, Model: "cnn", Epoch: metrics.Epoch{Model: "cnn", Epoch: 1}})
	b.emit(train.Event{Kind: train.KindStep, Model: "cnn", Step: metrics.Step{Epoch: 1, Batch: 1, Batches: 2, Loss: 1}})
	s := b.snapshot()
	b.emit(train.Event{Kind: train.KindEpoch, Model: "cnn", Epoch: metrics.Epoch{Model: "cnn", Epoch: 2}})
	s.Models[0].StepY[0] = 42
	s2 := b.snapshot()
	if len(s.Models[0].Epochs) != 1 || len(s2.Models[0].Epochs) != 2 {
		t.Errorf("epochs: old snapshot %d, new %d; want 1 and 2", len(s.Models[0].Epochs), len(s2.Models[0].Epochs))
	}
	if s2.Models[0].StepY[0] != 1 {
		t.Error("changing a snapshot changed the bridge's state")
	}
}

func TestProgressText(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    ModelState
		want string
	}{
		{"waiting", ModelState{}, "waiting"},
		{"built", ModelState{Params: 1234567}, "waiting · 1,234,567 parameters"},
		{"paused", ModelState{State: "paused", Params: 5, Step: metrics.Step{Epoch: 1, Epochs: 2, Batch: 3, Batches: 4,
			Loss: 0.5, ImagesPerSecond: 99.6, ETA: 3700 * time.Second}},
			"epoch 1/2 · batch 3/4 · loss 0.5000\n100 img/s · ETA 1h01m · paused"},
		{"done", ModelState{State: "done", Step: metrics.Step{Epoch: 2, Epochs: 2, Batch: 4, Batches: 4}},
			"epoch 2/2 · batch 4/4 · loss 0.0000\n0 img/s · done"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := progressText(&tc.m); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestETACountsDownWhileEvaluating checks that a model's ETA keeps moving
// while it evaluates (no steps arrive then), and that the bridge hands a
// fresh snapshot over once a second for it.
func TestETACountsDownWhileEvaluating(t *testing.T) {
	h := newHarness(t, "/runs")
	b := h.u.bridge
	clock := time.Unix(1000, 0)
	b.now = func() time.Time { return clock }
	b.reset("/runs/x", "mnist", []string{"cnn"})
	b.emit(train.Event{Kind: train.KindStep, Model: "cnn", Step: metrics.Step{Epoch: 1, Epochs: 1, Batch: 4,
		Batches: 4, ETA: 30 * time.Second}})
	b.emit(train.Event{Kind: train.KindState, Model: "cnn", State: "evaluating"})
	b.tick()
	h.q.drain()
	clock = clock.Add(12 * time.Second)
	b.tick() // nothing new arrived, but the ETA moved
	h.q.drain()
	if d := h.u.train.progress["cnn"].detail.Text; !strings.Contains(d, "ETA 18s") || !strings.Contains(d, "evaluating") {
		t.Errorf("12 s into the evaluation: %q, want ETA 18s · evaluating", d)
	}
	clock = clock.Add(time.Minute)
	b.tick()
	h.q.drain()
	if d := h.u.train.progress["cnn"].detail.Text; !strings.Contains(d, "ETA 0s") {
		t.Errorf("past the estimate: %q, want ETA 0s", d)
	}
}

// TestMeterReadsEmptyAtZero checks the progress bar at 0 %: no bar drawn,
// "0 %" written, and a track that is not the bar's colour.
func TestMeterReadsEmptyAtZero(t *testing.T) {
	h := newHarness(t, "/runs")
	m := h.u.train.progress["cnn"].bar
	m.SetValue(0)
	r := test.WidgetRenderer(m).(*meterRenderer)
	if !r.bar.Hidden || r.text.Text != "0 %" {
		t.Errorf("at 0: bar hidden %v, text %q", r.bar.Hidden, r.text.Text)
	}
	if r.track.FillColor == r.bar.FillColor {
		t.Error("the empty track has the bar's colour")
	}
	m.SetValue(0.5)
	if r.bar.Hidden || r.text.Text != "50 %" || r.bar.Size().Width != m.Size().Width/2 {
		t.Errorf("at 0.5: bar hidden %v, text %q, width %v of %v", r.bar.Hidden, r.text.Text, r.bar.Size().Width, m.Size().Width)
	}
}

// TestCropBuildETA checks that the crop build's progress carries an ETA at
// the rate since its first report (a resumed build's earlier images do not
// count as speed), and that a new session starts without one.
func TestCropBuildETA(t *testing.T) {
	h := newHarness(t, "/runs")
	b := h.u.bridge
	clock := time.Unix(1000, 0)
	b.now = func() time.Time { return clock }
	b.reset("/runs/x", "coco", []string{"cnn"})
	b.loadProgress(1000, 5000) // resumed after 1,000 images
	clock = clock.Add(10 * time.Second)
	b.loadProgress(2000, 5000) // 100 images/s: 30 s left
	b.mu.Lock()
	eta := b.state.LoadETA
	b.mu.Unlock()
	if eta != 30*time.Second {
		t.Errorf("LoadETA %v, want 30s", eta)
	}
	b.reset("/runs/y", "coco", []string{"cnn"})
	b.loadProgress(0, 5000)
	b.mu.Lock()
	eta = b.state.LoadETA
	b.mu.Unlock()
	if eta != 0 {
		t.Errorf("a new session starts with LoadETA %v", eta)
	}
}
