package app

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/viz"
	"go.uber.org/goleak"
)

const flowTimeout = 3 * time.Minute

func modelsIn(h *harness, state string) bool {
	for _, m := range mnistModels {
		if ms := h.u.last.Model(m); ms == nil || ms.State != state {
			return false
		}
	}
	return true
}

func TestStartPauseResumeFinish(t *testing.T) {
	needMNIST(t)
	h := newHarness(t, t.TempDir())
	h.u.train.form.set(tinyConfig())

	test.Tap(h.u.train.start)
	if p := h.u.last.Phase; p != PhaseLoading {
		t.Fatalf("after Start: phase %s, want loading", p)
	}
	if !h.u.train.start.Disabled() || !h.u.train.form.epochs.Disabled() {
		t.Error("Start and the settings stay enabled while a session runs")
	}
	test.Tap(h.u.train.pause)
	if h.u.train.pause.Text != "Resume" {
		t.Errorf("pause button reads %q after pausing, want Resume", h.u.train.pause.Text)
	}
	h.waitFor("both trainers to pause", flowTimeout, func() bool { return modelsIn(h, "paused") })
	if !strings.HasPrefix(h.u.train.status.Text, "Paused") {
		t.Errorf("status while paused = %q", h.u.train.status.Text)
	}
	time.Sleep(200 * time.Millisecond)
	h.q.drain()
	for _, m := range mnistModels {
		if s := h.u.last.Model(m).Step.Step; s != 0 {
			t.Errorf("%s took %d steps while paused", m, s)
		}
	}

	test.Tap(h.u.train.pause)
	if h.u.train.pause.Text != "Pause" {
		t.Errorf("pause button reads %q after resuming", h.u.train.pause.Text)
	}
	h.waitFor("the run to finish", flowTimeout, func() bool { return h.u.last.Phase == PhaseDone })

	if h.w.Canvas().Overlays().Top() != nil {
		t.Errorf("a dialog is shown after a clean run: %q", h.overlayText())
	}
	for _, m := range mnistModels {
		if v := h.u.train.progress[m].bar.Value; v != 1 {
			t.Errorf("%s progress = %v, want 1", m, v)
		}
		if ms := h.u.last.Model(m); len(ms.Epochs) != 1 || ms.Params == 0 {
			t.Errorf("%s: %d epochs, %d parameters", m, len(ms.Epochs), ms.Params)
		}
	}
	if table := h.u.results.table.text(); strings.Contains(lineOf(table, "Test accuracy"), "–") {
		t.Errorf("test accuracy missing from the table:\n%s", table)
	}
	if h.u.train.start.Disabled() || !h.u.train.pause.Disabled() || !h.u.train.stop.Disabled() {
		t.Error("after the run: want Start enabled, Pause and Stop disabled")
	}
	for _, f := range []string{"config.json", "metrics.csv", "cnn-epoch001.safetensors", "dcnn-epoch001.safetensors"} {
		if _, err := os.Stat(filepath.Join(h.u.last.RunDir, f)); err != nil {
			t.Errorf("run folder: %v", err)
		}
	}
	h.settle()
	h.capture("after-run")
	for id, v := range allViews(h.u) {
		if v.img.Image == nil && (id == viz.FigLoss || id == viz.FigAccuracy || id == viz.FigStepLoss) {
			t.Errorf("figure %s shows no image after the run: %q", id, v.msg.Text)
		}
	}
}

