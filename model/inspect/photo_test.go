package inspect

import (
	"image"
	"math"
	"testing"

	"github.com/deformscope/deformscope/model/coco"
	"github.com/deformscope/deformscope/model/coco/cropset"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/trace"
	"github.com/deformscope/deformscope/model/train"
)

func cocoRun(t *testing.T) *rundir.Run {
	t.Helper()
	rc := experiment.RunConfig{Data: "coco", Models: []string{"cnn", "dcnn-last"}, COCO: experiment.DefaultCOCO("a.json", "img"),
		Train: train.Config{Epochs: 1, Batch: 4, Optimizer: "adam", LR: 1e-3, Seed: 1}}
	return &rundir.Run{Dir: t.TempDir(), Config: rc}
}

// TestWholePhotoKeepsTheTrainingGrid checks that a photo resized by
// WholeFactor for an object meets the net at the crop's scale: the plain
// CNN's regular 3×3 grid at the object's centre, mapped back to the photo,
// has the same spacing and place whether the net ran on the object's crop
// or on the whole resized photo.
func TestWholePhotoKeepsTheTrainingGrid(t *testing.T) {
	r := cocoRun(t)
	photo := image.NewRGBA(image.Rect(0, 0, 320, 240))
	// 80 px: the crop is 96 px, 1.5 photo px per crop px.
	box := coco.Box{X: 100, Y: 60, W: 80, H: 60}
	crop, err := PrepareCrop(r, photo, box)
	if err != nil {
		t.Fatal(err)
	}
	if crop.Rect != image.Rect(92, 42, 188, 138) || crop.Size != 64 {
		t.Fatalf("crop %v of %d", crop.Rect, crop.Size)
	}
	f, err := WholeFactor(r, 80)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := PrepareScaled(r, photo, f)
	if err != nil {
		t.Fatal(err)
	}
	if s := whole.X.Shape(); s[2] != 160 || s[3] != 213 {
		t.Fatalf("scaled input %v, want 160×213", s)
	}
	net, err := experiment.NewNet(r.Config, "cnn")
	if err != nil {
		t.Fatal(err)
	}
	grid := []string{"conv6"}
	// The crop's unit nearest the box's centre, and the whole photo's.
	cy, cx := cropset.PhotoToCrop(crop.Rect, crop.Size, 89.5, 139.5)
	in := [2]int{64, 64}
	uy, ux, err := trace.UnitAt(net.Layers, in, "conv6", cy, cx)
	if err != nil {
		t.Fatal(err)
	}
	a, err := trace.Trace(net.Layers, nil, in, "conv6", uy, ux, trace.Options{Grid: grid})
	if err != nil {
		t.Fatal(err)
	}
	ws := whole.X.Shape()
	win := [2]int{ws[2], ws[3]}
	wy, wx := (89.5+0.5)*whole.Factor-0.5, (139.5+0.5)*whole.Factor-0.5
	vy, vx, err := trace.UnitAt(net.Layers, win, "conv6", wy, wx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := trace.Trace(net.Layers, nil, win, "conv6", vy, vx, trace.Options{Grid: grid})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Points) != 9 || len(b.Points) != 9 {
		t.Fatalf("%d and %d grid points", len(a.Points), len(b.Points))
	}
	spacing := func(p []trace.Point, to func(y, x float64) (float64, float64)) float64 {
		y0, x0 := to(p[0].Y, p[0].X)
		y1, x1 := to(p[1].Y, p[1].X)
		return math.Hypot(y1-y0, x1-x0)
	}
	sa := spacing(a.Points, func(y, x float64) (float64, float64) { return cropset.CropToPhoto(crop.Rect, crop.Size, y, x) })
	sb := spacing(b.Points, whole.ToPhoto)
	if math.Abs(sa-sb) > 0.02*sa {
		t.Errorf("grid spacing in the photo: %.3f px from the crop, %.3f px from the whole photo", sa, sb)
	}
	// The grids' centres lie within one unit's stride of each other.
	ay, ax := cropset.CropToPhoto(crop.Rect, crop.Size, a.Points[4].Y, a.Points[4].X)
	by, bx := whole.ToPhoto(b.Points[4].Y, b.Points[4].X)
	if math.Hypot(ay-by, ax-bx) > 8*1.5 {
		t.Errorf("grid centres (%.1f, %.1f) and (%.1f, %.1f) far apart", ay, ax, by, bx)
	}
}

