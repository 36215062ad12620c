package viz

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// corner is where a legend sits: a corner of the data area, or outside it,
// to its right.
type corner int

const (
	topRight corner = iota
	bottomRight
	topLeft
	bottomLeft
	outside
)

// legendEntry is one line of a legend.
type legendEntry struct {
	name  string
	thumb plot.Thumbnailer
}

// legend is a plotter that draws a boxed legend inside a corner of the data
// area that no line crosses, or beside the data area. gonum's own legend has
// no backdrop and sits wherever it is told, over the lines or not.
type legend struct {
	entries []legendEntry
	style   text.Style
	corner  corner
	lines   []*polyline // the figure's lines, which the legend keeps clear of
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

// size returns the legend box's width and height in points.
func (l *legend) size() (w, h vg.Length) {
	var textW vg.Length
	for _, e := range l.entries {
		textW = max(textW, l.style.Width(e.name))
	}
	w = 2*legendPad + legendThumb + legendGap + textW
	h = 2*legendPad + l.rowHeight()*vg.Length(len(l.entries))
	return w, h
}

func (l *legend) rowHeight() vg.Length { return l.style.FontExtents().Height * 1.25 }

// box returns where the legend goes, given the data area c.
func (l *legend) box(c vg.Rectangle) vg.Rectangle {
	w, h := l.size()
	x0, y1 := c.Max.X-legendMargin-w, c.Max.Y-legendMargin // box's left and top
	switch l.corner {
	case topLeft, bottomLeft:
		x0 = c.Min.X + legendMargin
	case outside:
		x0, y1 = c.Max.X+legendMargin, c.Max.Y
	}
	if l.corner == bottomRight || l.corner == bottomLeft {
		y1 = c.Min.Y + legendMargin + h
	}
	return vg.Rectangle{Min: vg.Point{X: x0, Y: y1 - h}, Max: vg.Point{X: x0 + w, Y: y1}}
}

// GlyphBoxes implements plot.GlyphBoxer: a legend outside the data area
// asks for its width beside it, so that gonum/plot narrows the data area
// (and the x axis) to leave the room. The box has no height, so that the
// y layout stays as it is.
func (l *legend) GlyphBoxes(*plot.Plot) []plot.GlyphBox {
	if l.corner != outside {
		return nil
	}
	w, _ := l.size()
	return []plot.GlyphBox{{X: 1, Y: 1, Rectangle: vg.Rectangle{Max: vg.Point{X: legendMargin + w}}}}
}

// Plot implements plot.Plotter.
func (l *legend) Plot(c draw.Canvas, _ *plot.Plot) {
	sty := l.style
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
	rowH := l.rowHeight()
	box := l.box(c.Rectangle)
	c.SetColor(legendFill)
	c.Fill(box.Path())
	c.SetLineStyle(legendBorder)
	c.Stroke(box.Path())

	x0, y1 := box.Min.X, box.Max.Y
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

// The smallest data area, in points, at which a legend placed in a corner
// is guaranteed clear of the lines: a figure of the Curves tab in the
// app's smallest window (1024×640) is about 300×220 px, whose data area
// measures about 163×96 pt. At any larger
// size the legend's box covers a smaller share of the data area, inside
// the share tested here, so a corner found free stays free.
const (
	nominalDataW = vg.Length(160)
	nominalDataH = vg.Length(95)
)

// freeCorner picks where a legend box of w×h points goes: the first corner,
// in the order top right, bottom right, top left, bottom left, where no line
// passes within the box (sampled along every segment, the line's width
// included) on a data area of the nominal size; outside when every corner
// is crossed or the box is too large for a corner.
func freeCorner(p *plot.Plot, lines []*polyline, w, h vg.Length) corner {
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
	// The box's share of the data area, reaching to the edge (at a larger
	// size the margin's share shrinks and the box moves towards the edge),
	// grown by the widest line's half width and a glyph.
	grow := lineWidth + glyphSize
	bw := float64((w + legendMargin + grow) / nominalDataW)
	bh := float64((h + legendMargin + grow) / nominalDataH)
	if bw >= 1 || bh >= 1 {
		return outside
	}
	var hit [4]bool
	add := func(x, y float64) {
		if !(x >= -bw && x <= 1+bw && y >= -bh && y <= 1+bh) {
			return // NaN, or far outside
		}
		right, left := x >= 1-bw, x <= bw
		top, bottom := y >= 1-bh, y <= bh
		hit[topRight] = hit[topRight] || right && top
		hit[bottomRight] = hit[bottomRight] || right && bottom
		hit[topLeft] = hit[topLeft] || left && top
		hit[bottomLeft] = hit[bottomLeft] || left && bottom
	}
	// A segment is sampled at least every step of the data area, finer
	// than the box's sides, so that none passes between two samples.
	step := min(bw, bh) / 4
	for _, l := range lines {
		for _, run := range l.runs {
			for i, xy := range run {
				x, y := norm(&p.X, xy.X), norm(&p.Y, xy.Y)
				add(x, y)
				if i+1 == len(run) {
					continue
				}
				x1, y1 := norm(&p.X, run[i+1].X), norm(&p.Y, run[i+1].Y)
				d := math.Hypot(x1-x, y1-y)
				if !(d < 1e3) {
					continue // NaN (a log axis's non-positive value), or absurdly far
				}
				n := int(math.Ceil(d / step))
				for s := 1; s < n; s++ {
					t := float64(s) / float64(n)
					add(x+(x1-x)*t, y+(y1-y)*t)
				}
			}
		}
	}
	for _, c := range []corner{topRight, bottomRight, topLeft, bottomLeft} {
		if !hit[c] {
			return c
		}
	}
	return outside
}
