package app

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/deformscope/deformscope/model/data"
	"github.com/deformscope/deformscope/model/train"
	"github.com/deformscope/deformscope/viz"
)

// The choices of the train form.
const (
	dataMNIST = "MNIST"
	dataCOCO  = "COCO crops"
	archV2    = "DCNv2 (modulated)"
	archV1    = "DCNv1"
)

// trainForm holds the settings of the next run.
type trainForm struct {
	dataset   *widget.RadioGroup
	coco      *widget.RadioGroup // always disabled: COCO is not wired yet
	scales    *widget.Entry
	arch      *widget.RadioGroup
	epochs    *widget.Entry
	batch     *widget.Entry
	optimizer *widget.Select
	lr        *widget.Entry
	seed      *widget.Entry
	limit     *widget.Entry
	val       *widget.Entry
	testLimit *widget.Entry
	mnistDir  *widget.Entry
	chooseSrc *widget.Button
	runsDir   *widget.Entry
	chooseDir *widget.Button
}

// defaultConfig is the form's starting point: the seed study's
// Scaled-MNIST protocol on a subset that trains in minutes on a laptop.
func defaultConfig() train.RunConfig {
	rc := train.SeedProtocol()
	rc.Train.Epochs = 3
	rc.Limit, rc.Val, rc.TestLimit = 10000, 2000, 2000
	return rc
}

// demoConfig is what --demo trains: small enough to draw curves within a
// minute or two.
func demoConfig() train.RunConfig {
	rc := train.SeedProtocol()
	rc.Train.Epochs = 3
	rc.Limit, rc.Val, rc.TestLimit = 2000, 500, 1000
	rc.Scales = []float64{0.6, 0.8, 1.0, 1.2, 1.4}
	return rc
}

func newTrainForm(runsDir string, chooseRuns, chooseMNIST func()) *trainForm {
	f := &trainForm{
		dataset:   widget.NewRadioGroup([]string{dataMNIST}, nil),
		coco:      widget.NewRadioGroup([]string{dataCOCO}, nil),
		scales:    widget.NewEntry(),
		arch:      widget.NewRadioGroup([]string{archV2, archV1}, nil),
		epochs:    widget.NewEntry(),
		batch:     widget.NewEntry(),
		optimizer: widget.NewSelect([]string{"adam", "sgd"}, nil),
		lr:        widget.NewEntry(),
		seed:      widget.NewEntry(),
		limit:     widget.NewEntry(),
		val:       widget.NewEntry(),
		testLimit: widget.NewEntry(),
		mnistDir:  widget.NewEntry(),
		chooseSrc: widget.NewButton("Choose…", chooseMNIST),
		runsDir:   widget.NewEntry(),
		chooseDir: widget.NewButton("Choose…", chooseRuns),
	}
	f.dataset.Horizontal, f.arch.Horizontal, f.coco.Horizontal = true, true, true
	f.dataset.Required, f.arch.Required = true, true
	f.dataset.SetSelected(dataMNIST)
	f.coco.Disable()
	f.scales.SetPlaceHolder("none")
	f.mnistDir.SetPlaceHolder("built in (GoMNIST module)")
	f.runsDir.SetText(runsDir)
	f.set(defaultConfig())
	return f
}

// items lays the form out as rows of a widget.Form.
func (f *trainForm) items() []*widget.FormItem {
	soon := widget.NewLabel("coming soon")
	soon.Importance = widget.LowImportance
	f.epochs.SetPlaceHolder("epochs")
	f.batch.SetPlaceHolder("batch")
	f.limit.SetPlaceHolder("train")
	f.val.SetPlaceHolder("validation")
	f.testLimit.SetPlaceHolder("test")
	return []*widget.FormItem{
		{Text: "Dataset", Widget: container.NewHBox(f.dataset, f.coco, soon)},
		{Text: "MNIST folder", Widget: container.NewBorder(nil, nil, nil, f.chooseSrc, f.mnistDir)},
		{Text: "Test scales", Widget: f.scales, HintText: "Scaled-MNIST: start:stop:step or a list"},
		{Text: "Deformable", Widget: f.arch},
		{Text: "Epochs, batch", Widget: container.NewGridWithColumns(2, f.epochs, f.batch)},
		{Text: "Optimiser", Widget: container.NewGridWithColumns(2, f.optimizer, f.lr), HintText: "and learning rate"},
		{Text: "Seed", Widget: f.seed},
		{Text: "Images", Widget: container.NewGridWithColumns(3, f.limit, f.val, f.testLimit),
			HintText: "train, validation, test; 0 takes all"},
		{Text: "Runs folder", Widget: container.NewBorder(nil, nil, nil, f.chooseDir, f.runsDir)},
	}
}

