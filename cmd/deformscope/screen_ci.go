//go:build ci

package main

import (
	"image"

	"fyne.io/fyne/v2"
)

// glfwScreen knows nothing of the screen under Fyne's headless driver.
type glfwScreen struct{}

func (glfwScreen) WorkArea(*image.Point) (image.Rectangle, bool) { return image.Rectangle{}, false }
func (glfwScreen) Position(fyne.Window) (image.Point, bool)      { return image.Point{}, false }
func (glfwScreen) Move(fyne.Window, image.Point)                 {}
