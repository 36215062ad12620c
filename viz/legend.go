package viz

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// corner is a corner of the data area.
type corner int

const (
	topRight corner = iota
	bottomRight
	topLeft
	bottomLeft
)

// legendEntry is one line of a legend.
type legendEntry struct {
	name  string
	thumb plot.Thumbnailer
}

// legend is a plotter that draws a boxed legend inside a corner of the data
// area. gonum's own legend has no backdrop, so lines crossing it make it hard
// to read.
type legend struct {
	entries []legendEntry
	style   text.Style
	corner  corner
}

// Legend geometry, in points.
var (
	legendMargin = vg.Points(6)  // from the data area's edge
	legendPad    = vg.Points(5)  // inside the box
	legendThumb  = vg.Points(24) // sample line length
	legendGap    = vg.Points(5)  // between sample and text
	legendFill   = color.NRGBA{0xff, 0xff, 0xff, 0xe0}
	legendBorder = draw.LineStyle{Color: color.Gray{0xb0}, Width: vg.Points(0.5)}
)

// Plot implements plot.Plotter.
func (l *legend) Plot(c draw.Canvas, _ *plot.Plot) {
	sty := l.style
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
	rowH := sty.FontExtents().Height * 1.25
	var textW vg.Length
	for _, e := range l.entries {
		textW = max(textW, sty.Width(e.name))
	}
	w := 2*legendPad + legendThumb + legendGap + textW
	h := 2*legendPad + rowH*vg.Length(len(l.entries))

	x0, y1 := c.Max.X-legendMargin-w, c.Max.Y-legendMargin // box's left and top
	if l.corner == topLeft || l.corner == bottomLeft {
		x0 = c.Min.X + legendMargin
	}
	if l.corner == bottomRight || l.corner == bottomLeft {
		y1 = c.Min.Y + legendMargin + h
	}
	box := vg.Rectangle{Min: vg.Point{X: x0, Y: y1 - h}, Max: vg.Point{X: x0 + w, Y: y1}}
	c.SetColor(legendFill)
	c.Fill(box.Path())
	c.SetLineStyle(legendBorder)
	c.Stroke(box.Path())

	for i, e := range l.entries {
		top := y1 - legendPad - rowH*vg.Length(i)
		thumb := &draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: x0 + legendPad, Y: top - rowH},
			Max: vg.Point{X: x0 + legendPad + legendThumb, Y: top},
		}}
		e.thumb.Thumbnail(thumb)
		c.FillText(sty, vg.Point{X: x0 + legendPad + legendThumb + legendGap, Y: top - rowH/2}, e.name)
	}
}

// freeCorner picks the corner of the data area where the lines leave most
// room for a legend of n entries: it samples the lines in the axes' final
// range and counts the samples inside a legend-sized box at each corner,
// preferring top right, then bottom right, top left and bottom left on ties.
func freeCorner(p *plot.Plot, lines []*polyline, n int) corner {
	norm := func(a *plot.Axis, v float64) float64 {
		lo, hi := a.Min, a.Max
		if _, ok := a.Scale.(plot.LogScale); ok {
			if lo <= 0 || v <= 0 {
				return math.NaN()
			}
			lo, hi, v = math.Log(lo), math.Log(hi), math.Log(v)
		}
		return (v - lo) / (hi - lo)
	}
	if !(p.X.Max > p.X.Min) || !(p.Y.Max > p.Y.Min) {
		return topRight
	}
	const boxW = 0.4 // of the data area's width
	boxH := min(0.7, 0.06+0.07*float64(n))
	var count [4]int
	add := func(x, y float64) {
		if !(x >= 0 && x <= 1 && y >= 0 && y <= 1) {
			return
		}
		right, left := x >= 1-boxW, x <= boxW
		top, bottom := y >= 1-boxH, y <= boxH
		if right && top {
			count[topRight]++
		}
		if right && bottom {
			count[bottomRight]++
		}
		if left && top {
			count[topLeft]++
		}
		if left && bottom {
			count[bottomLeft]++
		}
	}
	const samples = 8 // per segment, so that long segments count where they pass
	for _, l := range lines {
		for _, run := range l.runs {
			for i, xy := range run {
				x, y := norm(&p.X, xy.X), norm(&p.Y, xy.Y)
				add(x, y)
				if i+1 == len(run) {
					continue
				}
				x1, y1 := norm(&p.X, run[i+1].X), norm(&p.Y, run[i+1].Y)
				for s := 1; s < samples; s++ {
					t := float64(s) / samples
					add(x+(x1-x)*t, y+(y1-y)*t)
				}
			}
		}
	}
	best := topRight
	for c := range count {
		if count[c] < count[best] {
			best = corner(c)
		}
	}
	return best
}
