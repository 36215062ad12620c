package app

import (
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deformscope/deformscope/viz"
)

// Photo zoom limits: a wheel step zooms by zoomStep; the view shows at
// least minViewPx photo pixels across.
const (
	zoomStep  = 1.25
	minViewPx = 12
)

// offsetFraming is the part of a photo in context the Offsets view shows:
// framed on the unit's points (the default), the whole photo, or where
// the wheel and drags took it. Its fields belong to the UI goroutine.
type offsetFraming struct {
	fitView   *widget.Button // back to the whole photo
	fitPoints *widget.Button // back to the unit's points
	view      viz.Viewport   // the part of the photo shown when framing is ""
	framing   string         // viz.FrameUnit (the default), viz.FramePhoto, or "" for view
	act       framingActions
}

// framingActions are what the framing asks of the view.
type framingActions struct {
	scene func() *offsetScene // the scene shown; nil for none
	// photoAt maps a position in panel p to the photo's pixels.
	photoAt func(p *offsetPanel, pos fyne.Position) (y, x float64, ok bool)
	changed func() // the framing changed: show it in the controls and ask for a picture
}

// newOffsetFraming makes the framing buttons, framing on the unit.
func newOffsetFraming(act framingActions) *offsetFraming {
	v := &offsetFraming{framing: viz.FrameUnit, act: act}
	v.fitView = widget.NewButtonWithIcon("Whole photo", theme.ZoomFitIcon(), v.resetView)
	v.fitPoints = widget.NewButtonWithIcon("Fit points", theme.ZoomInIcon(), v.fitUnit)
	return v
}

// syncFraming enables the framing buttons for a photo in context
// (inPhoto) that is not framed so already.
func (v *offsetFraming) syncFraming(inPhoto bool) {
	setEnabled(v.fitView, inPhoto && v.framing != viz.FramePhoto)
	setEnabled(v.fitPoints, inPhoto && v.framing != viz.FrameUnit)
}

// resetView shows the whole photo.
func (v *offsetFraming) resetView() {
	v.view, v.framing = viz.Viewport{}, viz.FramePhoto
	v.act.changed()
}

// fitUnit frames the unit's points again, in both panels at one scale.
func (v *offsetFraming) fitUnit() {
	v.view, v.framing = viz.Viewport{}, viz.FrameUnit
	v.act.changed()
}

// zoomAt zooms the photo by f (> 1 in) about the panel position pos.
func (v *offsetFraming) zoomAt(p *offsetPanel, pos fyne.Position, f float64) {
	sc := v.act.scene()
	if sc == nil || sc.Context == nil {
		return
	}
	c := sc.Context
	y, x, ok := v.act.photoAt(p, pos)
	if !ok {
		return
	}
	b := c.Photo.Bounds()
	view := photoView(c.View, c.Photo)
	w, h := (view.X1-view.X0)/f, (view.Y1-view.Y0)/f
	if w < minViewPx || h < minViewPx {
		return
	}
	if w >= float64(b.Dx()) && h >= float64(b.Dy()) {
		v.resetView()
		return
	}
	v.framing = ""
	// The photo position under the pointer stays under it.
	fx, fy := (x-view.X0)/(view.X1-view.X0), (y-view.Y0)/(view.Y1-view.Y0)
	v.view = viz.Viewport{X0: x - fx*w, Y0: y - fy*h, X1: x - fx*w + w, Y1: y - fy*h + h}
	v.act.changed()
}

// panBy moves the photo's view by a drag of d panel units.
func (v *offsetFraming) panBy(p *offsetPanel, d fyne.Delta) {
	sc := v.act.scene()
	if sc == nil || sc.Context == nil || p.img.Image == nil {
		return
	}
	c := sc.Context
	view := photoView(c.View, c.Photo)
	b := p.img.Image.Bounds()
	sz := p.Size()
	// Panel units per picture pixel (contain fit), then photo pixels.
	f := math.Min(float64(sz.Width)/float64(b.Dx()), float64(sz.Height)/float64(b.Dy()))
	k := float64(c.Width) / (view.X1 - view.X0)
	dx, dy := float64(d.DX)/f/k, float64(d.DY)/f/k
	pb := c.Photo.Bounds()
	// Keep some of the photo in view.
	dx = min(max(dx, view.X1-float64(pb.Dx())-minViewPx), view.X1-minViewPx)
	dy = min(max(dy, view.Y1-float64(pb.Dy())-minViewPx), view.Y1-minViewPx)
	v.view, v.framing = viz.Viewport{X0: view.X0 - dx, Y0: view.Y0 - dy, X1: view.X1 - dx, Y1: view.Y1 - dy}, ""
	v.act.changed()
}

// Scrolled implements fyne.Scrollable: the wheel zooms a photo in context.
func (p *offsetPanel) Scrolled(e *fyne.ScrollEvent) {
	switch {
	case e.Scrolled.DY > 0:
		p.act.zoom(p, e.Position, zoomStep)
	case e.Scrolled.DY < 0:
		p.act.zoom(p, e.Position, 1/zoomStep)
	}
}

// Dragged implements fyne.Draggable: dragging pans a photo in context.
func (p *offsetPanel) Dragged(e *fyne.DragEvent) { p.act.pan(p, e.Dragged) }

// DragEnd implements fyne.Draggable.
func (p *offsetPanel) DragEnd() {}
