package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/data"
	"github.com/deformscope/deformscope/model/metrics"
)

func dcn(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func needMNIST(t *testing.T) {
	t.Helper()
	if _, err := data.FindMNIST(); err != nil {
		t.Skipf("MNIST is not available: %v", err)
	}
}

func TestTrainEvalResume(t *testing.T) {
	needMNIST(t)
	dir := filepath.Join(t.TempDir(), "run")
	code, out, errs := dcn(t, "train", "--model", "both", "--epochs", "1", "--limit", "128", "--val", "64",
		"--test-limit", "64", "--scales", "0.7,1.3", "--batch", "32", "--out", dir)
	if code != 0 {
		t.Fatalf("train exited %d\n%s", code, errs)
	}
	if !strings.Contains(out, dir) || !strings.Contains(errs, "cnn epoch 1: train loss") || !strings.Contains(errs, "dcnn epoch 1:") {
		t.Errorf("train output:\nstdout %s\nstderr %s", out, errs)
	}
	code, out, errs = dcn(t, "eval", "--run", dir, "--json")
	if code != 0 {
		t.Fatalf("eval exited %d: %s", code, errs)
	}
	var res []evalResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("eval --json printed %q: %v", out, err)
	}
	if len(res) != 2 || res[0].Model != "cnn" || res[1].Model != "dcnn" || len(res[1].Scaled) != 2 || res[0].Epoch != 1 {
		t.Errorf("eval result %+v", res)
	}
	// The run is complete: resuming trains nothing more and succeeds.
	if code, _, errs = dcn(t, "train", "--resume", dir); code != 0 || !strings.Contains(errs, "resuming after epoch 1 of 1") {
		t.Errorf("resume exited %d: %s", code, errs)
	}
	// A second run into the same folder is refused with a hint.
	if code, _, errs = dcn(t, "train", "--epochs", "1", "--limit", "64", "--out", dir); code != 1 || !strings.Contains(errs, "--resume") {
		t.Errorf("train over a run exited %d: %s", code, errs)
	}
}

func TestCLIErrors(t *testing.T) {
	empty := t.TempDir()
	badMNIST := t.TempDir()
	os.WriteFile(filepath.Join(badMNIST, "train-images-idx3-ubyte"), []byte("nonsense"), 0o644)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no command", nil, 2, "Commands:"},
		{"unknown command", []string{"fly"}, 2, `unknown command "fly"`},
		{"bad flag", []string{"train", "--epochz", "3"}, 2, "epochz"},
		{"bad model", []string{"train", "--model", "resnet", "--out", filepath.Join(empty, "x")}, 1, "cnn, dcnn, both or all"},
		{"bad optimiser", []string{"train", "--opt", "lbfgs", "--out", filepath.Join(empty, "y")}, 1, "adam or sgd"},
		{"bad scales", []string{"train", "--scales", "1.5:0.5:0.1", "--out", filepath.Join(empty, "z")}, 1, "--scales"},
		{"not a run folder", []string{"eval", "--run", empty}, 1, "not a run folder"},
		{"eval without run", []string{"eval"}, 1, "--run is required"},
		{"bad mnist folder", []string{"train", "--mnist-dir", badMNIST, "--out", filepath.Join(empty, "w")}, 1, "found neither train-labels-idx1-ubyte"},
		{"reproduce what", []string{"reproduce", "cifar"}, 2, "usage: dcn reproduce mnist"},
		{"bad deform set", []string{"train", "--deform", "conv4,conv9", "--out", filepath.Join(empty, "u")}, 1, `unknown deformable layer "conv9"`},
		{"mnist placement", []string{"train", "--deform", "first", "--out", filepath.Join(empty, "s")}, 1, `unknown deformable layer "first"`},
		{"bad scale mode", []string{"train", "--scale-mode", "nearest", "--out", filepath.Join(empty, "v")}, 1, "--scale-mode"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := dcn(t, c.args...)
			if code != c.code || !strings.Contains(out+errs, c.want) {
				t.Errorf("exit %d (want %d), output %q does not contain %q", code, c.code, out+errs, c.want)
			}
		})
	}
	// Failed runs leave no run folder behind (the bad MNIST folder got as
	// far as writing its config).
	if left, _ := os.ReadDir(empty); len(left) > 0 {
		t.Errorf("failed runs left %d entries in the output folder, first %s", len(left), left[0].Name())
	}
}

