package app

import (
	"image/color"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// meter is a progress bar that reads right at 0 %: Fyne's ProgressBar
// paints its empty track in the primary colour at half strength, which
// looks like a full bar on most screens. A meter's track is the input
// background, its bar the primary colour, and its text the foreground.
type meter struct {
	widget.BaseWidget
	Min, Max, Value float64
}

func newMeter() *meter {
	m := &meter{Max: 1}
	m.ExtendBaseWidget(m)
	return m
}

// SetValue shows v (clamped to Min..Max).
func (m *meter) SetValue(v float64) {
	m.Value = v
	m.Refresh()
}

// ratio is the filled share, 0..1.
func (m *meter) ratio() float32 {
	d := m.Max - m.Min
	if !(d > 0) {
		return 0
	}
	return float32(min(1, max(0, (m.Value-m.Min)/d)))
}

// CreateRenderer implements fyne.Widget.
func (m *meter) CreateRenderer() fyne.WidgetRenderer {
	r := &meterRenderer{m: m, track: canvas.NewRectangle(color.Transparent), bar: canvas.NewRectangle(color.Transparent),
		text: canvas.NewText("", color.Black)}
	r.text.Alignment = fyne.TextAlignCenter
	r.Refresh()
	return r
}

type meterRenderer struct {
	m          *meter
	track, bar *canvas.Rectangle
	text       *canvas.Text
}

func (r *meterRenderer) Destroy() {}

func (r *meterRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.track, r.bar, r.text}
}

func (r *meterRenderer) MinSize() fyne.Size {
	th := r.m.Theme()
	pad := th.Size(theme.SizeNameInnerPadding) * 2
	return fyne.MeasureText("100 %", r.text.TextSize, r.text.TextStyle).AddWidthHeight(pad, pad)
}

func (r *meterRenderer) Layout(size fyne.Size) {
	r.track.Resize(size)
	r.bar.Resize(fyne.NewSize(size.Width*r.m.ratio(), size.Height))
	ts := r.text.MinSize()
	r.text.Move(fyne.NewPos(0, (size.Height-ts.Height)/2))
	r.text.Resize(fyne.NewSize(size.Width, ts.Height))
}

func (r *meterRenderer) Refresh() {
	th := r.m.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	radius := th.Size(theme.SizeNameInputRadius)
	r.track.FillColor = th.Color(theme.ColorNameInputBackground, v)
	r.track.StrokeColor = th.Color(theme.ColorNameInputBorder, v)
	r.track.StrokeWidth = 1
	r.track.CornerRadius = radius
	r.bar.FillColor = th.Color(theme.ColorNamePrimary, v)
	r.bar.CornerRadius = radius
	ratio := r.m.ratio()
	r.bar.Hidden = ratio == 0
	r.text.TextSize = th.Size(theme.SizeNameText)
	r.text.Color = th.Color(theme.ColorNameForeground, v)
	r.text.Text = strconv.Itoa(int(ratio*100)) + " %"
	r.Layout(r.m.Size())
	r.track.Refresh()
	r.bar.Refresh()
	r.text.Refresh()
}
