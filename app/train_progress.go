package app

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/deformscope/deformscope/viz"
)

// modelProgress is one model's progress row.
type modelProgress struct {
	name   *widget.Label
	bar    *meter
	detail *widget.Label
}

func newModelProgress(model string) *modelProgress {
	p := &modelProgress{
		name:   widget.NewLabelWithStyle(strings.ToUpper(model), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		bar:    newMeter(),
		detail: widget.NewLabel("waiting\n"),
	}
	return p
}

func (p *modelProgress) object(model string) fyne.CanvasObject {
	swatch := canvas.NewRectangle(viz.ModelColor(model))
	swatch.SetMinSize(fyne.NewSize(14, 14))
	swatch.CornerRadius = 3
	head := container.NewHBox(container.NewCenter(swatch), p.name)
	return container.NewVBox(container.NewBorder(nil, nil, head, nil, p.bar), p.detail)
}

// show applies one model's state.
func (p *modelProgress) show(m *ModelState) {
	if m == nil {
		p.bar.SetValue(0)
		p.detail.SetText("not trained\n")
		return
	}
	s := m.Step
	if m.State == "done" {
		p.bar.SetValue(1)
	} else if s.Epochs > 0 && s.Batches == 0 {
		p.bar.SetValue(float64(s.Epoch) / float64(s.Epochs)) // an opened run: its complete epochs
	} else if s.Epochs > 0 && s.Batches > 0 {
		p.bar.SetValue((float64(s.Epoch-1) + float64(s.Batch)/float64(s.Batches)) / float64(s.Epochs))
	} else {
		p.bar.SetValue(0)
	}
	text := progressText(m)
	if !strings.Contains(text, "\n") {
		text += "\n" // two lines always, so that the rows below stay put
	}
	p.detail.SetText(text)
}

// progressText describes a model's progress in two lines: where it is, and
// how fast it goes.
func progressText(m *ModelState) string {
	s := m.Step
	var where, speed []string
	if s.Epochs > 0 && s.Batches == 0 {
		// An opened run: what its folder holds.
		where = append(where, fmt.Sprintf("%d of %d epochs", s.Epoch, s.Epochs))
		if n := len(m.Epochs); n > 0 && !math.IsNaN(float64(m.Epochs[n-1].TestAcc)) {
			where = append(where, fmt.Sprintf("test %.2f %%", float64(m.Epochs[n-1].TestAcc)))
		}
	} else if s.Epochs > 0 {
		where = append(where, fmt.Sprintf("epoch %d/%d", s.Epoch, s.Epochs),
			fmt.Sprintf("batch %d/%d", s.Batch, s.Batches), fmt.Sprintf("loss %.4f", s.Loss))
		speed = append(speed, fmt.Sprintf("%.0f img/s", s.ImagesPerSecond))
		if !modelEnded(m.State) {
			speed = append(speed, "ETA "+formatDuration(s.ETA))
		}
	} else {
		where = append(where, "waiting")
	}
	if m.State == "paused" || m.State == "evaluating" || modelEnded(m.State) {
		speed = append(speed, m.State)
	}
	if m.Params > 0 {
		where = append(where, groupDigits(m.Params)+" parameters")
		if s.Epochs > 0 {
			where = where[:len(where)-1] // the results table has it; keep the line short
		}
	}
	text := strings.Join(where, " · ")
	if len(speed) > 0 {
		text += "\n" + strings.Join(speed, " · ")
	}
	return text
}

// modelEnded reports whether a model's state is final.
func modelEnded(state string) bool {
	return state == "done" || state == string(PhaseStopped) || state == string(PhaseFailed)
}

// formatDuration rounds d for a progress line: 42s, 3m05s, 1h02m.
func formatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// groupDigits writes n with commas between groups of three digits.
func groupDigits(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