func TestResultsTable(t *testing.T) {
	needMNIST(t)
	dir := filepath.Join(t.TempDir(), "seed")
	code, out, errs := dcn(t, "reproduce", "mnist", "--out", dir, "--epochs", "2", "--limit", "96", "--test-limit", "32")
	if code != 0 {
		t.Fatalf("reproduce exited %d: %s", code, errs)
	}
	b, err := os.ReadFile(filepath.Join(dir, "results.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| cnn (mnist-cnn) |", "| dcnn (mnist-dcnn) |", "90.03%", "92.90%", "2 epochs, adam lr 0.001, StepLR γ 0.7", "seed transform"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("results.md lacks %q:\n%s", want, b)
		}
	}
	if !strings.Contains(out, "results.md") {
		t.Errorf("stdout: %s", out)
	}
}

func TestOffsetsAndHeatmap(t *testing.T) {
	needMNIST(t)
	dir := filepath.Join(t.TempDir(), "run")
	if code, _, errs := dcn(t, "train", "--epochs", "1", "--limit", "64", "--val", "0", "--test-limit", "16",
		"--scales", "", "--batch", "32", "--out", dir); code != 0 {
		t.Fatalf("train: %s", errs)
	}
	off := filepath.Join(t.TempDir(), "off.png")
	code, out, errs := dcn(t, "offsets", "--run", dir, "--index", "3", "--unit", "1,5", "--out", off)
	if code != 0 || !strings.Contains(out, "conv5 of dcnn, unit (1, 5), epoch 1, 81 sampling points") {
		t.Fatalf("offsets exited %d: %s%s", code, out, errs)
	}
	heat := filepath.Join(t.TempDir(), "heat.png")
	if code, out, errs = dcn(t, "heatmap", "--run", dir, "--index", "3", "--layer", "conv4", "--out", heat); code != 0 {
		t.Fatalf("heatmap exited %d: %s%s", code, out, errs)
	}
	heatmapNpyRun(t, dir, 3, "conv4")
	for _, p := range []string{off, heat} {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() < 448 {
			t.Errorf("%s: %v, size %v", p, err, img.Bounds())
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"offsets", "--run", dir, "--index", "3", "--unit", "9,9", "--out", off}, "outside conv5's 7×7 output"},
		{[]string{"offsets", "--run", dir, "--index", "3", "--layer", "conv2", "--out", off}, "not a deformable layer"},
		{[]string{"offsets", "--run", dir, "--index", "3", "--model", "cnn", "--out", off}, "no deformable layers"},
		{[]string{"offsets", "--run", dir, "--index", "99999", "--out", off}, "test image 99999 does not exist"},
		{[]string{"offsets", "--run", dir, "--index", "1", "--epoch", "4", "--out", off}, "no checkpoint of dcnn after epoch 4"},
		{[]string{"offsets", "--run", dir, "--image", filepath.Join(dir, "config.json"), "--out", off}, "not a JPEG or PNG image"},
		{[]string{"heatmap", "--run", dir, "--out", off}, "exactly one of --image FILE and --index N"},
		{[]string{"offsets", "--run", dir, "--index", "1", "--unit", "3;4", "--out", off}, "want Y,X"},
	} {
		if code, out, errs := dcn(t, c.args...); code != 1 || !strings.Contains(out+errs, c.want) {
			t.Errorf("%v: exit %d, %q, want %q", c.args, code, out+errs, c.want)
		}
	}
}

func coco128(t *testing.T) (ann, images string) {
	t.Helper()
	root := filepath.Join("..", "..", "..", "shared", "coco128")
	if d := os.Getenv("DEFORMSCOPE_COCO128"); d != "" {
		root = d
	}
	ann = filepath.Join(root, "annotations", "instances_train2017.json")
	if _, err := os.Stat(ann); err != nil {
		t.Skipf("coco128 is not available (%v)", err)
	}
	return ann, filepath.Join(root, "images", "train2017")
}