func lineOf(text, prefix string) string {
	for l := range strings.SplitSeq(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

func TestStopLeavesNoGoroutine(t *testing.T) {
	needMNIST(t)
	h := newHarness(t, t.TempDir())
	ignore := goleak.IgnoreCurrent() // the harness's renderer stays
	rc := tinyConfig()
	rc.Train.Epochs = 50
	h.u.train.form.set(rc)
	test.Tap(h.u.train.start)
	h.waitFor("training steps", flowTimeout, func() bool {
		ms := h.u.last.Model("dcnn")
		return ms != nil && ms.Step.Step > 0
	})
	test.Tap(h.u.train.stop)
	if !h.tapDialogButton("Stop, keep the folder") && !h.tapDialogButton("Stop") {
		t.Fatalf("Stop asks nothing: %q", h.overlayText())
	}
	if h.u.last.Phase != PhaseStopping || !h.u.train.stop.Disabled() {
		t.Errorf("after Stop: phase %s, stop disabled %v", h.u.last.Phase, h.u.train.stop.Disabled())
	}
	h.waitFor("the session to stop", flowTimeout, func() bool { return h.u.last.Phase == PhaseStopped })
	if h.w.Canvas().Overlays().Top() != nil {
		t.Errorf("stopping shows a dialog: %q", h.overlayText())
	}
	if !strings.HasPrefix(h.u.train.status.Text, "Stopped") {
		t.Errorf("status = %q", h.u.train.status.Text)
	}
	for _, m := range mnistModels {
		if d := h.u.train.progress[m].detail.Text; !strings.Contains(d, "stopped") || strings.Contains(d, "ETA") {
			t.Errorf("%s after stop: %q, want it stopped without an ETA", m, d)
		}
	}
	if err := goleak.Find(ignore); err != nil {
		t.Errorf("the stopped session left goroutines behind: %v", err)
	}

	// A second run starts after a stop.
	h.u.train.form.set(tinyConfig())
	test.Tap(h.u.train.start)
	h.waitFor("the second run", flowTimeout, func() bool { return h.u.last.Phase == PhaseDone })
}

func TestCloseMidTrainingWaitsForGoroutines(t *testing.T) {
	needMNIST(t)
	ignore := goleak.IgnoreCurrent()
	h := newHarness(t, t.TempDir())
	rc := tinyConfig()
	rc.Train.Epochs = 50
	h.u.train.form.set(rc)
	test.Tap(h.u.train.start)
	h.waitFor("training steps", flowTimeout, func() bool {
		ms := h.u.last.Model("cnn")
		return ms != nil && ms.Step.Step > 0
	})
	start := time.Now()
	h.u.Close() // what the window's close intercept does
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("closing took %v", d)
	}
	if err := goleak.Find(ignore); err != nil {
		t.Errorf("closing mid-training left goroutines behind: %v", err)
	}
	s := h.u.sess
	h.u.Start() // closed: does nothing
	if h.u.sess != s {
		t.Error("a closed window started a session")
	}
}

// TestCloseStopsWorkBeforeWaiting: Close tells the exports under way to
// stop before it waits for them (it once waited for every export first and
// cancelled the Offsets view's work only after). Each stand-in export below
// ends only once told to stop, so a Close that waited first never returns.
func TestCloseStopsWorkBeforeWaiting(t *testing.T) {
	h := newHarness(t, t.TempDir())
	var mu sync.Mutex
	var stopped []string
	for _, w := range []struct {
		name string
		ctx  context.Context
	}{{"curves export", h.u.exportCtx}, {"offsets export", h.u.offsets.w.ctx}} {
		h.u.exportWG.Add(1)
		go func() {
			defer h.u.exportWG.Done()
			<-w.ctx.Done()
			mu.Lock()
			stopped = append(stopped, w.name)
			mu.Unlock()
		}()
	}
	closed := make(chan struct{})
	go func() {
		h.u.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(time.Minute): // a guard against hanging, not a measure
		t.Fatal("Close waits for exports that it has not told to stop")
	}
	if len(stopped) != 2 {
		t.Errorf("stopped %v when Close returned; want both exports", stopped)
	}
}

func TestBadMNISTFolderShowsError(t *testing.T) {
	runs := t.TempDir()
	h := newHarness(t, runs)
	rc := tinyConfig()
	rc.MNISTDir = t.TempDir() // empty
	h.u.train.form.set(rc)
	test.Tap(h.u.train.start)
	h.waitFor("the session to fail", flowTimeout, func() bool { return h.u.last.Phase == PhaseFailed })
	got := h.overlayText()
	if !strings.Contains(strings.ToLower(got), "loading mnist") || !strings.Contains(got, rc.MNISTDir) {
		t.Errorf("error dialog says %q; want the MNIST folder named", got)
	}
	if h.u.train.start.Disabled() || !h.u.train.pause.Disabled() {
		t.Error("after a failure Start must be enabled again")
	}
	if left, _ := os.ReadDir(runs); len(left) > 0 {
		t.Errorf("the failed run left %s behind in the runs folder", left[0].Name())
	}
	if h.u.last.RunDir != "" || strings.Contains(h.u.train.status.Text, "run folder") {
		t.Errorf("after the run folder was removed: RunDir %q, status %q", h.u.last.RunDir, h.u.train.status.Text)
	}
}

func TestInvalidSettingsShowError(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		edit       func(f *trainForm)
	}{
		{"epochs", "epochs: want a whole number", func(f *trainForm) { f.epochs.SetText("many") }},
		{"zero batch", "batch: want a whole number of at least 1", func(f *trainForm) { f.batch.SetText("0") }},
		{"learning rate", "learning rate", func(f *trainForm) { f.lr.SetText("-1") }},
		{"scales", "test scales", func(f *trainForm) { f.scales.SetText("0.5:x") }},
		{"seed", "seed", func(f *trainForm) { f.seed.SetText("-3") }},
		{"runs folder", "choose a folder", func(f *trainForm) { f.runsDir.SetText(" ") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, t.TempDir())
			tc.edit(h.u.train.form)
			test.Tap(h.u.train.start)
			h.q.drain()
			if h.u.last.Phase != PhaseIdle {
				t.Errorf("phase %s, want idle", h.u.last.Phase)
			}
			if got := h.overlayText(); !strings.Contains(strings.ToLower(got), strings.ToLower(tc.want)) {
				t.Errorf("dialog says %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFormRoundTrip(t *testing.T) {
	sgd := defaultConfig()
	sgd.DCNv1, sgd.Scales, sgd.MNISTDir = true, nil, "/data/mnist"
	sgd.Train.Optimizer, sgd.Train.Momentum, sgd.Train.LR, sgd.Train.Seed = "sgd", 0.9, 0.05, 7
	for _, tc := range []struct {
		name string
		rc   experiment.RunConfig
	}{
		{"demo", demoConfig()},
		{"default", defaultConfig()},
		{"sgd dcnv1 no scales", sgd},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, t.TempDir())
			h.u.train.form.set(tc.rc)
			got, err := h.u.train.form.config()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.rc) {
				t.Errorf("form round trip:\n got %+v\nwant %+v", got, tc.rc)
			}
		})
	}
}

