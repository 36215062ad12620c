package app

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/deformscope/deformscope/viz"
)

// The Offsets view's choices are remembered across launches, each data
// set's apart ("offsets.mnist.mode", "offsets.coco.mode"), as the form's
// are (settings.go): showing a run of the other data set brings back that
// data set's own choices, or its defaults, and nothing of the other's:
// a COCO run starts on a photo in context, an MNIST run on test digit 0.

// offsetsPref is one remembered choice of the Offsets view.
type offsetsPref struct {
	key string
	get func() string
	set func(string)
}

// offsetsPrefKey is where choice key of data set ds is kept.
func offsetsPrefKey(ds, key string) string { return "offsets." + ds + "." + key }

// prefs are the view's remembered choices.
func (v *offsetsView) prefs() []offsetsPref {
	itoa := strconv.Itoa
	atoi := func(p *int) func(string) {
		return func(s string) {
			if i, err := strconv.Atoi(s); err == nil && i >= 0 {
				*p = i
			}
		}
	}
	sel := func(s interface {
		SetSelected(string)
	}, opts func() []string) func(string) {
		return func(x string) {
			if slices.Contains(opts(), x) {
				s.SetSelected(x)
			}
		}
	}
	return []offsetsPref{
		{"source", func() string { return v.source.Selected }, sel(v.source, func() []string { return v.source.Options })},
		{"test", func() string { return itoa(v.testIdx) }, atoi(&v.testIdx)},
		{"photo", func() string { return itoa(v.photoIdx) }, atoi(&v.photoIdx)},
		{"model", func() string { return v.model.Selected }, func(s string) { v.prefModel = s }},
		{"layer", func() string { return v.layer.Selected }, func(s string) { v.prefLayer = s }},
		{"mode", func() string { return v.mode.Selected }, sel(v.mode, func() []string { return v.mode.Options })},
		{"read", func() string { return v.read.Selected }, sel(v.read, func() []string { return v.read.Options })},
		{"weight", func() string { return v.weight.Selected }, sel(v.weight, func() []string { return v.weight.Options })},
		{"clamp", func() string { return strconv.FormatBool(v.clamp.Checked) }, func(s string) { v.clamp.SetChecked(s == "true") }},
		{"whole", func() string { return strconv.FormatBool(v.whole.Checked) }, func(s string) { v.whole.SetChecked(s == "true") }},
		{"objectPx", func() string { return v.objectPx.Text }, func(s string) {
			v.objectPx.SetText(s)
			v.objectSide, _ = strconv.ParseFloat(s, 64)
		}},
		{"unit", func() string {
			if !v.hasPick {
				return "-"
			}
			return fmt.Sprintf("%g,%g", v.pick[0], v.pick[1])
		}, func(s string) {
			a, b, ok := strings.Cut(s, ",")
			y, err1 := strconv.ParseFloat(a, 64)
			x, err2 := strconv.ParseFloat(b, 64)
			v.hasPick = ok && err1 == nil && err2 == nil
			v.pick = [2]float64{y, x}
		}},
	}
}

// savePrefs remembers the view's choices under its data set.
func (v *offsetsView) savePrefs() {
	if v.ds == "" || v.loadingPrefs || v.capture {
		return
	}
	p := v.env.prefs
	for _, pr := range v.prefs() {
		p.SetString(offsetsPrefKey(v.ds, pr.key), pr.get())
	}
}

// useDataset brings back data set ds's choices when the view starts
// showing a run of it (ds "mnist" or "coco"), or that data set's defaults;
// it reports whether it changed anything, and then asks for a picture.
func (v *offsetsView) useDataset(ds string) bool {
	if ds == v.ds {
		return false
	}
	v.ds = ds
	v.loadingPrefs = true
	v.syncing = true
	// The defaults: a COCO run shows a photo in context, an MNIST run
	// test digit 0, as points, of the last layer.
	src := srcTest
	if ds == "coco" {
		src = srcPhoto
	}
	v.source.SetSelected(src)
	v.testIdx, v.photoIdx, v.objectSel, v.view, v.hasPick = 0, 0, -1, viz.Viewport{}, false
	v.prefModel, v.prefLayer = "", ""
	v.mode.SetSelected(modePoints)
	v.read.SetSelected(readBilinear)
	v.weight.SetSelected(weightSize)
	v.clamp.SetChecked(false)
	v.whole.SetChecked(false)
	v.objectPx.SetText("")
	v.objectSide = 0
	p := v.env.prefs
	for _, pr := range v.prefs() {
		if s := p.String(offsetsPrefKey(ds, pr.key)); s != "" {
			pr.set(s)
		}
	}
	if v.source.Selected == srcFile && v.file == "" {
		v.source.SetSelected(src) // the file is not remembered
	}
	if slices.Contains(v.model.Options, v.prefModel) {
		v.model.SetSelected(v.prefModel)
	}
	if slices.Contains(v.layer.Options, v.prefLayer) {
		v.layer.SetSelected(v.prefLayer)
	}
	v.syncing = false
	v.loadingPrefs = false
	v.syncHint()
	v.syncControls()
	v.request()
	return true
}
