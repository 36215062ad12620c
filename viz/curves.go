package viz

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one plotted line.
type Series struct {
	// Name is the legend label and CSV column, e.g. "CNN train loss";
	// empty: left out of the legend.
	Name  string
	Model string // "cnn" or "dcnn" (or other): picks the fixed colour (see ModelColor)
	// Style is "solid" (default), "dashed" (e.g. validation/test),
	// "dotted" or "dashdot".
	Style string
	// X and Y are the points; Y may hold NaN (diverged loss, missing
	// value): those points are skipped, leaving a gap.
	X, Y []float64
	// Color, when set, replaces the model's colour (a run's colour when
	// several runs are overlaid).
	Color color.Color
	// Faint draws the line pale (a run's training curve under its
	// held-out one in an overlay).
	Faint bool
	// Unlisted keeps the series out of the legend (its name still heads
	// its CSV column): an overlay's legend names the runs and the line
	// styles instead of every line.
	Unlisted bool
}

// seriesColor is the colour s is drawn in.
func seriesColor(s Series) color.NRGBA {
	if s.Color != nil {
		return color.NRGBAModel.Convert(s.Color).(color.NRGBA)
	}
	return ModelColor(s.Model)
}

// CurveSpec describes a figure of curves on one pair of axes.
type CurveSpec struct {
	Title, XLabel, YLabel string
	Series                []Series
	// Smooth is 0 for no smoothing, or a weight in [0, 1) for Smooth's
	// debiased exponential moving average. When it is above 0 each raw
	// series is drawn faint underneath its smoothed one.
	Smooth float64
	// LogY gives a logarithmic y axis; non-positive values are skipped.
	LogY bool
	// XMin, XMax, YMin and YMax fix the axis limits; nil follows the data.
	XMin, XMax, YMin, YMax *float64
	// XWhole labels the x axis at whole numbers only (epochs): no 0.5.
	XWhole bool
}

// maxPoints is the most points a drawn line keeps: longer series are
// decimated (see decimate), because very long paths lose segments in the
// raster back end and an 800 px wide figure cannot show more anyway.
const maxPoints = 2000

// strokeChunk is the most segments stroked as one path.
const strokeChunk = 32

// Line widths and dash patterns, in points (1/72 in).
var (
	lineWidth  = vg.Points(1.5)
	rawWidth   = vg.Points(1)
	dashed     = []vg.Length{vg.Points(6), vg.Points(3)}
	dotted     = []vg.Length{vg.Points(1.5), vg.Points(2)}
	dashDot    = []vg.Length{vg.Points(6), vg.Points(2), vg.Points(1.5), vg.Points(2)}
	faintAlpha = 0.35
	rawAlpha   = 0.25
	gridColor  = color.Gray{0xe0}
	glyphSize  = vg.Points(2.5)
	sansFamily = font.Font{Typeface: "Liberation", Variant: "Sans"}
)

// Curves draws spec's series as lines on one pair of axes: one colour per
// model (ModelColor) unless a series sets its own, the line style from each
// series' Style, and a legend of the named series in a corner that no line
// crosses, or beside the data area when every corner is crossed (the legend
// never covers data). NaN and
// infinite values leave gaps; on a log axis so do non-positive values.
// Series longer than 2000 points are decimated, keeping each stretch's minimum
// and maximum. It returns an error for series whose X and Y lengths differ,
// an unknown Style, a smoothing weight outside [0, 1) or unusable axis limits.
func Curves(spec CurveSpec) (*plot.Plot, error) {
	p, _, err := curves(spec, false)
	return p, err
}

// ScaleAccuracy plots accuracy (%) against scale for each model
// (Scaled-MNIST), with a marker at every measured scale; the x axis runs from
// 0.5 to 1.5. series is typically ScaleSeries' result.
func ScaleAccuracy(title string, series []Series) (*plot.Plot, error) {
	p, _, err := scaleAccuracy(title, series)
	return p, err
}

