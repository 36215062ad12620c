package app

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// curvesView is the Curves tab: the loss and accuracy curves of every model
// on shared axes, the per-step loss and the accuracy over the test scales,
// each with its zoom; the smoothing of the per-step loss, a log scale for
// the losses, and the export buttons. It belongs to the UI goroutine.
type curvesView struct {
	smooth      *widget.Slider
	smoothLabel *widget.Label
	logY        *widget.Check
	views       map[figureID]*plotView // the curve figures
	zooms       map[figureID]*zoomView // their zoom wrappers
	resetZoom   *widget.Button
	export, all *widget.Button
	root        *fyne.Container

	prefs fyne.Preferences
	// changed redraws the figures after the smoothing or the scale changed.
	changed func()
}

// curvesActions are what the Curves tab's buttons do beyond the tab.
type curvesActions struct {
	export, exportAll func()
	changed           func()
}

func newCurvesView(r *renderer, prefs fyne.Preferences, act curvesActions) *curvesView {
	v := &curvesView{views: map[figureID]*plotView{}, zooms: map[figureID]*zoomView{}, prefs: prefs}
	v.smooth = widget.NewSlider(0, 0.99)
	v.smooth.Step = 0.01
	// The remembered view first: its handlers would save the defaults.
	v.smooth.SetValue(prefs.FloatWithFallback(prefSmoothing, 0.6))
	v.smoothLabel = widget.NewLabel(fmt.Sprintf("%.2f", v.smooth.Value))
	v.smooth.OnChanged = v.smoothingChanged
	v.logY = widget.NewCheck("Log-scale loss", nil)
	v.logY.SetChecked(prefs.Bool(prefLogY))
	v.logY.OnChanged = v.logChanged
	for _, id := range curveFigures {
		v.views[id] = newPlotView(id, r, fyne.NewSize(300, 200))
		v.zooms[id] = newZoomView(v.views[id])
	}
	v.resetZoom = widget.NewButtonWithIcon("Reset zoom", theme.ZoomFitIcon(), v.ResetZoom)
	v.export = widget.NewButtonWithIcon("Export…", theme.DocumentSaveIcon(), act.export)
	v.all = widget.NewButtonWithIcon("Export all", theme.DownloadIcon(), act.exportAll)
	v.changed = act.changed

	// The controls wrap onto a second row where the tab is narrow (at a
	// 1024 px wide window), so that none is cut or scrolled away.
	smoothing := container.NewHBox(widget.NewLabel("Smoothing"),
		container.NewGridWrap(fyne.NewSize(160, v.smooth.MinSize().Height), v.smooth), v.smoothLabel)
	grid := container.NewGridWithColumns(2, v.zooms[figLoss], v.zooms[figAccuracy], v.zooms[figStepLoss], v.zooms[figScale])
	v.root = container.New(&controlsOverLayout{}, smoothing, v.logY, v.resetZoom, container.NewHBox(v.export, v.all), grid)
	return v
}

func (v *curvesView) object() fyne.CanvasObject { return v.root }

// settings returns the per-step loss's smoothing and whether the losses
// are drawn on a log scale.
func (v *curvesView) settings() (smooth float64, logY bool) {
	return v.smooth.Value, v.logY.Checked
}

func (v *curvesView) smoothingChanged(s float64) {
	v.smoothLabel.SetText(fmt.Sprintf("%.2f", s))
	v.prefs.SetFloat(prefSmoothing, s)
	v.changed()
}

// logChanged redraws the loss figures on the other scale; it resets their
// zoom first, since a linear zoom range need not fit a log axis.
func (v *curvesView) logChanged(on bool) {
	v.prefs.SetBool(prefLogY, on)
	for id, z := range v.zooms {
		if figureDeps(id)&depLog != 0 {
			z.reset()
		}
	}
	v.changed()
}

// ResetZoom returns every curve figure to axes that follow the data.
func (v *curvesView) ResetZoom() {
	for _, id := range curveFigures {
		v.zooms[id].reset()
	}
}

// setExporting disables the export buttons while an export writes.
func (v *curvesView) setExporting(on bool) {
	setEnabled(v.export, !on)
	setEnabled(v.all, !on)
}

// controlsOverLayout lays out a row of controls over a last object that
// fills the rest: the controls go left to right at their minimum sizes and
// wrap onto another row where the width runs short; the last keeps to
// the right end of its row. It computes the rows
// from the width it is given, so the figures below always start under the
// last row. Its minimum width is that of its widest control (or the last
// object's), so that the controls never hold the window wide. (Fyne's
// row-wrap layout keeps its widest row as its minimum width, and its
// parent learns the rows only on a later layout.)
type controlsOverLayout struct {
	rows int // of the last layout, for MinSize
}

// rowHeight is the height of a row: that of the tallest visible control.
func rowHeight(controls []fyne.CanvasObject) float32 {
	var h float32
	for _, o := range controls {
		if o.Visible() {
			h = max(h, o.MinSize().Height)
		}
	}
	return h
}

// MinSize implements fyne.Layout.
func (l *controlsOverLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	if len(objects) == 0 {
		return fyne.Size{}
	}
	controls, rest := objects[:len(objects)-1], objects[len(objects)-1].MinSize()
	w := rest.Width
	for _, o := range controls {
		if o.Visible() {
			w = max(w, o.MinSize().Width)
		}
	}
	pad := theme.Padding()
	rows := float32(max(l.rows, 1))
	return fyne.NewSize(w, rows*rowHeight(controls)+rows*pad+rest.Height)
}

// Layout implements fyne.Layout.
func (l *controlsOverLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	if len(objects) == 0 {
		return
	}
	pad := theme.Padding()
	controls, rest := objects[:len(objects)-1], objects[len(objects)-1]
	h := rowHeight(controls)
	x, y, rows := float32(0), float32(0), 1
	for i, o := range controls {
		if !o.Visible() {
			continue
		}
		s := o.MinSize()
		if x > 0 && x+s.Width > size.Width {
			x, y = 0, y+h+pad
			rows++
		}
		o.Resize(fyne.NewSize(s.Width, h))
		if i == len(controls)-1 {
			x = max(x, size.Width-s.Width) // the last control keeps to the right
		}
		o.Move(fyne.NewPos(x, y))
		x += s.Width + pad
	}
	l.rows = rows
	top := y + h + pad
	rest.Move(fyne.NewPos(0, top))
	rest.Resize(fyne.NewSize(size.Width, max(0, size.Height-top)))
}
