package app

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/metrics"
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

func (v *runsView) size() (int, int) { return len(v.runs), len(runsColumns) }

// newRunsCell is a cell of the table: a check box (the first column) or a
// label (the others).
func newRunsCell() fyne.CanvasObject {
	l := widget.NewLabel("")
	l.Truncation = fyne.TextTruncateEllipsis
	c := widget.NewCheck("", nil)
	c.Hide()
	return container.NewStack(l, c)
}

// header fills a header cell: the column's title, with an arrow on the
// column the rows are sorted by; tapping it sorts by that column.
func (v *runsView) header(id widget.TableCellID, o fyne.CanvasObject) {
	b, ok := o.(*widget.Button)
	if !ok || id.Row >= 0 || id.Col < 0 || id.Col >= len(runsColumns) {
		return
	}
	text := runsColumns[id.Col].title
	if id.Col == colCompare {
		text = "Cmp"
	}
	if id.Col == v.sortCol {
		if v.sortAsc {
			text += " ▲"
		} else {
			text += " ▼"
		}
	}
	b.SetText(text)
	col := id.Col
	b.OnTapped = func() { v.sortBy(col) }
}

// cell fills one cell of the table.
func (v *runsView) cell(id widget.TableCellID, o fyne.CanvasObject) {
	st := o.(*fyne.Container)
	l, c := st.Objects[0].(*widget.Label), st.Objects[1].(*widget.Check)
	if id.Row < 0 || id.Row >= len(v.runs) {
		l.SetText("")
		c.Hide()
		return
	}
	ri := v.runs[id.Row]
	if id.Col == colCompare {
		l.SetText("")
		l.Hide()
		dir := ri.Dir
		c.OnChanged = nil
		c.SetChecked(v.checked[dir])
		c.OnChanged = func(on bool) { v.setChecked(dir, on) }
		c.Show()
		return
	}
	c.Hide()
	l.Show()
	text, imp := runsCellText(ri, id.Col)
	l.Importance = imp
	l.SetText(text)
}

// runsCellText is what column col says of run ri.
func runsCellText(ri rundir.RunInfo, col int) (string, widget.Importance) {
	rc := ri.Config
	if ri.Err != nil && col != colName && col != colStarted && col != colState && rc.Data == "" {
		return "–", widget.MediumImportance
	}
	switch col {
	case colName:
		return ri.Title(), widget.MediumImportance
	case colStarted:
		return ri.Created.Format("2006-01-02 15:04"), widget.MediumImportance
	case colData:
		switch rc.Data {
		case "coco":
			return "COCO", widget.MediumImportance
		case "mnist":
			return "MNIST", widget.MediumImportance
		}
		return "?", widget.MediumImportance
	case colModels:
		text := strings.ToUpper(strings.Join(rc.Models, ", "))
		if rc.DCNv1 {
			text += " (DCNv1)"
		}
		return text, widget.MediumImportance
	case colOptimiser:
		text := rc.Train.Optimizer
		if rc.Train.Optimizer == "sgd" && rc.Train.Momentum > 0 {
			text += fmt.Sprintf(" m %g", rc.Train.Momentum)
		}
		return text, widget.MediumImportance
	case colLR:
		text := strconv.FormatFloat(rc.Train.LR, 'g', -1, 64)
		switch {
		case rc.Train.StepGamma > 0 && rc.Train.StepSize == 1:
			text += fmt.Sprintf(" ×%g/ep", rc.Train.StepGamma) // StepLR
		case rc.Train.StepGamma > 0 && rc.Train.StepSize > 1:
			text += fmt.Sprintf(" ×%g/%d ep", rc.Train.StepGamma, rc.Train.StepSize)
		}
		return text, widget.MediumImportance
	case colEpochs:
		return fmt.Sprintf("%d of %d", epochsDone(ri), rc.Train.Epochs), widget.MediumImportance
	case colScaleMode:
		if rc.Data != "mnist" || len(rc.Scales) == 0 {
			return "–", widget.MediumImportance
		}
		return string(rc.ScaleModeOrBilinear()), widget.MediumImportance
	case colCrops:
		if rc.Data != "coco" || rc.COCO == nil {
			return "–", widget.MediumImportance
		}
		per := "all"
		if rc.COCO.MaxPerClass > 0 {
			per = fmt.Sprintf("≤%d", rc.COCO.MaxPerClass)
		}
		return fmt.Sprintf("%d px, %s a class", rc.COCO.Size, per), widget.MediumImportance
	case colBest:
		return bestText(ri), widget.MediumImportance
	case colState:
		return runState(ri)
	}
	return "", widget.MediumImportance
}