func TestReproduceCOCOSmall(t *testing.T) {
	ann, images := coco128(t)
	dir := filepath.Join(t.TempDir(), "coco")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	code, out, errs := dcn(t, "reproduce", "coco", "--coco-ann", ann, "--coco-images", images, "--out", dir,
		"--epochs", "1", "--crop-size", "16", "--top", "3", "--max-per-class", "20")
	if code != 0 {
		t.Fatalf("reproduce coco exited %d: %s", code, errs)
	}
	for _, want := range []string{"| SGD (momentum 0.9) | dcnn-first |", "| Adam | dcnn-last |", "16×16 crops",
		"top 3 categories (at most 20 training crops each)", "| CNN test acc | 57.84% |", "| first: max train / max test acc | 46.00% / 44.63% |"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errs, "crops kept") {
		t.Errorf("no loader report on stderr:\n%s", errs)
	}
	// Stopped during the SGD run, the Adam run was never made: --resume
	// makes it and trains it.
	if err := os.RemoveAll(filepath.Join(dir, "adam")); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := dcn(t, "reproduce", "coco", "--resume", "--out", dir); code != 0 || !strings.Contains(out, "| Adam | dcnn-last |") {
		t.Fatalf("resume without the Adam run: exit %d: %s%s", code, out, errs)
	}
	// The study is one job: the command that started it, run again after a stop, continues it
	// (here: the Adam run, made again, and nothing more for the finished SGD run); with other
	// settings it is refused.
	if err := os.RemoveAll(filepath.Join(dir, "adam")); err != nil {
		t.Fatal(err)
	}
	same := []string{"reproduce", "coco", "--coco-ann", ann, "--coco-images", images, "--out", dir,
		"--epochs", "1", "--crop-size", "16", "--top", "3", "--max-per-class", "20"}
	code, out, errs = dcn(t, same...)
	if code != 0 || !strings.Contains(out, "| Adam | dcnn-last |") || !strings.Contains(out, "| SGD (momentum 0.9) | cnn |") ||
		!strings.Contains(errs, "resuming after epoch 1 of 1") {
		t.Fatalf("the same command again: exit %d: %s%s", code, out, errs)
	}
	other := append(slices.Clone(same[:len(same)-2]), "--max-per-class", "30")
	if code, _, errs := dcn(t, other...); code != 1 || !strings.Contains(errs, "coco.max_per_class: 20, now 30") {
		t.Errorf("the study with other settings: exit %d: %s", code, errs)
	}
	// Sampling points of a COCO run: a test crop, and a whole COCO image.
	for _, args := range [][]string{{"--index", "0"}, {"--image", filepath.Join(images, "000000000009.jpg"), "--whole"}} {
		args = append([]string{"offsets", "--run", filepath.Join(dir, "adam"), "--model", "dcnn-first",
			"--out", filepath.Join(t.TempDir(), "x.png")}, args...)
		if code, out, errs := dcn(t, args...); code != 0 || !strings.Contains(out, "conv2 of dcnn-first") {
			t.Errorf("%v: exit %d: %s%s", args, code, out, errs)
		}
	}
}

