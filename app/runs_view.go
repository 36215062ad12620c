package app

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/deformscope/deformscope/model/rundir"
)

// runsView is the Runs tab: every run in the runs folder with the
// settings that tell runs apart (data set, models and where their
// deformable layers sit, optimiser, learning rate, epochs, the
// Scaled-MNIST transform, the COCO crops), its best accuracies and the
// name the user gave it, sortable by any column (click its header). The
// check box of each row picks runs to compare: with two or more checked,
// Curves overlays them. A run opens into Curves, Results and Offsets as
// if it had just trained; runs can be renamed and removed. The list
// follows the folder by itself (runsWatcher). It belongs to the UI
// goroutine.
type runsView struct {
	u       *UI
	runs    []rundir.RunInfo // in the order shown
	sel     int              // the selected row, -1 for none
	sortCol int              // the column the rows are sorted by
	sortAsc bool
	checked map[string]bool // the runs picked for comparison, by folder
	folder  *widget.Label
	table   *widget.Table
	info    *widget.Label
	open    *widget.Button
	cont    *widget.Button // Continue: open a stopped run and go on with it
	compare *widget.Button
	rename  *widget.Button
	remove  *widget.Button
	root    fyne.CanvasObject
	watch   *runsWatcher
}

// The Runs table's columns: the tick and the name, then what tells runs
// apart most often, so that those show first in a narrow window (the
// table scrolls sideways for the rest).
const (
	colCompare = iota
	colName
	colData
	colModels
	colOptimiser
	colLR
	colEpochs
	colBest
	colScaleMode
	colCrops
	colStarted
	colState
)

var runsColumns = []struct {
	title string
	width float32
}{
	{"", 44}, {"Name", 150}, {"Data", 64}, {"Models", 150}, {"Optimiser", 96}, {"LR", 124},
	{"Epochs", 76}, {"Best test accuracy", 210}, {"Scale mode", 100}, {"Crops", 130}, {"Started", 140}, {"State", 170},
}

