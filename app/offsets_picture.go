package app

import (
	"fmt"
	"image"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deformscope/deformscope/model/trace"
	"github.com/deformscope/deformscope/viz"
)

// offsetPicture is what the Offsets view draws and how: the mode and its
// options, the two panels (the plain CNN's grid and the deformable net's
// points or heat map), the caption, the measure line, the hint and the
// busy sign. Its fields belong to the UI goroutine.
type offsetPicture struct {
	mode     *widget.Select
	group    *widget.Select // a capture layer's offset group (offsets_capture.go)
	read     *widget.Select
	weight   *widget.Select
	clamp    *widget.Check
	busy     *widget.ProgressBarInfinite
	caption  *widget.Label
	measured *widget.Label // the unit measured, or that the offsets are ≈ 0
	hint     *widget.Label
	msg      *widget.Label
	// progressText is the last progress message shown.
	progressText string
	cnn, dcnn    *offsetPanel
	panels       *fyne.Container
	shown        *offsetResult // the last picture shown
	noCNN        bool          // the run has no plain model to draw beside
	// busyDelay is how long a request may take before the busy sign shows.
	busyDelay time.Duration
}

// pictureActions are what the picture's widgets do.
type pictureActions struct {
	mode    func(string)
	options func() // the reading, weight, clamp or group changed
	panel   panelActions
}

// panelActions are what a panel reports to the view.
type panelActions struct {
	resized func(p *offsetPanel)
	tapped  func(p *offsetPanel, pos fyne.Position)
	hovered func(p *offsetPanel, pos fyne.Position, inside bool)
	zoom    func(p *offsetPanel, pos fyne.Position, f float64) // the wheel: f > 1 zooms in
	pan     func(p *offsetPanel, d fyne.Delta)                 // a drag
}

// newOffsetPicture makes the picture's widgets, showing the points mode's
// hint.
func newOffsetPicture(act pictureActions) *offsetPicture {
	v := &offsetPicture{busyDelay: busyDelay}
	v.busy = widget.NewProgressBarInfinite()
	v.busy.Hide()
	v.mode = widget.NewSelect([]string{modePoints, modeOffset, modeMask}, act.mode)
	v.group = newGroupSelect(act.options)
	v.read = widget.NewSelect([]string{readBilinear, readRounded}, func(string) { act.options() })
	v.weight = widget.NewSelect([]string{weightSize, weightAlpha, weightNone}, func(string) { act.options() })
	v.clamp = widget.NewCheck("Clamp scale", func(bool) { act.options() })
	v.caption = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.caption.Truncation = fyne.TextTruncateEllipsis
	v.measured = widget.NewLabel("")
	v.measured.Truncation = fyne.TextTruncateEllipsis
	v.measured.Hide()
	v.hint = widget.NewLabel(hintPoints)
	v.hint.Importance = widget.LowImportance
	v.hint.Truncation = fyne.TextTruncateEllipsis
	v.msg = widget.NewLabel("")
	v.msg.Alignment = fyne.TextAlignCenter
	v.msg.Importance = widget.LowImportance
	// Truncated, not wrapped: a wrapped label's minimum height grows with
	// its lines at its minimum width, which would stretch the window.
	v.msg.Truncation = fyne.TextTruncateEllipsis
	v.cnn = newOffsetPanel(act.panel)
	v.dcnn = newOffsetPanel(act.panel)
	v.panels = container.New(equalColumns{}, v.cnn, v.dcnn)
	return v
}

// progress shows a message about slow work under way: in place of the
// picture when there is none yet, else in the caption above it. The next
// picture replaces it.
func (v *offsetPicture) progress(text string) {
	v.progressText = text
	if v.msg.Visible() {
		v.msg.SetText(text) // no picture yet: say it in its place
		return
	}
	v.caption.SetText(text)
}

// syncOptions enables the options of the mode chosen (the clamp and the
// group apply to a run and to a capture apart), and shows the plain CNN's
// panel in the points mode of a run that has one.
func (v *offsetPicture) syncOptions(capture bool) {
	points := v.mode.Selected == modePoints
	setEnabled(v.read, points)
	setEnabled(v.weight, points)
	// A capture has no clamp bound: its scale runs to the field's 99th percentile.
	setEnabled(v.clamp, v.mode.Selected == modeOffset && !capture)
	setEnabled(v.group, capture && len(v.group.Options) > 1)
	if showCNN := points && !v.noCNN; showCNN != v.cnn.Visible() {
		v.cnn.Hidden = !showCNN
		v.panels.Refresh() // lays the panels out again
	}
}

