package app

import (
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
	"github.com/deformscope/deformscope/viz"
	"gonum.org/v1/plot"
)

// Zooming the curves. The axes of a curve figure follow the data until the
// user zooms: the mouse wheel over a figure zooms both axes around the
// pointer, dragging pans, and a double-click (or the "Reset zoom" button, for
// every figure at once) returns to following the data. While a figure is
// zoomed its four axis limits are fixed, so new training data do not move its
// axes, unless the zoom held the newest point when it was set: such a zoom
// on the live end of a curve grows to hold the points that come (its x end
// to the newest, its y range to the new points), so that during training no
// line runs out of the figure. Toggling the log-scale check resets the zoom of the figures it
// affects (a linear zoom range may reach 0 or below, which a log axis cannot
// show). Exports always follow the data.
//
// The zoom state lives on the UI goroutine in each zoomView; every change is
// handed to the renderer as a plain zoomLimits value, which becomes part of
// the view's renderKey, so the renderer redraws the figure with those limits.

// zoomPerDelta is how much one unit of scroll delta zooms: a wheel notch,
// about 10 units, zooms in or out by about a fifth.
const zoomPerDelta = 0.02

// zoomLimits is a figure's zoom: when on, the x and y axis limits in data
// units; off follows the data.
type zoomLimits struct {
	on             bool
	x0, x1, y0, y1 float64
	// follow: the zoom held the newest point, at x after, when it was
	// set, so during training it grows to hold the points that come
	// (viz.Zoom's Follow): a zoom on the live end of a curve never lets
	// the line run out of the figure.
	follow bool
	after  float64
}

// plotFrame is where the last rendered image put the data: the axis ranges
// drawn, and the data area as fractions of the image (left and right of its
// width, top and bottom of its height, measured from the top).
type plotFrame struct {
	ok                       bool
	x0, x1, y0, y1           float64
	logY                     bool
	left, right, top, bottom float64
	// dataX1 is the largest x of the data drawn (NaN for none), and zoom
	// the zoom the image was drawn for.
	dataX1 float64
	zoom   zoomLimits
}

// frameOf measures p's axes and data area as viz.Render draws it at k's
// size (viz.PlotFrame). A plot viz cannot measure gets no frame: its image
// shows, and the mouse does not zoom it.
func frameOf(p *plot.Plot, k renderKey) plotFrame {
	vf, err := viz.PlotFrame(p, viz.RenderOptions{WidthPx: k.size.X, HeightPx: k.size.Y, DPI: k.dpi})
	if err != nil {
		return plotFrame{}
	}
	f := plotFrame{ok: true, x0: vf.X0, x1: vf.X1, y0: vf.Y0, y1: vf.Y1, logY: vf.LogY,
		left: vf.Left, right: vf.Right, top: vf.Top, bottom: vf.Bottom, dataX1: math.NaN(), zoom: k.zoom}
	if !(f.x0 < f.x1) || !(f.y0 < f.y1) || (f.logY && f.y0 <= 0) ||
		math.IsInf(f.x0, 0) || math.IsInf(f.x1, 0) || math.IsInf(f.y0, 0) || math.IsInf(f.y1, 0) {
		f.ok = false
	}
	return f
}

// zoomView wraps a curve figure's plotView and turns the wheel, drags and
// double-clicks into zoom limits. Its methods run on the UI goroutine.
type zoomView struct {
	widget.BaseWidget
	pv *plotView
	z  zoomLimits
}

var (
	_ fyne.Scrollable     = (*zoomView)(nil)
	_ fyne.Draggable      = (*zoomView)(nil)
	_ fyne.DoubleTappable = (*zoomView)(nil)
)

func newZoomView(pv *plotView) *zoomView {
	z := &zoomView{pv: pv}
	z.ExtendBaseWidget(z)
	return z
}

// CreateRenderer implements fyne.Widget.
func (z *zoomView) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(z.pv)
}

// zoomed reports whether the figure's axes are fixed by a zoom.
func (z *zoomView) zoomed() bool { return z.z.on }

