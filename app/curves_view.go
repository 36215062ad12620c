package app

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/viz"
)

// curvesView is the Curves tab: the loss and accuracy curves of every model
// on shared axes, the per-step loss and the accuracy over the test scales,
// each with its zoom; the smoothing of the per-step loss, a log scale for
// the losses, epochs or elapsed time on the x axis, and the export buttons.
// With two or more runs ticked in the Runs tab it overlays them (one colour
// per run, drawn by viz as dcn plot would). It belongs to the UI goroutine.
type curvesView struct {
	smooth      *widget.Slider
	smoothLabel *widget.Label
	logY        *widget.Check
	xAxis       *widget.Select // epoch or elapsed time
	comparing   *widget.Label  // "Comparing 3 runs", while it does
	clear       *widget.Button // stops comparing
	compare     []compareRun   // the runs ticked in the Runs tab, read from their folders
	compareVer  int            // counts changes of compare, for the renderer
	cache       map[string]compareRun
	views       map[viz.FigureID]*plotView // the curve figures
	zooms       map[viz.FigureID]*zoomView // their zoom wrappers
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
	clearCompare      func() // unticks every run of the Runs tab
}

// The x axis choices of the epoch and step figures.
const (
	xEpoch = "x: epoch"
	xTime  = "x: time"
)

// prefCurvesX remembers the x axis.
const prefCurvesX = "curvesX"

// compareRun is a run ticked for comparison, as read from its folder.
type compareRun struct {
	dir     string
	updated time.Time // the folder's last epoch when read
	data    viz.RunCurves
}