// scaleAccuracy is ScaleAccuracy, returning the legend too.
func scaleAccuracy(title string, series []Series) (*plot.Plot, *legend, error) {
	lo, hi := 0.5, 1.5
	p, leg, err := curves(CurveSpec{
		Title: title, XLabel: "scale", YLabel: "accuracy (%)",
		Series: series, XMin: &lo, XMax: &hi,
	}, true)
	if err != nil {
		return nil, nil, err
	}
	// Labels every quarter (0.1 steps crowd a figure of the app's size
	// into one run of digits), a minor tick at every tenth, where the
	// scales are measured.
	var ticks plot.ConstantTicks
	for i := 2; i <= 6; i++ {
		v := float64(i) / 4
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	for i := 5; i <= 15; i++ {
		ticks = append(ticks, plot.Tick{Value: float64(i) / 10})
	}
	p.X.Tick.Marker = ticks
	return p, leg, nil
}

// curves builds Curves' figure and returns its legend (nil without named
// series); markers adds a glyph at every point.
func curves(spec CurveSpec, markers bool) (*plot.Plot, *legend, error) {
	if err := checkSpec(spec); err != nil {
		return nil, nil, err
	}
	p := newPlot(spec.Title, spec.XLabel, spec.YLabel)
	if spec.XWhole {
		p.X.Tick.Marker = niceTicks{whole: true}
	}
	if spec.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = gridColor, gridColor
	p.Add(grid)

	var (
		raws, fronts []*polyline
		leg          legend
	)
	for _, s := range spec.Series {
		c := seriesColor(s)
		if s.Faint {
			c = withAlpha(c, faintAlpha)
		}
		sty := draw.LineStyle{Color: c, Width: lineWidth, Dashes: dashes(s.Style)}
		y := s.Y
		if spec.Smooth > 0 {
			raw := sty
			raw.Color, raw.Width = withAlpha(c, rawAlpha), rawWidth
			raws = append(raws, newPolyline(s.X, y, spec.LogY, raw, nil))
			y = Smooth(y, spec.Smooth)
		}
		var g *draw.GlyphStyle
		if markers {
			g = &draw.GlyphStyle{Color: c, Radius: glyphSize, Shape: draw.CircleGlyph{}}
		}
		l := newPolyline(s.X, y, spec.LogY, sty, g)
		fronts = append(fronts, l)
		if s.Name != "" && !s.Unlisted {
			leg.entries = append(leg.entries, legendEntry{s.Name, l})
		}
	}
	// Faint raw lines first, so that no smoothed line hides under one.
	for _, l := range raws {
		p.Add(l)
	}
	for _, l := range fronts {
		p.Add(l)
	}
	padRange(&p.X, spec.XMin == nil, spec.XMax == nil, false)
	padRange(&p.Y, spec.YMin == nil, spec.YMax == nil, spec.LogY)
	setLimits(&p.X, spec.XMin, spec.XMax, false)
	setLimits(&p.Y, spec.YMin, spec.YMax, spec.LogY)
	if spec.LogY {
		switch {
		case !(p.Y.Min > 0 && p.Y.Max >= p.Y.Min && !math.IsInf(p.Y.Max, 0)):
			// No positive data: a log axis still needs a positive range.
			p.Y.Min, p.Y.Max = 1, 10
		case p.Y.Min == p.Y.Max:
			// plot widens an empty range by ±1, which may reach 0.
			p.Y.Min, p.Y.Max = p.Y.Min/2, p.Y.Max*2
		}
	}
	if len(leg.entries) > 0 {
		leg.style = textStyle(10)
		w, h := leg.size(placement{cols: 1, rows: len(leg.entries)})
		leg.lines = append(raws, fronts...)
		leg.corner = freeCorner(p, leg.lines, w, h)
		p.Add(&leg)
		registerLegend(p, &leg)
		return p, &leg, nil
	}
	return p, nil, nil
}

// checkSpec reports the first malformed part of spec.
func checkSpec(spec CurveSpec) error {
	if !(spec.Smooth >= 0 && spec.Smooth < 1) {
		return fmt.Errorf("viz: smoothing weight %v is outside [0, 1)", spec.Smooth)
	}
	for i, s := range spec.Series {
		if len(s.X) != len(s.Y) {
			return fmt.Errorf("viz: series %d (%q) has %d x values and %d y values", i, s.Name, len(s.X), len(s.Y))
		}
		switch s.Style {
		case "", "solid", "dashed", "dotted", "dashdot":
		default:
			return fmt.Errorf("viz: series %d (%q) has unknown style %q (want solid, dashed, dotted or dashdot)", i, s.Name, s.Style)
		}
	}
	for _, l := range []struct {
		name string
		v    *float64
	}{{"XMin", spec.XMin}, {"XMax", spec.XMax}, {"YMin", spec.YMin}, {"YMax", spec.YMax}} {
		if l.v != nil && (math.IsNaN(*l.v) || math.IsInf(*l.v, 0)) {
			return fmt.Errorf("viz: axis limit %s is %v", l.name, *l.v)
		}
	}
	if spec.XMin != nil && spec.XMax != nil && *spec.XMin >= *spec.XMax {
		return fmt.Errorf("viz: XMin %v is not below XMax %v", *spec.XMin, *spec.XMax)
	}
	if spec.YMin != nil && spec.YMax != nil && *spec.YMin >= *spec.YMax {
		return fmt.Errorf("viz: YMin %v is not below YMax %v", *spec.YMin, *spec.YMax)
	}
	if spec.LogY && ((spec.YMin != nil && *spec.YMin <= 0) || (spec.YMax != nil && *spec.YMax <= 0)) {
		return fmt.Errorf("viz: a log y axis needs positive limits")
	}
	return nil
}

// rangePad is the share of the data range added beyond each end of an axis
// that follows the data, so that lines do not run along the frame.
const rangePad = 0.03

// padRange widens a's data range at its low end, high end or both; on a log
// axis the padding is a ratio.
func padRange(a *plot.Axis, low, high, log bool) {
	if !(a.Max > a.Min) || math.IsInf(a.Min, 0) || math.IsInf(a.Max, 0) {
		return
	}
	if log {
		if a.Min <= 0 {
			return
		}
		r := math.Pow(a.Max/a.Min, rangePad)
		if low {
			a.Min /= r
		}
		if high {
			a.Max *= r
		}
		return
	}
	d := (a.Max - a.Min) * rangePad
	if low {
		a.Min -= d
	}
	if high {
		a.Max += d
	}
}

// setLimits applies the fixed limits of one axis. When only one limit is
// given and the data lie beyond it, the other end is put one unit (a decade
// on a log axis) away.
func setLimits(a *plot.Axis, lo, hi *float64, log bool) {
	if lo != nil {
		a.Min = *lo
	}
	if hi != nil {
		a.Max = *hi
	}
	if lo != nil && hi == nil && !(a.Max > a.Min) {
		a.Max = a.Min + 1
		if log {
			a.Max = a.Min * 10
		}
	}
	if hi != nil && lo == nil && !(a.Min < a.Max) {
		a.Min = a.Max - 1
		if log {
			a.Min = a.Max / 10
		}
	}
}

// dashes returns the dash pattern of a series style.
func dashes(style string) []vg.Length {
	switch style {
	case "dashed":
		return dashed
	case "dotted":
		return dotted
	case "dashdot":
		return dashDot
	}
	return nil
}

// textStyle is the package's text: Liberation Sans at size points.
func textStyle(size vg.Length) text.Style {
	return text.Style{
		Color:   color.Black,
		Font:    font.From(sansFamily, size),
		Handler: plot.DefaultTextHandler,
	}
}

// newPlot returns an empty plot with the package's fonts and labels.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sansFamily, 13)
	p.Title.Padding = vg.Points(6)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sansFamily, 11)
		a.Tick.Label.Font = font.From(sansFamily, 9.5)
	}
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.X.Tick.Marker, p.Y.Tick.Marker = niceTicks{}, niceTicks{}
	return p
}

