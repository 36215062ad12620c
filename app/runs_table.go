package app

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	"github.com/deformscope/deformscope/model/rundir"
)

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
		// NaN (none) sorts lowest.
		return func(a, b rundir.RunInfo) int { return cmp.Compare(bestOfRun(a), bestOfRun(b)) }
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
