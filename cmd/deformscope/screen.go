//go:build !ci

package main

import "github.com/go-gl/glfw/v3.3/glfw"

// workArea returns the size in pixels of the primary screen's work area
// (without panels and docks), where a new window opens. It initialises
// GLFW early, on the main thread; Fyne's driver finds it initialised.
func workArea() (w, h int, ok bool) {
	if glfw.Init() != nil {
		return 0, 0, false
	}
	m := glfw.GetPrimaryMonitor()
	if m == nil {
		return 0, 0, false
	}
	_, _, w, h = m.GetWorkarea()
	return w, h, w > 0 && h > 0
}
