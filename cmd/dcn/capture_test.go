package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// groupCapture is a DCNv3 capture with 4 offset groups: layer "0" plain,
// layer "1" with remove_center (capture_families.py --fixture wrote it).
var groupCapture = filepath.Join(torchData, "dcnv3_g4.safetensors")

// TestCaptureFamilies runs capture_families.py, which builds small
// torchvision, mmcv, DCNv3 and DCNv4 models from their documented formulas,
// checks in PyTorch that capture leaves their output alone and that
// torchvision's deform_conv2d fed the captured offsets reproduces every
// layer, and computes sampling points from each module's own rule; dcn
// offsets --capture --json must give the same points (within 1e-4), at
// depth 1 to 3, strides 1 and 2, groups 1 and 4, one group and all. It
// runs when /usr/bin/python3 has torch and torchvision.
func TestCaptureFamilies(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import torch, torchvision").Run(); err != nil {
		t.Skipf("%s lacks torch/torchvision (apt-get install python3-torch python3-torchvision): %v", py, err)
	}
	dir := t.TempDir()
	start := time.Now()
	cmd := exec.Command(py, filepath.Join(torchData, "capture_families.py"), dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("capture_families.py failed: %v\n%s", err, out)
	}
	t.Logf("PyTorch took %v", time.Since(start))
	b, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Proofs map[string][]struct {
			Layer string  `json:"layer"`
			Diff  float64 `json:"diff"`
		} `json:"proofs"`
		Cases []struct {
			File   string      `json:"file"`
			Layer  string      `json:"layer"`
			Unit   [2]int      `json:"unit"`
			Depth  int         `json:"depth"`
			Group  string      `json:"group"`
			Points [][]float64 `json:"points"`
		} `json:"cases"`
		NoDeformable string   `json:"no_deformable_error"`
		Warnings     []string `json:"warnings"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	for _, fam := range []string{"torchvision", "mmcv", "dcnv3", "dcnv4"} {
		for _, g := range []string{"-g1", "-g4"} {
			p := ref.Proofs[fam+g]
			if len(p) < 3 {
				t.Fatalf("%s%s: %d layers proved, want at least 3", fam, g, len(p))
			}
			for _, l := range p {
				if !(l.Diff <= 1e-4) {
					t.Errorf("%s%s %s: torchvision with the captured offsets differs by %.3g", fam, g, l.Layer, l.Diff)
				}
			}
		}
	}
	if !strings.Contains(ref.NoDeformable, "called no deformable convolution") {
		t.Errorf("a model without deformable layers gave %q", ref.NoDeformable)
	}
	if len(ref.Warnings) != 1 || !strings.Contains(ref.Warnings[0], "MyDeformThing") {
		t.Errorf("an unknown deformable-looking module gave the warnings %q", ref.Warnings)
	}
	if len(ref.Cases) < 100 {
		t.Fatalf("only %d reference cases", len(ref.Cases))
	}
	seen := map[string]bool{}
	for _, c := range ref.Cases {
		code, out, errs := dcn(t, "offsets", "--capture", c.File, "--layer", c.Layer, "--unit",
			strconv.Itoa(c.Unit[0])+","+strconv.Itoa(c.Unit[1]), "--depth", strconv.Itoa(c.Depth), "--group", c.Group,
			"--space", "map", "--json")
		if code != 0 {
			t.Fatalf("offsets exited %d: %s", code, errs)
		}
		var got capturePoints
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		what := filepath.Base(c.File) + " " + c.Layer
		if len(got.Points) != len(c.Points) {
			t.Fatalf("%s %v depth %d group %s: %d points, the module's own rule gives %d", what, c.Unit, c.Depth, c.Group, len(got.Points), len(c.Points))
		}
		worst := 0.0
		for i, p := range got.Points {
			worst = max(worst, math.Abs(p[0]-c.Points[i][0]), math.Abs(p[1]-c.Points[i][1]), math.Abs(got.Weights[i]-c.Points[i][2]))
		}
		if worst > 1e-4 {
			t.Errorf("%s %v depth %d group %s: points differ from the module's own by %.3g", what, c.Unit, c.Depth, c.Group, worst)
		}
		seen[got.Family+"/"+strconv.Itoa(got.Groups)+"/"+strconv.Itoa(c.Depth)] = true
	}
	for _, fam := range []string{"torchvision", "mmcv", "dcnv3", "dcnv4"} {
		for _, k := range []string{"/1/1", "/1/3", "/4/1", "/4/3"} {
			if !seen[fam+k] {
				t.Errorf("no case of %s%s (family/groups/depth)", fam, k)
			}
		}
	}
}

// TestOffsetsCaptureGroups checks that a layer with 4 offset groups gives
// G·K points at depth 1 for --group all and K for one group, less a removed
// centre, and that a group out of range is refused.
func TestOffsetsCaptureGroups(t *testing.T) {
	for _, c := range []struct {
		layer, group string
		depth, want  int
	}{
		{"0", "all", 1, 36},
		{"0", "3", 1, 9},
		{"1", "all", 1, 32},
		{"1", "0", 1, 8},
		{"1", "all", 2, 32 * 36},
		{"1", "2", 2, 8 * 36}, // one group at layer 1, every group of layer 0 below
	} {
		code, out, errs := dcn(t, "offsets", "--capture", groupCapture, "--layer", c.layer, "--group", c.group,
			"--depth", strconv.Itoa(c.depth), "--json")
		if code != 0 {
			t.Fatalf("%+v: exited %d: %s", c, code, errs)
		}
		var got capturePoints
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Points) != c.want || got.Family != "dcnv3" || got.Groups != 4 || got.Group != c.group {
			t.Errorf("%+v: %d points of %s with %d groups (group %s), want %d", c, len(got.Points), got.Family, got.Groups, got.Group, c.want)
		}
	}
	if code, _, errs := dcn(t, "offsets", "--run", "x", "--group", "1"); code != 1 || !strings.Contains(errs, "goes with --capture") {
		t.Errorf("--group without --capture exited %d: %s", code, errs)
	}
	for _, bad := range []string{"4", "-1", "x", ""} {
		code, _, errs := dcn(t, "offsets", "--capture", groupCapture, "--group", bad, "--json")
		if code != 1 || !strings.Contains(errs, "group") {
			t.Errorf("--group %q exited %d: %s", bad, code, errs)
		}
	}
}

// TestHeatmapCaptureFlags checks that heatmap --capture refuses bad --show,
// --vmax, --group and --tap values and that good ones change the picture
// (issue 26: they were ignored and every value gave the same PNG, exit 0).
func TestHeatmapCaptureFlags(t *testing.T) {
	dir := t.TempDir()
	heat := func(args ...string) (int, []byte, string) {
		out := filepath.Join(dir, "h.png")
		os.Remove(out)
		code, _, errs := dcn(t, append([]string{"heatmap", "--capture", groupCapture, "--layer", "0", "--out", out}, args...)...)
		b, _ := os.ReadFile(out)
		return code, b, errs
	}
	for _, bad := range [][]string{
		{"--show", "bogus"}, {"--show", ""},
		{"--vmax", "nan"}, {"--vmax", "abc"}, {"--vmax", "-1"}, {"--vmax", "0"}, {"--vmax", "bogus"}, {"--vmax", "inf"},
		{"--vmax", "clamp"},
		{"--group", "4"}, {"--group", "all", "--tap", "2"}, {"--group", "1", "--tap", "9"},
	} {
		code, b, errs := heat(bad...)
		if code != 1 || errs == "" || b != nil {
			t.Errorf("%v: exited %d, wrote %d bytes: %s", bad, code, len(b), errs)
		}
	}
	pngs := map[string][]byte{}
	for _, good := range [][]string{
		{}, {"--show", "offset"}, {"--show", "mask"}, {"--vmax", "0.05"}, {"--vmax", "20"}, {"--vmax", "max"},
		{"--group", "0"}, {"--group", "3"}, {"--group", "1", "--tap", "4"},
	} {
		code, b, errs := heat(good...)
		if code != 0 || len(b) == 0 {
			t.Fatalf("%v: exited %d: %s", good, code, errs)
		}
		key := strings.Join(good, " ")
		for k, other := range pngs {
			if bytes.Equal(b, other) {
				t.Errorf("%q and %q give the same picture", key, k)
			}
		}
		pngs[key] = b
	}
}
