package dilation

import (
	"fmt"
	"math"
	"strings"
	"text/tabwriter"
)

// Table is a report as the paper prints its table 2: a row per model and
// layer, a column per kind of unit (COCO: small, medium and large objects
// and the background around them; Scaled-MNIST: the digit over every scale
// and the background), each cell the mean ± standard deviation over its
// units.
type Table struct {
	Columns []string
	Rows    []TableRow
}

// TableRow is one model's layer.
type TableRow struct {
	Model, Layer string
	Deformable   bool
	Cells        []Cell
}

// Cell pools a layer's groups of one column.
type Cell struct {
	Mean, Std float64
	Units     int
}

// cellAcc pools groups' means and standard deviations by their unit counts.
type cellAcc struct{ n, sum, sumSq float64 }

func (a *cellAcc) add(g Group) {
	n := float64(g.Units)
	if n == 0 || math.IsNaN(g.Mean) {
		return
	}
	a.n += n
	a.sum += n * g.Mean
	a.sumSq += n * (g.Std*g.Std + g.Mean*g.Mean)
}

func (a *cellAcc) cell() Cell {
	if a.n == 0 {
		return Cell{Mean: math.NaN(), Std: math.NaN()}
	}
	m := a.sum / a.n
	return Cell{Mean: m, Std: math.Sqrt(max(a.sumSq/a.n-m*m, 0)), Units: int(a.n)}
}

// TableOf pools a report's groups into the paper's table: for COCO the
// object units by the size class of their box and every context unit as
// the background; for Scaled-MNIST the digit units over every scale and
// the background ones.
func TableOf(rep *Report) *Table {
	t := &Table{Columns: []string{"digit (all scales)", "background"}}
	column := func(g Group) int {
		if g.On == "digit" {
			return 0
		}
		return 1
	}
	if rep.Data == "coco" {
		t.Columns = []string{"small objects", "medium objects", "large objects", "background"}
		column = func(g Group) int {
			if g.On != "object" {
				return 3
			}
			switch g.Size {
			case "small":
				return 0
			case "medium":
				return 1
			}
			return 2
		}
	}
	for _, l := range rep.Layers {
		acc := make([]cellAcc, len(t.Columns))
		for _, g := range l.Groups {
			acc[column(g)].add(g)
		}
		row := TableRow{Model: l.Model, Layer: l.Layer, Deformable: l.Deformable}
		for i := range acc {
			row.Cells = append(row.Cells, acc[i].cell())
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// Text writes the table in aligned columns, "1.234 ± 0.056" a cell and
// "–" for a cell without units; deformable layers are marked with *.
func (t *Table) Text() string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "model\tlayer\t")
	for _, c := range t.Columns {
		fmt.Fprintf(tw, "%s\t", c)
	}
	fmt.Fprintln(tw)
	for _, r := range t.Rows {
		layer := r.Layer
		if r.Deformable {
			layer += "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t", r.Model, layer)
		for _, c := range r.Cells {
			if c.Units == 0 {
				fmt.Fprint(tw, "–\t")
				continue
			}
			fmt.Fprintf(tw, "%.3f ± %.3f\t", c.Mean, c.Std)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	return b.String() + "* deformable; mean ± std over the units, px of the layer's input (a plain 3×3 conv: 1)\n"
}