func TestShortcuts(t *testing.T) {
	needMNIST(t)
	h := newHarness(t, t.TempDir())
	rc := tinyConfig()
	rc.Train.Epochs = 50
	h.u.train.form.set(rc)
	press := func(key fyne.KeyName) {
		h.w.Canvas().(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault})
	}
	// Typed while an entry has the focus (Fyne hands shortcuts to the
	// focused widget): the entry passes it on to the window.
	h.w.Canvas().Focus(h.u.train.form.epochs)
	h.u.train.form.epochs.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyReturn, Modifier: fyne.KeyModifierShortcutDefault})
	if !h.u.last.Phase.Active() {
		t.Fatalf("Ctrl+Enter in the epochs entry: phase %s, want a running session", h.u.last.Phase)
	}
	// The entry keeps its own shortcuts.
	h.u.train.form.seed.TypedShortcut(&fyne.ShortcutSelectAll{})
	if h.u.train.form.seed.SelectedText() != h.u.train.form.seed.Text {
		t.Errorf("Ctrl+A in the seed entry selected %q of %q", h.u.train.form.seed.SelectedText(), h.u.train.form.seed.Text)
	}
	press(fyne.KeyP)
	if h.u.train.pause.Text != "Resume" {
		t.Error("Ctrl+P did not pause")
	}
	press(fyne.KeyP)
	if h.u.train.pause.Text != "Pause" {
		t.Error("Ctrl+P did not resume")
	}
	press(fyne.KeyPeriod) // asks first, saying what the run folder keeps
	if !h.tapDialogButton("Stop, keep the folder") && !h.tapDialogButton("Stop") {
		t.Fatalf("Ctrl+. asks nothing: %q", h.overlayText())
	}
	h.waitFor("the session to stop", flowTimeout, func() bool { return h.u.last.Phase == PhaseStopped })
	// Typed in the Offsets view's image entry, too.
	h.u.offsets.index.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyE, Modifier: fyne.KeyModifierShortcutDefault})
	if got := h.overlayText(); !strings.Contains(got, "Export figures") {
		t.Errorf("Ctrl+E in the Offsets view's entry shows %q, want the export dialog", got)
	}
}