// epochsDone is the most epochs any model of the run finished.
func epochsDone(ri rundir.RunInfo) int {
	done := 0
	for _, m := range ri.Models {
		done = max(done, m.Epochs)
	}
	return done
}

// bestOfRun is the best test accuracy of any model of the run; NaN for
// none.
func bestOfRun(ri rundir.RunInfo) float64 {
	best := math.NaN()
	for _, m := range ri.Models {
		if !math.IsNaN(m.BestTest) && (math.IsNaN(best) || m.BestTest > best) {
			best = m.BestTest
		}
	}
	return best
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

// sortBy sorts the rows by column col: a second click on the same column
// reverses the order. Names, data sets and the like sort A to Z first;
// dates, accuracies and epochs highest first.
func (v *runsView) sortBy(col int) {
	if col == v.sortCol {
		v.sortAsc = !v.sortAsc
	} else {
		v.sortCol = col
		v.sortAsc = col != colStarted && col != colBest && col != colEpochs && col != colCompare
	}
	var selDir string
	if ri, ok := v.selectedRun(); ok {
		selDir = ri.Dir
	}
	v.sortRuns()
	v.sel = slices.IndexFunc(v.runs, func(r rundir.RunInfo) bool { return r.Dir == selDir })
	v.table.Refresh()
	if v.sel >= 0 {
		v.table.Select(widget.TableCellID{Row: v.sel, Col: colName})
	}
}

// sortRuns orders v.runs by the sort column; ties keep the newest first.
func (v *runsView) sortRuns() {
	cmpCol := runsOrder(v.sortCol, v.checked)
	slices.SortStableFunc(v.runs, func(a, b rundir.RunInfo) int {
		c := cmpCol(a, b)
		if !v.sortAsc {
			c = -c
		}
		if c != 0 {
			return c
		}
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return strings.Compare(a.Dir, b.Dir)
	})
}

// runsOrder is the ascending order of column col.
func runsOrder(col int, checked map[string]bool) func(a, b rundir.RunInfo) int {
	text := func(a, b rundir.RunInfo) int {
		ta, _ := runsCellText(a, col)
		tb, _ := runsCellText(b, col)
		return cmp.Compare(strings.ToLower(ta), strings.ToLower(tb))
	}
	switch col {
	case colCompare:
		return func(a, b rundir.RunInfo) int { return cmpBool(checked[a.Dir], checked[b.Dir]) }
	case colStarted:
		return func(a, b rundir.RunInfo) int { return a.Created.Compare(b.Created) }
	case colLR:
		return func(a, b rundir.RunInfo) int { return cmp.Compare(a.Config.Train.LR, b.Config.Train.LR) }
	case colEpochs:
		return func(a, b rundir.RunInfo) int {
			if c := cmp.Compare(epochsDone(a), epochsDone(b)); c != 0 {
				return c
			}
			return cmp.Compare(a.Config.Train.Epochs, b.Config.Train.Epochs)
		}
	case colCrops:
		size := func(r rundir.RunInfo) (int, int) {
			if r.Config.COCO == nil {
				return -1, -1
			}
			per := r.Config.COCO.MaxPerClass
			if per <= 0 {
				per = math.MaxInt // all
			}
			return r.Config.COCO.Size, per
		}
		return func(a, b rundir.RunInfo) int {
			sa, pa := size(a)
			sb, pb := size(b)
			if c := cmp.Compare(sa, sb); c != 0 {
				return c
			}
			return cmp.Compare(pa, pb)
		}
	case colBest:
		return func(a, b rundir.RunInfo) int { return cmp.Compare(bestOfRun(a), bestOfRun(b)) } // NaN (none) lowest
	case colState:
		rank := func(r rundir.RunInfo) int {
			switch {
			case r.Err != nil:
				return 3
			case r.Complete():
				return 0
			case r.Trained():
				return 1
			}
			return 2
		}
		return func(a, b rundir.RunInfo) int { return cmp.Compare(rank(a), rank(b)) }
	}
	return text
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
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
