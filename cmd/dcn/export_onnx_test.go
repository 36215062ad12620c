package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/nn"
	"github.com/deformscope/deformscope/model/onnx"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/runner"
)

// onnxRun makes a run folder holding one model of data ("mnist" or "coco")
// with PyTorch's initialisation and offset convolutions away from zero.
func onnxRun(t *testing.T, dir, data, name string, v1 bool) *rundir.Run {
	t.Helper()
	rc := experiment.StudyProtocol()
	rc.Models, rc.DCNv1, rc.Imported = []string{name}, v1, "test"
	if data == "coco" {
		rc.Data, rc.Scales = "coco", nil
		rc.COCO = experiment.DefaultCOCO("", "")
		rc.COCO.Size, rc.COCO.TopK = 16, 7
	}
	net, err := experiment.NewNet(rc, name)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(4, 5))
	for _, p := range net.Params() {
		if strings.Contains(p.Name, ".offset.") || strings.Contains(p.Name, ".modulator.") {
			for i := range p.Value.Data() {
				p.Value.Data()[i] += float32(rng.NormFloat64() * 0.2)
			}
		}
	}
	run, err := runner.ImportRun(dir, rc, name, net)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// TestExportONNX exports runs of both data sets, a placement, a custom set
// and DCNv1 with dcn export --format onnx, checks that each file holds what
// the writer makes of the run's checkpoint, and, when node and
// onnxruntime-node are installed (bash .ci/deps), that ONNX Runtime's
// logits for the exported file equal the run's within 1e-4.
func TestExportONNX(t *testing.T) {
	root := t.TempDir()
	type job struct {
		Model string `json:"model"`
		Input string `json:"input"`
		Shape []int  `json:"shape"`
	}
	var jobs []job
	want := map[string][]float32{}
	for _, tc := range []struct {
		data, model string
		v1          bool
	}{
		{"mnist", "dcnn", false},
		{"mnist", "dcnn-conv1+conv3", true},
		{"coco", "dcnn-middle", false},
		{"coco", "cnn", false},
	} {
		tag := tc.data + "-" + tc.model
		run := onnxRun(t, filepath.Join(root, tag), tc.data, tc.model, tc.v1)
		out := filepath.Join(root, tag+".onnx")
		code, stdout, errs := dcn(t, "export", "--run", run.Dir, "--format", "onnx", "--out", out)
		if code != 0 {
			t.Fatalf("%s: export exited %d: %s", tag, code, errs)
		}
		if !strings.Contains(stdout, "wrote "+tc.model) || !strings.Contains(stdout, out) {
			t.Errorf("%s: stdout %q", tag, stdout)
		}
		net, ep, err := run.LoadModel(tc.model, 0)
		if err != nil {
			t.Fatal(err)
		}
		b, err := onnx.Encode(net, onnx.Info{Run: run.Dir, Model: tc.model, Epoch: ep})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(out); !bytes.Equal(got, b) {
			t.Errorf("%s: the file differs from the writer's model of the run's checkpoint", tag)
		}
		x := nn.New[float32](2, net.InC, net.InH, net.InW)
		raw := make([]byte, 4*x.Len())
		rng := rand.New(rand.NewPCG(9, uint64(len(jobs))))
		for i := range x.Data() {
			x.Data()[i] = float32(rng.NormFloat64())
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x.Data()[i]))
		}
		y, err := net.Forward(x, false)
		if err != nil {
			t.Fatal(err)
		}
		want[out] = append([]float32(nil), y.Data()...)
		in := filepath.Join(root, tag+".f32")
		if err := os.WriteFile(in, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, job{out, in, x.Shape()})
	}
	node, err := exec.LookPath("node")
	mods, _ := filepath.Abs("../../.ci/ort/node_modules")
	if d := os.Getenv("DEFORMSCOPE_ORT_MODULES"); d != "" {
		mods = d
	}
	if err != nil {
		t.Skip("node is not installed (bash .ci/deps installs it): skipping ONNX Runtime")
	}
	if _, err := os.Stat(filepath.Join(mods, "onnxruntime-node")); err != nil {
		t.Skipf("onnxruntime-node is not in %s (bash .ci/deps installs it): skipping ONNX Runtime", mods)
	}
	jb, _ := json.Marshal(jobs)
	jpath := filepath.Join(root, "jobs.json")
	if err := os.WriteFile(jpath, jb, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "../../model/onnx/testdata/ort_logits.js", jpath)
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ONNX Runtime failed: %v\n%s", err, stderr.String())
	}
	var got map[string][]float64
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for path, w := range want {
		if len(got[path]) != len(w) {
			t.Fatalf("%s: ONNX Runtime gave %d logits, we %d", path, len(got[path]), len(w))
		}
		if d := maxDiff(w, got[path]); d > 1e-4 {
			t.Errorf("%s: ONNX Runtime's logits differ from the run's by %.3g", filepath.Base(path), d)
		}
	}
}

