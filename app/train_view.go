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
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deformscope/deformscope/model/data"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/viz"
)

// The choices of the train form.
const (
	dataMNIST   = "MNIST"
	dataCOCO    = "COCO crops"
	archV2      = "DCNv2 (modulated)"
	archV1      = "DCNv1"
	placeFirst  = "first"
	placeMiddle = "middle"
	placeLast   = "last"
	placeAll    = "all three"
)

// The COCO crop set's defaults in the form.
const (
	defaultCropSize = 64
	defaultTopK     = 10
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

// formActions are what the form's buttons do.
type formActions struct {
	chooseRuns, chooseMNIST, chooseCOCO, download func()
	// changed is called when the data set or the placement changes, that
	// is, when the models of the next run change.
	changed func()
	// shortcut runs a window shortcut typed while an entry has the focus
	// and reports whether it was one.
	shortcut func(fyne.Shortcut) bool
}

// trainForm holds the settings of the next run. Its rows depend on the
// data set: box holds a form rebuilt when the data set changes.
type trainForm struct {
	dataset    *widget.RadioGroup
	scales     *formEntry
	scaleMode  *widget.Select // Scaled-MNIST transform: seed or bilinear
	mnistDir   *formEntry
	chooseSrc  *widget.Button
	cocoDir    *formEntry
	chooseCOCO *widget.Button
	download   *widget.Button
	cocoInfo   *widget.Label
	place      *widget.Select
	cropSize   *formEntry
	topK       *formEntry
	perClass   *formEntry // COCO: most training crops per category, 0 all
	arch       *widget.RadioGroup
	epochs     *formEntry
	batch      *formEntry
	optimizer  *widget.Select
	lr         *formEntry
	seed       *formEntry
	limit      *formEntry
	val        *formEntry
	valCOCO    *formEntry // in val's place for COCO: always disabled
	// The COCO protocol presets: the defaults that learn, and the seed's.
	cocoDefault, seedProtocol *widget.Button
	testLimit                 *formEntry
	runsDir                   *formEntry
	chooseDir                 *widget.Button

	box     *fyne.Container
	form    *widget.Form // box's form
	enabled bool
	changed func()

	ds      string           // the data set whose settings the form shows: "mnist" or "coco"
	loading bool             // load is filling the form: save nothing
	prefs   fyne.Preferences // where remember saves the settings, nil before
}

// defaultConfig is the form's starting point: the seed study's
// Scaled-MNIST protocol on a subset that trains in minutes on a laptop.
func defaultConfig() experiment.RunConfig {
	rc := experiment.StudyProtocol()
	rc.Train.Epochs = 3
	rc.Limit, rc.Val, rc.TestLimit = 10000, 2000, 2000
	return rc
}

// demoConfig is what --demo trains: small enough to draw curves within a
// minute or two.
func demoConfig() experiment.RunConfig {
	rc := experiment.StudyProtocol()
	rc.Train.Epochs = 3
	rc.Limit, rc.Val, rc.TestLimit = 2000, 500, 1000
	rc.Scales = []float64{0.6, 0.8, 1.0, 1.2, 1.4}
	return rc
}

func newTrainForm(runsDir, cocoDir string, act formActions) *trainForm {
	entry := func() *formEntry { return newFormEntry(act.shortcut) }
	f := &trainForm{
		dataset:    widget.NewRadioGroup([]string{dataMNIST, dataCOCO}, nil),
		scales:     entry(),
		scaleMode:  widget.NewSelect([]string{string(data.ScaleStudy), string(data.ScaleBilinear)}, nil),
		mnistDir:   entry(),
		chooseSrc:  widget.NewButton("Choose…", act.chooseMNIST),
		cocoDir:    entry(),
		chooseCOCO: widget.NewButton("Choose…", act.chooseCOCO),
		download:   widget.NewButtonWithIcon("Download COCO…", theme.DownloadIcon(), act.download),
		cocoInfo:   widget.NewLabel(""),
		place:      widget.NewSelect([]string{placeFirst, placeMiddle, placeLast, placeAll}, nil),
		cropSize:   entry(),
		topK:       entry(),
		perClass:   entry(),
		arch:       widget.NewRadioGroup([]string{archV2, archV1}, nil),
		epochs:     entry(),
		batch:      entry(),
		optimizer:  widget.NewSelect([]string{"adam", "sgd"}, nil),
		lr:         entry(),
		seed:       entry(),
		limit:      entry(),
		val:        entry(),
		valCOCO:    entry(),
		testLimit:  entry(),
		runsDir:    entry(),
		chooseDir:  widget.NewButton("Choose…", act.chooseRuns),
		box:        container.NewStack(),
		enabled:    true,
	}
	f.cocoDefault = widget.NewButton("Default: Adam 3e-3", func() { f.applyTrain(experiment.COCOTrain()) })
	f.seedProtocol = widget.NewButton(experiment.COCOStudyName, func() { f.applyTrain(experiment.COCOStudyTrain()) })
	// The two deformable versions stack, so that the form fits a narrow panel.
	f.dataset.Horizontal = true
	f.dataset.Required, f.arch.Required = true, true
	f.scales.SetPlaceHolder("none")
	f.mnistDir.SetPlaceHolder(mnistPlaceholder(mnistEmbedded()))
	f.cocoDir.SetPlaceHolder("a COCO folder")
	f.cocoInfo.Truncation = fyne.TextTruncateEllipsis
	f.cocoInfo.SizeName = theme.SizeNameCaptionText
	f.valCOCO.SetPlaceHolder("by image")
	f.valCOCO.Disable()
	f.cocoDir.OnChanged = func(string) { f.cocoChanged() }
	f.cocoDir.SetText(cocoDir)
	f.cocoChanged()
	f.place.SetSelected(placeMiddle)
	f.cropSize.SetText(strconv.Itoa(defaultCropSize))
	f.topK.SetText(strconv.Itoa(defaultTopK))
	f.perClass.SetText("0")
	f.runsDir.SetText(runsDir)
	f.set(defaultConfig())
	f.dataset.OnChanged = func(string) { f.datasetChanged() }
	f.place.OnChanged = func(string) { f.notify() }
	f.changed = act.changed
	f.rebuild()
	return f
}

// mnistEmbedded reports whether this binary carries MNIST (a variable, so
// that the markup tests read the same in every build).
var mnistEmbedded = data.EmbeddedMNIST

// mnistPlaceholder says where MNIST comes from when the form names no
// folder: the copy this binary carries (unpacked once into the user's
// cache folder), or, in a build without it, the GoMNIST module in Go's
// module cache.
func mnistPlaceholder(embedded bool) string {
	if embedded {
		return "built in (this program carries it)"
	}
	return "Go module cache (GoMNIST)"
}

// coco reports whether the form is set for COCO crops.
func (f *trainForm) coco() bool { return f.dataset.Selected == dataCOCO }

// models returns the models the form trains.
func (f *trainForm) models() []string {
	if f.coco() {
		return cocoModels(f.place.Selected)
	}
	return slices.Clone(experiment.MNISTModels)
}

func (f *trainForm) notify() {
	if f.changed != nil {
		f.changed()
	}
}

// datasetChanged brings back the settings of the data set chosen (its
// own, or its defaults), so that nothing of the other carries over.
func (f *trainForm) datasetChanged() {
	if !f.loading && f.prefs != nil && f.datasetKey() != f.ds {
		f.prefs.SetString(prefDataset, f.datasetKey())
		f.load(f.prefs, f.datasetKey())
	}
	f.rebuild()
	f.notify()
}

// cocoChanged says what the COCO folder holds, or what is wrong with it.
func (f *trainForm) cocoChanged() {
	if strings.TrimSpace(f.cocoDir.Text) == "" {
		f.cocoInfo.Importance = widget.LowImportance
		f.cocoInfo.SetText("choose a folder, or download COCO")
		return
	}
	src, err := resolveCOCO(f.cocoDir.Text)
	if err != nil {
		f.cocoInfo.Importance = widget.DangerImportance
		f.cocoInfo.SetText(err.Error())
		return
	}
	f.cocoInfo.Importance = widget.MediumImportance
	f.cocoInfo.SetText(src.describe())
}

// rebuild lays the form out again for the chosen data set.
func (f *trainForm) rebuild() {
	f.form = widget.NewForm(f.items()...)
	f.box.Objects = []fyne.CanvasObject{f.form}
	f.box.Refresh()
}

// items lays the form out as rows of a widget.Form: the data set's own
// rows, then those every run has.
func (f *trainForm) items() []*widget.FormItem {
	f.epochs.SetPlaceHolder("epochs")
	f.batch.SetPlaceHolder("batch")
	f.limit.SetPlaceHolder("train")
	f.val.SetPlaceHolder("val")
	f.testLimit.SetPlaceHolder("test")
	f.cropSize.SetPlaceHolder("size")
	f.topK.SetPlaceHolder("top")
	f.perClass.SetPlaceHolder("cap")
	items := []*widget.FormItem{{Text: "Dataset", Widget: f.dataset}}
	images := "train, validation, test; 0 takes all"
	val := f.val
	if f.coco() {
		images = "train, test crops (0 all); val by image"
		val = f.valCOCO
		items = append(items,
			&widget.FormItem{Text: "COCO folder", Widget: container.NewVBox(
				container.NewBorder(nil, nil, nil, f.chooseCOCO, f.cocoDir), f.cocoInfo, container.NewHBox(f.download))},
			&widget.FormItem{Text: "Placement", Widget: f.place,
				HintText: "of the deformable layers; all three: a net each"},
			&widget.FormItem{Text: "Crops", Widget: container.NewGridWithColumns(3, f.cropSize, f.topK, f.perClass),
				HintText: "px, categories, most crops each (0 all)"},
			&widget.FormItem{Text: "Protocol", Widget: container.NewGridWithColumns(1, f.cocoDefault, f.seedProtocol),
				HintText: "sets epochs, batch, optimiser and rate"},
		)
	} else {
		items = append(items,
			&widget.FormItem{Text: "MNIST folder", Widget: container.NewBorder(nil, nil, nil, f.chooseSrc, f.mnistDir)},
			&widget.FormItem{Text: "Test scales", Widget: f.scales, HintText: "Scaled-MNIST: from:to:step or a list"},
			&widget.FormItem{Text: "Scaling", Widget: f.scaleMode, HintText: "seed: the study's own (nearest)"},
		)
	}
	return append(items,
		&widget.FormItem{Text: "Deformable", Widget: f.arch},
		&widget.FormItem{Text: "Epochs, batch", Widget: container.NewGridWithColumns(2, f.epochs, f.batch)},
		&widget.FormItem{Text: "Optimiser", Widget: container.NewGridWithColumns(2, f.optimizer, f.lr), HintText: "and learning rate"},
		&widget.FormItem{Text: "Seed", Widget: f.seed},
		&widget.FormItem{Text: "Images", Widget: container.NewGridWithColumns(3, f.limit, val, f.testLimit), HintText: images},
		&widget.FormItem{Text: "Runs folder", Widget: container.NewBorder(nil, nil, nil, f.chooseDir, f.runsDir)},
	)
}

// set shows rc in the form. An MNIST config leaves the COCO fields as they
// are, and the other way round.
func (f *trainForm) set(rc experiment.RunConfig) {
	was := f.loading
	f.loading = true // the data set's own settings are rc's, not the remembered ones
	defer func() {
		f.loading = was
		f.ds = f.datasetKey()
		if !was && f.prefs != nil {
			f.save(f.prefs)
		}
	}()
	if rc.DCNv1 {
		f.arch.SetSelected(archV1)
	} else {
		f.arch.SetSelected(archV2)
	}
	if rc.Data == "coco" && rc.COCO != nil {
		f.dataset.SetSelected(dataCOCO)
		f.cocoDir.SetText(cocoRoot(rc.COCO.Ann))
		f.place.SetSelected(placementOf(rc.Models))
		f.cropSize.SetText(strconv.Itoa(rc.COCO.Size))
		f.topK.SetText(strconv.Itoa(rc.COCO.TopK))
		f.perClass.SetText(strconv.Itoa(rc.COCO.MaxPerClass))
	} else {
		f.dataset.SetSelected(dataMNIST)
		f.scales.SetText(formatScales(rc.Scales))
		f.scaleMode.SetSelected(string(rc.ScaleModeOrBilinear()))
		f.mnistDir.SetText(rc.MNISTDir)
		f.val.SetText(strconv.Itoa(rc.Val))
	}
	f.epochs.SetText(strconv.Itoa(rc.Train.Epochs))
	f.batch.SetText(strconv.Itoa(rc.Train.Batch))
	f.optimizer.SetSelected(rc.Train.Optimizer)
	f.lr.SetText(strconv.FormatFloat(rc.Train.LR, 'g', -1, 64))
	f.seed.SetText(strconv.FormatUint(rc.Train.Seed, 10))
	f.limit.SetText(strconv.Itoa(rc.Limit))
	f.testLimit.SetText(strconv.Itoa(rc.TestLimit))
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
func (f *trainForm) config() (experiment.RunConfig, error) {
	rc := experiment.StudyProtocol()
	rc.DCNv1 = f.arch.Selected == archV1
	type intField struct {
		name     string
		e        *formEntry
		min, max int
		dst      *int
	}
	ints := []intField{
		{"epochs", f.epochs, 1, 0, &rc.Train.Epochs},
		{"batch", f.batch, 1, 0, &rc.Train.Batch},
		{"train images", f.limit, 0, 0, &rc.Limit},
		{"test images", f.testLimit, 0, 0, &rc.TestLimit},
	}
	var err error
	rc.Scales = nil
	if f.coco() {
		src, err := resolveCOCO(f.cocoDir.Text)
		if err != nil {
			return rc, err
		}
		rc.Data, rc.Models = "coco", f.models()
		// Both COCO protocols hold the rate constant (no StepLR), as dcn's.
		rc.Train.StepGamma, rc.Train.StepSize = experiment.COCOTrain().StepGamma, max(experiment.COCOTrain().StepSize, 1)
		rc.COCO = experiment.DefaultCOCO(src.Ann, src.Images)
		rc.COCO.TestAnn, rc.COCO.TestImages = src.TestAnn, src.TestImages
		ints = append(ints, intField{"crop size", f.cropSize, 8, experiment.MaxCropSize, &rc.COCO.Size},
			intField{"categories", f.topK, 2, experiment.MaxCategories, &rc.COCO.TopK},
			intField{"crops per category", f.perClass, 0, 0, &rc.COCO.MaxPerClass})
	} else {
		rc.MNISTDir = strings.TrimSpace(f.mnistDir.Text)
		if rc.ScaleMode, err = data.ParseScaleMode(f.scaleMode.Selected); err != nil {
			return rc, fmt.Errorf("test scales: %w", err)
		}
		if s := strings.TrimSpace(f.scales.Text); s != "" {
			if rc.Scales, err = data.ParseScales(s); err != nil {
				return rc, fmt.Errorf("test scales: %w", err)
			}
		}
		ints = append(ints, intField{"validation images", f.val, 0, 0, &rc.Val})
	}
	for _, it := range ints {
		v, err := strconv.Atoi(strings.TrimSpace(it.e.Text))
		switch {
		case it.max > 0 && (err != nil || v < it.min || v > it.max):
			return rc, fmt.Errorf("%s: want a whole number from %d to %d, got %q", it.name, it.min, it.max, it.e.Text)
		case err != nil || v < it.min:
			return rc, fmt.Errorf("%s: want a whole number of at least %d, got %q", it.name, it.min, it.e.Text)
		}
		*it.dst = v
	}
	if rc.COCO != nil && rc.COCO.Size%4 != 0 {
		return rc, fmt.Errorf("crop size: want a multiple of 4 (the net pools twice), got %d", rc.COCO.Size)
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
	changed := on != f.enabled
	f.enabled = on
	for _, w := range []fyne.Disableable{f.dataset, f.scales, f.scaleMode, f.arch, f.epochs, f.batch, f.optimizer, f.lr, f.seed,
		f.limit, f.val, f.testLimit, f.mnistDir, f.chooseSrc, f.cocoDir, f.chooseCOCO, f.place, f.cropSize, f.topK,
		f.perClass, f.runsDir, f.chooseDir, f.cocoDefault, f.seedProtocol} {
		setEnabled(w, on)
	}
	if changed && f.form != nil {
		f.form.Refresh() // the form greys the labels of disabled rows when refreshed
	}
}

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

// formEntry is a text entry that lets the window's shortcuts (Ctrl+Enter
// start, Ctrl+P pause, …) through while it has the focus: Fyne hands every
// shortcut to the focused widget, and a plain Entry drops those it does
// not know.
type formEntry struct {
	widget.Entry
	window func(fyne.Shortcut) bool
}

func newFormEntry(window func(fyne.Shortcut) bool) *formEntry {
	e := &formEntry{window: window}
	e.ExtendBaseWidget(e)
	return e
}

// TypedShortcut runs a window shortcut, or else the entry's own.
func (e *formEntry) TypedShortcut(s fyne.Shortcut) {
	if e.window != nil && e.window(s) {
		return
	}
	e.Entry.TypedShortcut(s)
}
