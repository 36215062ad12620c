package app

import (
	"fmt"
	"math"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/deformscope/deformscope/model/train"
)

// resultRow is one line of the comparison table: how to read a model's
// value, and whether a difference DCNN − CNN means something.
type resultRow struct {
	name  string
	value func(m *ModelState, last *train.EpochMetrics) (string, float64)
	delta string // format of the difference: "" for none, "count" for a whole number
}

func numRow(name, format, delta string, get func(*train.EpochMetrics) train.Num) resultRow {
	return resultRow{name: name, delta: delta, value: func(_ *ModelState, last *train.EpochMetrics) (string, float64) {
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
	{name: "Network", value: func(m *ModelState, _ *train.EpochMetrics) (string, float64) {
		if m == nil || m.Arch == "" {
			return "–", math.NaN()
		}
		return m.Arch, math.NaN()
	}},
	{name: "Parameters", delta: "count", value: func(m *ModelState, _ *train.EpochMetrics) (string, float64) {
		if m == nil || m.Params == 0 {
			return "–", math.NaN()
		}
		return groupDigits(m.Params), float64(m.Params)
	}},
	{name: "Epochs done", value: func(_ *ModelState, last *train.EpochMetrics) (string, float64) {
		if last == nil {
			return "0", 0
		}
		return fmt.Sprint(last.Epoch), float64(last.Epoch)
	}},
	numRow("Train loss", "%.4f", "%+.4f", func(r *train.EpochMetrics) train.Num { return r.TrainLoss }),
	numRow("Train accuracy", "%.2f %%", "%+.2f", func(r *train.EpochMetrics) train.Num { return r.TrainAcc }),
	numRow("Validation loss", "%.4f", "%+.4f", func(r *train.EpochMetrics) train.Num { return r.ValLoss }),
	numRow("Validation accuracy", "%.2f %%", "%+.2f", func(r *train.EpochMetrics) train.Num { return r.ValAcc }),
	numRow("Test loss", "%.4f", "%+.4f", func(r *train.EpochMetrics) train.Num { return r.TestLoss }),
	numRow("Test accuracy", "%.2f %%", "%+.2f", func(r *train.EpochMetrics) train.Num { return r.TestAcc }),
	numRow("Scaled-MNIST accuracy", "%.2f %%", "%+.2f", func(r *train.EpochMetrics) train.Num { return r.ScaledTestAcc }),
	{name: "Seconds per epoch", delta: "%+.1f", value: func(m *ModelState, _ *train.EpochMetrics) (string, float64) {
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
// row per resultRow, columns metric, CNN, DCNN and the difference.
type resultsTable struct {
	cells [][]*widget.Label // [row][column], row 0 the header
}

func newResultsTable() *resultsTable {
	t := &resultsTable{}
	head := []string{"", "CNN", "DCNN", "DCNN − CNN"}
	for r := 0; r <= len(resultRows); r++ {
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
				l.SetText(resultRows[r-1].name)
			}
			row[c] = l
		}
		t.cells = append(t.cells, row)
	}
	t.show(Snapshot{})
	return t
}

func (t *resultsTable) object() fyne.CanvasObject {
	var objs []fyne.CanvasObject
	for _, row := range t.cells {
		for _, l := range row {
			objs = append(objs, l)
		}
	}
	return container.NewGridWithColumns(len(t.cells[0]), objs...)
}

// show fills the table from each model's last epoch.
func (t *resultsTable) show(s Snapshot) {
	for r, row := range resultRows {
		var vals [2]float64
		for c, name := range models {
			m := s.Model(name)
			var last *train.EpochMetrics
			if m != nil && len(m.Epochs) > 0 {
				last = &m.Epochs[len(m.Epochs)-1]
			}
			var text string
			text, vals[c] = row.value(m, last)
			t.cells[r+1][c+1].SetText(text)
		}
		d := "–"
		switch {
		case row.delta == "" || math.IsNaN(vals[0]) || math.IsNaN(vals[1]):
		case row.delta == "count":
			n := int(vals[1] - vals[0])
			d = "+" + groupDigits(n)
			if n < 0 {
				d = "−" + groupDigits(-n)
			}
		default:
			d = fmt.Sprintf(row.delta, vals[1]-vals[0])
		}
		t.cells[r+1][3].SetText(d)
	}
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