// TestOldRunEvaluatesAsBefore checks that a run folder written before the scale mode existed (its
// config.json has no scale_mode) still opens and evaluates with the transform it was trained and
// tested with, the bilinear one, and gives the Scaled-MNIST figures recorded in its metrics; and
// that the course study's transform is the default of a new run and can be asked for in eval.
func TestOldRunEvaluatesAsBefore(t *testing.T) {
	needMNIST(t)
	dir := filepath.Join(t.TempDir(), "old")
	code, _, errs := dcn(t, "train", "--model", "cnn", "--epochs", "1", "--limit", "128", "--val", "0",
		"--test-limit", "200", "--scales", "0.5,0.7,1.3", "--batch", "32", "--scale-mode", "bilinear", "--out", dir)
	if code != 0 {
		t.Fatalf("train exited %d\n%s", code, errs)
	}
	// Make it an old run folder: drop the field, as the config was written before it existed.
	cfgPath := filepath.Join(dir, "config.json")
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg["scale_mode"] != "bilinear" {
		t.Fatalf("config.json scale_mode = %v, want bilinear", cfg["scale_mode"])
	}
	delete(cfg, "scale_mode")
	if raw, err = json.Marshal(cfg); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Scaled []struct {
			Scale float64 `json:"scale"`
			Acc   float64 `json:"acc"`
		} `json:"scaled"`
	}
	metrics, err := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(bytes.TrimSpace(metrics), &rec); err != nil || len(rec.Scaled) != 3 {
		t.Fatalf("metrics.jsonl %s: %v", metrics, err)
	}
	eval := func(args ...string) []evalResult {
		t.Helper()
		code, out, errs := dcn(t, append([]string{"eval", "--run", dir, "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("eval %v exited %d: %s", args, code, errs)
		}
		var res []evalResult
		if err := json.Unmarshal([]byte(out), &res); err != nil || len(res) != 1 || len(res[0].Scaled) != 3 {
			t.Fatalf("eval %v printed %q: %v", args, out, err)
		}
		return res
	}
	old := eval()
	for i, sa := range old[0].Scaled {
		if float64(sa.Acc) != rec.Scaled[i].Acc {
			t.Errorf("old run, scale %v: eval gives %v, the run recorded %v", sa.Scale, sa.Acc, rec.Scaled[i].Acc)
		}
	}
	// The course study's transform, asked for: at 0.5 its grey border and nearest sampling change
	// the images, so some accuracy should move; at least the command runs and gives three figures.
	seed := eval("--scale-mode", "seed")
	if len(seed[0].Scaled) != 3 {
		t.Errorf("eval --scale-mode seed: %+v", seed)
	}
	if code, _, errs := dcn(t, "eval", "--run", dir, "--scale-mode", "nearest"); code != 1 || !strings.Contains(errs, "--scale-mode") {
		t.Errorf("eval --scale-mode nearest exited %d: %s", code, errs)
	}
	// A new run names the course study's transform by default.
	dir2 := filepath.Join(t.TempDir(), "new")
	if code, _, errs := dcn(t, "train", "--model", "cnn", "--epochs", "1", "--limit", "64", "--val", "0",
		"--test-limit", "32", "--scales", "0.5", "--out", dir2); code != 0 {
		t.Fatalf("train exited %d\n%s", code, errs)
	}
	if raw, err := os.ReadFile(filepath.Join(dir2, "config.json")); err != nil || !strings.Contains(string(raw), `"scale_mode": "seed"`) {
		t.Errorf("new run's config.json lacks scale_mode seed: %s %v", raw, err)
	}
}

func TestModelListDeformSets(t *testing.T) {
	for _, c := range []struct {
		data, model, deform string
		want                []string
	}{
		{"mnist", "both", "", []string{"cnn", "dcnn"}},
		{"mnist", "both", "conv4,conv5", []string{"cnn", "dcnn"}},
		{"mnist", "both", "conv2,conv3;conv4,conv5", []string{"cnn", "dcnn-conv2+conv3", "dcnn"}},
		{"mnist", "dcnn", "conv3", []string{"dcnn-conv3"}},
		{"coco", "both", "", []string{"cnn", "dcnn-middle"}},
		{"coco", "dcnn", "first;conv4,conv5", []string{"dcnn-first", "dcnn-conv4+conv5"}},
		{"coco", "all", "", []string{"cnn", "dcnn-first", "dcnn-middle", "dcnn-last"}},
	} {
		got, err := modelList(c.data, c.model, c.deform)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("modelList(%s, %s, %q) = %v, %v; want %v", c.data, c.model, c.deform, got, err, c.want)
		}
	}
}

// TestCOCOStudyTable checks that each of our figures lands next to the course study's: the last
// epoch's test accuracy, and the max over the epochs of train and test accuracy per placement.
func TestCOCOStudyTable(t *testing.T) {
	rec := func(m string, ep int, tr, te float64) metrics.Epoch {
		return metrics.Epoch{Model: m, Epoch: ep, TrainAcc: metrics.Num(tr), TestAcc: metrics.Num(te)}
	}
	recs := []metrics.Epoch{
		rec("cnn", 1, 40, 50), rec("cnn", 2, 45, 48),
		rec("dcnn-middle", 1, 52, 60), rec("dcnn-middle", 2, 51, 55),
		rec("dcnn-last", 1, 30, 20), rec("dcnn-last", 2, 35, 25),
	}
	got := cocoStudyTable([]optRun{{"SGD", recs}})
	for _, want := range []string{
		"| CNN test acc | 57.84% | 48.00% |",
		"| DCNN test acc (seed: placement not stated; ours: middle) | 65.89% | 55.00% |",
		"| first: max train / max test acc | 46.00% / 44.63% | – / – |",
		"| middle: max train / max test acc | 55.25% / 53.65% | 52.00% / 60.00% |",
		"| last: max train / max test acc | 61.06% / 54.62% | 35.00% / 25.00% |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
}
