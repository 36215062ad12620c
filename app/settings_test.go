package app

import (
	"image"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// relaunch builds a second window on h's app, as the next launch would
// with the same preferences; h then drives the new window.
func (h *harness) relaunch() *UI {
	h.t.Helper()
	h.u.Close()
	h.q.drain()
	w := test.NewTempWindow(h.t, nil)
	u := newUI(h.a, w, h.u.prefs, h.q.do)
	w.SetContent(u.Content())
	w.Resize(fyne.NewSize(1360, 860))
	h.t.Cleanup(func() {
		u.Close()
		h.q.drain()
	})
	h.u, h.w = u, w
	return u
}

func TestSettingsSurviveARestart(t *testing.T) {
	h := newHarness(t, t.TempDir())
	f := h.u.train.form
	f.epochs.SetText("7")
	f.lr.SetText("0.0005")
	f.seed.SetText("42")
	f.scales.SetText("0.8,1.2")
	f.mnistDir.SetText("/data/mnist")
	f.arch.SetSelected(archV1)
	h.u.curves.smooth.SetValue(0.3)
	h.u.curves.logY.SetChecked(true)
	h.u.tabs.SelectIndex(1)

	u := h.relaunch()
	g := u.train.form
	for _, c := range []struct{ name, got, want string }{
		{"epochs", g.epochs.Text, "7"},
		{"learning rate", g.lr.Text, "0.0005"},
		{"seed", g.seed.Text, "42"},
		{"scales", g.scales.Text, "0.8,1.2"},
		{"MNIST folder", g.mnistDir.Text, "/data/mnist"},
		{"deformable", g.arch.Selected, archV1},
	} {
		if c.got != c.want {
			t.Errorf("%s after a restart = %q, want %q", c.name, c.got, c.want)
		}
	}
	if u.curves.smooth.Value != 0.3 || !u.curves.logY.Checked || u.tabs.SelectedIndex() != 1 {
		t.Errorf("view after a restart: smoothing %v, log %v, tab %d; want 0.3, true, 1", u.curves.smooth.Value, u.curves.logY.Checked,
			u.tabs.SelectedIndex())
	}
}

// TestDatasetsKeepTheirOwnSettings checks that switching the data set
// brings back that data set's settings, or its defaults, and that nothing
// of the other carries over.
func TestDatasetsKeepTheirOwnSettings(t *testing.T) {
	h := newHarness(t, t.TempDir())
	f := h.u.train.form
	f.epochs.SetText("9")
	f.optimizer.SetSelected("adam")
	f.dataset.SetSelected(dataCOCO)
	if f.epochs.Text != "12" || f.batch.Text != "16" || f.optimizer.Selected != "adam" || f.lr.Text != "0.003" || f.limit.Text != "0" {
		t.Errorf("COCO at first: epochs %q, batch %q, optimiser %q, lr %q, train %q; want the COCO defaults that learn (12, 16, adam, 0.003, 0)",
			f.epochs.Text, f.batch.Text, f.optimizer.Selected, f.lr.Text, f.limit.Text)
	}
	// The course study's protocol is one click away, and so are the defaults.
	test.Tap(f.studyProtocol)
	if f.studyProtocol.Text != "Study's protocol: SGD 0.001" || f.epochs.Text != "5" || f.batch.Text != "32" ||
		f.optimizer.Selected != "sgd" || f.lr.Text != "0.001" {
		t.Errorf("%q: epochs %q, batch %q, optimiser %q, lr %q; want 5, 32, sgd, 0.001",
			f.studyProtocol.Text, f.epochs.Text, f.batch.Text, f.optimizer.Selected, f.lr.Text)
	}
	if rc, err := f.config(); err == nil && (rc.Train.Momentum != 0.9 || rc.Train.StepGamma != 0) {
		t.Errorf("study's protocol: momentum %v, StepLR γ %v; want 0.9 and a constant rate", rc.Train.Momentum, rc.Train.StepGamma)
	}
	test.Tap(f.cocoDefault)
	if f.epochs.Text != "12" || f.optimizer.Selected != "adam" || f.lr.Text != "0.003" {
		t.Errorf("back to the defaults: epochs %q, optimiser %q, lr %q", f.epochs.Text, f.optimizer.Selected, f.lr.Text)
	}
	f.epochs.SetText("2")
	f.place.SetSelected(placeLast)
	f.dataset.SetSelected(dataMNIST)
	if f.epochs.Text != "9" || f.optimizer.Selected != "adam" {
		t.Errorf("back on MNIST: epochs %q, optimiser %q; want 9, adam", f.epochs.Text, f.optimizer.Selected)
	}
	u := h.relaunch()
	if !u.train.form.coco() && u.train.form.epochs.Text != "9" {
		t.Errorf("MNIST after a restart: epochs %q, want 9", u.train.form.epochs.Text)
	}
	u.train.form.dataset.SetSelected(dataCOCO)
	if u.train.form.epochs.Text != "2" || u.train.form.place.Selected != placeLast {
		t.Errorf("COCO after a restart: epochs %q, placement %q; want 2, last", u.train.form.epochs.Text, u.train.form.place.Selected)
	}
}

func TestFitWindow(t *testing.T) {
	for _, c := range []struct {
		name                    string
		asked, remembered, area fyne.Size
		scale                   float32
		want                    fyne.Size
	}{
		{"first launch, large screen", fyne.Size{}, fyne.Size{}, fyne.NewSize(1920, 1050), 1, fyne.NewSize(1360, 860)},
		{"first launch, 1366×768", fyne.Size{}, fyne.Size{}, fyne.NewSize(1366, 768), 1, fyne.NewSize(1360, 768)},
		{"first launch, 1024×640", fyne.Size{}, fyne.Size{}, fyne.NewSize(1024, 640), 1, fyne.NewSize(1024, 640)},
		{"remembered", fyne.Size{}, fyne.NewSize(1200, 700), fyne.NewSize(1920, 1050), 1, fyne.NewSize(1200, 700)},
		{"remembered, now a smaller screen", fyne.Size{}, fyne.NewSize(1800, 1000), fyne.NewSize(1366, 768), 1, fyne.NewSize(1366, 768)},
		{"asked beats remembered", fyne.NewSize(1100, 650), fyne.NewSize(1200, 700), fyne.NewSize(1920, 1050), 1, fyne.NewSize(1100, 650)},
		{"screen unknown", fyne.Size{}, fyne.Size{}, fyne.Size{}, 1, fyne.NewSize(1360, 860)},
		{"scale 2: the area holds half as many units", fyne.Size{}, fyne.Size{}, fyne.NewSize(2048, 1280), 2, fyne.NewSize(1024, 640)},
		{"a remembered size too small to be one", fyne.Size{}, fyne.NewSize(10, 10), fyne.Size{}, 1, fyne.NewSize(1360, 860)},
	} {
		if got := fitWindow(c.asked, c.remembered, c.area, c.scale); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestPlaceWindow(t *testing.T) {
	area := image.Rect(0, 0, 1366, 740)
	for _, c := range []struct {
		name      string
		pos, size image.Point
		area      image.Rectangle
		want      image.Point
	}{
		{"where it was", image.Pt(100, 80), image.Pt(1000, 600), area, image.Pt(100, 80)},
		{"past the right edge", image.Pt(900, 80), image.Pt(1000, 600), area, image.Pt(366, 80)},
		{"above the top", image.Pt(10, -50), image.Pt(1000, 600), area, image.Pt(10, 0)},
		{"a monitor since removed", image.Pt(3000, 200), image.Pt(1000, 600), area, image.Pt(366, 140)},
		{"area unknown", image.Pt(3000, 200), image.Pt(1000, 600), image.Rectangle{}, image.Pt(3000, 200)},
	} {
		if got := placeWindow(c.pos, c.size, c.area); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
