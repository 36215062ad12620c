package app

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deformscope/deformscope/model/data"
	"github.com/deformscope/deformscope/model/experiment"
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
	// The COCO protocol presets: the defaults that learn, and the course study's.
	cocoDefault, studyProtocol *widget.Button
	testLimit                  *formEntry
	runsDir                    *formEntry
	chooseDir                  *widget.Button

	box     *fyne.Container
	form    *widget.Form // box's form
	enabled bool
	changed func()

	ds      string           // the data set whose settings the form shows: "mnist" or "coco"
	loading bool             // load is filling the form: save nothing
	prefs   fyne.Preferences // where remember saves the settings, nil before
}

// defaultConfig is the form's starting point: the course study's
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
	f.studyProtocol = widget.NewButton(experiment.COCOStudyName, func() { f.applyTrain(experiment.COCOStudyTrain()) })
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
			&widget.FormItem{Text: "Protocol", Widget: container.NewGridWithColumns(1, f.cocoDefault, f.studyProtocol),
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
		f.perClass, f.runsDir, f.chooseDir, f.cocoDefault, f.studyProtocol} {
		setEnabled(w, on)
	}
	if changed && f.form != nil {
		f.form.Refresh() // the form greys the labels of disabled rows when refreshed
	}
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