// set shows rc in the form.
func (f *trainForm) set(rc train.RunConfig) {
	if rc.DCNv1 {
		f.arch.SetSelected(archV1)
	} else {
		f.arch.SetSelected(archV2)
	}
	f.scales.SetText(formatScales(rc.Scales))
	f.epochs.SetText(strconv.Itoa(rc.Train.Epochs))
	f.batch.SetText(strconv.Itoa(rc.Train.Batch))
	f.optimizer.SetSelected(rc.Train.Optimizer)
	f.lr.SetText(strconv.FormatFloat(rc.Train.LR, 'g', -1, 64))
	f.seed.SetText(strconv.FormatUint(rc.Train.Seed, 10))
	f.limit.SetText(strconv.Itoa(rc.Limit))
	f.val.SetText(strconv.Itoa(rc.Val))
	f.testLimit.SetText(strconv.Itoa(rc.TestLimit))
	f.mnistDir.SetText(rc.MNISTDir)
}

// formatScales writes scales as ParseScales reads them back: the default
// range as a range, anything else as a list.
func formatScales(s []float64) string {
	if len(s) == 0 {
		return ""
	}
	if slices.Equal(s, data.DefaultScales()) {
		return "0.5:1.5:0.1"
	}
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// config reads the form into a run configuration, naming the first field
// that does not parse.
func (f *trainForm) config() (train.RunConfig, error) {
	rc := train.SeedProtocol()
	rc.DCNv1 = f.arch.Selected == archV1
	rc.MNISTDir = strings.TrimSpace(f.mnistDir.Text)
	var err error
	rc.Scales = nil
	if s := strings.TrimSpace(f.scales.Text); s != "" {
		if rc.Scales, err = data.ParseScales(s); err != nil {
			return rc, fmt.Errorf("test scales: %w", err)
		}
	}
	ints := []struct {
		name string
		e    *widget.Entry
		min  int
		dst  *int
	}{
		{"epochs", f.epochs, 1, &rc.Train.Epochs},
		{"batch", f.batch, 1, &rc.Train.Batch},
		{"train images", f.limit, 0, &rc.Limit},
		{"validation images", f.val, 0, &rc.Val},
		{"test images", f.testLimit, 0, &rc.TestLimit},
	}
	for _, it := range ints {
		v, err := strconv.Atoi(strings.TrimSpace(it.e.Text))
		if err != nil || v < it.min {
			return rc, fmt.Errorf("%s: want a whole number of at least %d, got %q", it.name, it.min, it.e.Text)
		}
		*it.dst = v
	}
	rc.Train.Optimizer = f.optimizer.Selected
	if rc.Train.Optimizer == "sgd" {
		rc.Train.Momentum = 0.9
	}
	rc.Train.LR, err = strconv.ParseFloat(strings.TrimSpace(f.lr.Text), 64)
	if err != nil || !(rc.Train.LR > 0) || math.IsInf(rc.Train.LR, 0) {
		return rc, fmt.Errorf("learning rate: want a positive number, got %q", f.lr.Text)
	}
	rc.Train.Seed, err = strconv.ParseUint(strings.TrimSpace(f.seed.Text), 10, 64)
	if err != nil {
		return rc, fmt.Errorf("seed: want a whole number of at least 0, got %q", f.seed.Text)
	}
	return rc, rc.Validate()
}

// setEnabled enables the settings between sessions and freezes them during
// one.
func (f *trainForm) setEnabled(on bool) {
	for _, w := range []fyne.Disableable{f.scales, f.arch, f.epochs, f.batch, f.optimizer, f.lr, f.seed,
		f.limit, f.val, f.testLimit, f.mnistDir, f.chooseSrc, f.runsDir, f.chooseDir} {
		if on {
			w.Enable()
		} else {
			w.Disable()
		}
	}
}

// modelProgress is one model's progress row.
type modelProgress struct {
	name   *widget.Label
	bar    *widget.ProgressBar
	detail *widget.Label
}

func newModelProgress(model string) *modelProgress {
	p := &modelProgress{
		name:   widget.NewLabelWithStyle(strings.ToUpper(model), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		bar:    widget.NewProgressBar(),
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
	} else if s.Epochs > 0 && s.Batches > 0 {
		p.bar.SetValue((float64(s.Epoch-1) + float64(s.Batch)/float64(s.Batches)) / float64(s.Epochs))
	} else {
		p.bar.SetValue(0)
	}
	p.detail.SetText(progressText(m))
}

// progressText describes a model's progress in two lines: where it is, and
// how fast it goes.
func progressText(m *ModelState) string {
	s := m.Step
	var where, speed []string
	if s.Epochs > 0 {
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
