package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// flowLayout places its objects left to right at their minimum sizes and
// starts a new row when the next would pass the right edge, so that the
// Offsets view's controls fit a narrow tab (1024×640 beside the Train
// panel) without sideways scrolling. Its minimum height is that of the rows
// at the width it was last laid out at; when the rows change, relayout
// asks the view to lay out again.
//
// With fill > 0 the last object takes the rest of its row, when at least
// fill is left there, or a row of its own: a label (the view's hint) that
// uses the room the controls leave instead of a row more.
type flowLayout struct {
	width    float32
	relayout func()
	fill     float32
}

// flowGuess is the width a flow is assumed to have before its first
// layout: the tabs' width in a 1366 px window beside the Train panel.
const flowGuess = 800

// place returns each object's position and size at width w and the total
// height.
func (l *flowLayout) place(objects []fyne.CanvasObject, w float32) ([]fyne.Position, []fyne.Size, float32) {
	pad := theme.Padding()
	pos := make([]fyne.Position, len(objects))
	size := make([]fyne.Size, len(objects))
	last := -1
	for i, o := range objects {
		if o.Visible() {
			last = i
		}
	}
	x, y, rowH := float32(0), float32(0), float32(0)
	for i, o := range objects {
		if !o.Visible() {
			continue
		}
		s := o.MinSize()
		if i == last && l.fill > 0 {
			s.Width = max(s.Width, l.fill)
			if x > 0 && x+s.Width > w {
				x, y, rowH = 0, y+rowH+pad, 0
			}
			s.Width = max(s.Width, w-x)
		} else if x > 0 && x+s.Width > w {
			x, y, rowH = 0, y+rowH+pad, 0
		}
		pos[i], size[i] = fyne.NewPos(x, y), s
		x += s.Width + pad
		rowH = max(rowH, s.Height)
	}
	return pos, size, y + rowH
}

// MinSize implements fyne.Layout: as wide as the widest object, as high as
// the rows at the last width.
func (l *flowLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var w float32
	for _, o := range objects {
		if o.Visible() {
			w = max(w, o.MinSize().Width)
		}
	}
	width := l.width
	if width <= 0 {
		width = flowGuess // not laid out yet: the tab's width in a 1366 px window
	}
	_, _, h := l.place(objects, max(width, w))
	return fyne.NewSize(w, h)
}

// Layout implements fyne.Layout.
func (l *flowLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	_, _, before := l.place(objects, max(l.width, 1))
	pos, sizes, after := l.place(objects, size.Width)
	for i, o := range objects {
		if !o.Visible() {
			continue
		}
		o.Resize(sizes[i])
		o.Move(pos[i])
	}
	changed := l.width != size.Width && before != after
	l.width = size.Width
	if changed && l.relayout != nil {
		l.relayout()
	}
}
