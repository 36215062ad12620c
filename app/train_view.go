package app

import (
	"fmt"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// trainView is the left panel and the status line: the settings of the
// next run, Start, Pause and Stop, a progress row per model, and a status
// line with the crop set's build under it. It belongs to the UI goroutine.
type trainView struct {
	form               *trainForm
	start, pause, stop *widget.Button
	cont               *widget.Button // Continue: shown for a run stopped before its last epoch
	status             *widget.Label
	loadBar            *meter          // the crop set's build, while it loads
	loadBox            *fyne.Container // holds loadBar beside the status line
	progress           map[string]*modelProgress
	progressBox        *fyne.Container // a progress row per shown model
	rows               []string        // the models of the progress rows
	left               *fyne.Container // laid out again when its rows change
	root, statusBar    fyne.CanvasObject
}

// trainActions are what the train view's buttons do.
type trainActions struct {
	start, pause, stop, cont func()
	form                     formActions
}

func newTrainView(prefs fyne.Preferences, act trainActions) *trainView {
	v := &trainView{progress: map[string]*modelProgress{}, progressBox: container.NewVBox()}
	v.form = newTrainForm(prefs.StringWithFallback(prefRunsDir, defaultRunsDir()), prefs.String(prefCOCODir), act.form)
	v.form.load(prefs, prefs.StringWithFallback(prefDataset, "mnist"))
	v.form.remember(prefs)
	v.form.rebuild()
	v.start = widget.NewButtonWithIcon("Start", theme.MediaPlayIcon(), act.start)
	v.start.Importance = widget.HighImportance
	v.pause = widget.NewButtonWithIcon("Pause", theme.MediaPauseIcon(), act.pause)
	v.stop = widget.NewButtonWithIcon("Stop", theme.MediaStopIcon(), act.stop)
	v.cont = widget.NewButtonWithIcon("Continue", theme.MediaFastForwardIcon(), act.cont)
	v.cont.Importance = widget.HighImportance
	v.cont.Hide()
	v.status = widget.NewLabel("")
	v.status.Truncation = fyne.TextTruncateEllipsis
	v.loadBar = newMeter()
	v.loadBox = container.NewCenter(container.NewGridWrap(fyne.NewSize(240, v.loadBar.MinSize().Height), v.loadBar))
	v.loadBox.Hide()

	buttons := container.NewGridWithColumns(3, v.start, v.pause, v.stop)
	hints := widget.NewLabel("Ctrl+Enter start · Ctrl+P pause/resume · Ctrl+. stop · Ctrl+E export")
	hints.Importance = widget.LowImportance
	hints.Wrapping = fyne.TextWrapWord
	top := container.NewVBox(
		widget.NewLabelWithStyle("Train", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		buttons,
		v.cont,
		v.progressBox,
		widget.NewSeparator(),
	)
	// The settings scroll both ways, so that the panel fits a small
	// screen (from 1024×640) and nothing in it is clipped.
	settings := container.NewScroll(container.NewVBox(v.form.box, hints))
	v.left = container.NewBorder(top, nil, nil, nil, settings)
	v.root = container.NewPadded(v.left)
	v.statusBar = container.NewPadded(container.NewBorder(nil, nil, nil, v.loadBox, v.status))
	return v
}

// show applies a snapshot: the buttons and the form follow its phase, the
// progress rows show the models rows (the snapshot's, or those Start would
// train), and the status line says where the session stands.
func (v *trainView) show(s Snapshot, rows []string) {
	active := s.Phase.Active()
	setEnabled(v.start, !active)
	setEnabled(v.pause, active && s.Phase != PhaseStopping)
	setEnabled(v.stop, active && s.Phase != PhaseStopping)
	v.form.setEnabled(!active)
	if show := canContinue(s); show != v.cont.Visible() {
		if show {
			v.cont.Show()
		} else {
			v.cont.Hide()
		}
		v.relayout()
	}
	if v.cont.Visible() {
		v.cont.SetText(continueText(s))
	}
	v.setPauseButton(s.Paused)
	v.showRows(rows)
	own := slices.Equal(rows, s.Names()) // else the models of the next run
	for _, m := range rows {
		var ms *ModelState
		if own {
			ms = s.Model(m)
		}
		v.progress[m].show(ms)
	}
	v.status.SetText(statusText(s))
	if s.Phase == PhaseLoading && s.LoadTotal > 0 {
		v.loadBar.Max = float64(s.LoadTotal)
		v.loadBar.SetValue(float64(s.LoadDone))
		v.loadBox.Show()
	} else {
		v.loadBox.Hide()
	}
}

// continueText is the Continue button's label: where the run goes on.
func continueText(s Snapshot) string {
	done, of := -1, 0
	for _, m := range s.Models {
		if done < 0 || len(m.Epochs) < done {
			done = len(m.Epochs)
		}
		of = max(of, m.Step.Epochs)
	}
	return fmt.Sprintf("Continue this run (%d of %d epochs done)", max(done, 0), of)
}

// showRows lays out a progress row for each of names, when they are not
// the rows shown already.
func (v *trainView) showRows(names []string) {
	if slices.Equal(names, v.rows) {
		return
	}
	v.rows = slices.Clone(names)
	var rows []fyne.CanvasObject
	for _, m := range names {
		p, ok := v.progress[m]
		if !ok {
			p = newModelProgress(m)
			v.progress[m] = p
		}
		rows = append(rows, p.object(m))
	}
	v.progressBox.Objects = rows
	v.relayout()
}

// relayout lays the panel out again after its rows changed.
func (v *trainView) relayout() {
	v.left.Refresh()
}

func (v *trainView) setPauseButton(paused bool) {
	if paused {
		v.pause.SetText("Resume")
		v.pause.SetIcon(theme.MediaPlayIcon())
	} else {
		v.pause.SetText("Pause")
		v.pause.SetIcon(theme.MediaPauseIcon())
	}
}
