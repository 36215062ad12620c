package main

import (
	"encoding/json"
	"image"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/dilation"
)

// tinyMNISTRun trains both MNIST models for two short epochs.
func tinyMNISTRun(t *testing.T) string {
	t.Helper()
	needMNIST(t)
	dir := filepath.Join(t.TempDir(), "run")
	if code, _, errs := dcn(t, "train", "--model", "both", "--epochs", "2", "--limit", "96", "--val", "32",
		"--test-limit", "32", "--scales", "0.5,1.5", "--batch", "32", "--out", dir); code != 0 {
		t.Fatalf("train exited %d\n%s", code, errs)
	}
	return dir
}

func TestDilationReplayHeatmap(t *testing.T) {
	dir := tinyMNISTRun(t)
	code, out, errs := dcn(t, "dilation", "--run", dir, "--limit", "10", "--json", "--out", filepath.Join(dir, "dil.png"))
	if code != 0 {
		t.Fatalf("dilation exited %d: %s", code, errs)
	}
	var rep dilation.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("dilation --json printed %q: %v", out, err)
	}
	if rep.Images != 10 || len(rep.Layers) != 4 {
		t.Fatalf("report %+v", rep)
	}
	for _, l := range rep.Layers {
		units := 0
		for _, g := range l.Groups {
			units += g.Units
			if l.Model == "cnn" && (g.Mean != 1 || g.Std != 0) {
				t.Errorf("plain %s %s: %v ± %v, want exactly 1", l.Layer, g.Group, g.Mean, g.Std)
			}
			if l.Model == "dcnn" && !(g.Mean > 0) {
				t.Errorf("dcnn %s %s: mean %v", l.Layer, g.Group, g.Mean)
			}
		}
		if units != 2*10*7*7 { // 2 scales × 10 images × the 7×7 map
			t.Errorf("%s %s: %d units", l.Model, l.Layer, units)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "dil.png")); err != nil {
		t.Error(err)
	}

	gifPath := filepath.Join(dir, "replay.gif")
	for _, what := range []string{"offsets", "heatmap"} {
		if code, _, errs := dcn(t, "replay", "--run", dir, "--index", "3", "--what", what, "--out", gifPath); code != 0 {
			t.Fatalf("replay %s exited %d: %s", what, code, errs)
		}
		f, err := os.Open(gifPath)
		if err != nil {
			t.Fatal(err)
		}
		g, err := gif.DecodeAll(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(g.Image) != 2 {
			t.Errorf("replay %s: %d frames, want one per epoch (2)", what, len(g.Image))
		}
	}
	if code, _, errs := dcn(t, "replay", "--run", dir, "--index", "3", "--sweep", "--out", gifPath); code != 0 {
		t.Fatalf("replay --sweep exited %d: %s", code, errs)
	}
	if f, err := os.Open(gifPath); err == nil {
		g, err := gif.DecodeAll(f)
		f.Close()
		if err != nil || len(g.Image) != 11 {
			t.Errorf("sweep: %v, want 11 frames (0.5 … 1.5)", err)
		}
	}
	png1 := filepath.Join(dir, "h.png")
	for _, vmax := range []string{"robust", "clamp", "0.5"} {
		if code, _, errs := dcn(t, "heatmap", "--run", dir, "--index", "3", "--vmax", vmax, "--out", png1); code != 0 {
			t.Errorf("heatmap --vmax %s exited %d: %s", vmax, code, errs)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"heatmap", "--run", dir, "--index", "3", "--vmax", "-1", "--out", png1}, "--vmax"},
		{[]string{"dilation"}, "--run is required"},
		{[]string{"dilation", "--run", dir, "--model", "resnet"}, `no model "resnet"`},
		{[]string{"replay", "--run", dir, "--out", gifPath}, "exactly one of"},
		{[]string{"replay", "--run", dir, "--index", "1", "--what", "x", "--out", gifPath}, "--what"},
		{[]string{"offsets", "--run", dir, "--image", png1, "--box", "1,2,3", "--out", png1}, "X,Y,W,H"},
		{[]string{"offsets", "--run", dir, "--image", png1, "--box", "1,2,3,4", "--out", png1}, "not a COCO run"},
	} {
		if code, _, errs := dcn(t, tc.args...); code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v exited %d: %s (want %q)", tc.args, code, errs, tc.want)
		}
	}
}