// TestStopBeforeFirstEpochAsksAndRemoves checks the stop question before
// any epoch finished: it says so, offers to remove the run folder, and
// after removing it the window shows again the run shown before.
func TestStopBeforeFirstEpochAsksAndRemoves(t *testing.T) {
	needMNIST(t)
	runs := t.TempDir()
	h := newHarness(t, runs)
	before := sampleSnapshot(filepath.Join(runs, "earlier"))
	before.Phase = PhaseDone
	h.u.apply(before)
	rc := tinyConfig()
	rc.Limit, rc.Train.Epochs = 0, 1 // 60,000 images: the first epoch takes a while
	h.u.train.form.set(rc)
	test.Tap(h.u.train.start)
	h.waitFor("training steps", flowTimeout, func() bool {
		ms := h.u.last.Model("cnn")
		return ms != nil && ms.Step.Step > 0
	})
	dir := h.u.last.RunDir
	test.Tap(h.u.train.stop)
	if text := h.overlayText(); !strings.Contains(text, "No epoch has finished") {
		t.Errorf("the stop question says %q, want it to say no epoch finished", text)
	}
	test.Tap(h.u.train.stop) // asked once: a second Stop adds no second question
	if !h.tapDialogButton("Stop, remove the folder") {
		t.Fatalf("no button to remove the folder: %q", h.overlayText())
	}
	if h.w.Canvas().Overlays().Top() != nil {
		t.Errorf("a second question is shown: %q", h.overlayText())
	}
	h.waitFor("the session to end", flowTimeout, func() bool { return !h.u.last.Phase.Active() && h.u.prev == nil })
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the run folder %s is still there (%v)", dir, err)
	}
	if h.u.last.RunDir != before.RunDir || len(h.u.last.Model("cnn").Epochs) != 1 {
		t.Errorf("after the stop the window shows %q, want the run before (%s)", h.u.last.RunDir, before.RunDir)
	}
	if !strings.Contains(h.u.train.status.Text, "run folder removed") {
		t.Errorf("status = %q", h.u.train.status.Text)
	}
}

// TestFailedStartKeepsTheRunShown checks that a Start that fails (a bad
// MNIST folder) leaves the run shown before on screen and says what failed.
func TestFailedStartKeepsTheRunShown(t *testing.T) {
	runs := t.TempDir()
	h := newHarness(t, runs)
	before := sampleSnapshot(filepath.Join(runs, "earlier"))
	before.Phase = PhaseDone
	h.u.apply(before)
	tableBefore := h.u.results.table.text()
	rc := tinyConfig()
	rc.MNISTDir = t.TempDir() // empty
	h.u.train.form.set(rc)
	test.Tap(h.u.train.start)
	h.waitFor("the failure", flowTimeout, func() bool { return h.w.Canvas().Overlays().Top() != nil })
	if got := h.overlayText(); !strings.Contains(got, rc.MNISTDir) {
		t.Errorf("error dialog says %q; want the MNIST folder named", got)
	}
	if h.u.last.RunDir != before.RunDir || h.u.results.table.text() != tableBefore {
		t.Errorf("after the failed start the window shows %q, want the run before (%s)", h.u.last.RunDir, before.RunDir)
	}
	if !strings.HasPrefix(h.u.train.status.Text, "Start failed") || !strings.Contains(h.u.train.status.Text, before.RunDir) {
		t.Errorf("status = %q", h.u.train.status.Text)
	}
	if left, _ := os.ReadDir(runs); len(left) > 0 {
		t.Errorf("the failed run left %s behind", left[0].Name())
	}
}
