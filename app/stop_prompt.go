package app

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// keptText says what stopping now keeps of the session shown in s, and
// whether the run has a complete epoch at all.
func keptText(s Snapshot) (text string, anyEpoch bool) {
	var parts []string
	for _, m := range s.Models {
		n := len(m.Epochs)
		anyEpoch = anyEpoch || n > 0
		unit := "epochs"
		if n == 1 {
			unit = "epoch"
		}
		parts = append(parts, fmt.Sprintf("%s %d %s", strings.ToUpper(m.Name), n, unit))
	}
	if !anyEpoch {
		if s.Phase == PhaseLoading {
			return "The data is still loading: nothing has been trained yet.", false
		}
		return "No epoch has finished yet, so the run holds no trained model.", false
	}
	return fmt.Sprintf("The run folder %s keeps every complete epoch (%s): its checkpoints, metrics and curves. "+
		"The epoch under way is lost; the run can be opened in the Runs view.", s.RunDir, strings.Join(parts, ", ")), true
}

// askStop asks once whether to stop the session, saying what will be
// kept; then runs stop with whether to remove a run that has no complete
// epoch. A question already shown is not asked again.
func (u *UI) askStop(title, confirm string, stop func(discard bool)) {
	if u.asking {
		return
	}
	text, anyEpoch := keptText(u.last)
	msg := widget.NewLabel(text)
	msg.Wrapping = fyne.TextWrapWord
	var d *dialog.CustomDialog
	answer := func(do func()) func() {
		return func() {
			u.asking = false
			d.Hide()
			if do != nil {
				do()
			}
		}
	}
	buttons := []fyne.CanvasObject{widget.NewButton("Keep training", answer(nil))}
	if anyEpoch {
		b := widget.NewButton(confirm, answer(func() { stop(false) }))
		b.Importance = widget.HighImportance
		buttons = append(buttons, b)
	} else {
		msg.SetText(text + " Stopping removes its run folder, unless you keep it (it then holds the settings only).")
		keep := widget.NewButton(confirm+", keep the folder", answer(func() { stop(false) }))
		del := widget.NewButton(confirm+", remove the folder", answer(func() { stop(true) }))
		del.Importance = widget.HighImportance
		buttons = append(buttons, keep, del)
	}
	d = dialog.NewCustomWithoutButtons(title, container.NewGridWrap(fyne.NewSize(460, 120), msg), u.win)
	d.SetButtons(buttons)
	d.SetOnClosed(func() { u.asking = false })
	u.asking = true
	d.Show()
}
