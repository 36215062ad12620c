package app

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/viz"
)

// resultsView is the Results tab: the comparison table over a confusion
// matrix per model, in one vertical scroll. The matrices are as large as
// the tab allows: side by side, two to a row, each as wide as its share of
// the width and at most as high as the tab, so that one screen shows a
// whole matrix and the scroll bar says there is more. It belongs to the UI
// goroutine.
type resultsView struct {
	table      *resultsTable
	views      map[viz.FigureID]*plotView // a confusion matrix per model of any run
	confusions *fyne.Container            // those of the models shown
	scroll     *container.Scroll
	space      fyne.Size // the tab's size, as last laid out
	root       fyne.CanvasObject
}

// minConfusion is the least side of a confusion matrix in the Results tab.
const minConfusion = 220

func newResultsView(r *renderer) *resultsView {
	v := &resultsView{table: newResultsTable(), views: map[viz.FigureID]*plotView{},
		confusions: container.NewGridWithColumns(2)}
	for _, m := range allModels {
		id := viz.ConfusionFigure(m)
		v.views[id] = newPlotView(id, r, fyne.NewSize(minConfusion, minConfusion))
	}
	content := container.New(&resultsLayout{v: v}, container.NewHScroll(v.table.object()), widget.NewSeparator(),
		v.confusions)
	v.scroll = container.NewVScroll(content)
	v.root = container.New(&spaceLayout{v: v}, v.scroll)
	return v
}

// spaceLayout gives the Results scroll the whole tab, noting the tab's
// size for resultsLayout.
type spaceLayout struct{ v *resultsView }

func (l *spaceLayout) MinSize([]fyne.CanvasObject) fyne.Size {
	return fyne.NewSize(minConfusion, minConfusion)
}

func (l *spaceLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if size != l.v.space {
		l.v.space = size
		for _, o := range objs {
			o.Refresh() // the content's least height follows the space
		}
	}
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

// resultsLayout stacks the table, a separator and the matrices, each row
// of matrices sized to the tab (resultsView.matrixSide).
type resultsLayout struct{ v *resultsView }

func (l *resultsLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	w, h := float32(0), float32(0)
	for _, o := range objs[:2] {
		m := o.MinSize()
		w, h = max(w, m.Width), h+m.Height
	}
	side, rows := l.v.matrixSide()
	return fyne.NewSize(max(w, side), h+float32(rows)*side)
}

func (l *resultsLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	y := float32(0)
	for _, o := range objs[:2] {
		h := o.MinSize().Height
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(size.Width, h))
		y += h
	}
	objs[2].Move(fyne.NewPos(0, y))
	objs[2].Resize(fyne.NewSize(size.Width, max(size.Height-y, 0)))
}

// matrixSide is the height of a row of confusion matrices, and how many
// rows there are: each matrix as wide as its column, at most as high as
// the tab, at least minConfusion.
func (v *resultsView) matrixSide() (float32, int) {
	n := len(v.confusions.Objects)
	if n == 0 {
		return 0, 0
	}
	cols := min(n, 2)
	rows := (n + cols - 1) / cols
	pad := theme.Padding()
	side := (v.space.Width - float32(cols-1)*pad) / float32(cols)
	side = min(side, v.space.Height-pad)
	return max(side, minConfusion), rows
}

func (v *resultsView) object() fyne.CanvasObject { return v.root }

// showModels shows a confusion matrix for each of names, where it showed
// those of old; the renderer stops drawing the matrices taken out.
func (v *resultsView) showModels(r *renderer, old, names []string) {
	for _, m := range old {
		if !slices.Contains(names, m) {
			r.hidden(v.views[viz.ConfusionFigure(m)])
		}
	}
	var confs []fyne.CanvasObject
	for _, m := range names {
		if pv, ok := v.views[viz.ConfusionFigure(m)]; ok {
			confs = append(confs, pv)
		}
	}
	v.confusions.Objects = confs
	v.confusions.Layout = layout.NewGridLayoutWithColumns(max(1, min(len(confs), 2)))
	v.confusions.Refresh()
	v.scroll.Refresh()
}