func newCurvesView(r *renderer, prefs fyne.Preferences, act curvesActions) *curvesView {
	v := &curvesView{views: map[viz.FigureID]*plotView{}, zooms: map[viz.FigureID]*zoomView{}, prefs: prefs}
	v.smooth = widget.NewSlider(0, 0.99)
	v.smooth.Step = 0.01
	// The remembered view first: its handlers would save the defaults.
	v.smooth.SetValue(prefs.FloatWithFallback(prefSmoothing, 0.6))
	v.smoothLabel = widget.NewLabel(fmt.Sprintf("%.2f", v.smooth.Value))
	v.smooth.OnChanged = v.smoothingChanged
	v.logY = widget.NewCheck("Log scale", nil)
	v.logY.SetChecked(prefs.Bool(prefLogY))
	v.logY.OnChanged = v.logChanged
	v.xAxis = widget.NewSelect([]string{xEpoch, xTime}, nil)
	v.xAxis.SetSelected(xEpoch)
	if prefs.String(prefCurvesX) == "time" {
		v.xAxis.SetSelected(xTime)
	}
	v.xAxis.OnChanged = v.xAxisChanged
	v.comparing = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.comparing.Hide()
	v.clear = widget.NewButtonWithIcon("Stop comparing", theme.CancelIcon(), act.clearCompare)
	v.clear.Hide()
	v.cache = map[string]compareRun{}
	for _, id := range viz.CurveFigures {
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
		container.NewGridWrap(fyne.NewSize(100, v.smooth.MinSize().Height), v.smooth), v.smoothLabel)
	grid := container.NewGridWithColumns(2, v.zooms[viz.FigLoss], v.zooms[viz.FigAccuracy], v.zooms[viz.FigStepLoss], v.zooms[viz.FigScale])
	v.root = container.New(&controlsOverLayout{}, smoothing, v.logY, v.xAxis, v.resetZoom, v.comparing, v.clear,
		container.NewHBox(v.export, v.all), grid)
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

// xAxisChanged redraws the epoch and step figures against the other x
// axis, whose units differ: their zoom starts again.
func (v *curvesView) xAxisChanged(choice string) {
	pref := "epoch"
	if choice == xTime {
		pref = "time"
	}
	v.prefs.SetString(prefCurvesX, pref)
	v.ResetZoom()
	v.compareVer++
	v.changed()
}

// timeAxis reports whether the x axis shows elapsed time.
func (v *curvesView) timeAxis() bool { return v.xAxis.Selected == xTime }

// setCompare reads the runs ticked for comparison (a run's data is read
// again only when it recorded more since); with fewer than two the
// figures show the run of the window alone. A run that cannot be read is
// left out, and the line above the figures says so.
func (v *curvesView) setCompare(runs []rundir.RunInfo) {
	before := v.compareDirs()
	v.compare = v.compare[:0]
	var failed []string
	labels := map[string]int{}
	for _, ri := range runs {
		c, ok := v.cache[ri.Dir]
		if !ok || !c.updated.Equal(ri.Updated) || c.data.Label != ri.Title() {
			var err error
			c, err = readCompareRun(ri)
			if err != nil {
				failed = append(failed, filepath.Base(ri.Dir))
				continue
			}
			v.cache[ri.Dir] = c
		}
		// Two runs of one name are told apart by their folders.
		if labels[c.data.Label]++; labels[c.data.Label] > 1 {
			c.data.Label += " (" + filepath.Base(c.dir) + ")"
		}
		v.compare = append(v.compare, c)
	}
	for dir := range v.cache {
		if !v.hasCompare(dir) {
			delete(v.cache, dir)
		}
	}
	v.compareVer++
	text := ""
	if len(v.compare) >= 2 {
		text = fmt.Sprintf("Comparing %d runs", len(v.compare))
	}
	if len(failed) > 0 {
		text = strings.TrimPrefix(text+"; cannot read "+strings.Join(failed, ", "), "; ")
	}
	v.comparing.SetText(text)
	v.comparing.Hidden = text == ""
	v.clear.Hidden = len(runs) == 0
	v.root.Refresh()
	if v.compareDirs() != before {
		// Other curves, on other axes: a zoom of the last ones means
		// nothing here. (New epochs of the same runs keep it.)
		v.ResetZoom()
	}
}

// compareDirs names the runs the figures overlay ("" for none).
func (v *curvesView) compareDirs() string {
	if len(v.compare) < 2 {
		return ""
	}
	var dirs []string
	for _, c := range v.compare {
		dirs = append(dirs, c.dir)
	}
	return strings.Join(dirs, "\x00")
}

func (v *curvesView) hasCompare(dir string) bool {
	for _, c := range v.compare {
		if c.dir == dir {
			return true
		}
	}
	return false
}

// readCompareRun reads a run's curves from its folder.
func readCompareRun(ri rundir.RunInfo) (compareRun, error) {
	run, err := rundir.Open(ri.Dir)
	if err != nil {
		return compareRun{}, err
	}
	curves, err := rundir.ReadStepCurves(ri.Dir)
	if err != nil {
		return compareRun{}, err
	}
	c := compareRun{dir: ri.Dir, updated: ri.Updated,
		data: viz.RunCurves{Label: ri.Title(), Records: run.Records(), Epochs: run.Config.Train.Epochs}}
	for _, sc := range curves {
		c.data.Steps = append(c.data.Steps, viz.Series{Name: strings.ToUpper(sc.Model), Model: sc.Model, X: sc.X, Y: sc.Y})
	}
	return c, nil
}

// overlay puts the compared runs and the x axis into in, the figures'
// input for snapshot s; the run that s is training is drawn from s, so
// that its curves follow the training live.
func (v *curvesView) overlay(in *viz.FigureInput, s Snapshot) {
	in.Time = v.timeAxis()
	if len(v.compare) < 2 {
		return
	}
	for _, c := range v.compare {
		rc := c.data
		if c.dir == s.RunDir && s.RunDir != "" {
			live := inputFrom(s, 0, false)
			rc.Records, rc.Steps = live.Records, live.Steps
			rc.Epochs = max(rc.Epochs, live.Epochs)
		}
		in.Runs = append(in.Runs, rc)
	}
}

// key says what overlay adds to the figures' input, so that a change
// redraws them.
func (v *curvesView) key() string {
	return fmt.Sprintf("%d|%t", v.compareVer, v.timeAxis())
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
	for _, id := range viz.CurveFigures {
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
