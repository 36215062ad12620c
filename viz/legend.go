package viz

import (
	"image/color"
	"math"
	"runtime"
	"sync"
	"weak"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// corner is where a legend sits: a corner of the data area, or outside it,
// to its right or above it.
type corner int

const (
	topRight corner = iota
	bottomRight
	topLeft
	bottomLeft
	outside // right of the data area, one column
	above   // between the title and the data area, in columns
	noLegend
)

// placement is where one render puts the legend: its corner and, above
// the data area, its columns and rows.
type placement struct {
	at         corner
	cols, rows int
	// lines, above the data area, are the entries of each line of the
	// legend: as many, left to right, as fit the width.
	lines [][]int
}

// legendEntry is one line of a legend.
type legendEntry struct {
	name  string
	thumb plot.Thumbnailer
}

// legend is a plotter that draws a boxed legend inside a corner of the data
// area that no line crosses, or else above the data area. Where it goes is
// decided for each render, at its size (placeLegend); a plot drawn without
// that (gonum's own Save) takes the corner found free at the smallest size
// the app draws, or the right side. gonum's own legend has no backdrop and
// sits wherever it is told, over the lines or not.
type legend struct {
	entries []legendEntry
	style   text.Style
	corner  corner      // where it goes without a placement for the render
	lines   []*polyline // the figure's lines, which the legend keeps clear of
}

// Legend geometry, in points.
var (
	legendMargin = vg.Points(6)  // from the data area's edge
	legendPad    = vg.Points(5)  // inside the box
	legendThumb  = vg.Points(24) // sample line length
	legendGap    = vg.Points(5)  // between sample and text
	legendColGap = vg.Points(9)  // between entries on a line, above the data
	legendShort  = vg.Points(16) // sample line length above the data
	legendFill   = color.NRGBA{0xff, 0xff, 0xff, 0xe0}
	legendBorder = draw.LineStyle{Color: color.Gray{0xb0}, Width: vg.Points(0.5)}
)

var (
	// legendsOf finds the legend of a figure that curves built, for
	// placeLegend: weak.Pointer[plot.Plot] → *legend, dropped when the
	// figure is collected.
	legendsOf sync.Map
	// placements holds each render's placement while it draws, by the
	// render's own copy of the plot (drawPlot's), so that renders of one
	// figure at several sizes at once do not meet.
	placements sync.Map
)

// registerLegend remembers l as p's legend.
func registerLegend(p *plot.Plot, l *legend) {
	k := weak.Make(p)
	legendsOf.Store(k, l)
	runtime.AddCleanup(p, func(k weak.Pointer[plot.Plot]) { legendsOf.Delete(k) }, k)
}

// placeLegend decides where p's legend (if it has one) goes when q, the
// render's copy of p, is drawn on c, and returns the function that forgets
// the decision once the render is done.
func placeLegend(p, q *plot.Plot, c draw.Canvas) (release func()) {
	v, ok := legendsOf.Load(weak.Make(p))
	if !ok {
		return func() {}
	}
	l := v.(*legend)
	placements.Store(q, l.place(q, c))
	return func() { placements.Delete(q) }
}

// current is the placement of the render drawing p.
func (l *legend) current(p *plot.Plot) placement {
	if v, ok := placements.Load(p); ok {
		return v.(placement)
	}
	return placement{at: l.corner, cols: 1, rows: len(l.entries)}
}

// place picks the legend's place when q is drawn on c: the first corner
// of the data area (top right, bottom right, top left, bottom left) whose
// box no line passes through, the lines' width included; else above the
// data area, in as many columns as fit its width.
func (l *legend) place(q *plot.Plot, c draw.Canvas) placement {
	placements.Store(q, placement{at: noLegend})
	da := q.DataCanvas(c) // the data area with no room kept for a legend
	trX, trY := q.Transforms(&da)
	for _, k := range []corner{topRight, bottomRight, topLeft, bottomLeft} {
		pl := placement{at: k, cols: 1, rows: len(l.entries)}
		if box := l.box(da.Rectangle, pl); !l.crosses(box, da, trX, trY) {
			return pl
		}
	}
	// Above the data area the entries flow left to right, each as wide as
	// its own text, onto as few lines as the data area's width allows.
	avail := da.Max.X - da.Min.X - 2*legendPad
	var lines [][]int
	var x vg.Length
	for i := range l.entries {
		w := l.entryWidth(i)
		if len(lines) == 0 || x > 0 && x+legendColGap+w > avail {
			lines = append(lines, nil)
			x = 0
		} else if x > 0 {
			x += legendColGap
		}
		lines[len(lines)-1] = append(lines[len(lines)-1], i)
		x += w
	}
	pl := placement{at: above, cols: 1, rows: len(lines), lines: lines}
	// A legend that would leave too little height below it goes beside
	// the data area if it takes less of it there.
	_, h := l.size(pl)
	right := placement{at: outside, cols: 1, rows: len(l.entries)}
	w, _ := l.size(right)
	if hFrac, wFrac := float64((h+legendMargin)/(da.Max.Y-da.Min.Y)), float64((w+legendMargin)/(da.Max.X-da.Min.X)); hFrac > 0.75 && wFrac < hFrac {
		return right
	}
	return pl
}

// entryWidth is the width of entry i: its sample line and its text.
func (l *legend) entryWidth(i int) vg.Length {
	return legendShort + legendGap + l.style.Width(l.entries[i].name)
}

// crosses reports whether a line of the legend's figure, drawn in da with
// the transforms trX and trY, passes through box (grown by the widest
// line's width and a marker).
func (l *legend) crosses(box vg.Rectangle, da draw.Canvas, trX, trY func(float64) vg.Length) bool {
	grow := lineWidth + glyphSize
	box.Min.X, box.Min.Y, box.Max.X, box.Max.Y = box.Min.X-grow, box.Min.Y-grow, box.Max.X+grow, box.Max.Y+grow
	in := func(p vg.Point) bool {
		return da.Contains(p) && p.X >= box.Min.X && p.X <= box.Max.X && p.Y >= box.Min.Y && p.Y <= box.Max.Y
	}
	step := min(box.Max.X-box.Min.X, box.Max.Y-box.Min.Y) / 4
	for _, line := range l.lines {
		for _, run := range line.runs {
			for i, xy := range run {
				a := vg.Point{X: trX(xy.X), Y: trY(xy.Y)}
				if in(a) {
					return true
				}
				if i+1 == len(run) {
					continue
				}
				b := vg.Point{X: trX(run[i+1].X), Y: trY(run[i+1].Y)}
				d := math.Hypot(float64(b.X-a.X), float64(b.Y-a.Y))
				if !(d < 1e6) || step <= 0 {
					continue
				}
				n := int(math.Ceil(d / float64(step)))
				for s := 1; s < n; s++ {
					t := vg.Length(s) / vg.Length(n)
					if in(vg.Point{X: a.X + (b.X-a.X)*t, Y: a.Y + (b.Y-a.Y)*t}) {
						return true
					}
				}
			}
		}
	}
	return false
}

// columnWidth is the width of one column of entries.
func (l *legend) columnWidth() vg.Length {
	var textW vg.Length
	for _, e := range l.entries {
		textW = max(textW, l.style.Width(e.name))
	}
	return legendThumb + legendGap + textW
}

// size returns the box's width and height in points for pl's columns.
func (l *legend) size(pl placement) (w, h vg.Length) {
	if pl.at == above {
		for _, line := range pl.lines {
			var lw vg.Length
			for j, i := range line {
				if j > 0 {
					lw += legendColGap
				}
				lw += l.entryWidth(i)
			}
			w = max(w, lw)
		}
		return 2*legendPad + w, 2*legendPad + l.lineHeight()*vg.Length(max(len(pl.lines), 1))
	}
	cols, rows := max(pl.cols, 1), max(pl.rows, 1)
	w = 2*legendPad + vg.Length(cols)*l.columnWidth() + vg.Length(cols-1)*legendColGap
	h = 2*legendPad + l.rowHeight()*vg.Length(rows)
	return w, h
}

func (l *legend) rowHeight() vg.Length { return l.style.FontExtents().Height * 1.25 }

// lineHeight is the height of a line of entries above the data area,
// packed closer than a column's rows.
func (l *legend) lineHeight() vg.Length { return l.style.FontExtents().Height * 1.05 }

// box returns where the legend goes, given the data area c.
func (l *legend) box(c vg.Rectangle, pl placement) vg.Rectangle {
	w, h := l.size(pl)
	x0, y1 := c.Max.X-legendMargin-w, c.Max.Y-legendMargin // box's left and top
	switch pl.at {
	case topLeft, bottomLeft:
		x0 = c.Min.X + legendMargin
	case outside:
		x0, y1 = c.Max.X+legendMargin, c.Max.Y
	case above:
		x0, y1 = c.Min.X+(c.Max.X-c.Min.X-w)/2, c.Max.Y+legendMargin+h
	}
	if pl.at == bottomRight || pl.at == bottomLeft {
		y1 = c.Min.Y + legendMargin + h
	}
	return vg.Rectangle{Min: vg.Point{X: x0, Y: y1 - h}, Max: vg.Point{X: x0 + w, Y: y1}}
}

// GlyphBoxes implements plot.GlyphBoxer: a legend outside the data area
// asks for its room beside or above it, so that gonum/plot narrows or
// lowers the data area (and its axis) to leave it. Each box has no extent
// in the other direction, which keeps that layout as it is.
func (l *legend) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	pl := l.current(p)
	w, h := l.size(pl)
	switch pl.at {
	case outside:
		return []plot.GlyphBox{{X: 1, Y: 1, Rectangle: vg.Rectangle{Max: vg.Point{X: legendMargin + w}}}}
	case above:
		return []plot.GlyphBox{{X: 0.5, Y: 1, Rectangle: vg.Rectangle{Min: vg.Point{X: -0.5}, Max: vg.Point{X: 0.5, Y: legendMargin + h}}}}
	}
	return nil
}