// TestExportONNXRefuses checks dcn export --format onnx's errors: each
// names the fault, and nothing is written.
func TestExportONNXRefuses(t *testing.T) {
	root := t.TempDir()
	run := onnxRun(t, filepath.Join(root, "run"), "mnist", "dcnn", false)
	existing := filepath.Join(root, "model.onnx")
	if err := os.WriteFile(existing, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(root, "fresh.onnx")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown model", []string{"--run", run.Dir, "--model", "resnet50", "--out", fresh}, `has no model "resnet50" (it has dcnn)`},
		{"model not in the run", []string{"--run", run.Dir, "--model", "cnn", "--out", fresh}, `has no model "cnn"`},
		{"epoch not trained", []string{"--run", run.Dir, "--epoch", "5", "--out", fresh}, "no checkpoint of dcnn after epoch 5"},
		{"not a run", []string{"--run", root, "--out", fresh}, root},
		{"existing file", []string{"--run", run.Dir, "--out", existing}, existing + ": file already exists: refusing to replace it (--replace replaces a file)"},
		{"run folder", []string{"--run", run.Dir, "--out", run.Dir}, run.Dir + " is a folder"},
		{"run folder with --replace", []string{"--run", run.Dir, "--out", run.Dir, "--replace"}, run.Dir + " is a folder"},
		{"missing --out", []string{"--run", run.Dir}, "--run and --out are required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := dcn(t, append([]string{"export", "--format", "onnx"}, tc.args...)...)
			if code != 1 || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 1 and %q", code, errs, tc.want)
			}
		})
	}
	if code, _, errs := dcn(t, "export", "--format", "tflite", "--run", run.Dir, "--out", fresh); code != 1 || !strings.Contains(errs, "want pytorch or onnx") {
		t.Errorf("--format tflite: exit %d, %q", code, errs)
	}
	// --replace means nothing to a pytorch export (a folder): it was silently ignored.
	pt := filepath.Join(root, "pt")
	for _, args := range [][]string{
		{"export", "--run", run.Dir, "--out", pt, "--replace"},
		{"export", "--format", "pytorch", "--run", run.Dir, "--out", pt, "--replace"},
	} {
		if code, _, errs := dcn(t, args...); code != 1 || !strings.Contains(errs, "--replace replaces an .onnx file: it needs --format onnx") {
			t.Errorf("%v: exit %d, %q; want --replace refused", args, code, errs)
		}
	}
	if _, err := os.Stat(pt); err == nil {
		t.Error("a pytorch export with --replace wrote a folder")
	}
	if _, err := os.Stat(fresh); err == nil {
		t.Error("a refused export wrote a file")
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep" {
		t.Error("the existing file was changed")
	}
	if _, err := rundir.Open(run.Dir); err != nil {
		t.Errorf("the run no longer opens: %v", err)
	}
	if code, _, errs := dcn(t, "export", "--format", "onnx", "--run", run.Dir, "--out", existing, "--replace"); code != 0 {
		t.Fatalf("--replace: exit %d: %s", code, errs)
	}
	if b, _ := os.ReadFile(existing); string(b) == "keep" {
		t.Error("--replace left the old file")
	}
}
