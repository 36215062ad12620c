package app

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// holds reports whether o is c or lies inside it.
func holds(c fyne.CanvasObject, o fyne.CanvasObject) bool {
	if c == o {
		return true
	}
	if box, ok := c.(*fyne.Container); ok {
		for _, child := range box.Objects {
			if holds(child, o) {
				return true
			}
		}
	}
	return false
}

// TestOffsetsMore: the controls used less sit behind "More", hidden at
// first, and one press shows them all (a second hides them again); the
// ones used most are never behind it.
func TestOffsetsMore(t *testing.T) {
	_, v := offsetsHarness(t)
	less := map[string]fyne.CanvasObject{
		"Whole image": v.whole, "object px": v.objectPx, "Offsets": v.read, "Weight": v.weight,
		"Clamp scale": v.clamp, "Group": v.group, "Open capture…": v.openCap, "Dilation…": v.dilation,
		"Export GIF…": v.gif, "Export PNG…": v.export, "help": v.help,
	}
	most := map[string]fyne.CanvasObject{
		"This session": v.session, "Open run folder…": v.openRun, "Show": v.mode, "Image": v.source,
		"index": v.index, "Open image…": v.openImage, "Model": v.model, "Layer": v.layer,
		"Object": v.objects, "Fit points": v.fitPoints, "Whole photo": v.fitView, "Epoch": v.epoch, "hint": v.hint,
	}
	for name, o := range less {
		if !holds(v.moreBox, o) {
			t.Errorf("%s is not behind More", name)
		}
	}
	for name, o := range most {
		if holds(v.moreBox, o) || !holds(v.root, o) {
			t.Errorf("%s: behind More %v, in the view %v", name, holds(v.moreBox, o), holds(v.root, o))
		}
	}
	if v.moreBox.Visible() || v.more.Text != "More" {
		t.Fatalf("at first: more shown %v, button %q", v.moreBox.Visible(), v.more.Text)
	}
	test.Tap(v.more)
	if !v.moreBox.Visible() || v.more.Text != "Less" {
		t.Errorf("after More: shown %v, button %q", v.moreBox.Visible(), v.more.Text)
	}
	test.Tap(v.more)
	if v.moreBox.Visible() || v.more.Text != "More" {
		t.Errorf("after Less: shown %v, button %q", v.moreBox.Visible(), v.more.Text)
	}
}

// TestFlowLayoutFill: the flow's last object takes the rest of its row
// when at least fill is left there, else a row of its own as wide as the
// flow; the others keep their minimum sizes and wrap.
func TestFlowLayoutFill(t *testing.T) {
	pad := theme.Padding()
	box := func(w float32) fyne.CanvasObject {
		r := canvas.NewRectangle(nil)
		r.SetMinSize(fyne.NewSize(w, 30))
		return r
	}
	for _, tc := range []struct {
		name         string
		widths       []float32
		width, fill  float32
		wantPos      fyne.Position // the last object's
		wantW, wantH float32       // its width, the total height
	}{
		{"rest of the row", []float32{100, 100, 50}, 400, 150, fyne.NewPos(200+2*pad, 0), 400 - 200 - 2*pad, 30},
		{"too little left", []float32{100, 200, 50}, 400, 150, fyne.NewPos(0, 30+pad), 400, 60 + pad},
		{"controls wrap first", []float32{300, 300, 50}, 400, 80, fyne.NewPos(300+pad, 30+pad), 400 - 300 - pad, 60 + pad},
		{"no fill", []float32{100, 100, 50}, 400, 0, fyne.NewPos(200+2*pad, 0), 50, 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var objs []fyne.CanvasObject
			for _, w := range tc.widths {
				objs = append(objs, box(w))
			}
			l := &flowLayout{fill: tc.fill}
			l.Layout(objs, fyne.NewSize(tc.width, 200))
			last := objs[len(objs)-1]
			if last.Position() != tc.wantPos || last.Size().Width != tc.wantW {
				t.Errorf("last at %v, %v wide; want %v, %v", last.Position(), last.Size().Width, tc.wantPos, tc.wantW)
			}
			if h := l.MinSize(objs).Height; h != tc.wantH {
				t.Errorf("height %v, want %v", h, tc.wantH)
			}
			for i, o := range objs[:len(objs)-1] {
				if o.Size() != o.MinSize() {
					t.Errorf("object %d sized %v, want its minimum %v", i, o.Size(), o.MinSize())
				}
			}
		})
	}
}

// TestOffsetsPicturesFit: from 1024×640 up, the Offsets tab's controls
// leave the two pictures room in the window: the tab needs no vertical
// scrolling and each picture is at least minPicture px high (at 1024×640
// the controls once took seven rows and pushed the pictures below the
// fold). With More open every control still lies within the tab's width.
func TestOffsetsPicturesFit(t *testing.T) {
	const minPicture = 200
	h, v := offsetsHarness(t)
	scroll, ok := h.u.tabs.Items[2].Content.(*container.Scroll)
	if !ok {
		t.Fatalf("the Offsets tab holds a %T, not a scroll", h.u.tabs.Items[2].Content)
	}
	for _, ds := range []string{dataMNIST, dataCOCO} {
		h.u.train.form.dataset.SetSelected(ds)
		for _, sz := range []fyne.Size{{Width: 1024, Height: 640}, {Width: 1366, Height: 768}, {Width: 1920, Height: 1080}} {
			h.w.Resize(sz)
			h.settle()
			h.w.Resize(sz) // the flows' rows follow the width of the first layout
			h.settle()
			if need, have := scroll.Content.MinSize().Height, scroll.Size().Height; need > have {
				t.Errorf("%s at %v: the tab needs %.0f px, has %.0f: it scrolls", ds, sz, need, have)
			}
			if hgt := v.dcnn.Size().Height; hgt < minPicture {
				t.Errorf("%s at %v: the pictures are %.0f px high, want at least %d", ds, sz, hgt, minPicture)
			}
			test.Tap(v.more)
			h.w.Resize(sz)
			h.settle()
			for _, row := range v.moreBox.Objects {
				if right := row.Position().X + row.Size().Width; right > v.moreBox.Size().Width+0.5 {
					t.Errorf("%s at %v with More: a row ends at %.0f px of %.0f", ds, sz, right, v.moreBox.Size().Width)
				}
			}
			test.Tap(v.more)
		}
	}
}
