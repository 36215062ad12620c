// Package clip finds the widgets of a window that a person would see cut:
// drawn smaller than their minimum size, or reaching past the window where
// nothing scrolls them into view. The end-to-end script's report and the
// app's layout tests use it; the shipped app does not.
package clip

import (
	"fmt"
	"reflect"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// Clipped lists the widgets of the window that are drawn smaller than
// their minimum size, or that reach past the window where nothing scrolls
// them into view: what a person sees as a cut button or a clipped table.
// It walks the containers, splits, scrolls, the selected tab and form rows;
// the widgets it reaches are the leaves (it does not look inside them).
func Clipped(win fyne.Window) []string {
	var out []string
	d := fyne.CurrentApp().Driver()
	canvas := win.Canvas().Size()
	var walk func(o fyne.CanvasObject, scrolled bool, path string)
	walk = func(o fyne.CanvasObject, scrolled bool, path string) {
		if o == nil || !o.Visible() {
			return
		}
		name := describe(o)
		here := path + "/" + name
		size, minSize := o.Size(), o.MinSize()
		if size.Width+0.5 < minSize.Width || size.Height+0.5 < minSize.Height {
			out = append(out, fmt.Sprintf("%s is %.0f×%.0f, needs %.0f×%.0f", here, size.Width, size.Height,
				minSize.Width, minSize.Height))
		}
		if !scrolled {
			pos := d.AbsolutePositionForObject(o)
			if pos.X+size.Width > canvas.Width+0.5 || pos.Y+size.Height > canvas.Height+0.5 {
				out = append(out, fmt.Sprintf("%s reaches %.0f,%.0f, past the window's %.0f×%.0f", here,
					pos.X+size.Width, pos.Y+size.Height, canvas.Width, canvas.Height))
			}
		}
		switch c := o.(type) {
		case *fyne.Container:
			for _, child := range c.Objects {
				walk(child, scrolled, here)
			}
		case *container.Split:
			walk(c.Leading, scrolled, here)
			walk(c.Trailing, scrolled, here)
		case *container.Scroll:
			walk(c.Content, true, here)
		case *container.AppTabs:
			if t := c.Selected(); t != nil {
				walk(t.Content, scrolled, here+"["+t.Text+"]")
			}
		case *widget.Form:
			for _, it := range c.Items {
				walk(it.Widget, scrolled, here+"["+it.Text+"]")
			}
		}
	}
	walk(win.Content(), false, "")
	return out
}

// describe names an object for Clipped's report: its type, and its text
// where it has one.
func describe(o fyne.CanvasObject) string {
	t := reflect.TypeOf(o).String()
	switch w := o.(type) {
	case *widget.Button:
		return fmt.Sprintf("%s(%q)", t, w.Text)
	case *widget.Label:
		return fmt.Sprintf("%s(%q)", t, w.Text)
	case *widget.Check:
		return fmt.Sprintf("%s(%q)", t, w.Text)
	}
	return t
}