// axes returns the current axis ranges, the y range in log10 on a log axis,
// and the frame of the last image; ok is false when the figure shows none.
func (z *zoomView) axes() (x0, x1, y0, y1 float64, f plotFrame, ok bool) {
	f = z.pv.frame
	if !f.ok || z.pv.img.Image == nil {
		return 0, 0, 0, 0, f, false
	}
	x0, x1, y0, y1 = f.x0, f.x1, f.y0, f.y1
	if z.z.on && f.zoom != z.z {
		// The last image predates the latest zoom step. (One drawn for
		// this zoom has its axes, grown if the zoom follows new data.)
		x0, x1, y0, y1 = z.z.x0, z.z.x1, z.z.y0, z.z.y1
	}
	if f.logY {
		if y0 <= 0 || y1 <= 0 {
			return 0, 0, 0, 0, f, false
		}
		y0, y1 = math.Log10(y0), math.Log10(y1)
	}
	return x0, x1, y0, y1, f, true
}

// fractions maps a position in the view to the data area: 0 at the left
// and bottom, 1 at the right and top, clamped to the area.
func (z *zoomView) fractions(pos fyne.Position, f plotFrame) (fx, fy float64) {
	s := z.Size()
	if s.Width <= 0 || s.Height <= 0 {
		return 0.5, 0.5
	}
	fx = (float64(pos.X/s.Width) - f.left) / (f.right - f.left)
	fy = (f.bottom - float64(pos.Y/s.Height)) / (f.bottom - f.top)
	return min(max(fx, 0), 1), min(max(fy, 0), 1)
}

// Scrolled implements fyne.Scrollable: the wheel zooms both axes around the
// pointer, in when scrolling up.
func (z *zoomView) Scrolled(ev *fyne.ScrollEvent) {
	if ev == nil || ev.Scrolled.DY == 0 {
		return
	}
	x0, x1, y0, y1, f, ok := z.axes()
	if !ok {
		return
	}
	k := math.Exp(-float64(ev.Scrolled.DY) * zoomPerDelta)
	fx, fy := z.fractions(ev.Position, f)
	px, py := x0+fx*(x1-x0), y0+fy*(y1-y0)
	z.set(px-(px-x0)*k, px+(x1-px)*k, py-(py-y0)*k, py+(y1-py)*k, f.logY)
}

// Dragged implements fyne.Draggable: dragging pans the axes with the
// pointer.
func (z *zoomView) Dragged(ev *fyne.DragEvent) {
	if ev == nil {
		return
	}
	x0, x1, y0, y1, f, ok := z.axes()
	s := z.Size()
	if !ok || s.Width <= 0 || s.Height <= 0 {
		return
	}
	dx := float64(ev.Dragged.DX) / (float64(s.Width) * (f.right - f.left)) * (x1 - x0)
	dy := float64(ev.Dragged.DY) / (float64(s.Height) * (f.bottom - f.top)) * (y1 - y0)
	z.set(x0-dx, x1-dx, y0+dy, y1+dy, f.logY)
}

// DragEnd implements fyne.Draggable.
func (z *zoomView) DragEnd() {}

// DoubleTapped implements fyne.DoubleTappable: a double-click returns the
// figure to following the data.
func (z *zoomView) DoubleTapped(*fyne.PointEvent) { z.reset() }

// set fixes the axes (y in log10 when logY) and asks for a redraw; ranges
// too narrow to draw or not finite are ignored.
func (z *zoomView) set(x0, x1, y0, y1 float64, logY bool) {
	if logY {
		y0, y1 = math.Pow(10, y0), math.Pow(10, y1)
	}
	for _, r := range [][2]float64{{x0, x1}, {y0, y1}} {
		lo, hi := r[0], r[1]
		if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) ||
			!(hi-lo > 1e-9*max(1, math.Abs(lo), math.Abs(hi))) {
			return
		}
	}
	if logY && !(y0 > 0) {
		return
	}
	// A zoom whose x range holds the newest point drawn follows new data.
	f := z.pv.frame
	follow := f.ok && !math.IsNaN(f.dataX1) && x0 <= f.dataX1 && x1 >= f.dataX1
	z.z = zoomLimits{on: true, x0: x0, x1: x1, y0: y0, y1: y1}
	if follow {
		z.z.follow, z.z.after = true, f.dataX1
	}
	z.pv.r.setZoom(z.pv, z.z)
}

// reset returns the figure to following the data.
func (z *zoomView) reset() {
	if !z.z.on {
		return
	}
	z.z = zoomLimits{}
	z.pv.r.setZoom(z.pv, z.z)
}
