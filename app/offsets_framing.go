package app

import (
	"math"

	"fyne.io/fyne/v2"

	"github.com/deformscope/deformscope/viz"
)

// Photo zoom limits: a wheel step zooms by zoomStep; the view shows at
// least minViewPx photo pixels across.
const (
	zoomStep  = 1.25
	minViewPx = 12
)

// resetView shows the whole photo.
func (v *offsetsView) resetView() {
	v.view, v.framing = viz.Viewport{}, viz.FramePhoto
	v.syncControls()
	v.request()
}

// fitUnit frames the unit's points again, in both panels at one scale.
func (v *offsetsView) fitUnit() {
	v.view, v.framing = viz.Viewport{}, viz.FrameUnit
	v.syncControls()
	v.request()
}

// photoAt maps a position in panel p to the photo's pixels (COCO's frame),
// when the panel shows a photo in context.
func (v *offsetsView) photoAt(p *offsetPanel, pos fyne.Position) (y, x float64, ok bool) {
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

// zoomAt zooms the photo by f (> 1 in) about the panel position pos.
func (v *offsetsView) zoomAt(p *offsetPanel, pos fyne.Position, f float64) {
	r := v.shown
	if r == nil || r.scene == nil || r.scene.Context == nil {
		return
	}
	c := r.scene.Context
	y, x, ok := v.photoAt(p, pos)
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
	v.syncControls()
	v.request()
}

// panBy moves the photo's view by a drag of d panel units.
func (v *offsetsView) panBy(p *offsetPanel, d fyne.Delta) {
	r := v.shown
	if r == nil || r.scene == nil || r.scene.Context == nil || p.img.Image == nil {
		return
	}
	c := r.scene.Context
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
	v.syncControls()
	v.request()
}

// Scrolled implements fyne.Scrollable: the wheel zooms a photo in context.
func (p *offsetPanel) Scrolled(e *fyne.ScrollEvent) {
	switch {
	case e.Scrolled.DY > 0:
		p.v.zoomAt(p, e.Position, zoomStep)
	case e.Scrolled.DY < 0:
		p.v.zoomAt(p, e.Position, 1/zoomStep)
	}
}

// Dragged implements fyne.Draggable: dragging pans a photo in context.
func (p *offsetPanel) Dragged(e *fyne.DragEvent) { p.v.panBy(p, e.Dragged) }

// DragEnd implements fyne.Draggable.
func (p *offsetPanel) DragEnd() {}
