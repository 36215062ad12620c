package viz

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Limits of the confusion figure: beyond maxCountClasses classes the counts
// no longer fit in the cells and are left out; beyond maxTickLabels only
// every k-th class is labelled.
const (
	maxConfusionClasses = 1000
	maxCountClasses     = 20
	maxTickLabels       = 40
)

// Confusion draws a confusion matrix m ([true][predicted] counts) as a heat
// map: each cell's colour is its share of its row (so that rare classes show
// as clearly as common ones), its count is written in it (for up to 20
// classes), the predicted class runs along the x axis and the true class down
// the y axis, first class at the top. labels names the classes; nil numbers
// them from 0. The x label gives the overall accuracy. It returns an error if
// m is empty or not square, holds a negative count, or labels has the wrong
// length.
func Confusion(title string, m [][]int, labels []string) (*plot.Plot, error) {
	n := len(m)
	if n == 0 {
		return nil, fmt.Errorf("viz: empty confusion matrix")
	}
	if n > maxConfusionClasses {
		return nil, fmt.Errorf("viz: confusion matrix has %d classes, at most %d are drawn", n, maxConfusionClasses)
	}
	if labels != nil && len(labels) != n {
		return nil, fmt.Errorf("viz: confusion matrix has %d classes but %d labels", n, len(labels))
	}
	var correct, total int
	for i, row := range m {
		if len(row) != n {
			return nil, fmt.Errorf("viz: confusion matrix row %d has %d entries, want %d", i, len(row), n)
		}
		for j, v := range row {
			if v < 0 {
				return nil, fmt.Errorf("viz: confusion matrix cell [%d][%d] is negative (%d)", i, j, v)
			}
			total += v
			if i == j {
				correct += v
			}
		}
	}
	if labels == nil {
		labels = make([]string, n)
		for i := range labels {
			labels[i] = strconv.Itoa(i)
		}
	}

	g := newConfusionGrid(m)
	p := newPlot(title, "predicted", "true")
	if total > 0 {
		p.X.Label.Text = fmt.Sprintf("predicted   (accuracy %.2f %% of %d)", 100*float64(correct)/float64(total), total)
	}
	h := plotter.NewHeatMap(g, blues(256))
	h.Min, h.Max = 0, 1
	h.NaN = color.White
	p.Add(h)

	if n <= maxCountClasses {
		size := vg.Length(10)
		if n > 10 {
			size = 7
		}
		var xys plotter.XYs
		var strs []string
		var styles []text.Style
		for r := range n {
			for c := range n {
				xys = append(xys, plotter.XY{X: float64(c), Y: float64(r)})
				strs = append(strs, strconv.Itoa(g.count(c, r)))
				sty := textStyle(size)
				sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
				if g.Z(c, r) > 0.5 {
					sty.Color = color.White
				}
				styles = append(styles, sty)
			}
		}
		lbl, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: strs})
		if err != nil {
			return nil, fmt.Errorf("viz: confusion labels: %w", err)
		}
		lbl.TextStyle = styles
		p.Add(lbl)
	}

	every := (n + maxTickLabels - 1) / maxTickLabels
	var xt, yt plot.ConstantTicks
	long := false
	for i, s := range labels {
		label := ""
		if i%every == 0 {
			label = s
		}
		xt = append(xt, plot.Tick{Value: float64(i), Label: label})
		yt = append(yt, plot.Tick{Value: float64(n - 1 - i), Label: label})
		long = long || len([]rune(s)) > 3
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = xt, yt
	if n > 20 {
		p.X.Tick.Label.Font.Size, p.Y.Tick.Label.Font.Size = 7, 7
	}
	if long && n > 4 {
		p.X.Tick.Label.Rotation = math.Pi / 4
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YTop
	}
	p.X.Min, p.X.Max = -0.5, float64(n)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5
	p.X.Padding, p.Y.Padding = 0, 0
	return p, nil
}

// confusionGrid is a confusion matrix as a plotter.GridXYZ: column c is the
// predicted class c, row r the true class n-1-r (so that class 0 is at the
// top), and Z the cell's share of its row (NaN for an empty row).
type confusionGrid struct {
	m    [][]int
	rows []int // row sums
}

func newConfusionGrid(m [][]int) confusionGrid {
	g := confusionGrid{m: m, rows: make([]int, len(m))}
	for i, row := range m {
		for _, v := range row {
			g.rows[i] += v
		}
	}
	return g
}

// Dims implements plotter.GridXYZ.
func (g confusionGrid) Dims() (c, r int) { return len(g.m), len(g.m) }

// count returns the count in grid cell (c, r).
func (g confusionGrid) count(c, r int) int { return g.m[len(g.m)-1-r][c] }

// Z implements plotter.GridXYZ.
func (g confusionGrid) Z(c, r int) float64 {
	s := g.rows[len(g.m)-1-r]
	if s == 0 {
		return math.NaN()
	}
	return float64(g.count(c, r)) / float64(s)
}

// X implements plotter.GridXYZ.
func (g confusionGrid) X(c int) float64 { return float64(c) }

// Y implements plotter.GridXYZ.
func (g confusionGrid) Y(r int) float64 { return float64(r) }