func TestTrainingLimits(t *testing.T) {
	r := cocoRun(t)
	net, err := experiment.NewNet(r.Config, "dcnn-last")
	if err != nil {
		t.Fatal(err)
	}
	lim, err := TrainingLimits(net)
	if err != nil {
		t.Fatal(err)
	}
	photo := image.NewRGBA(image.Rect(0, 0, 400, 300))
	whole, err := PrepareScaled(r, photo, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := net.Forward(whole.X, false); err != nil {
		t.Fatal(err)
	}
	for _, b := range net.DeformBlocks() {
		if b.Limit() != lim[b.Name()] || lim[b.Name()] <= 0 || lim[b.Name()] > 16 {
			t.Errorf("%s: bound %v on the photo, %v in training", b.Name(), b.Limit(), lim[b.Name()])
		}
		b.SetLimit(0)
	}
	if _, err := net.Forward(whole.X, false); err != nil {
		t.Fatal(err)
	}
	for _, b := range net.DeformBlocks() {
		if b.Limit() <= lim[b.Name()] {
			t.Errorf("%s: unfixed bound %v is not the photo's (larger than %v)", b.Name(), b.Limit(), lim[b.Name()])
		}
	}
}

func TestPrepareErrors(t *testing.T) {
	r := cocoRun(t)
	photo := image.NewRGBA(image.Rect(0, 0, 100, 80))
	for _, b := range []coco.Box{{X: -1, Y: 0, W: 10, H: 10}, {X: 95, Y: 0, W: 10, H: 10}, {X: 0, Y: 0, W: 0, H: 10}, {X: 0, Y: 0, W: math.NaN(), H: 1}} {
		if _, err := PrepareCrop(r, photo, b); err == nil {
			t.Errorf("box %v: no error", b)
		}
	}
	if _, err := PrepareScaled(r, photo, 100); err == nil {
		t.Error("a 10000 px photo: no error")
	}
	if _, err := PrepareScaled(r, photo, 0.1); err == nil {
		t.Error("a photo smaller than a crop: no error")
	}
	if _, err := WholeFactor(r, 0); err == nil {
		t.Error("object size 0: no error")
	}
}

func TestPaperPanels(t *testing.T) {
	photos := []Photo{
		{Path: "a.jpg", Boxes: []coco.Box{{X: 0, Y: 0, W: 40, H: 40}, {X: 5, Y: 5, W: 8, H: 30}}, Names: []string{"dog", "pole"}},
		{Path: "b.jpg", Boxes: []coco.Box{{X: 10, Y: 10, W: 20, H: 16}, {X: 0, Y: 0, W: 300, H: 200}}, Names: []string{"cup", "bus"}},
	}
	got, err := PaperPanels(photos, 10)
	if err != nil {
		t.Fatal(err)
	}
	// The pole (8 px wide) is under the 10 px floor; the cup is the
	// smallest box left, the bus the largest, the background the cup's crop.
	want := []struct{ kind, path, name, unit string }{
		{"small object", "b.jpg", "cup", ""},
		{"large object", "b.jpg", "bus", ""},
		{"background", "b.jpg", "cup", "1,1"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d panels, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Kind != w.kind || g.Photo.Path != w.path || g.Photo.Names[g.Box] != w.name || g.Unit != w.unit {
			t.Errorf("panel %d: %s %s %s %q, want %v", i, g.Kind, g.Photo.Path, g.Photo.Names[g.Box], g.Unit, w)
		}
	}
	if _, err := PaperPanels(photos, 1000); err == nil {
		t.Error("no box of 1000 px: no error")
	}
}
