package app

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/rundir"
)

// TestContinueStoppedRun: a run stopped after its first of two epochs
// opens with Continue shown, and Continue trains it to the end with the
// same numbers as a run trained without a stop (the resume of dcn train
// --resume). The form follows the opened run, whichever data set it showed.
func TestContinueStoppedRun(t *testing.T) {
	ref, refRecs := tinyRun(t)
	one := func(rc *experiment.RunConfig) { rc.Train.Epochs = 1 }
	stopped, _ := tinyRun(t, one)
	ref.Release() // trained: as Launch would at its end, let go of the folders' locks
	stopped.Release()
	// A run interrupted during its second epoch: config.json says 2, one
	// epoch is complete.
	if err := stopped.SetEpochs(2); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, t.TempDir())
	h.u.train.form.dataset.SetSelected(dataCOCO) // the form on the other data set
	if err := h.u.OpenRun(stopped.Dir); err != nil {
		t.Fatal(err)
	}
	f := h.u.train.form
	if f.datasetKey() != "mnist" || f.epochs.Text != "2" || f.limit.Text != "128" {
		t.Errorf("after opening an MNIST run the form shows %s, %s epochs, %s images; want the run's mnist, 2, 128",
			f.datasetKey(), f.epochs.Text, f.limit.Text)
	}
	for _, m := range []string{"cnn", "dcnn"} {
		p, ok := h.u.train.progress[m]
		if !ok || !strings.Contains(p.detail.Text, "1 of 2 epochs") {
			t.Errorf("%s's progress row: %v %q, want the run's 1 of 2 epochs", m, ok, p.detail.Text)
		}
	}
	if !h.u.train.cont.Visible() || !strings.Contains(h.u.train.cont.Text, "1 of 2") {
		t.Fatalf("Continue: visible %v, %q; want it shown for a run stopped after 1 of 2 epochs",
			h.u.train.cont.Visible(), h.u.train.cont.Text)
	}

	// A setting that a resume cannot change is refused by name.
	f.lr.SetText("0.5")
	h.u.Continue()
	if got := h.overlayText(); !strings.Contains(got, "learning rate 0.5") || h.u.last.Phase.Active() {
		t.Errorf("Continue with another learning rate: %q (phase %s), want a refusal naming it", got, h.u.last.Phase)
	}
	h.w.Canvas().Overlays().Top().Hide()
	f.lr.SetText("0.001")

	h.u.Continue()
	h.waitFor("the continued run", flowTimeout, func() bool { return !h.u.last.Phase.Active() && h.u.sess != nil })
	if h.u.last.Phase != PhaseDone || h.u.train.cont.Visible() {
		t.Fatalf("after Continue: phase %s, Continue shown %v; want done and hidden (status %q)",
			h.u.last.Phase, h.u.train.cont.Visible(), h.u.train.status.Text)
	}
	run, err := rundir.Open(stopped.Dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]float64{}
	for _, r := range run.Records() {
		got[r.Model] = append(got[r.Model], float64(r.TrainLoss), float64(r.TestAcc))
	}
	for m, recs := range refRecs {
		var want []float64
		for _, r := range recs {
			want = append(want, float64(r.TrainLoss), float64(r.TestAcc))
		}
		if len(got[m]) != len(want) {
			t.Fatalf("%s: %d records after Continue, want %d", m, len(got[m])/2, len(want)/2)
		}
		for i := range want {
			if got[m][i] != want[i] {
				t.Errorf("%s epoch %d: train loss, test accuracy %v after a stop and Continue, %v without a stop (%s)",
					m, i/2+1, got[m][i&^1:i&^1+2], want[i&^1:i&^1+2], ref.Dir)
				break
			}
		}
		if s := h.u.last.Model(m); s == nil || len(s.Epochs) != 2 {
			t.Errorf("%s: the window shows %v epochs after Continue, want 2", m, s)
		}
	}
}