// niceTicks labels an axis at round steps (1, 2 or 5 times a power of ten)
// chosen to give about six labels, with a minor tick halfway between labels.
// gonum's default gives only three or four labels, too few to read a value.
// With whole, steps are at least 1 (an epoch axis has no half epochs).
type niceTicks struct{ whole bool }

// Ticks implements plot.Ticker.
func (n niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return evenTicks(lo, hi)
	}
	const want = 6
	raw := (hi - lo) / want
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{2, 5, 10} {
		if math.Abs(math.Log(m*mag/raw)) < math.Abs(math.Log(step/raw)) {
			step = m * mag
		}
	}
	if n.whole && step < 1 {
		step = 1
	}
	decimals := max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	var ts []plot.Tick
	first := math.Ceil(lo/step - 1e-9)
	for k := first - 1; k*step <= hi+step*1e-9; k++ {
		v := k * step
		if v >= lo-step*1e-9 {
			label := strconv.FormatFloat(v, 'f', decimals, 64)
			if v == 0 {
				label = "0" // not "-0"
			}
			ts = append(ts, plot.Tick{Value: v, Label: label})
		}
		if m := v + step/2; m >= lo && m <= hi && !(n.whole && step < 2) {
			ts = append(ts, plot.Tick{Value: m})
		}
	}
	return ts
}