// Plot implements plot.Plotter.
func (l *legend) Plot(c draw.Canvas, p *plot.Plot) {
	pl := l.current(p)
	if pl.at == noLegend {
		return
	}
	sty := l.style
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
	rowH := l.rowHeight()
	box := l.box(c.Rectangle, pl)
	c.SetColor(legendFill)
	c.Fill(box.Path())
	c.SetLineStyle(legendBorder)
	c.Stroke(box.Path())

	thumbW := legendThumb
	if pl.at == above {
		thumbW, rowH = legendShort, l.lineHeight()
	}
	entry := func(i int, x0, top vg.Length) {
		thumb := &draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: x0, Y: top - rowH},
			Max: vg.Point{X: x0 + thumbW, Y: top},
		}}
		l.entries[i].thumb.Thumbnail(thumb)
		c.FillText(sty, vg.Point{X: x0 + thumbW + legendGap, Y: top - rowH/2}, l.entries[i].name)
	}
	if pl.at == above {
		for r, line := range pl.lines {
			x := box.Min.X + legendPad
			for _, i := range line {
				entry(i, x, box.Max.Y-legendPad-rowH*vg.Length(r))
				x += l.entryWidth(i) + legendColGap
			}
		}
		return
	}
	for i := range l.entries {
		entry(i, box.Min.X+legendPad, box.Max.Y-legendPad-rowH*vg.Length(i))
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
