package app

import (
	"errors"
	"image"
	"math"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/deformscope/deformscope/viz"
)

// minRenderGap spaces the renderer's passes, so that the per-step curve
// redraws a few times a second and leaves the cores to training.
const minRenderGap = 300 * time.Millisecond

// plotView shows one figure: a long-lived canvas.Image into which the
// renderer swaps a new image whenever the figure's data or size change.
type plotView struct {
	widget.BaseWidget
	id  viz.FigureID
	r   *renderer
	img *canvas.Image
	msg *widget.Label
	// frame is where the shown image put its axes (UI goroutine only).
	frame plotFrame
}

func newPlotView(id viz.FigureID, r *renderer, minSize fyne.Size) *plotView {
	v := &plotView{id: id, r: r, img: canvas.NewImageFromImage(nil), msg: widget.NewLabel(viz.FigureTitle(id))}
	v.img.FillMode = canvas.ImageFillContain
	v.img.ScaleMode = canvas.ImageScaleSmooth
	v.img.SetMinSize(minSize)
	v.msg.Alignment = fyne.TextAlignCenter
	v.msg.Importance = widget.LowImportance
	v.msg.Wrapping = fyne.TextWrapWord
	v.ExtendBaseWidget(v)
	r.add(v)
	return v
}

// CreateRenderer implements fyne.Widget.
func (v *plotView) CreateRenderer() fyne.WidgetRenderer {
	// The message wraps to the view's width (a long one, such as a COCO
	// run's "MNIST runs only", would otherwise hold the window wide) and
	// sits in the middle.
	return widget.NewSimpleRenderer(container.NewStack(v.img,
		container.NewVBox(layout.NewSpacer(), v.msg, layout.NewSpacer())))
}

// Resize implements fyne.CanvasObject: the renderer draws the figure at the
// view's size in device pixels.
func (v *plotView) Resize(s fyne.Size) {
	v.BaseWidget.Resize(s)
	scale := float32(1)
	if c := fyne.CurrentApp().Driver().CanvasForObject(v); c != nil && c.Scale() > 0 {
		scale = c.Scale()
	}
	px := image.Pt(int(math.Round(float64(s.Width*scale))), int(math.Round(float64(s.Height*scale))))
	v.r.resized(v, px, float64(96*scale))
}

// set shows a rendered image, or why there is none. It runs on the UI
// goroutine (through the bridge).
func (v *plotView) set(img image.Image, f plotFrame, err error) {
	v.frame = plotFrame{}
	if err == nil {
		v.frame = f
	}
	switch {
	case err == nil:
		v.img.Image = img
		v.msg.Hide()
	case errors.Is(err, viz.ErrNoData):
		v.img.Image = nil
		v.msg.SetText(strings.TrimPrefix(err.Error(), viz.ErrNoData.Error()+": "))
		v.msg.Show()
	default:
		v.img.Image = nil
		v.msg.SetText("Cannot draw this figure: " + err.Error())
		v.msg.Show()
	}
	v.img.Refresh()
}

// The inputs a figure depends on.
const (
	depRecords = 1 << iota
	depSteps
	depSmooth
	depLog
)

func figureDeps(id viz.FigureID) int {
	switch id {
	case viz.FigLoss:
		return depRecords | depLog
	case viz.FigStepLoss:
		return depSteps | depSmooth | depLog
	}
	return depRecords
}

// renderKey identifies what a view shows: the versions of the inputs its
// figure depends on, its pixel size, and its zoom.
type renderKey struct {
	records, steps, smooth, log uint64
	size                        image.Point
	dpi                         float64
	zoom                        zoomLimits
}

// renderer draws the figures off the UI goroutine. It lives as long as the
// window: its goroutine waits for a kick, redraws every view whose key
// changed, one at a time, and rests minRenderGap between passes.
type renderer struct {
	b *bridge

	mu    sync.Mutex
	in    viz.FigureInput
	ver   renderKey // the current input versions (size unused)
	views []*plotView
	want  map[*plotView]renderKey  // size and dpi of each view
	shown map[*plotView]renderKey  // what each view last received
	zoom  map[*plotView]zoomLimits // each zoomed view's axis limits

	wake latest[struct{}] // a redraw may be due
	jobs chan func()      // wake's hand-overs, run on the renderer's goroutine
	stop chan struct{}
	done chan struct{}
}

func newRenderer(b *bridge) *renderer {
	return &renderer{b: b, want: map[*plotView]renderKey{}, shown: map[*plotView]renderKey{},
		zoom: map[*plotView]zoomLimits{}, jobs: make(chan func(), 1), stop: make(chan struct{}), done: make(chan struct{})}
}

func (r *renderer) add(v *plotView) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.views = append(r.views, v)
}

// poke wakes the renderer's goroutine; wake-ups coalesce (latest queues
// at most one, so the one-slot channel never blocks).
func (r *renderer) poke() {
	r.wake.post(func(f func()) { r.jobs <- f }, struct{}{}, func(struct{}) {})
}

