package app

import (
	"strconv"

	"fyne.io/fyne/v2"

	"github.com/deformscope/deformscope/model/data"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/train"
)

// The form's settings are remembered across launches in the app's
// preferences, each data set's apart: "form.mnist.epochs" and
// "form.coco.epochs" are two settings, so that switching the data set
// brings back that data set's own choices (or its defaults) and nothing
// of the other's carries over. The runs folder and the data set itself are
// shared; so are the curves' smoothing and scale and the chosen tab.

// More preference keys.
const (
	prefSmoothing = "smoothing"
	prefLogY      = "logScale"
	prefTab       = "tab"
)

// formField is one remembered setting of the form.
type formField struct {
	key string // under "form.<dataset>."
	get func() string
	set func(string)
}

// entryField remembers a text entry.
func entryField(key string, e *formEntry) formField {
	return formField{key, func() string { return e.Text }, e.SetText}
}

// fields are the remembered settings of the form for data set ds
// ("mnist" or "coco").
func (f *trainForm) fields(ds string) []formField {
	fs := []formField{
		{"arch", func() string { return f.arch.Selected }, f.arch.SetSelected},
		entryField("epochs", f.epochs),
		entryField("batch", f.batch),
		{"optimizer", func() string { return f.optimizer.Selected }, f.optimizer.SetSelected},
		entryField("lr", f.lr),
		entryField("seed", f.seed),
		entryField("train", f.limit),
		entryField("test", f.testLimit),
	}
	if ds == "coco" {
		return append(fs,
			// The COCO folder keeps its old key, so an earlier choice stays.
			formField{prefCOCODir, func() string { return f.cocoDir.Text }, f.cocoDir.SetText},
			formField{"placement", func() string { return f.place.Selected }, f.place.SetSelected},
			entryField("cropSize", f.cropSize),
			entryField("categories", f.topK),
			entryField("perClass", f.perClass),
		)
	}
	return append(fs, entryField("mnistDir", f.mnistDir), entryField("scales", f.scales), entryField("val", f.val),
		formField{"scaleMode", func() string { return f.scaleMode.Selected }, f.scaleMode.SetSelected})
}

// prefKey is where a field of data set ds is kept.
func prefKey(ds string, fd formField) string {
	if fd.key == prefCOCODir {
		return fd.key
	}
	return "form." + ds + "." + fd.key
}

// datasetKey names the form's data set as run configs do.
func (f *trainForm) datasetKey() string {
	if f.coco() {
		return "coco"
	}
	return "mnist"
}

// cocoDefaults is the form's starting point for COCO crops: the settings
// `dcn train --data coco` starts from (experiment.COCODefaults: Adam 3e-3,
// batch 16, 12 epochs, which move the offsets on a small set), every crop,
// the middle placement. The course study's own protocol is one click away
// (applyStudyProtocol).
func cocoDefaults() experiment.RunConfig {
	rc := experiment.COCODefaults("", "")
	rc.Models = cocoModels(placeMiddle)
	rc.COCO.Size, rc.COCO.TopK = defaultCropSize, defaultTopK
	rc.ScaleMode = data.ScaleStudy
	return rc
}

// applyTrain shows a training protocol's epochs, batch, optimiser and
// learning rate in the form (a COCO preset).
func (f *trainForm) applyTrain(c train.Config) {
	f.epochs.SetText(strconv.Itoa(c.Epochs))
	f.batch.SetText(strconv.Itoa(c.Batch))
	f.optimizer.SetSelected(c.Optimizer)
	f.lr.SetText(strconv.FormatFloat(c.LR, 'g', -1, 64))
	if f.prefs != nil {
		f.save(f.prefs)
	}
}

// load shows data set ds in the form: its defaults, then what was
// remembered of it. Nothing is saved while it loads.
func (f *trainForm) load(prefs fyne.Preferences, ds string) {
	f.loading = true
	defer func() { f.loading = false }()
	if ds == "coco" {
		cocoDir := f.cocoDir.Text // set keeps it: the data set's folder is a field of its own
		f.set(cocoDefaults())
		f.cocoDir.SetText(cocoDir)
	} else {
		f.set(defaultConfig())
	}
	for _, fd := range f.fields(ds) {
		if v := prefs.String(prefKey(ds, fd)); v != "" {
			fd.set(v)
		}
	}
	f.ds = ds
	f.cocoChanged()
}

// save remembers the form's settings of the data set it shows.
func (f *trainForm) save(prefs fyne.Preferences) {
	if f.loading || f.ds == "" {
		return
	}
	for _, fd := range f.fields(f.ds) {
		prefs.SetString(prefKey(f.ds, fd), fd.get())
	}
}

// remember saves every change of the form as it is made, so that a window
// killed mid-run loses nothing typed.
func (f *trainForm) remember(prefs fyne.Preferences) {
	f.prefs = prefs
	for _, e := range []*formEntry{f.epochs, f.batch, f.lr, f.seed, f.limit, f.testLimit, f.mnistDir, f.scales,
		f.val, f.cropSize, f.topK, f.perClass} {
		e.OnChanged = func(string) { f.save(prefs) }
	}
	chain := func(old func(string)) func(string) {
		return func(s string) {
			if old != nil {
				old(s)
			}
			f.save(prefs)
		}
	}
	f.cocoDir.OnChanged = chain(f.cocoDir.OnChanged)
	f.place.OnChanged = chain(f.place.OnChanged)
	f.arch.OnChanged = chain(f.arch.OnChanged)
	f.optimizer.OnChanged = chain(f.optimizer.OnChanged)
	f.scaleMode.OnChanged = chain(f.scaleMode.OnChanged)
}
