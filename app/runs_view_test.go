package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/viz"
)

// runsAction selects row of the Runs tab and taps button b.
func (h *harness) runsAction(row int, b *widget.Button) {
	h.t.Helper()
	h.u.tabs.SelectIndex(3)
	h.u.runs.table.Select(widget.TableCellID{Row: row, Col: colName})
	if b.Disabled() {
		h.t.Fatalf("%s is disabled for row %d", b.Text, row)
	}
	test.Tap(b)
}

// TestRunsViewOpensAPastRun trains a run, then in a second window (the
// next launch) lists it, opens it into Curves, Results and Offsets,
// renames it and deletes it; a damaged run is listed as such and opening
// it leaves the window as it was.
func TestRunsViewOpensAPastRun(t *testing.T) {
	needMNIST(t)
	runs := t.TempDir()
	h := newHarness(t, runs)
	h.u.train.form.set(tinyConfig())
	test.Tap(h.u.train.start)
	h.waitFor("the run", flowTimeout, func() bool { return h.u.last.Phase == PhaseDone })
	h.waitFor("the session's end", flowTimeout, func() bool { return len(h.u.runs.runs) == 1 })
	trained := h.u.last.RunDir
	tableAfterRun := h.u.results.table.text()
	if _, err := os.Stat(filepath.Join(trained, "steps.json")); err != nil {
		t.Errorf("the run kept no per-step loss: %v", err)
	}

	// An incomplete run (stopped before an epoch) and a damaged one.
	rc := tinyConfig()
	if _, err := rundir.Create(filepath.Join(runs, "0-empty"), rc); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(runs, "0-broken")
	if _, err := rundir.Create(broken, rc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(broken, "metrics.jsonl"), []byte("{oops\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	u := h.relaunch()
	v := u.runs
	v.refresh()
	if len(v.runs) != 3 {
		t.Fatalf("the Runs view lists %d runs, want 3", len(v.runs))
	}
	row := func(dir string) int {
		for i, r := range v.runs {
			if r.Dir == dir {
				return i
			}
		}
		t.Fatalf("%s is not listed", dir)
		return -1
	}
	cellText := func(r, c int) string {
		o := newRunsCell()
		v.cell(widget.TableCellID{Row: r, Col: c}, o)
		return o.(*fyne.Container).Objects[0].(*widget.Label).Text
	}
	if s := cellText(row(trained), colState); s != "complete" {
		t.Errorf("the trained run's state %q", s)
	}
	if s := cellText(row(trained), colBest); !strings.Contains(s, "CNN") || !strings.Contains(s, "DCNN") || !strings.Contains(s, "%") {
		t.Errorf("the trained run's best accuracies %q", s)
	}
	if s := cellText(row(filepath.Join(runs, "0-empty")), colState); !strings.Contains(s, "no complete epoch") {
		t.Errorf("the empty run's state %q", s)
	}
	if s := cellText(row(broken), colState); !strings.Contains(s, "damaged") || !strings.Contains(s, "metrics.jsonl") {
		t.Errorf("the damaged run's state %q", s)
	}

	// Open the trained run: Curves, Results and Offsets as after training.
	h.runsAction(row(trained), v.open)
	if u.last.RunDir != trained || u.run == nil || u.run.Dir != trained {
		t.Fatalf("after Open the window shows %q, want %s", u.last.RunDir, trained)
	}
	if got := u.results.table.text(); got != tableAfterRun {
		t.Errorf("the results table of the opened run:\n%s\nwant, as after training:\n%s", got, tableAfterRun)
	}
	if u.tabs.SelectedIndex() != 0 {
		t.Errorf("after Open the tab shown is %d, want the curves", u.tabs.SelectedIndex())
	}
	h.settle()
	for _, id := range []viz.FigureID{viz.FigLoss, viz.FigAccuracy, viz.FigStepLoss, viz.ConfusionFigure("cnn")} {
		if viewOf(u, id).img.Image == nil {
			t.Errorf("figure %s of the opened run shows no image: %q", id, viewOf(u, id).msg.Text)
		}
	}
	if u.offsets.sessDir != trained {
		t.Errorf("the Offsets view follows %q, want the opened run", u.offsets.sessDir)
	}
	if !strings.Contains(u.train.status.Text, "Opened") {
		t.Errorf("status %q", u.train.status.Text)
	}

	// Opening the damaged run fails and leaves the window as it was.
	v.refresh()
	u.tabs.SelectIndex(3)
	v.table.Select(widget.TableCellID{Row: row(broken), Col: colName})
	if !v.open.Disabled() {
		t.Error("Open is enabled for a damaged run")
	}
	if err := u.OpenRun(broken); err == nil || u.last.RunDir != trained {
		t.Errorf("opening a damaged run: %v; the window shows %q", err, u.last.RunDir)
	}

	// Rename, then delete.
	if err := rundir.SetName(trained, "first try"); err != nil {
		t.Fatal(err)
	}
	v.refresh()
	if s := cellText(row(trained), colName); s != "first try" {
		t.Errorf("the renamed run is listed as %q", s)
	}
	h.runsAction(row(trained), v.remove)
	if text := h.overlayText(); !strings.Contains(text, trained) {
		t.Errorf("the delete question says %q, want the folder named", text)
	}
	if !h.tapDialogButton("Delete") {
		t.Fatalf("no Delete button: %q", h.overlayText())
	}
	if _, err := os.Stat(trained); !os.IsNotExist(err) {
		t.Errorf("the deleted run is still there (%v)", err)
	}
	if u.last.RunDir != "" || len(v.runs) != 2 {
		t.Errorf("after deleting the run shown: window shows %q, %d runs listed", u.last.RunDir, len(v.runs))
	}
}
