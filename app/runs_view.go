package app

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/rundir"
)

// runsView is the Runs tab: every run in the runs folder with its date,
// data set, models, epochs and best accuracies, and the name the user gave
// it. A run opens into Curves, Results and Offsets as if it had just
// trained; runs can be renamed and removed. It belongs to the UI goroutine.
type runsView struct {
	u      *UI
	runs   []rundir.RunInfo
	sel    int // the selected row, -1 for none
	folder *widget.Label
	table  *widget.Table
	info   *widget.Label
	open   *widget.Button
	cont   *widget.Button // Continue: open a stopped run and go on with it
	rename *widget.Button
	remove *widget.Button
	root   fyne.CanvasObject
}

// The Runs table's columns.
var runsColumns = []struct {
	title string
	width float32
}{
	{"Name", 210}, {"Started", 140}, {"Data", 70}, {"Models", 190}, {"Epochs", 70}, {"Best test accuracy", 250}, {"State", 190},
}

func newRunsView(u *UI) *runsView {
	v := &runsView{u: u, sel: -1, folder: widget.NewLabel(""), info: widget.NewLabel("")}
	v.folder.Truncation = fyne.TextTruncateEllipsis
	v.info.Wrapping = fyne.TextWrapWord
	v.table = widget.NewTableWithHeaders(v.size, func() fyne.CanvasObject {
		l := widget.NewLabel("")
		l.Truncation = fyne.TextTruncateEllipsis
		return l
	}, v.cell)
	v.table.ShowHeaderColumn = false
	v.table.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	v.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Row < 0 && id.Col >= 0 && id.Col < len(runsColumns) {
			o.(*widget.Label).SetText(runsColumns[id.Col].title)
		}
	}
	for i, c := range runsColumns {
		v.table.SetColumnWidth(i, c.width)
	}
	v.table.OnSelected = func(id widget.TableCellID) { v.selected(id.Row) }
	v.open = widget.NewButtonWithIcon("Open", theme.FolderOpenIcon(), v.openSelected)
	v.open.Importance = widget.HighImportance
	v.cont = widget.NewButtonWithIcon("Continue", theme.MediaFastForwardIcon(), v.continueSelected)
	v.rename = widget.NewButtonWithIcon("Rename…", theme.DocumentCreateIcon(), v.renameSelected)
	v.remove = widget.NewButtonWithIcon("Delete…", theme.DeleteIcon(), v.removeSelected)
	refresh := widget.NewButtonWithIcon("Refresh", theme.ViewRefreshIcon(), v.refresh)
	choose := widget.NewButton("Choose…", u.chooseRunsDir)
	top := container.NewBorder(nil, nil, widget.NewLabelWithStyle("Runs folder", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewHBox(choose, refresh), v.folder)
	actions := container.NewHBox(v.open, v.cont, v.rename, v.remove)
	bottom := container.NewVBox(widget.NewSeparator(), actions, v.info)
	v.root = container.NewBorder(top, bottom, nil, nil, v.table)
	v.syncButtons()
	return v
}

func (v *runsView) object() fyne.CanvasObject { return v.root }

func (v *runsView) size() (int, int) { return len(v.runs), len(runsColumns) }

// cell fills one cell of the table.
func (v *runsView) cell(id widget.TableCellID, o fyne.CanvasObject) {
	l := o.(*widget.Label)
	if id.Row < 0 || id.Row >= len(v.runs) {
		l.SetText("")
		return
	}
	ri := v.runs[id.Row]
	l.Importance = widget.MediumImportance
	var text string
	switch id.Col {
	case 0:
		text = ri.Title()
	case 1:
		text = ri.Created.Format("2006-01-02 15:04")
	case 2:
		switch ri.Config.Data {
		case "coco":
			text = "COCO"
		case "mnist":
			text = "MNIST"
		default:
			text = "?"
		}
	case 3:
		text = strings.ToUpper(strings.Join(ri.Config.Models, ", "))
	case 4:
		done := 0
		for _, m := range ri.Models {
			done = max(done, m.Epochs)
		}
		text = fmt.Sprintf("%d of %d", done, ri.Config.Train.Epochs)
	case 5:
		text = bestText(ri)
	case 6:
		text, l.Importance = runState(ri)
	}
	l.SetText(text)
}