// resized records a view's size in pixels.
func (r *renderer) resized(v *plotView, px image.Point, dpi float64) {
	r.mu.Lock()
	w := r.want[v]
	changed := w.size != px || w.dpi != dpi
	w.size, w.dpi = px, dpi
	r.want[v] = w
	r.mu.Unlock()
	if changed {
		r.poke()
	}
}

// setZoom records a view's zoom, set on the UI goroutine; the zero value
// follows the data.
func (r *renderer) setZoom(v *plotView, z zoomLimits) {
	r.mu.Lock()
	if z.on {
		r.zoom[v] = z
	} else {
		delete(r.zoom, v)
	}
	r.mu.Unlock()
	r.poke()
}

// request is the key, zoom included, that view v should be drawn with now.
func (r *renderer) request(v *plotView) renderKey {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keyLocked(v)
}

// hidden forgets the size of a view taken out of the window, so that it is
// not drawn until it is laid out again.
func (r *renderer) hidden(v *plotView) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.want[v]
	w.size = image.Point{}
	r.want[v] = w
}

// setInput replaces the plotted data; the flags say which parts changed.
func (r *renderer) setInput(in viz.FigureInput, records, steps bool) {
	r.mu.Lock()
	if records {
		r.ver.records++
	}
	if steps {
		r.ver.steps++
	}
	if in.Smooth != r.in.Smooth {
		r.ver.smooth++
	}
	if in.LogY != r.in.LogY {
		r.ver.log++
	}
	r.in = in
	r.mu.Unlock()
	r.poke()
}

// input returns the data the figures show now.
func (r *renderer) input() viz.FigureInput {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.in
}

// keyLocked is the key view v should show now.
func (r *renderer) keyLocked(v *plotView) renderKey {
	k := r.want[v]
	k.zoom = r.zoom[v]
	d := figureDeps(v.id)
	if d&depRecords != 0 {
		k.records = r.ver.records
	}
	if d&depSteps != 0 {
		k.steps = r.ver.steps
	}
	if d&depSmooth != 0 {
		k.smooth = r.ver.smooth
	}
	if d&depLog != 0 {
		k.log = r.ver.log
	}
	return k
}

// next picks a view whose image is out of date.
func (r *renderer) next() (v *plotView, k renderKey, in viz.FigureInput) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range r.views {
		k := r.keyLocked(v)
		if k.size.X < 8 || k.size.Y < 8 {
			continue // not laid out yet, or hidden
		}
		if old, ok := r.shown[v]; ok && old == k {
			continue
		}
		return v, k, r.in
	}
	return nil, renderKey{}, viz.FigureInput{}
}

// run is the renderer's goroutine; close stops it.
func (r *renderer) run() {
	defer close(r.done)
	for {
		select {
		case <-r.stop:
			return
		case f := <-r.jobs:
			f()
		}
		for {
			v, k, in := r.next()
			if v == nil {
				break
			}
			img, f, err := renderFigure(v.id, in, k)
			// Hand the image over before marking it shown, so that whoever
			// sees the view up to date finds the image already posted.
			r.b.showPlot(v, img, f, err)
			r.mu.Lock()
			r.shown[v] = k
			r.mu.Unlock()
			select {
			case <-r.stop:
				return
			default:
			}
		}
		select {
		case <-r.stop:
			return
		case <-time.After(minRenderGap):
		}
	}
}

// upToDate reports whether every laid-out view has been handed its
// current image.
func (r *renderer) upToDate() bool {
	v, _, _ := r.next()
	return v == nil
}

// close stops the renderer's goroutine and waits for it.
func (r *renderer) close() {
	r.halt()
	<-r.done
}

// halt tells the renderer's goroutine to stop, without waiting for it; it
// is safe to call twice.
func (r *renderer) halt() {
	select {
	case <-r.stop:
	default:
		close(r.stop)
	}
}

// renderFigure draws figure id at the key's size, with the key's zoom, into
// a new image, and says where the image's axes lie.
func renderFigure(id viz.FigureID, in viz.FigureInput, k renderKey) (image.Image, plotFrame, error) {
	fd, err := buildZoomedFigure(id, in, k.zoom)
	if err != nil {
		return nil, plotFrame{}, err
	}
	img, err := viz.Render(fd.Plot, viz.RenderOptions{WidthPx: k.size.X, HeightPx: k.size.Y, DPI: k.dpi})
	if err != nil {
		return nil, plotFrame{}, err
	}
	f := frameOf(fd.Plot, k)
	f.dataX1 = lastX(fd.Series)
	return img, f, nil
}

// lastX is the largest x of series' drawable points; NaN for none.
func lastX(series []viz.Series) float64 {
	x1 := math.NaN()
	for _, s := range series {
		for i, x := range s.X {
			if y := s.Y[i]; !math.IsNaN(x) && !math.IsInf(x, 0) && !math.IsNaN(y) && !math.IsInf(y, 0) && !(x <= x1) {
				x1 = x
			}
		}
	}
	return x1
}