// showPicture shows a result's pictures, caption and measure line, or in
// their place why there are none; sync runs when the plain CNN's panel
// comes or goes.
func (v *offsetPicture) showPicture(r *offsetResult, sync func()) {
	if r.scene == nil {
		v.cnn.set(nil)
		v.dcnn.set(nil)
		v.caption.SetText("")
		v.measured.SetText("")
		v.measured.Hide()
		if r.err != nil {
			v.msg.SetText("Cannot draw the sampling locations: " + r.err.Error())
		} else {
			v.msg.SetText(r.note)
		}
		v.msg.Show()
		return
	}
	v.msg.Hide()
	if r.scene.mode == modePoints && v.noCNN != (r.scene.Grid == nil) {
		v.noCNN = r.scene.Grid == nil
		sync()
	}
	v.cnn.set(r.cnn)
	v.dcnn.set(r.main)
	v.caption.SetText(r.scene.caption())
	v.measured.SetText(r.scene.MeasureLine())
	v.measured.Show()
	if v.measured.Text == "" {
		v.measured.Hide()
	}
	v.measured.Importance = widget.MediumImportance
	if r.scene.FlatNote() != "" {
		v.measured.Importance = widget.DangerImportance
	}
	v.measured.Refresh()
	v.syncHint()
}

// unitAt maps a position in panel p to the input position under it and
// the unit of the shown layer whose centre lies nearest.
func (v *offsetPicture) unitAt(p *offsetPanel, pos fyne.Position) (y, x float64, uy, ux int, ok bool) {
	r := v.shown
	if r == nil || r.scene == nil || r.scene.mode != modePoints || p.img.Image == nil {
		return 0, 0, 0, 0, false
	}
	sc := r.scene
	if sc.photo != nil {
		py, px, ok := v.photoAt(p, pos)
		if !ok {
			return 0, 0, 0, 0, false
		}
		iy, ix := sc.photo.fromPhoto(py, px)
		uy, ux, err := trace.UnitAt(sc.geom, sc.in, sc.Layer, iy, ix)
		return py, px, uy, ux, err == nil
	}
	b := p.img.Image.Bounds()
	cx, cy, ok := containPoint(p.Size(), b.Dx(), b.Dy(), pos)
	if !ok {
		return 0, 0, 0, 0, false
	}
	y, x, ok = viz.OverlayPoint(sc.in[1], sc.in[0], r.scale, cx, cy)
	if !ok {
		return 0, 0, 0, 0, false
	}
	var err error
	if sc.cap != nil {
		uy, ux, err = sc.cap.UnitAt(sc.Layer, sc.Depth, y, x)
	} else {
		uy, ux, err = trace.UnitAt(sc.geom, sc.in, sc.Layer, y, x)
	}
	return y, x, uy, ux, err == nil
}

// hovered names the unit under the pointer.
func (v *offsetPicture) hovered(p *offsetPanel, pos fyne.Position, inside bool) {
	if !inside {
		v.syncHint()
		return
	}
	if _, _, uy, ux, ok := v.unitAt(p, pos); ok {
		v.hint.SetText(fmt.Sprintf("Unit (%d, %d) of %s under the pointer: click to choose it", uy, ux, v.shown.scene.Layer))
	} else {
		v.syncHint()
	}
}

func (v *offsetPicture) syncHint() {
	if r := v.shown; r != nil && r.scene != nil && r.scene.photo != nil && r.scene.photo.scaled != nil {
		// The caption is cut short: the resize and the bound, in full.
		v.hint.SetText(r.scene.Label)
		return
	}
	if v.mode.Selected == modePoints {
		v.hint.SetText(hintPoints)
	} else {
		v.hint.SetText(hintHeatmap)
	}
}

// containPoint maps a position in a box of size sz, which shows an imgW×imgH
// image scaled to fit and centred (canvas.ImageFillContain), to continuous
// pixel coordinates of the image.
func containPoint(sz fyne.Size, imgW, imgH int, pos fyne.Position) (cx, cy float64, ok bool) {
	if imgW <= 0 || imgH <= 0 || sz.Width <= 0 || sz.Height <= 0 {
		return 0, 0, false
	}
	f := math.Min(float64(sz.Width)/float64(imgW), float64(sz.Height)/float64(imgH))
	ox := (float64(sz.Width) - f*float64(imgW)) / 2
	oy := (float64(sz.Height) - f*float64(imgH)) / 2
	cx, cy = (float64(pos.X)-ox)/f, (float64(pos.Y)-oy)/f
	return cx, cy, cx >= 0 && cy >= 0 && cx < float64(imgW) && cy < float64(imgH)
}

// offsetPanel shows one picture of the Offsets view in a long-lived
// canvas.Image, and reports taps, the pointer and its size to the view.
type offsetPanel struct {
	widget.BaseWidget
	act panelActions
	img *canvas.Image
	px  image.Point // size in device pixels
}

