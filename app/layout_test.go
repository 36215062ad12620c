package app

import (
	"fmt"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/deformscope/deformscope/app/internal/clip"
)

// TestLayoutFitsSmallScreens checks that the window's content fits from
// 1024×640 up: its minimum size (what Fyne would otherwise enforce, and
// clip) is within the smallest window, for each data set and tab.
func TestLayoutFitsSmallScreens(t *testing.T) {
	h := newHarness(t, t.TempDir())
	c := h.w.Content()
	for _, ds := range []string{dataMNIST, dataCOCO} {
		h.u.train.form.dataset.SetSelected(ds)
		for i := range h.u.tabs.Items {
			h.u.tabs.SelectIndex(i)
			ms := c.MinSize()
			if ms.Width > 1024 || ms.Height > 640 {
				t.Errorf("%s, %s tab: minimum size %v, more than 1024×640", ds, h.u.tabs.Items[i].Text, ms)
			}
			// Before any run the figures say what they will show: a long
			// message held the Curves tab wider than 1024 px for COCO.
			h.w.Resize(fyne.NewSize(1024, 640))
			h.settle()
			for _, c := range clip.Clipped(h.w) {
				t.Errorf("at 1024×640 before a run, %s, %s tab: %s", ds, h.u.tabs.Items[i].Text, c)
			}
		}
	}
	h.u.train.form.dataset.SetSelected(dataMNIST)
	h.u.apply(sampleSnapshot("/runs/demo"))
	h.u.tabs.SelectIndex(0)
	for _, sz := range []fyne.Size{{Width: 1024, Height: 640}, {Width: 1366, Height: 768}, {Width: 1920, Height: 1080}} {
		h.w.Resize(sz)
		// At every size the settings panel is wide enough for the form:
		// it needs no sideways scrolling.
		if got, want := h.u.train.left.Size().Width, h.u.train.form.box.MinSize().Width; got < want {
			t.Errorf("at %v the settings panel is %.0f px wide, the form needs %.0f", sz, got, want)
		}
		// The Curves controls wrap rather than run past the tab (the Export
		// buttons were cut at 1024 px), and the figures start below them.
		root := h.u.curves.root
		objs := root.Objects
		grid := objs[len(objs)-1]
		for _, o := range objs[:len(objs)-1] {
			if !o.Visible() {
				continue // "Comparing 2 runs" and its button, shown only while comparing
			}
			if right := o.Position().X + o.Size().Width; right > root.Size().Width+0.5 || o.Size().Width < o.MinSize().Width {
				t.Errorf("at %v a Curves control ends at %.0f px of %.0f (width %.0f, needs %.0f)", sz, right,
					root.Size().Width, o.Size().Width, o.MinSize().Width)
			}
			if bottom := o.Position().Y + o.Size().Height; bottom > grid.Position().Y {
				t.Errorf("at %v a Curves control ends at y %.0f, below the figures' top %.0f", sz, bottom, grid.Position().Y)
			}
		}
		// Nothing is drawn smaller than it needs, or past the window, on
		// any tab, for either data set.
		for _, ds := range []string{dataCOCO, dataMNIST} {
			h.u.train.form.dataset.SetSelected(ds)
			for i := range h.u.tabs.Items {
				h.u.tabs.SelectIndex(i)
				h.settle() // the figures' messages (COCO's "MNIST runs only") are in
				for _, c := range clip.Clipped(h.w) {
					t.Errorf("at %v, %s, %s tab: %s", sz, ds, h.u.tabs.Items[i].Text, c)
				}
			}
		}
		h.u.tabs.SelectIndex(0)
		h.settle()
		h.capture(fmt.Sprintf("layout-%.0fx%.0f", sz.Width, sz.Height))
	}
}
