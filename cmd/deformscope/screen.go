//go:build !ci

package main

import (
	"image"

	"fyne.io/fyne/v2"
	"github.com/go-gl/glfw/v3.3/glfw"
)

// glfwScreen answers the app's questions about the screen through GLFW,
// which Fyne's driver runs on: work areas of the monitors, and the
// window's position, which Fyne does not expose. Its methods run on the
// main thread (main, and Fyne's lifecycle and close callbacks).
type glfwScreen struct{}

// WorkArea returns, in pixels, the work area (without panels and docks) of
// the monitor that holds the point at, or of the primary monitor when none
// does or at is nil. It initialises GLFW early; Fyne's driver finds it
// initialised.
func (glfwScreen) WorkArea(at *image.Point) (image.Rectangle, bool) {
	if glfw.Init() != nil {
		return image.Rectangle{}, false
	}
	if at != nil {
		for _, m := range glfw.GetMonitors() {
			if r := workArea(m); at.In(r) {
				return r, true
			}
		}
	}
	m := glfw.GetPrimaryMonitor()
	if m == nil {
		return image.Rectangle{}, false
	}
	r := workArea(m)
	return r, !r.Empty()
}

func workArea(m *glfw.Monitor) image.Rectangle {
	x, y, w, h := m.GetWorkarea()
	return image.Rect(x, y, x+w, y+h)
}

// contexter is Fyne's desktop window: it makes its GLFW window's context
// current for a function, which finds that window with GetCurrentContext.
type contexter interface{ RunWithContext(func()) }

// Position returns the window's position on the desktop, in pixels.
func (glfwScreen) Position(w fyne.Window) (at image.Point, ok bool) {
	if c, is := w.(contexter); is {
		c.RunWithContext(func() {
			if gw := glfw.GetCurrentContext(); gw != nil {
				at.X, at.Y = gw.GetPos()
				ok = true
			}
		})
	}
	return at, ok
}

// Move puts the window at a position on the desktop, in pixels.
func (glfwScreen) Move(w fyne.Window, at image.Point) {
	if c, is := w.(contexter); is {
		c.RunWithContext(func() {
			if gw := glfw.GetCurrentContext(); gw != nil {
				gw.SetPos(at.X, at.Y)
			}
		})
	}
}
