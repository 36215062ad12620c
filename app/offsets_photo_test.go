package app

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/deformscope/deformscope/model/coco"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/inspect"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/runner"
	"github.com/deformscope/deformscope/model/trace"
	"github.com/deformscope/deformscope/viz"
)

// tinyCOCORun trains a COCO run folder on coco128 in seconds: 16×16 crops
// of the 3 most frequent categories, a CNN and the DCNN with its
// deformable layers in the middle, two epochs.
func tinyCOCORun(t *testing.T) *rundir.Run {
	t.Helper()
	needCOCO128(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	rc := tinyCOCO(t, placeMiddle)
	rc.Train.Epochs = 2
	run, err := rundir.Create(filepath.Join(t.TempDir(), "run"), rc)
	if err != nil {
		t.Fatal(err)
	}
	d, err := experiment.LoadData(rc)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.SetClasses(d.Classes); err != nil {
		t.Fatal(err)
	}
	s, err := runner.NewSession(rc, d.Data, run)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Train(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return run
}

// photoPos returns where photo position (y, x) lies in panel p of the
// shown in-context picture: the inverse of photoAt.
func photoPos(t *testing.T, v *offsetsView, p *offsetPanel, y, x float64) fyne.Position {
	t.Helper()
	c := v.shown.scene.Context
	view := photoView(c.View, c.Photo)
	k := float64(c.Width) / (view.X1 - view.X0)
	cx, cy := (x-view.X0)*k, (y-view.Y0)*k
	b := p.img.Image.Bounds()
	sz := p.Size()
	f := math.Min(float64(sz.Width)/float64(b.Dx()), float64(sz.Height)/float64(b.Dy()))
	ox := (float64(sz.Width) - f*float64(b.Dx())) / 2
	oy := (float64(sz.Height) - f*float64(b.Dy())) / 2
	return fyne.NewPos(float32(ox+cx*f), float32(oy+cy*f))
}

// assertFramed checks that the shown picture frames the unit: every point
// and the unit of both panels inside the view, both panels one size (one
// scale).
func assertFramed(t *testing.T, what string, r *offsetResult) {
	t.Helper()
	v := r.scene.Context.View
	if v.Empty() {
		t.Fatalf("%s: not framed (the whole photo)", what)
	}
	for _, tr := range []*trace.Result{r.scene.Points, r.scene.Grid} {
		for _, p := range append(slices.Clone(tr.Points), tr.Unit) {
			if p.X < v.X0 || p.X+1 > v.X1 || p.Y < v.Y0 || p.Y+1 > v.Y1 {
				t.Errorf("%s: point %+v lies outside the view %+v", what, p, v)
				return
			}
		}
	}
	if r.cnn == nil || r.cnn.Bounds() != r.main.Bounds() {
		t.Errorf("%s: the panels differ in size: one scale wanted", what)
	}
}

func TestOffsetsPhotoInContext(t *testing.T) {
	run := tinyCOCORun(t)
	h, v := offsetsHarness(t)
	v.useRunDir(run.Dir)
	// A COCO run opens on a photo of its data, in context.
	r := waitShown(h, "the photo in context", func(r *offsetResult) bool { return r.scene != nil && r.req.photo })
	if v.source.Selected != srcPhoto || !slices.Contains(v.source.Options, srcPhoto) {
		t.Fatalf("source %q of %v, want the photo", v.source.Selected, v.source.Options)
	}
	sc := r.scene
	ph := sc.photo
	if sc.Context == nil || ph == nil || ph.crop == nil || ph.object != ph.entry.Largest() || sc.Context.Chosen != ph.object ||
		len(sc.Context.Boxes) != len(ph.entry.Boxes) || sc.Context.Crop != ph.crop.Rect {
		t.Fatalf("in-context scene: %+v", sc.Context)
	}
	if len(sc.Points.Points) != 81 || sc.Grid == nil || len(sc.Grid.Points) != 81 {
		t.Errorf("%d points, grid %v", len(sc.Points.Points), sc.Grid != nil)
	}
	if len(v.objects.Options) != len(ph.entry.Boxes) || v.objects.Selected != v.objects.Options[ph.object] {
		t.Errorf("object list %v (selected %q)", v.objects.Options, v.objects.Selected)
	}
	// It opens framed on the unit: every point of both panels in view, at
	// one scale.
	assertFramed(t, "the crop", r)
	if !v.fitPoints.Disabled() || v.fitView.Disabled() {
		t.Errorf("framed on the unit: Fit points enabled %v, Whole photo enabled %v", !v.fitPoints.Disabled(), !v.fitView.Disabled())
	}
	// Export GIF replays this very view: its last frame's panels are the
	// screen's, pixel for pixel (photo, boxes, crop, framing, points).
	scenes, err := replayScenes(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	lastFrame, err := scenes[len(scenes)-1].Panels(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(lastFrame) != 2 || !bytes.Equal(lastFrame[0].Pix, r.cnn.Pix) || !bytes.Equal(lastFrame[1].Pix, r.main.Pix) {
		t.Error("the GIF's last frame differs from the screen's picture")
	}
	if scenes[0].Context == nil || scenes[0].Context.View != sc.Context.View {
		t.Errorf("the GIF's first frame is not at the screen's framing: %+v", scenes[0].Context)
	}
	// The points are the crop's, cut as training cut it, mapped back to the
	// photo: inspect.TraceCrop's, on the same checkpoint.
	net, _, err := run.LoadModel(sc.Model, sc.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	want, err := inspect.TraceCrop(context.Background(), net, ph.crop, sc.Layer, sc.unit[0], sc.unit[1], trace.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(want.Points, sc.Points.Points) || want.Unit != sc.Points.Unit {
		t.Error("the view's points differ from inspect.TraceCrop's mapped to the photo")
	}
	rect := ph.crop.Rect
	if u := sc.Points.Unit; u.X < float64(rect.Min.X) || u.X > float64(rect.Max.X) || u.Y < float64(rect.Min.Y) || u.Y > float64(rect.Max.Y) {
		t.Errorf("unit %v lies outside the crop %v", u, rect)
	}
	if !strings.Contains(v.caption.Text, ph.entry.Names[ph.object]) {
		t.Errorf("caption %q does not name the object", v.caption.Text)
	}

	// The whole photo, to choose boxes by clicking them.
	v.resetView()
	r = waitShown(h, "the whole photo", func(r *offsetResult) bool { return r.scene != nil && r.req.framing == viz.FramePhoto })
	if !r.scene.Context.View.Empty() || v.fitPoints.Disabled() {
		t.Errorf("Whole photo: view %v", r.scene.Context.View)
	}
	// Another object from the list, then by clicking its box.
	if len(ph.entry.Boxes) < 2 {
		t.Skip("the first photo has one box")
	}
	other := (ph.object + 1) % len(ph.entry.Boxes)
	v.objects.SetSelected(v.objects.Options[other])
	r = waitShown(h, "the other object", func(r *offsetResult) bool {
		return r.scene != nil && r.scene.photo != nil && r.scene.photo.object == other
	})
	if r.scene.Context.Chosen != other {
		t.Errorf("chosen box %d, want %d", r.scene.Context.Chosen, other)
	}
	// Click the centre of a box that no smaller box covers there.
	target := -1
	for i, b := range ph.entry.Boxes {
		if i != other && boxAt(ph.entry.Boxes, b.Y+b.H/2, b.X+b.W/2) == i {
			target = i
			break
		}
	}
	if target >= 0 {
		b := ph.entry.Boxes[target]
		v.tapped(v.dcnn, photoPos(t, v, v.dcnn, b.Y+b.H/2, b.X+b.W/2))
		waitShown(h, "the clicked box", func(r *offsetResult) bool {
			return r.scene != nil && r.scene.photo != nil && r.scene.photo.object == target
		})
	}

	// A click inside the crop chooses the unit under it.
	r = v.shown
	rc := r.scene.photo.crop.Rect
	py, px := float64(rc.Min.Y)+2, float64(rc.Min.X)+2
	if boxAt(r.scene.photo.entry.Boxes, py, px) >= 0 && boxAt(r.scene.photo.entry.Boxes, py, px) != r.scene.photo.object {
		py, px = float64(rc.Max.Y)-3, float64(rc.Max.X)-3
	}
	v.tapped(v.dcnn, photoPos(t, v, v.dcnn, py, px))
	r = waitShown(h, "the clicked unit", func(r *offsetResult) bool { return r.scene != nil && r.req.hasPick })
	cy, cx := r.scene.photo.fromPhoto(math.Round(py*1e6)/1e6, px)
	wy, wx, err := trace.UnitAt(r.scene.geom, r.scene.in, r.scene.Layer, cy, cx)
	if err != nil || r.scene.unit != [2]int{wy, wx} {
		t.Errorf("clicking photo (%.1f, %.1f) chose unit %v, want (%d, %d) %v", py, px, r.scene.unit, wy, wx, err)
	}

	// The wheel zooms about the pointer; a drag pans.
	full := photoView(r.scene.Context.View, r.scene.Context.Photo)
	at := photoPos(t, v, v.dcnn, py, px)
	v.dcnn.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: at}, Scrolled: fyne.Delta{DY: 1}})
	r = waitShown(h, "the zoomed photo", func(r *offsetResult) bool { return r.scene != nil && !r.req.view.Empty() })
	view := r.scene.Context.View
	if w := view.X1 - view.X0; math.Abs(w-(full.X1-full.X0)/zoomStep) > 1e-9 || v.fitView.Disabled() {
		t.Errorf("zoomed view %v of %v", view, full)
	}
	if y, x, ok := v.photoAt(v.dcnn, at); !ok || math.Abs(y-py) > 1 || math.Abs(x-px) > 1 {
		t.Errorf("after the zoom the pointer is over (%v, %v), want (%v, %v)", y, x, py, px)
	}
	v.dcnn.Dragged(&fyne.DragEvent{Dragged: fyne.Delta{DX: 10}})
	r = waitShown(h, "the panned photo", func(r *offsetResult) bool { return r.scene != nil && r.req.view.X0 < view.X0 })
	v.resetView()
	waitShown(h, "the whole photo", func(r *offsetResult) bool { return r.scene != nil && r.req.view.Empty() })

	// Heat maps show the layer over the crop the net saw.
	v.mode.SetSelected(modeOffset)
	r = waitShown(h, "the crop's heat map", func(r *offsetResult) bool { return r.scene != nil && r.scene.mode == modeOffset })
	if r.scene.Context != nil || r.scene.Picture != r.scene.photo.crop.Picture || !(r.scene.Range.Max > 0) || r.main == nil {
		t.Errorf("heat map on a photo: context %v, scale %v", r.scene.Context != nil, r.scene.Range.Max)
	}
	v.mode.SetSelected(modePoints)
	waitShown(h, "the points again", func(r *offsetResult) bool { return r.scene != nil && r.scene.Context != nil })

	// The whole photo at training scale, clamped at training's bound; the
	// busy sign greys the old picture until the new one comes.
	// A request still unanswered when the busy delay ends: the sign shows
	// and the old picture greys; an answer to an older request leaves it
	// on; the answer to the request takes it off.
	old := v.shown
	v.seq++ // a request the worker has not answered
	v.markBusy(v.seq - 1)
	if v.busy.Visible() {
		t.Error("busy for a request that was answered")
	}
	v.markBusy(v.seq)
	if !v.busy.Visible() || v.dcnn.img.Translucency == 0 || v.cnn.img.Translucency == 0 {
		t.Error("no busy sign while a request is unanswered")
	}
	stale := *old
	stale.req.seq = v.seq - 1
	v.show(&stale)
	if !v.busy.Visible() {
		t.Error("an older picture took the busy sign off")
	}
	answer := *old
	answer.req.seq = v.seq
	v.show(&answer)
	if v.busy.Visible() || v.dcnn.img.Translucency != 0 {
		t.Error("the busy sign stays after the picture came")
	}
	before := v.shown.scene.Points.Unit // in the photo's pixels
	v.whole.SetChecked(true)
	r = waitShown(h, "the whole photo at training scale", func(r *offsetResult) bool { return r.scene != nil && r.req.whole })
	sc = r.scene
	// The same unit: the one under the same photo point.
	if cy, cx := sc.photo.fromPhoto(before.Y, before.X); true {
		wy, wx, err := trace.UnitAt(sc.geom, sc.in, sc.Layer, cy, cx)
		if err != nil || sc.unit != [2]int{wy, wx} {
			t.Errorf("Whole image chose unit %v, want (%d, %d), the one under photo point %v (%v)", sc.unit, wy, wx, before, err)
		}
	}
	v.fitUnit()
	r = waitShown(h, "the whole photo framed on the unit", func(r *offsetResult) bool {
		return r.scene != nil && r.req.whole && r.req.framing == viz.FrameUnit
	})
	assertFramed(t, "the whole photo", r)
	sc = r.scene
	if sc.photo.scaled == nil || sc.Context == nil || !sc.Context.Crop.Empty() {
		t.Fatalf("whole photo: scaled %v", sc.photo.scaled != nil)
	}
	b := sc.photo.entry.Boxes[sc.photo.object]
	if want := 16 / (math.Max(b.W, b.H) * 1.2); math.Abs(sc.photo.scaled.Factor-want) > 0.02*want {
		t.Errorf("resize factor %v, want about %v (the box meets the net at the crop's scale)", sc.photo.scaled.Factor, want)
	}
	if !strings.Contains(sc.Label, "clamped at ±") || !strings.Contains(v.caption.Text, "training scale") || v.hint.Text != sc.Label {
		t.Errorf("label %q, caption %q: want the scale and the bound said", sc.Label, v.caption.Text)
	}
	lims, err := inspect.TrainingLimits(net)
	if err != nil {
		t.Fatal(err)
	}
	if lim := sc.Field.Limit; lim != lims[sc.Layer] {
		t.Errorf("the whole photo is clamped at %v, want training's %v", lim, lims[sc.Layer])
	}
	v.objectPx.SetText("60")
	r = waitShown(h, "60 px objects", func(r *offsetResult) bool { return r.scene != nil && r.req.objectPx == 60 })
	if want := 16 / (60 * 1.2); math.Abs(r.scene.photo.scaled.Factor-want) > 0.02*want {
		t.Errorf("factor %v for 60 px objects, want %v", r.scene.photo.scaled.Factor, want)
	}
}

// TestOffsetsRemembersChoicesPerDataset: the view's choices are kept per
// data set in the preferences: a COCO run starts on its own (a photo in
// context), an MNIST run gets back its own, and a new window brings them
// back.
func TestOffsetsRemembersChoicesPerDataset(t *testing.T) {
	mnist, _ := tinyRun(t)
	cocoRun := tinyCOCORun(t)
	h, v := offsetsHarness(t)
	v.useRunDir(mnist.Dir)
	waitShown(h, "the MNIST run", hasScene)
	v.index.SetText("3")
	v.read.SetSelected(readRounded)
	v.mode.SetSelected(modeOffset)
	v.clamp.SetChecked(true)
	waitShown(h, "the clamped heat map", func(r *offsetResult) bool { return r.scene != nil && r.req.clamp && r.req.test == 3 })

	v.useRunDir(cocoRun.Dir)
	r := waitShown(h, "the COCO run", func(r *offsetResult) bool { return r.scene != nil && r.req.photo })
	if v.mode.Selected != modePoints || v.clamp.Checked || v.read.Selected != readBilinear || r.scene.Context == nil {
		t.Errorf("a COCO run after the MNIST one: mode %q, clamp %v, read %q; want COCO's defaults", v.mode.Selected, v.clamp.Checked, v.read.Selected)
	}
	v.weight.SetSelected(weightAlpha)
	v.whole.SetChecked(true)
	waitShown(h, "the whole photo", func(r *offsetResult) bool { return r.scene != nil && r.req.whole })

	v.useRunDir(mnist.Dir)
	r = waitShown(h, "the MNIST run again", func(r *offsetResult) bool { return r.scene != nil && r.req.dir == mnist.Dir })
	if v.mode.Selected != modeOffset || !v.clamp.Checked || v.read.Selected != readRounded || r.req.test != 3 ||
		v.weight.Selected != weightSize || v.whole.Checked || v.source.Selected != srcTest {
		t.Errorf("MNIST's choices back: mode %q, clamp %v, read %q, test %d, weight %q, whole %v, source %q",
			v.mode.Selected, v.clamp.Checked, v.read.Selected, r.req.test, v.weight.Selected, v.whole.Checked, v.source.Selected)
	}

	// Another launch: the preferences bring them back.
	h2, v2 := offsetsHarness(t)
	for _, k := range []string{"mode", "clamp", "read", "test", "source", "weight", "whole"} {
		for _, ds := range []string{"mnist", "coco"} {
			key := offsetsPrefKey(ds, k)
			h2.u.prefs.SetString(key, h.u.prefs.String(key))
		}
	}
	v2.useRunDir(cocoRun.Dir)
	waitShown(h2, "the COCO run in a new window", func(r *offsetResult) bool { return r.scene != nil && r.req.photo && r.req.whole })
	if v2.weight.Selected != weightAlpha || !v2.whole.Checked {
		t.Errorf("a new window: weight %q, whole %v; want COCO's remembered alpha and whole", v2.weight.Selected, v2.whole.Checked)
	}
}

// TestBoxAt: a click chooses the smallest box under it, in COCO's frame
// (pixel i spans [i, i+1)), on hand-built boxes.
func TestBoxAt(t *testing.T) {
	boxes := []coco.Box{{X: 0, Y: 0, W: 100, H: 80}, {X: 20, Y: 10, W: 30, H: 30}, {X: 60, Y: 50, W: 10, H: 10}}
	for _, tc := range []struct {
		y, x float64
		want int
	}{
		{5, 5, 0},    // only the large box
		{20, 30, 1},  // nested: the smaller box
		{10, 20, 1},  // its top-left corner is inside
		{40, 50, 0},  // its far edges are outside
		{55, 65, 2},  // the small box
		{80, 50, -1}, // below every box
		{-1, 10, -1}, // above the photo
		{59.9, 69.9, 2},
	} {
		if got := boxAt(boxes, tc.y, tc.x); got != tc.want {
			t.Errorf("boxAt(%v, %v) = %d, want %d", tc.y, tc.x, got, tc.want)
		}
	}
}