// newOffsetPanel makes an empty panel that reports to act.
func newOffsetPanel(act panelActions) *offsetPanel {
	p := &offsetPanel{act: act, img: canvas.NewImageFromImage(nil)}
	p.img.FillMode = canvas.ImageFillContain
	p.img.ScaleMode = canvas.ImageScaleSmooth
	p.img.SetMinSize(fyne.NewSize(240, 230))
	p.ExtendBaseWidget(p)
	return p
}

// CreateRenderer implements fyne.Widget.
func (p *offsetPanel) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(p.img)
}

// set swaps in a new picture (nil for none); the image is new, and nothing
// changes it afterwards.
func (p *offsetPanel) set(img *image.NRGBA) {
	if img == nil {
		p.img.Image = nil
	} else {
		p.img.Image = img
	}
	p.img.Refresh()
}

// Resize implements fyne.CanvasObject: the view draws at the panel's size
// in device pixels.
func (p *offsetPanel) Resize(s fyne.Size) {
	p.BaseWidget.Resize(s)
	scale := float32(1)
	if c := fyne.CurrentApp().Driver().CanvasForObject(p); c != nil && c.Scale() > 0 {
		scale = c.Scale()
	}
	px := image.Pt(int(math.Round(float64(s.Width*scale))), int(math.Round(float64(s.Height*scale))))
	if px != p.px {
		p.px = px
		p.act.resized(p)
	}
}

// Tapped implements fyne.Tappable.
func (p *offsetPanel) Tapped(e *fyne.PointEvent) { p.act.tapped(p, e.Position) }

// MouseIn implements desktop.Hoverable.
func (p *offsetPanel) MouseIn(e *desktop.MouseEvent) { p.act.hovered(p, e.Position, true) }

// MouseMoved implements desktop.Hoverable.
func (p *offsetPanel) MouseMoved(e *desktop.MouseEvent) { p.act.hovered(p, e.Position, true) }

// MouseOut implements desktop.Hoverable.
func (p *offsetPanel) MouseOut() { p.act.hovered(p, fyne.Position{}, false) }

// equalColumns lays its visible objects out side by side in columns of
// equal width, each as tall as the container.
type equalColumns struct{}

// Layout implements fyne.Layout.
func (equalColumns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	var vis []fyne.CanvasObject
	for _, o := range objs {
		if o.Visible() {
			vis = append(vis, o)
		}
	}
	if len(vis) == 0 {
		return
	}
	pad := theme.Padding()
	w := (size.Width - pad*float32(len(vis)-1)) / float32(len(vis))
	for i, o := range vis {
		o.Move(fyne.NewPos(float32(i)*(w+pad), 0))
		o.Resize(fyne.NewSize(w, size.Height))
	}
}

// MinSize implements fyne.Layout.
func (equalColumns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	n := 0
	for _, o := range objs {
		if o.Visible() {
			m := o.MinSize()
			s.Width += m.Width
			s.Height = max(s.Height, m.Height)
			n++
		}
	}
	if n > 1 {
		s.Width += theme.Padding() * float32(n-1)
	}
	return s
}

// busyDelay is how long a request may take before the view says it is
// busy and greys the picture it still shows.
const busyDelay = 200 * time.Millisecond

// setBusy shows or hides the busy sign; busy greys the picture still
// shown, so that it is not taken for the answer to the new choice.
func (v *offsetPicture) setBusy(busy bool) {
	if busy == v.busy.Visible() {
		return
	}
	t := float64(0)
	if busy {
		t = 0.65
		v.busy.Show()
		v.busy.Start()
	} else {
		v.busy.Stop()
		v.busy.Hide()
	}
	for _, p := range []*offsetPanel{v.cnn, v.dcnn} {
		p.img.Translucency = t
		p.img.Refresh()
	}
}

// photoAt maps a position in panel p to the photo's pixels (COCO's frame),
// when the panel shows a photo in context.
func (v *offsetPicture) photoAt(p *offsetPanel, pos fyne.Position) (y, x float64, ok bool) {
	r := v.shown
	if r == nil || r.scene == nil || r.scene.Context == nil || p.img.Image == nil {
		return 0, 0, false
	}
	c := r.scene.Context
	b := p.img.Image.Bounds()
	cx, cy, ok := containPoint(p.Size(), b.Dx(), b.Dy(), pos)
	if !ok {
		return 0, 0, false
	}
	view := photoView(c.View, c.Photo)
	k := float64(c.Width) / (view.X1 - view.X0)
	if cy >= (view.Y1-view.Y0)*k {
		return 0, 0, false // the caption band under the photo
	}
	return view.Y0 + cy/k, view.X0 + cx/k, true
}