// Smooth returns the debiased exponential moving average of y with weight w
// in [0, 1), as TensorBoard draws it: s_t = w*s_{t-1} + (1-w)*y_t with s_0 = 0,
// reported as s_t / (1-w^t), so that the first value equals the first input.
// A NaN or infinite input gives NaN at its index and is left out of the
// average, so that it does not poison later values. With w = 0 the result is a
// copy of y (infinities aside). Smooth panics if w is outside [0, 1) (Curves checks it first).
func Smooth(y []float64, w float64) []float64 {
	if !(w >= 0 && w < 1) {
		panic(fmt.Sprintf("viz: smoothing weight %v is outside [0, 1)", w))
	}
	out := make([]float64, len(y))
	var s, wt float64 = 0, 1 // wt is w^t for the t finite inputs seen
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			out[i] = math.NaN()
			continue
		}
		s = w*s + (1-w)*v
		wt *= w
		out[i] = s / (1 - wt)
	}
	return out
}

// polyline is a line with gaps: a plot.Plotter that draws runs of drawable
// points, and a dot for a run of one point, which a line would not show.
type polyline struct {
	runs  []plotter.XYs
	style draw.LineStyle
	glyph *draw.GlyphStyle // nil: no markers

	xmin, xmax, ymin, ymax float64
}

// newPolyline splits (x, y) into runs of drawable points, after decimating
// long series. A point is drawable if both coordinates are finite, and y is
// positive when logY.
func newPolyline(x, y []float64, logY bool, style draw.LineStyle, glyph *draw.GlyphStyle) *polyline {
	l := &polyline{style: style, glyph: glyph,
		xmin: math.Inf(1), xmax: math.Inf(-1), ymin: math.Inf(1), ymax: math.Inf(-1)}
	x, y = decimate(x, y, maxPoints)
	var run plotter.XYs
	for i := range x {
		if !finite(x[i]) || !finite(y[i]) || (logY && y[i] <= 0) {
			if len(run) > 0 {
				l.runs = append(l.runs, run)
				run = nil
			}
			continue
		}
		run = append(run, plotter.XY{X: x[i], Y: y[i]})
		l.xmin, l.xmax = min(l.xmin, x[i]), max(l.xmax, x[i])
		l.ymin, l.ymax = min(l.ymin, y[i]), max(l.ymax, y[i])
	}
	if len(run) > 0 {
		l.runs = append(l.runs, run)
	}
	return l
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// DataRange implements plot.DataRanger. With no drawable point the range is
// empty (+Inf, -Inf), which leaves the axes unchanged.
func (l *polyline) DataRange() (xmin, xmax, ymin, ymax float64) {
	return l.xmin, l.xmax, l.ymin, l.ymax
}

// Plot implements plot.Plotter.
func (l *polyline) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	var pts []vg.Point
	for _, run := range l.runs {
		pts = pts[:0]
		for _, xy := range run {
			pts = append(pts, vg.Point{X: trX(xy.X), Y: trY(xy.Y)})
		}
		if len(pts) == 1 && l.glyph == nil {
			if c.Contains(pts[0]) {
				c.DrawGlyph(draw.GlyphStyle{Color: l.style.Color, Radius: l.style.Width, Shape: draw.CircleGlyph{}}, pts[0])
			}
			continue
		}
		for _, line := range c.ClipLinesXY(pts) {
			// The raster back end's cell search grows with the length of
			// one path, which makes a long line quadratic (and, past its
			// cell buffer, drops segments), so long lines go in chunks
			// that share their end points.
			sty := l.style
			for len(line) > strokeChunk {
				c.StrokeLines(sty, line[:strokeChunk+1])
				if len(sty.Dashes) > 0 {
					// Carry the dash phase across the chunk.
					sty.DashOffs += pathLength(line[:strokeChunk+1])
				}
				line = line[strokeChunk:]
			}
			c.StrokeLines(sty, line)
		}
		if l.glyph != nil {
			for _, pt := range pts {
				if c.Contains(pt) {
					c.DrawGlyph(*l.glyph, pt)
				}
			}
		}
	}
}

// pathLength returns the length of the polyline through pts.
func pathLength(pts []vg.Point) vg.Length {
	var n vg.Length
	for i := 1; i < len(pts); i++ {
		n += vg.Length(math.Hypot(float64(pts[i].X-pts[i-1].X), float64(pts[i].Y-pts[i-1].Y)))
	}
	return n
}