// bestText lists each model's best test accuracy.
func bestText(ri rundir.RunInfo) string {
	var parts []string
	for _, m := range ri.Models {
		if math.IsNaN(m.BestTest) {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %.2f %%", strings.ToUpper(m.Model), m.BestTest))
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, " · ")
}

// runState says whether a run is complete, and if not what it holds.
func runState(ri rundir.RunInfo) (string, widget.Importance) {
	switch {
	case ri.Err != nil:
		return "damaged: " + ri.Err.Error(), widget.DangerImportance
	case ri.Complete():
		return "complete", widget.SuccessImportance
	case !ri.Trained():
		return "incomplete: no complete epoch", widget.WarningImportance
	}
	return "incomplete (stopped)", widget.WarningImportance
}

// refresh lists the runs folder again, keeping the selected run selected.
func (v *runsView) refresh() {
	root := strings.TrimSpace(v.u.train.form.runsDir.Text)
	v.folder.SetText(root)
	var selDir string
	if v.sel >= 0 && v.sel < len(v.runs) {
		selDir = v.runs[v.sel].Dir
	}
	runs, err := rundir.ListRuns(root)
	v.runs = runs
	v.sel = slices.IndexFunc(runs, func(r rundir.RunInfo) bool { return r.Dir == selDir })
	switch {
	case err != nil:
		v.info.SetText(err.Error())
	case len(runs) == 0:
		v.info.SetText("No runs in this folder yet: train one (Start), or choose the folder that holds them.")
	default:
		v.info.SetText(fmt.Sprintf("%d runs. Select one to open, rename or delete it; an incomplete run opens with the epochs it finished.", len(runs)))
	}
	v.table.Refresh()
	if v.sel >= 0 {
		v.table.Select(widget.TableCellID{Row: v.sel, Col: 0})
	} else {
		v.table.UnselectAll()
	}
	v.syncButtons()
}

func (v *runsView) selected(row int) {
	v.sel = row
	v.syncButtons()
}

// selectedRun returns the selected run, if any.
func (v *runsView) selectedRun() (rundir.RunInfo, bool) {
	if v.sel < 0 || v.sel >= len(v.runs) {
		return rundir.RunInfo{}, false
	}
	return v.runs[v.sel], true
}

func (v *runsView) syncButtons() {
	ri, ok := v.selectedRun()
	training := v.u.last.Phase.Active()
	setEnabled(v.open, ok && ri.Err == nil && !training)
	setEnabled(v.cont, ok && ri.Err == nil && !training && !ri.Complete())
	setEnabled(v.rename, ok)
	setEnabled(v.remove, ok && !(training && ri.Dir == v.u.last.RunDir))
}

func (v *runsView) openSelected() {
	ri, ok := v.selectedRun()
	if !ok {
		return
	}
	if err := v.u.OpenRun(ri.Dir); err != nil {
		dialog.ShowError(err, v.u.win)
		return
	}
	v.u.tabs.SelectIndex(0) // the curves
}

// continueSelected opens the selected run and continues it (UI.Continue).
func (v *runsView) continueSelected() {
	ri, ok := v.selectedRun()
	if !ok {
		return
	}
	if err := v.u.OpenRun(ri.Dir); err != nil {
		dialog.ShowError(err, v.u.win)
		return
	}
	v.u.tabs.SelectIndex(0)
	v.u.Continue()
}

func (v *runsView) renameSelected() {
	ri, ok := v.selectedRun()
	if !ok {
		return
	}
	e := widget.NewEntry()
	e.SetText(ri.Name)
	e.SetPlaceHolder(filepath.Base(ri.Dir))
	dialog.ShowForm("Rename run", "Rename", "Cancel", []*widget.FormItem{
		{Text: "Name", Widget: e, HintText: "empty: the folder's name"},
	}, func(ok bool) {
		if !ok {
			return
		}
		if err := rundir.SetName(ri.Dir, e.Text); err != nil {
			dialog.ShowError(err, v.u.win)
			return
		}
		v.refresh()
	}, v.u.win)
}

func (v *runsView) removeSelected() {
	ri, ok := v.selectedRun()
	if !ok {
		return
	}
	msg := fmt.Sprintf("Delete the run %q?\n\nThe folder %s and everything in it (checkpoints, metrics, figures) is removed from disk.",
		ri.Title(), ri.Dir)
	d := dialog.NewConfirm("Delete run", msg, func(ok bool) {
		if ok {
			v.u.removeRun(ri.Dir)
		}
	}, v.u.win)
	d.SetConfirmText("Delete")
	d.SetConfirmImportance(widget.DangerImportance)
	d.Show()
}

// removeRun deletes the run folder dir; if the window shows that run, it
// shows none afterwards.
func (u *UI) removeRun(dir string) {
	if u.last.Phase.Active() && u.last.RunDir == dir {
		dialog.ShowError(errors.New("this run is training: stop it first"), u.win)
		return
	}
	if err := rundir.RemoveRun(dir); err != nil {
		dialog.ShowError(err, u.win)
		return
	}
	if u.last.RunDir == dir {
		u.run = nil
		u.bridge.restore(Snapshot{Phase: PhaseIdle, Note: "Deleted the run " + dir})
		u.apply(u.bridge.snapshot())
	}
	u.runs.refresh()
}

// OpenRun shows the run in dir in Curves, Results and Offsets, as if it
// had just trained, and the Train panel and form follow it (whichever data
// set the form showed). A folder that cannot be opened leaves the window
// as it was and returns the error.
func (u *UI) OpenRun(dir string) error {
	return u.openRun(dir, true)
}

// openRun is OpenRun; withForm unset leaves the form as it is (the run
// reopened at launch: the form keeps what was typed last).
func (u *UI) openRun(dir string, withForm bool) error {
	if u.last.Phase.Active() {
		return errors.New("a run is training: stop it before opening another")
	}
	run, err := rundir.Open(dir)
	if err != nil {
		return err
	}
	s, err := runSnapshot(run)
	if err != nil {
		return err
	}
	if u.sess != nil {
		u.sess.wait()
	}
	if withForm {
		u.train.form.set(run.Config)
		u.app.Preferences().SetString(prefDataset, run.Config.Data)
	}
	u.app.Preferences().SetString(prefLastRun, run.Dir)
	u.run = run
	u.bridge.restore(s)
	u.apply(u.bridge.snapshot())
	u.offsets.useSession()
	return nil
}

// runSnapshot builds the snapshot a run's folder holds: its epoch records,
// class names and per-step loss, each model ended as it ended.
func runSnapshot(run *rundir.Run) (Snapshot, error) {
	rc := run.Config
	classes := run.Classes()
	curves, err := rundir.ReadStepCurves(run.Dir)
	if err != nil {
		return Snapshot{}, err
	}
	name, _ := rundir.ReadName(run.Dir)
	title := filepath.Base(run.Dir)
	if name != "" {
		title = fmt.Sprintf("%q", name)
	}
	s := Snapshot{Phase: PhaseDone, RunDir: run.Dir, Data: rc.Data, Classes: classes, Note: "Opened " + title}
	recs := run.Records()
	for _, m := range rc.Models {
		ms := ModelState{Name: m, State: "done"}
		for _, r := range recs {
			if r.Model == m {
				ms.Epochs = append(ms.Epochs, r)
			}
		}
		slices.SortFunc(ms.Epochs, func(a, b metrics.Epoch) int { return a.Epoch - b.Epoch })
		if len(ms.Epochs) > 0 {
			ms.Arch = ms.Epochs[0].Arch
		}
		if net, err := experiment.NewNet(rc, m); err == nil {
			ms.Params = net.NumParams()
			if ms.Arch == "" {
				ms.Arch = net.Arch
			}
		}
		ms.Step = metrics.Step{Epoch: len(ms.Epochs), Epochs: rc.Train.Epochs}
		if len(ms.Epochs) < rc.Train.Epochs {
			ms.State = string(PhaseStopped)
			s.Phase = PhaseStopped
		}
		if i := slices.IndexFunc(curves, func(c rundir.StepCurve) bool { return c.Model == m }); i >= 0 {
			ms.StepX, ms.StepY = curves[i].X, curves[i].Y
		}
		s.Models = append(s.Models, ms)
	}
	return s, nil
}
