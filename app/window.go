package app

import (
	"image"
	"math"
	"os"
	"strconv"

	"fyne.io/fyne/v2"
)

// The window's size is remembered across launches; its first size fits
// the work area of the screen it opens on.

// Preference keys of the window's size and position.
const (
	prefWindowWidth  = "window.width"
	prefWindowHeight = "window.height"
	prefWindowX      = "window.x"
	prefWindowY      = "window.y"
)

// Screen is what the window asks of the desktop, which Fyne does not say:
// cmd/deformscope answers through GLFW. Positions and areas are in pixels
// of the desktop; its methods run on the main thread.
type Screen interface {
	// WorkArea is the work area (without panels and docks) of the monitor
	// that holds the point at, or of the primary monitor when at is nil or
	// on none; ok is false when unknown.
	WorkArea(at *image.Point) (area image.Rectangle, ok bool)
	// Position is where the window's top-left corner is.
	Position(w fyne.Window) (at image.Point, ok bool)
	// Move puts the window's top-left corner at at.
	Move(w fyne.Window, at image.Point)
}

// placeWindow is where a window of size px (in pixels) goes when it was
// last at pos: there, moved into area (when known) so that none of it is
// off-screen.
func placeWindow(pos, size image.Point, area image.Rectangle) image.Point {
	if area.Empty() {
		return pos
	}
	pos.X = max(area.Min.X, min(pos.X, area.Max.X-size.X))
	pos.Y = max(area.Min.Y, min(pos.Y, area.Max.Y-size.Y))
	return pos
}

// rememberedPosition is where the window was when it last closed.
func (u *UI) rememberedPosition() (image.Point, bool) {
	p := u.prefs
	x, y := p.IntWithFallback(prefWindowX, math.MinInt32), p.IntWithFallback(prefWindowY, math.MinInt32)
	return image.Pt(x, y), x != math.MinInt32 && y != math.MinInt32
}

// rememberPosition keeps the window's position for the next launch.
func (u *UI) rememberPosition() {
	if u.screen == nil || u.closed {
		return
	}
	if at, ok := u.screen.Position(u.win); ok {
		p := u.prefs
		p.SetInt(prefWindowX, at.X)
		p.SetInt(prefWindowY, at.Y)
	}
}

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
	p := u.prefs
	return fyne.NewSize(float32(p.Float(prefWindowWidth)), float32(p.Float(prefWindowHeight)))
}

// rememberSize keeps the window's size for the next launch.
func (u *UI) rememberSize() {
	s := u.win.Canvas().Size()
	if s.Width < 320 || s.Height < 240 {
		return
	}
	p := u.prefs
	p.SetFloat(prefWindowWidth, float64(s.Width))
	p.SetFloat(prefWindowHeight, float64(s.Height))
}

// reopenLast opens the run shown when the app last closed, if its folder
// is still there; one that no longer opens is said in the status line.
func (u *UI) reopenLast() {
	dir := u.prefs.String(prefLastRun)
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