// Thumbnail implements plot.Thumbnailer: the legend's sample of the line.
func (l *polyline) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(l.style, c.Min.X, y, c.Max.X, y)
	if l.glyph != nil {
		c.DrawGlyph(*l.glyph, c.Center())
	}
}

// decimate returns at most about max points of (x, y) for drawing: the
// series is cut into max/2 buckets of consecutive indices, and each bucket
// keeps its first NaN (so that gaps stay visible) and the points of its
// smallest and largest finite y, in their original order. The first and last
// points are always kept. Series of max points or fewer are returned as they
// are.
func decimate(x, y []float64, max int) ([]float64, []float64) {
	n := len(y)
	if n <= max {
		return x, y
	}
	buckets := max / 2
	ox := make([]float64, 0, 3*buckets+2)
	oy := make([]float64, 0, 3*buckets+2)
	last := -1
	keep := func(i int) {
		if i > last {
			ox, oy = append(ox, x[i]), append(oy, y[i])
			last = i
		}
	}
	keep(0)
	for b := range buckets {
		lo, hi := b*n/buckets, (b+1)*n/buckets
		iMin, iMax, iNaN := -1, -1, -1
		for i := lo; i < hi; i++ {
			v := y[i]
			if !finite(v) || !finite(x[i]) {
				if iNaN < 0 {
					iNaN = i
				}
				continue
			}
			if iMin < 0 || v < y[iMin] {
				iMin = i
			}
			if iMax < 0 || v > y[iMax] {
				iMax = i
			}
		}
		idx := [3]int{iMin, iMax, iNaN}
		// Three elements: sort by hand, in index order.
		for i := range 2 {
			for j := i + 1; j < 3; j++ {
				if idx[j] < idx[i] {
					idx[i], idx[j] = idx[j], idx[i]
				}
			}
		}
		for _, i := range idx {
			if i >= 0 {
				keep(i)
			}
		}
	}
	keep(n - 1)
	return ox, oy
}

// logTicks marks a log axis: powers of ten, and 2× and 5× (or every
// multiple) when the axis spans too few decades for powers alone to label it.
type logTicks struct{}

// evenTicks are gonum's evenly spaced ticks with labels precise enough to
// tell them apart (gonum writes 2.15 and 2.25 as "2.1" and "2.2").
func evenTicks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	var major []float64
	for _, t := range ts {
		if t.Label != "" {
			major = append(major, t.Value)
		}
	}
	for d := 0; d <= 6; d++ {
		labels := make(map[string]bool)
		for _, v := range major {
			labels[strconv.FormatFloat(v, 'f', d, 64)] = true
		}
		if len(labels) == len(major) || d == 6 {
			for i := range ts {
				if ts[i].Label != "" {
					ts[i].Label = strconv.FormatFloat(ts[i].Value, 'f', d, 64)
				}
			}
			break
		}
	}
	return ts
}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0 && hi >= lo) || math.IsInf(hi, 0) {
		return nil
	}
	k0 := int(math.Floor(math.Log10(lo)))
	k1 := int(math.Ceil(math.Log10(hi)))
	count := func(labelled func(m int) bool) int {
		n := 0
		for k := k0; k <= k1; k++ {
			for m := 1; m <= 9; m++ {
				if v := tickValue(m, k); labelled(m) && v >= lo && v <= hi {
					n++
				}
			}
		}
		return n
	}
	if count(func(int) bool { return true }) < 2 {
		// A range narrower than two steps of the 1…9 ladder (a loss that
		// stays between 2.05 and 2.3) would show no number at all: plain
		// evenly spaced ticks read well on so short a log axis.
		return evenTicks(lo, hi)
	}
	labelled := func(m int) bool { return m == 1 }
	for _, l := range []func(int) bool{
		func(m int) bool { return m == 1 || m == 2 || m == 5 },
		func(int) bool { return true },
	} {
		if count(labelled) >= 3 {
			break
		}
		labelled = l
	}
	var ts []plot.Tick
	for k := k0; k <= k1; k++ {
		for m := 1; m <= 9; m++ {
			t := plot.Tick{Value: tickValue(m, k)}
			if labelled(m) {
				t.Label = strconv.FormatFloat(t.Value, 'g', -1, 64)
			}
			ts = append(ts, t)
		}
	}
	return ts
}

// tickValue returns m×10^k as the float nearest the decimal number, so that
// labels read 0.3 and not 0.30000000000000004.
func tickValue(m, k int) float64 {
	v, _ := strconv.ParseFloat(strconv.Itoa(m)+"e"+strconv.Itoa(k), 64)
	return v
}