func TestOffsetsInContext(t *testing.T) {
	ann, images := cocoFixture(t)
	dir := filepath.Join(t.TempDir(), "run")
	if code, _, errs := dcn(t, "train", "--data", "coco", "--coco-ann", ann, "--coco-images", images, "--model", "both",
		"--epochs", "1", "--batch", "4", "--crop-size", "32", "--top", "2", "--out", dir); code != 0 {
		t.Fatalf("train exited %d\n%s", code, errs)
	}
	out := filepath.Join(dir, "ctx.png")
	photo := filepath.Join(images, "000.jpg")
	code, stdout, errs := dcn(t, "offsets", "--run", dir, "--image", photo, "--box", "5,5,40,40", "--zoom", "crop", "--width", "200", "--out", out)
	if code != 0 {
		t.Fatalf("offsets --box exited %d: %s", code, errs)
	}
	if !strings.Contains(stdout, "on the crop (1,1)-(49,49)") {
		t.Errorf("stdout %q", stdout)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 2*200 {
		t.Errorf("context figure is %v: want the grid and the points side by side", b)
	}
	if code, _, errs := dcn(t, "offsets", "--run", dir, "--image", photo, "--box", "70,5,40,40", "--out", out); code == 0 || !strings.Contains(errs, "not inside") {
		t.Errorf("box beyond the photo exited %d: %s", code, errs)
	}
	cocoCommandsWithoutModel(t, dir, photo)
}

// cocoCommandsWithoutModel runs every offsets command on a COCO run
// without --model: each takes the run's first deformable model and says
// so; heatmap and replay take --box and --whole as offsets does; --json
// prints exactly the object.
func cocoCommandsWithoutModel(t *testing.T, dir, photo string) {
	out := func(name string) string { return filepath.Join(dir, name) }
	for _, args := range [][]string{
		{"offsets", "--index", "0", "--out", out("a.png")},
		{"offsets", "--image", photo, "--whole", "--object", "40", "--out", out("b.png")},
		{"offsets", "--image", photo, "--box", "5,5,40,40", "--out", out("c.png")},
		{"offsets", "--image", photo, "--box", "5,5,40,40", "--zoom", "photo", "--out", out("c2.png")},
		{"heatmap", "--index", "0", "--out", out("d.png")},
		{"heatmap", "--image", photo, "--box", "5,5,40,40", "--out", out("e.png")},
		{"replay", "--image", photo, "--box", "5,5,40,40", "--out", out("f.gif")},
		{"replay", "--image", photo, "--whole", "--object", "40", "--what", "heatmap", "--out", out("g.gif")},
	} {
		code, stdout, errs := dcn(t, append([]string{args[0], "--run", dir}, args[1:]...)...)
		if code != 0 || !strings.Contains(stdout, "dcnn-middle (the run's first deformable model") {
			t.Errorf("%v exited %d: %s%s", args, code, stdout, errs)
		}
	}
	if code, _, errs := dcn(t, "offsets", "--run", dir, "--image", photo, "--box", "5,5,40,40", "--zoom", "far", "--out", out("z.png")); code == 0 || !strings.Contains(errs, "unit, photo or crop") {
		t.Errorf("--zoom far exited %d: %s", code, errs)
	}
	// The paper's three panels from the run's photos.
	if code, stdout, errs := dcn(t, "figure", "--run", dir, "--out", out("fig.png")); code != 0 ||
		!strings.Contains(stdout, "small object") || !strings.Contains(stdout, "background") {
		t.Errorf("figure on a COCO run exited %d: %s%s", code, stdout, errs)
	} else if img := decodePNG(t, out("fig.png")); img.Bounds().Dx() < 3*420 {
		t.Errorf("figure is %v: want three panels", img.Bounds())
	}
	if code, stdout, errs := dcn(t, "dilation", "--run", dir, "--table", "--limit", "4"); code != 0 ||
		!strings.Contains(stdout, "small objects") || !strings.Contains(stdout, "background") || !strings.Contains(stdout, "dcnn-middle") ||
		!strings.Contains(stdout, " ± ") {
		t.Errorf("dilation --table exited %d: %s%s", code, stdout, errs)
	}
	code, stdout, errs := dcn(t, "offsets", "--run", dir, "--image", photo, "--box", "5,5,40,40", "--json")
	if code != 0 {
		t.Fatalf("offsets --json exited %d: %s", code, errs)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("offsets --json printed %q: %v", stdout, err)
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"dilation", "epoch", "layer", "layer_offset_px", "learned", "model", "offset_px", "points", "unit"}
	if !slices.Equal(keys, want) {
		t.Errorf("offsets --json keys %v, want %v", keys, want)
	}
	var v struct {
		Model    string       `json:"model"`
		Points   [][2]float64 `json:"points"`
		OffsetPx struct {
			Mean, Max float64
		} `json:"offset_px"`
		Layer struct{ Mean float64 } `json:"layer_offset_px"`
	}
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatal(err)
	}
	if v.Model != "dcnn-middle" || len(v.Points) != 81 || v.OffsetPx.Max < v.OffsetPx.Mean {
		t.Errorf("offsets --json: %+v", v)
	}
	for _, p := range v.Points {
		if p[0] < -40 || p[0] > 90 || p[1] < -40 || p[1] > 90 {
			t.Errorf("point %v is not in the photo's pixels near the box 5,5,40,40", p)
			break
		}
	}
}

