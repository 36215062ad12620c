package app

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/deformscope/deformscope/model/experiment"
)

func TestCOCOFormRoundTrip(t *testing.T) {
	h := newHarness(t, t.TempDir())
	for _, place := range []string{placeFirst, placeAll} {
		rc := experiment.StudyProtocol()
		rc.Data, rc.Models, rc.Scales, rc.Val, rc.DCNv1 = "coco", cocoModels(place), nil, 0, true
		rc.COCO = experiment.DefaultCOCO(filepath.Join(cocoFixture, "annotations", "instances_train2017.json"),
			filepath.Join(cocoFixture, "images", "train2017"))
		rc.COCO.Size, rc.COCO.TopK, rc.COCO.MaxPerClass = 32, 5, 2000
		rc.Train.Optimizer, rc.Train.Momentum, rc.Train.LR, rc.Train.StepGamma = "sgd", 0.9, 0.001, 0
		h.u.train.form.set(rc)
		got, err := h.u.train.form.config()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, rc) {
			t.Errorf("%s: form round trip:\n got %+v %+v\nwant %+v %+v", place, got, *got.COCO, rc, *rc.COCO)
		}
	}
	// Back to MNIST: the MNIST settings come back as they were.
	h.u.train.form.set(defaultConfig())
	if got, err := h.u.train.form.config(); err != nil || !reflect.DeepEqual(got, defaultConfig()) {
		t.Errorf("MNIST after COCO: %+v (%v)", got, err)
	}
}

func TestCOCOSettingsErrors(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		edit       func(f *trainForm)
	}{
		{"crop size", "crop size: want a whole number from 8 to 512", func(f *trainForm) { f.cropSize.SetText("4") }},
		{"crop size multiple", "crop size: want a multiple of 4", func(f *trainForm) { f.cropSize.SetText("30") }},
		{"categories", "categories: want a whole number from 2 to 255", func(f *trainForm) { f.topK.SetText("1") }},
		{"crops per category", "crops per category: want a whole number of at least 0", func(f *trainForm) { f.perClass.SetText("-5") }},
		{"no folder", "choose a COCO folder", func(f *trainForm) { f.cocoDir.SetText("") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, t.TempDir())
			h.u.train.form.dataset.SetSelected(dataCOCO)
			h.u.train.form.cocoDir.SetText(cocoFixture)
			tc.edit(h.u.train.form)
			test.Tap(h.u.train.start)
			h.q.drain()
			if h.u.last.Phase != PhaseIdle {
				t.Errorf("phase %s, want idle", h.u.last.Phase)
			}
			if got := h.overlayText(); !containsFold(got, tc.want) {
				t.Errorf("dialog says %q, want %q", got, tc.want)
			}
		})
	}
}

// TestCOCOFormFollowsChoices: the form shows COCO's rows, the progress
// area a row per model the run would train, and the folder is remembered.
func TestCOCOFormFollowsChoices(t *testing.T) {
	h := newHarness(t, t.TempDir())
	f := h.u.train.form
	f.dataset.SetSelected(dataCOCO)
	if got := len(h.u.train.progressBox.Objects); got != 2 {
		t.Errorf("%d progress rows, want 2 (cnn and dcnn-middle)", got)
	}
	f.place.SetSelected(placeAll)
	if !slices.Equal(h.u.shown, cocoModels(placeAll)) || len(h.u.train.progressBox.Objects) != 4 {
		t.Errorf("all three: shown %v with %d rows", h.u.shown, len(h.u.train.progressBox.Objects))
	}
	if !strings.Contains(f.cocoInfo.Text, "choose a folder") {
		t.Errorf("info without a folder: %q", f.cocoInfo.Text)
	}
	h.u.useCOCODir(cocoFixture)
	if h.overlayText() != "" {
		t.Errorf("a usable folder shows %q", h.overlayText())
	}
	if got := f.cocoInfo.Text; got != "instances_train2017.json · images/train2017/" {
		t.Errorf("info %q", got)
	}
	if got := h.u.prefs.String(prefCOCODir); got != cocoFixture {
		t.Errorf("COCO folder remembered as %q", got)
	}

	// A new window starts from the remembered folder and data set.
	h.u.prefs.SetString(prefDataset, "coco")
	w := test.NewTempWindow(t, nil)
	u := newUI(h.a, w, h.u.prefs, h.q.do)
	defer u.Close()
	if !u.train.form.coco() || u.train.form.cocoDir.Text != cocoFixture {
		t.Errorf("new window: dataset %q, folder %q", u.train.form.dataset.Selected, u.train.form.cocoDir.Text)
	}
}