// show fills the table from the snapshot's models names, of a run on data.
func (v *resultsView) show(s Snapshot, names []string, data string) {
	v.table.show(s, names, data)
}

// resultRow is one line of the comparison table: how to read a model's
// value, and whether a difference between models means something.
type resultRow struct {
	name      string
	value     func(m *ModelState, last *metrics.Epoch) (string, float64)
	delta     string // format of the difference: "" for none, "count" for a whole number
	mnistOnly bool   // a row that COCO runs leave out
}

func numRow(name, format, delta string, get func(*metrics.Epoch) metrics.Num) resultRow {
	return resultRow{name: name, delta: delta, value: func(_ *ModelState, last *metrics.Epoch) (string, float64) {
		if last == nil {
			return "–", math.NaN()
		}
		v := float64(get(last))
		if math.IsNaN(v) {
			return "–", v
		}
		return fmt.Sprintf(format, v), v
	}}
}

var resultRows = []resultRow{
	{name: "Network", value: func(m *ModelState, _ *metrics.Epoch) (string, float64) {
		if m == nil || m.Arch == "" {
			return "–", math.NaN()
		}
		return m.Arch, math.NaN()
	}},
	{name: "Parameters", delta: "count", value: func(m *ModelState, _ *metrics.Epoch) (string, float64) {
		if m == nil || m.Params == 0 {
			return "–", math.NaN()
		}
		return groupDigits(m.Params), float64(m.Params)
	}},
	{name: "Epochs done", value: func(_ *ModelState, last *metrics.Epoch) (string, float64) {
		if last == nil {
			return "0", 0
		}
		return fmt.Sprint(last.Epoch), float64(last.Epoch)
	}},
	numRow("Train loss", "%.4f", "%+.4f", func(r *metrics.Epoch) metrics.Num { return r.TrainLoss }),
	numRow("Train accuracy", "%.2f %%", "%+.2f", func(r *metrics.Epoch) metrics.Num { return r.TrainAcc }),
	numRow("Validation loss", "%.4f", "%+.4f", func(r *metrics.Epoch) metrics.Num { return r.ValLoss }),
	numRow("Validation accuracy", "%.2f %%", "%+.2f", func(r *metrics.Epoch) metrics.Num { return r.ValAcc }),
	numRow("Test loss", "%.4f", "%+.4f", func(r *metrics.Epoch) metrics.Num { return r.TestLoss }),
	numRow("Test accuracy", "%.2f %%", "%+.2f", func(r *metrics.Epoch) metrics.Num { return r.TestAcc }),
	func() resultRow {
		r := numRow("Scaled-MNIST accuracy", "%.2f %%", "%+.2f", func(r *metrics.Epoch) metrics.Num { return r.ScaledTestAcc })
		r.mnistOnly = true
		return r
	}(),
	{name: "Seconds per epoch", delta: "%+.1f", value: func(m *ModelState, _ *metrics.Epoch) (string, float64) {
		if m == nil || len(m.Epochs) == 0 {
			return "–", math.NaN()
		}
		var sum float64
		for _, e := range m.Epochs {
			sum += e.EpochSeconds
		}
		v := sum / float64(len(m.Epochs))
		return fmt.Sprintf("%.1f s", v), v
	}},
}

// resultsTable compares the models' final results: a grid of labels, one
// row per resultRow and a column per model. With two models a last column
// gives the difference, second − first; with more, each model's cell gives
// its difference from the first (the plain CNN) in brackets.
type resultsTable struct {
	box    *fyne.Container // holds the grid, rebuilt when the columns change
	models []string
	rows   []resultRow
	cells  [][]*widget.Label // [row][column], row 0 the header
}

func newResultsTable() *resultsTable {
	t := &resultsTable{box: container.NewStack()}
	t.show(Snapshot{}, mnistModels, "mnist")
	return t
}

func (t *resultsTable) object() fyne.CanvasObject { return t.box }

