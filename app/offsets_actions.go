package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

	"github.com/deformscope/deformscope/model/rundir"
)

// The Offsets view's own handlers: what a part's widget asks that needs
// more than that part (the window, another part's state, a new picture).

// modeChanged shows another mode: its hint, its options and its picture.
func (v *offsetsView) modeChanged(string) {
	if v.syncing {
		return
	}
	v.syncHint()
	v.syncControls()
	v.request()
}

// resized asks for a picture at the drawing panel's new size, also when
// the view's own relayout (a panel shown or hidden) resized it.
func (v *offsetsView) resized(p *offsetPanel) {
	if p == v.dcnn {
		v.send()
	}
}

// tapped moves the unit to the one under the pointer.
func (v *offsetsView) tapped(p *offsetPanel, pos fyne.Position) {
	if v.tappedBox(p, pos) {
		return
	}
	y, x, _, _, ok := v.unitAt(p, pos)
	if !ok {
		return
	}
	v.hasPick, v.pick = true, [2]float64{y, x}
	v.request()
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

// markBusy turns the busy sign on if request seq is still unanswered.
func (v *offsetsView) markBusy(seq uint64) {
	if v.env.closed() || seq != v.seq || (v.shown != nil && v.shown.req.seq == seq) {
		return
	}
	v.setBusy(true)
}

// chooseRun opens a run folder.
func (v *offsetsView) chooseRun() {
	v.env.chooseFolder("Open run folder", v.env.runsRoot(), func(dir string) {
		// A run of ours opens in the whole window (Curves and Results too);
		// anything else, or any folder during training, in this view alone.
		if _, err := rundir.Open(dir); err == nil && !v.env.training() {
			if err := v.env.openRun(dir); err != nil {
				dialog.ShowError(err, v.env.win)
			}
			return
		}
		v.useRunDir(dir)
	}).Show()
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

// exportRun is the run whose exports the Offsets view writes: the run it
// shows, which may be one opened in the view alone; "" for a capture file
// (no run folder) or nothing.
func (v *offsetsView) exportRun() string {
	switch {
	case v.capture:
		return ""
	case v.runDir != "":
		return v.runDir
	}
	return v.env.lastRun()
}
