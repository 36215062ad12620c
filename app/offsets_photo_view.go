package app

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"github.com/deformscope/deformscope/viz"
)

// busyDelay is how long a request may take before the view says it is
// busy and greys the picture it still shows.
const busyDelay = 200 * time.Millisecond

// Photo zoom limits: a wheel step zooms by zoomStep; the view shows at
// least minViewPx photo pixels across.
const (
	zoomStep  = 1.25
	minViewPx = 12
)

// objectChanged chooses another box of the photo.
func (v *offsetsView) objectChanged(s string) {
	if v.syncing {
		return
	}
	i := slices.Index(v.objects.Options, s)
	if i < 0 || i == v.objectSel {
		return
	}
	v.objectSel, v.hasPick = i, false
	v.request()
}

// objectPxChanged sets the object side of a whole photo: empty for the
// chosen box's.
func (v *offsetsView) objectPxChanged(s string) {
	if v.syncing {
		return
	}
	s = strings.TrimSpace(s)
	side := 0.0
	if s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || !(f >= 1) || math.IsInf(f, 0) {
			return // not a size yet; the entry keeps what is typed
		}
		side = f
	}
	if side == v.objectSide {
		return
	}
	v.objectSide, v.hasPick = side, false
	v.request()
}

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

// wholeChanged runs the net on the whole photo or on the chosen object's
// crop. In a photo, the unit stays the one under the same photo point, and
// the framing stays as it was (on the unit, it frames the unit's new
// points).
func (v *offsetsView) wholeChanged() {
	if v.syncing {
		return
	}
	if r := v.shown; r != nil && r.scene != nil && r.scene.Context != nil && r.scene.Points != nil {
		u := r.scene.Points.Unit // in the photo's pixels
		v.hasPick, v.pick = true, [2]float64{u.Y, u.X}
		v.syncControls()
		v.request()
		return
	}
	v.imageChanged()
}

// showPhotoInfo takes a result's photo list and boxes into the controls.
func (v *offsetsView) showPhotoInfo(r *offsetResult) {
	if r.coco != v.coco {
		v.coco = r.coco
		opts := []string{srcTest, srcFile}
		if v.coco {
			opts = append(opts, srcPhoto)
		}
		v.syncing = true
		sel := v.source.Selected
		v.source.SetOptions(opts)
		if !slices.Contains(opts, sel) {
			sel = srcTest
		}
		v.source.SetSelected(sel)
		v.syncing = false
	}
	if r.photoN > 0 {
		v.photoN = r.photoN
	}
	{
		v.syncing = true
		if !slices.Equal(v.objects.Options, r.objects) {
			v.objects.SetOptions(r.objects)
		}
		if r.object >= 0 && r.object < len(r.objects) {
			v.objects.SetSelected(r.objects[r.object])
		} else {
			v.objects.ClearSelected()
		}
		v.syncing = false
	}
}

// setBusy shows or hides the busy sign; busy greys the picture still
// shown, so that it is not taken for the answer to the new choice.
func (v *offsetsView) setBusy(busy bool) {
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

// markBusy turns the busy sign on if request seq is still unanswered.
func (v *offsetsView) markBusy(seq uint64) {
	if v.u.closed || seq != v.seq || (v.shown != nil && v.shown.req.seq == seq) {
		return
	}
	v.setBusy(true)
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

// tappedBox chooses the box under the pointer, when it is another one
// than the box whose crop is shown; it reports whether it did.
func (v *offsetsView) tappedBox(p *offsetPanel, pos fyne.Position) bool {
	r := v.shown
	if r == nil || r.scene == nil || r.scene.photo == nil || r.scene.photo.scaled != nil {
		return false
	}
	y, x, ok := v.photoAt(p, pos)
	if !ok {
		return false
	}
	ph := r.scene.photo
	i := boxAt(ph.entry.Boxes, y, x)
	if i < 0 || i == ph.object {
		return false
	}
	v.objectSel, v.hasPick = i, false
	v.request()
	return true
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