func newRunsView(u *UI) *runsView {
	v := &runsView{u: u, sel: -1, sortCol: colStarted, checked: map[string]bool{},
		folder: widget.NewLabel(""), info: widget.NewLabel("")}
	v.folder.Truncation = fyne.TextTruncateEllipsis
	v.info.Wrapping = fyne.TextWrapWord
	v.table = widget.NewTableWithHeaders(v.size, newRunsCell, v.cell)
	v.table.ShowHeaderColumn = false
	v.table.CreateHeader = func() fyne.CanvasObject {
		b := widget.NewButton("", nil)
		b.Importance = widget.LowImportance
		b.Alignment = widget.ButtonAlignLeading
		return b
	}
	v.table.UpdateHeader = v.header
	for i, c := range runsColumns {
		v.table.SetColumnWidth(i, c.width)
	}
	v.table.OnSelected = func(id widget.TableCellID) { v.selected(id.Row) }
	v.open = widget.NewButtonWithIcon("Open", theme.FolderOpenIcon(), v.openSelected)
	v.open.Importance = widget.HighImportance
	v.cont = widget.NewButtonWithIcon("Continue", theme.MediaFastForwardIcon(), v.continueSelected)
	v.compare = widget.NewButtonWithIcon("Compare in Curves", theme.GridIcon(), v.showCompare)
	v.rename = widget.NewButtonWithIcon("Rename…", theme.DocumentCreateIcon(), v.renameSelected)
	v.remove = widget.NewButtonWithIcon("Delete…", theme.DeleteIcon(), v.removeSelected)
	refresh := widget.NewButtonWithIcon("Refresh", theme.ViewRefreshIcon(), v.refresh)
	choose := widget.NewButton("Choose…", u.chooseRunsDir)
	top := container.NewBorder(nil, nil, widget.NewLabelWithStyle("Runs folder", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewHBox(choose, refresh), v.folder)
	actions := container.NewHBox(v.open, v.cont, v.compare, v.rename, v.remove)
	bottom := container.NewVBox(widget.NewSeparator(), actions, v.info)
	v.root = container.NewBorder(top, bottom, nil, nil, v.table)
	v.watch = newRunsWatcher(u.bridge, v)
	v.syncButtons()
	return v
}

func (v *runsView) object() fyne.CanvasObject { return v.root }

// close stops the folder's watcher and waits for it.
func (v *runsView) close() { v.watch.close() }

// refresh lists the runs folder again, keeping the selected run selected.
func (v *runsView) refresh() {
	root := strings.TrimSpace(v.u.train.form.runsDir.Text)
	runs, err := rundir.ListRuns(root)
	v.watch.follow(root)
	v.listed(root, runs, err)
}

// listed shows the runs of folder root: a refresh's, or the watcher's
// when the folder changed. A listing of another folder than the one the
// form names now is stale and ignored.
func (v *runsView) listed(root string, runs []rundir.RunInfo, err error) {
	if root != strings.TrimSpace(v.u.train.form.runsDir.Text) {
		return
	}
	v.folder.SetText(root)
	var selDir string
	if v.sel >= 0 && v.sel < len(v.runs) {
		selDir = v.runs[v.sel].Dir
	}
	type seen struct {
		updated time.Time
		name    string
	}
	old := make(map[string]seen, len(v.runs))
	for _, r := range v.runs {
		old[r.Dir] = seen{r.Updated, r.Name}
	}
	v.runs = runs
	v.sortRuns()
	v.sel = slices.IndexFunc(v.runs, func(r rundir.RunInfo) bool { return r.Dir == selDir })
	// Checked runs that are gone leave the comparison; those that
	// recorded more are read again.
	changed := false
	for dir := range v.checked {
		i := slices.IndexFunc(v.runs, func(r rundir.RunInfo) bool { return r.Dir == dir })
		if i < 0 {
			delete(v.checked, dir)
			changed = true
		} else if o, ok := old[dir]; !ok || !o.updated.Equal(v.runs[i].Updated) || o.name != v.runs[i].Name {
			changed = true
		}
	}
	switch {
	case err != nil:
		v.info.SetText(err.Error())
	case len(runs) == 0:
		v.info.SetText("No runs in this folder yet: train one (Start), or choose the folder that holds them.")
	default:
		v.info.SetText(fmt.Sprintf("%d runs. Select one to open, rename or delete it; tick two or more to compare their curves; click a column's title to sort. The list follows the folder by itself.", len(runs)))
	}
	v.table.Refresh()
	if v.sel >= 0 {
		v.table.Select(widget.TableCellID{Row: v.sel, Col: colName})
	} else {
		v.table.UnselectAll()
	}
	if changed {
		v.compareChanged()
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
	setEnabled(v.compare, len(v.checked) >= 2)
	v.compare.SetText(fmt.Sprintf("Compare in Curves (%d)", len(v.checked)))
}

// setChecked picks run dir for comparison, or drops it.
func (v *runsView) setChecked(dir string, on bool) {
	if v.checked[dir] == on {
		return
	}
	if on {
		v.checked[dir] = true
	} else {
		delete(v.checked, dir)
	}
	v.table.Refresh()
	v.compareChanged()
	v.syncButtons()
}

// checkedRuns returns the runs picked for comparison, in the order shown.
func (v *runsView) checkedRuns() []rundir.RunInfo {
	var out []rundir.RunInfo
	for _, r := range v.runs {
		if v.checked[r.Dir] {
			out = append(out, r)
		}
	}
	return out
}

// clearChecks drops every run from the comparison.
func (v *runsView) clearChecks() {
	if len(v.checked) == 0 {
		return
	}
	clear(v.checked)
	v.table.Refresh()
	v.compareChanged()
	v.syncButtons()
}

// compareChanged hands the checked runs to Curves.
func (v *runsView) compareChanged() {
	v.u.curves.setCompare(v.checkedRuns())
	v.u.updatePlots(v.u.last)
}

// showCompare shows the comparison in Curves.
func (v *runsView) showCompare() {
	if len(v.checked) >= 2 {
		v.u.tabs.SelectIndex(0)
	}
}

func (v *runsView) openSelected() { v.openSelectedRun() }

// openSelectedRun opens the selected run into Curves, saying whether it did.
func (v *runsView) openSelectedRun() bool {
	ri, ok := v.selectedRun()
	if !ok {
		return false
	}
	if err := v.u.OpenRun(ri.Dir); err != nil {
		dialog.ShowError(err, v.u.win)
		return false
	}
	v.u.tabs.SelectIndex(0) // the curves
	return true
}

// continueSelected opens the selected run and continues it (UI.Continue).
func (v *runsView) continueSelected() {
	if v.openSelectedRun() {
		v.u.Continue()
	}
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
