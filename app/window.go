package app

import (
	"os"
	"strconv"

	"fyne.io/fyne/v2"
)

// The window's size is remembered across launches; its first size fits
// the work area of the screen it opens on.

// Preference keys of the window's size.
const (
	prefWindowWidth  = "window.width"
	prefWindowHeight = "window.height"
)

// defaultWindow is the first window's size when nothing else says.
var defaultWindow = fyne.NewSize(1360, 860)

// minWindow is the smallest window every tab is laid out for.
var minWindow = fyne.NewSize(1024, 640)

// fitWindow picks the window's size: asked (the --size flag) if given,
// else the remembered size, else defaultWindow; then at most the work area
// (in pixels; zero when unknown) at the canvas scale.
func fitWindow(asked, remembered, area fyne.Size, scale float32) fyne.Size {
	size := defaultWindow
	switch {
	case asked.Width > 0 && asked.Height > 0:
		size = asked
	case remembered.Width >= 320 && remembered.Height >= 240:
		size = remembered
	}
	if scale <= 0 {
		scale = 1
	}
	if area.Width > 0 && area.Height > 0 {
		size.Width = min(size.Width, area.Width/scale)
		size.Height = min(size.Height, area.Height/scale)
	}
	return size
}

// envScale is the canvas scale FYNE_SCALE asks for, 1 when it asks none;
// the window's real scale is known only once it shows.
func envScale() float32 {
	if v, err := strconv.ParseFloat(os.Getenv("FYNE_SCALE"), 32); err == nil && v > 0 {
		return float32(v)
	}
	return 1
}

// rememberedSize is the window's size when it last closed (zero if none).
func (u *UI) rememberedSize() fyne.Size {
	p := u.app.Preferences()
	return fyne.NewSize(float32(p.Float(prefWindowWidth)), float32(p.Float(prefWindowHeight)))
}

// rememberSize keeps the window's size for the next launch.
func (u *UI) rememberSize() {
	s := u.win.Canvas().Size()
	if s.Width < 320 || s.Height < 240 {
		return
	}
	p := u.app.Preferences()
	p.SetFloat(prefWindowWidth, float64(s.Width))
	p.SetFloat(prefWindowHeight, float64(s.Height))
}

// reopenLast opens the run shown when the app last closed, if its folder
// is still there; one that no longer opens is said in the status line.
func (u *UI) reopenLast() {
	dir := u.app.Preferences().String(prefLastRun)
	if dir == "" || u.last.Phase.Active() {
		return
	}
	if _, err := os.Stat(dir); err != nil {
		return // deleted since: nothing to say
	}
	if err := u.openRun(dir, false); err != nil {
		u.bridge.restore(Snapshot{Phase: PhaseIdle, Note: "The last run shown no longer opens (" + err.Error() + ")"})
		u.apply(u.bridge.snapshot())
	}
}