func TestFigure(t *testing.T) {
	dir := tinyMNISTRun(t)
	out := filepath.Join(dir, "fig.png")
	if code, _, errs := dcn(t, "figure", "--run", dir, "--index", "2", "--out", out); code != 0 {
		t.Fatalf("figure exited %d: %s", code, errs)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 3*448 || b.Dy() < 2*448 {
		t.Errorf("figure is %v: want three panels in two rows", b)
	}
	if code, _, errs := dcn(t, "figure", "--run", dir, "--small", "0", "--out", out); code == 0 || !strings.Contains(errs, "scale 0") {
		t.Errorf("--small 3 exited %d: %s", code, errs)
	}
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestFlatRunSaysNothingLearned: a COCO run whose offsets stay at zero (the
// course study's SGD at a tiny rate, one epoch) reports "learned": false, and its
// pictures are drawn.
func TestFlatRunSaysNothingLearned(t *testing.T) {
	ann, images := cocoFixture(t)
	dir := filepath.Join(t.TempDir(), "flat")
	if code, _, errs := dcn(t, "train", "--data", "coco", "--coco-ann", ann, "--coco-images", images, "--model", "both",
		"--epochs", "1", "--batch", "4", "--crop-size", "32", "--top", "2", "--opt", "sgd", "--lr", "1e-9", "--out", dir); code != 0 {
		t.Fatalf("train exited %d\n%s", code, errs)
	}
	photo := filepath.Join(images, "000.jpg")
	code, stdout, errs := dcn(t, "offsets", "--run", dir, "--image", photo, "--box", "5,5,40,40", "--json")
	if code != 0 {
		t.Fatalf("offsets --json exited %d: %s", code, errs)
	}
	var v struct {
		Learned  bool                  `json:"learned"`
		OffsetPx struct{ Max float64 } `json:"offset_px"`
	}
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatal(err)
	}
	if v.Learned || v.OffsetPx.Max >= 0.05 {
		t.Errorf("a run that learned nothing: %s", stdout)
	}
	for _, cmd := range []string{"offsets", "heatmap"} {
		out := filepath.Join(dir, cmd+".png")
		if code, _, errs := dcn(t, cmd, "--run", dir, "--image", photo, "--box", "5,5,40,40", "--out", out); code != 0 {
			t.Errorf("%s exited %d: %s", cmd, code, errs)
			continue
		}
		// The words "offsets ≈ 0 …" are written over the picture in the
		// banner's dark red (viz's bannerText).
		img, n := decodePNG(t, out), 0
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if r, g, bl, _ := img.At(x, y).RGBA(); r>>8 == 0xb0 && g>>8 == 0x1c && bl>>8 == 0x1c {
					n++
				}
			}
		}
		if n == 0 {
			t.Errorf("%s of a run that learned nothing does not say so on the picture", cmd)
		}
	}
}