// layout builds the grid for models and rows.
func (t *resultsTable) layout(models []string, rows []resultRow) {
	t.models, t.rows = slices.Clone(models), rows
	head := []string{""}
	for _, m := range models {
		head = append(head, strings.ToUpper(m))
	}
	if len(models) == 2 {
		head = append(head, strings.ToUpper(models[1])+" − "+strings.ToUpper(models[0]))
	}
	t.cells = nil
	var objs []fyne.CanvasObject
	for r := 0; r <= len(rows); r++ {
		row := make([]*widget.Label, len(head))
		for c := range row {
			l := widget.NewLabel("")
			if c > 0 {
				l.Alignment = fyne.TextAlignTrailing
			}
			if r == 0 {
				l.SetText(head[c])
				l.TextStyle.Bold = true
			} else if c == 0 {
				l.SetText(rows[r-1].name)
			}
			row[c] = l
			objs = append(objs, l)
		}
		t.cells = append(t.cells, row)
	}
	t.box.Objects = []fyne.CanvasObject{container.New(&columnsLayout{cols: len(head)}, objs...)}
	t.box.Refresh()
}

// show fills the table from the last epoch of each of models, with the
// rows that runs on data ("mnist" or "coco") have.
func (t *resultsTable) show(s Snapshot, models []string, data string) {
	var rows []resultRow
	for _, r := range resultRows {
		if !r.mnistOnly || data != "coco" {
			rows = append(rows, r)
		}
	}
	if !slices.Equal(models, t.models) || len(rows) != len(t.rows) {
		t.layout(models, rows)
	}
	for r, row := range rows {
		vals := make([]float64, len(models))
		texts := make([]string, len(models))
		for c, name := range models {
			m := s.Model(name)
			var last *metrics.Epoch
			if m != nil && len(m.Epochs) > 0 {
				last = &m.Epochs[len(m.Epochs)-1]
			}
			texts[c], vals[c] = row.value(m, last)
		}
		for c := range models {
			text := texts[c]
			if len(models) > 2 && c > 0 {
				if d := deltaText(row, vals[0], vals[c]); d != "–" {
					text += " (" + d + ")"
				}
			}
			t.cells[r+1][c+1].SetText(text)
		}
		if len(models) == 2 {
			t.cells[r+1][3].SetText(deltaText(row, vals[0], vals[1]))
		}
	}
}

// columnsLayout lays its objects out in rows of cols, each column as wide
// as its widest cell (a grid's equal columns would make every column as
// wide as the row names, and push the last off a narrow window).
type columnsLayout struct{ cols int }

func (l *columnsLayout) sizes(objs []fyne.CanvasObject) (widths, heights []float32) {
	widths = make([]float32, l.cols)
	heights = make([]float32, (len(objs)+l.cols-1)/l.cols)
	for i, o := range objs {
		m := o.MinSize()
		widths[i%l.cols] = max(widths[i%l.cols], m.Width)
		heights[i/l.cols] = max(heights[i/l.cols], m.Height)
	}
	return widths, heights
}

func (l *columnsLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	widths, heights := l.sizes(objs)
	var s fyne.Size
	for _, w := range widths {
		s.Width += w
	}
	for _, h := range heights {
		s.Height += h
	}
	return s
}

func (l *columnsLayout) Layout(objs []fyne.CanvasObject, _ fyne.Size) {
	widths, heights := l.sizes(objs)
	var y float32
	for r, h := range heights {
		var x float32
		for c, w := range widths {
			if i := r*l.cols + c; i < len(objs) {
				objs[i].Move(fyne.NewPos(x, y))
				objs[i].Resize(fyne.NewSize(w, h))
			}
			x += w
		}
		y += h
	}
}

// deltaText writes b − a as the row says, or "–" when it means nothing.
func deltaText(row resultRow, a, b float64) string {
	switch {
	case row.delta == "" || math.IsNaN(a) || math.IsNaN(b):
		return "–"
	case row.delta == "count":
		n := int(b - a)
		if n < 0 {
			return "−" + groupDigits(-n)
		}
		return "+" + groupDigits(n)
	}
	return fmt.Sprintf(row.delta, b-a)
}

// text returns the table as tab-separated lines (for tests and logs).
func (t *resultsTable) text() string {
	var b strings.Builder
	for _, row := range t.cells {
		for c, l := range row {
			if c > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(l.Text)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
