package main

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/internal/npy"
	"github.com/deformscope/deformscope/model/inspect"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/torchfile"
)

// checkFieldNpy checks that heatmap --npy wrote field to path (and its
// mask beside it) as numpy reads them: float32, torchvision's layout for a
// batch of one, every value equal.
func checkFieldNpy(t *testing.T, path string, field *metrics.Field) {
	t.Helper()
	k := len(field.Offset) / (2 * field.Ho * field.Wo)
	want := []struct {
		file   string
		shape  []int
		values []float64
	}{{path, []int{1, 2 * k, field.Ho, field.Wo}, field.Offset}}
	if field.Mask != nil {
		want = append(want, struct {
			file   string
			shape  []int
			values []float64
		}{strings.TrimSuffix(path, ".npy") + "_mask.npy", []int{1, k, field.Ho, field.Wo}, field.Mask})
	}
	for _, w := range want {
		a, err := npy.ReadFile(w.file)
		if err != nil {
			t.Fatal(err)
		}
		f32 := make([]float32, len(w.values))
		for i, v := range w.values {
			f32[i] = float32(v)
		}
		if !slices.Equal(a.Shape, w.shape) || !reflect.DeepEqual(a.Data, f32) {
			t.Errorf("%s holds %T %v, want float32 %v equal to the field", w.file, a.Data, a.Shape, w.shape)
		}
	}
}

func TestHeatmapNpyCapture(t *testing.T) {
	c, err := torchfile.ReadCapture(groupCapture)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, layer := range []string{"0", "1"} {
		at, err := c.Layer(layer)
		if err != nil {
			t.Fatal(err)
		}
		l := c.Layers[at]
		path := filepath.Join(dir, "layer"+layer+".npy")
		code, out, errs := dcn(t, "heatmap", "--capture", groupCapture, "--layer", layer, "--out", filepath.Join(dir, "h.png"), "--npy", path)
		if code != 0 {
			t.Fatalf("heatmap --npy exited %d: %s", code, errs)
		}
		if !strings.Contains(out, "wrote "+path+": "+l.Name+"'s offsets, float32 1×") {
			t.Errorf("stdout %q does not say what %s holds", out, path)
		}
		checkFieldNpy(t, path, l.Field)
	}
}

func TestHeatmapNpyRefuses(t *testing.T) {
	dir := t.TempDir()
	png, bad := filepath.Join(dir, "h.png"), filepath.Join(dir, "field.csv")
	code, _, errs := dcn(t, "heatmap", "--capture", groupCapture, "--out", png, "--npy", bad)
	if code != 1 || !strings.Contains(errs, `--npy "`+bad+`": want a file name ending in .npy`) {
		t.Errorf("--npy field.csv exited %d: %s", code, errs)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("a refused --npy left %v", left)
	}
}

// heatmapNpyRun checks heatmap --npy on a run: the files hold the field
// the engine computes for the same test image and layer.
func heatmapNpyRun(t *testing.T, dir string, index int, layer string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "field.npy")
	code, _, errs := dcn(t, "heatmap", "--run", dir, "--index", strconv.Itoa(index), "--layer", layer, "--out", filepath.Join(t.TempDir(), "h.png"), "--npy", path)
	if code != 0 {
		t.Fatalf("heatmap --npy exited %d: %s", code, errs)
	}
	run, err := rundir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	net, _, err := run.LoadModel("dcnn", 0)
	if err != nil {
		t.Fatal(err)
	}
	in, _, err := inspect.TestImage(run.Config, index)
	if err != nil {
		t.Fatal(err)
	}
	fields, _, err := inspect.Sampling(t.Context(), net, in)
	if err != nil {
		t.Fatal(err)
	}
	checkFieldNpy(t, path, fields[layer])
}