// TestContinueRefusedKeepsConfig: a Continue refused because the run's
// folder cannot be read back (here a damaged steps.json) leaves config.json
// as it was; SetEpochs rewrote it first, so the refused run's epochs were
// already raised on disk.
func TestContinueRefusedKeepsConfig(t *testing.T) {
	stopped, _ := tinyRun(t, func(rc *experiment.RunConfig) { rc.Train.Epochs = 1 })
	stopped.Release()
	if err := stopped.SetEpochs(2); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, t.TempDir())
	if err := h.u.OpenRun(stopped.Dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stopped.Dir, "steps.json"), []byte("{damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.u.train.form.epochs.SetText("3")
	h.u.Continue()
	if got := h.overlayText(); !strings.Contains(got, "steps.json") || h.u.last.Phase.Active() {
		t.Errorf("Continue of a run with a damaged steps.json: %q (phase %s), want a refusal naming it", got, h.u.last.Phase)
	}
	run, err := rundir.Open(stopped.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if run.Config.Train.Epochs != 2 {
		t.Errorf("after a refused Continue config.json says %d epochs, want the run's 2", run.Config.Train.Epochs)
	}
	// The lock was let go: the run can be opened for resume again.
	again, err := rundir.OpenForResume(stopped.Dir)
	if err != nil {
		t.Fatalf("after a refused Continue: %v", err)
	}
	again.Release()
}

// TestOpenRunFollowsCOCO: with the form on MNIST, opening a COCO run (here
// one with no complete epoch) shows its settings and its models' rows.
func TestOpenRunFollowsCOCO(t *testing.T) {
	needCOCO128(t)
	rc := tinyCOCO(t, placeFirst)
	run, err := rundir.Create(filepath.Join(t.TempDir(), "coco-run"), rc)
	if err != nil {
		t.Fatal(err)
	}
	run.Release()
	h := newHarness(t, t.TempDir())
	if h.u.train.form.datasetKey() != "mnist" {
		t.Fatalf("the form starts on %s", h.u.train.form.datasetKey())
	}
	if err := h.u.OpenRun(run.Dir); err != nil {
		t.Fatal(err)
	}
	f := h.u.train.form
	if f.datasetKey() != "coco" || f.place.Selected != placeFirst || f.cropSize.Text != "16" || f.topK.Text != "3" {
		t.Errorf("the form shows %s, placement %s, crops %s px, %s categories; want the run's coco, first, 16, 3",
			f.datasetKey(), f.place.Selected, f.cropSize.Text, f.topK.Text)
	}
	if !slices.Equal(h.u.train.rows, []string{"cnn", "dcnn-first"}) {
		t.Errorf("progress rows %v, want the run's cnn, dcnn-first", h.u.train.rows)
	}
	for _, m := range h.u.train.rows {
		if p := h.u.train.progress[m]; !strings.Contains(p.detail.Text, "0 of 1 epochs") {
			t.Errorf("%s's row says %q, want the run's 0 of 1 epochs", m, p.detail.Text)
		}
	}
}

// TestRunsTabContinue: the Runs tab offers Continue for a stopped run only,
// and Continue there opens the run and goes on with it.
func TestRunsTabContinue(t *testing.T) {
	stopped, _ := tinyRun(t, func(rc *experiment.RunConfig) { rc.Train.Epochs = 1 })
	stopped.Release()
	if err := stopped.SetEpochs(2); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, filepath.Dir(stopped.Dir))
	v := h.u.runs
	v.refresh()
	if len(v.runs) != 1 {
		t.Fatalf("the Runs tab lists %d runs, want 1", len(v.runs))
	}
	if !v.cont.Disabled() {
		t.Error("Continue enabled with no run selected")
	}
	v.table.Select(widget.TableCellID{Row: 0, Col: 0})
	if v.cont.Disabled() {
		t.Fatal("Continue disabled for a run stopped after 1 of 2 epochs")
	}
	test.Tap(v.cont)
	if h.u.last.RunDir != stopped.Dir || !h.u.last.Phase.Active() {
		t.Fatalf("after Continue: run %q, phase %s; want %s going on", h.u.last.RunDir, h.u.last.Phase, stopped.Dir)
	}
	h.waitFor("the continued run", flowTimeout, func() bool { return h.u.last.Phase == PhaseDone })
	v.refresh()
	v.table.Select(widget.TableCellID{Row: 0, Col: 0})
	if !v.cont.Disabled() {
		t.Error("Continue enabled for a complete run")
	}
}
