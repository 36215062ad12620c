package main

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/ckpt"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/inspect"
	"github.com/deformscope/deformscope/model/nn"
	"github.com/deformscope/deformscope/model/runner"
	"github.com/deformscope/deformscope/model/torchfile"
	"github.com/deformscope/deformscope/model/trace"
)

const torchData = "../../model/torchfile/testdata"

// torchFixture is the part of a make_bridge.py case these tests read.
type torchFixture struct {
	Classes int `json:"classes"`
	Size    int `json:"size"`
	Input   struct {
		Shape []int     `json:"shape"`
		Data  []float32 `json:"data"`
	} `json:"input"`
	Logits struct {
		Data []float64 `json:"data"`
	} `json:"logits"`
}

func readTorchFixture(t *testing.T, arch string) torchFixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(torchData, arch+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var f torchFixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func maxDiff(a []float32, b []float64) float64 {
	worst := 0.0
	for i := range a {
		worst = math.Max(worst, math.Abs(float64(a[i])-b[i]))
	}
	return worst
}

// TestImportPredict imports each MNIST fixture and checks that dcn predict
// on MNIST test images 0-3 gives PyTorch's logits within 1e-4: the input is
// prepared exactly as PyTorch's was, and the weights land where they belong.
func TestImportPredict(t *testing.T) {
	needMNIST(t)
	for i, arch := range []string{"mnist-cnn", "mnist-dcnn", "mnist-dcnn-v1"} {
		t.Run(arch, func(t *testing.T) {
			fx := readTorchFixture(t, arch)
			ext := []string{".pt", ".safetensors"}[i%2]
			dir := filepath.Join(t.TempDir(), "imported")
			if code, _, errs := dcn(t, "import", "--weights", filepath.Join(torchData, arch+ext), "--arch", arch, "--out", dir); code != 0 {
				t.Fatalf("import exited %d: %s", code, errs)
			}
			code, out, errs := dcn(t, "predict", "--run", dir, "--index", "0:4", "--json")
			if code != 0 {
				t.Fatalf("predict exited %d: %s", code, errs)
			}
			var p predictOutput
			if err := json.Unmarshal([]byte(out), &p); err != nil {
				t.Fatal(err)
			}
			if p.Arch != arch || p.Epoch != 1 || len(p.Predictions) != 4 {
				t.Fatalf("predict printed %s", out)
			}
			var logits []float32
			for _, pr := range p.Predictions {
				logits = append(logits, pr.Logits...)
			}
			if d := maxDiff(logits, fx.Logits.Data); d > 1e-4 {
				t.Errorf("logits differ from PyTorch's by %.3g", d)
			}
			// An export's weights come back in unchanged.
			exp := filepath.Join(t.TempDir(), "export")
			if code, _, errs := dcn(t, "export", "--run", dir, "--out", exp); code != 0 {
				t.Fatalf("export exited %d: %s", code, errs)
			}
			back := filepath.Join(t.TempDir(), "back")
			if code, _, errs := dcn(t, "import", "--weights", filepath.Join(exp, "weights.safetensors"), "--arch", arch, "--out", back); code != 0 {
				t.Fatalf("import of the export exited %d: %s", code, errs)
			}
			if code, out2, errs := dcn(t, "predict", "--run", back, "--index", "0:4", "--json"); code != 0 || out2 != out {
				t.Errorf("predict after export and import: exit %d %s\n%s", code, errs, out2)
			}
			// The imported run opens like a trained one.
			if code, _, errs := dcn(t, "eval", "--run", dir, "--test-limit", "50", "--scales", "none"); code != 0 {
				t.Errorf("eval of an imported run exited %d: %s", code, errs)
			}
		})
	}
}

func TestImportErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"other net", []string{"--weights", filepath.Join(torchData, "other_net.pt"), "--arch", "mnist-cnn"}, "missing keys: conv1.weight"},
		{"wrong arch", []string{"--weights", filepath.Join(torchData, "mnist-cnn.pt"), "--arch", "mnist-dcnn"}, "conv4.offset_conv.weight"},
		{"evil", []string{"--weights", filepath.Join(torchData, "evil.pt"), "--arch", "mnist-cnn"}, "forbidden callable"},
		{"unknown arch", []string{"--weights", filepath.Join(torchData, "mnist-cnn.pt"), "--arch", "resnet"}, "unknown architecture"},
		{"no file", []string{"--weights", filepath.Join(dir, "nope.pt"), "--arch", "mnist-cnn"}, "nope.pt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-"))
			code, _, errs := dcn(t, append([]string{"import", "--out", out}, c.args...)...)
			if code != 1 || !strings.Contains(errs, c.want) {
				t.Errorf("exit %d, stderr %q; want %q", code, errs, c.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("a failed import left %s behind", out)
			}
		})
	}
}

// roundTrip is the script the live test runs: it loads each export with
// model.py and prints its logits on the input saved beside it.
const roundTrip = `
import json, sys
sys.path.insert(0, sys.argv[1])
import model, deformscope_capture
out = {}
for d in sys.argv[2:]:
    net = model.load_model(d)
    x, _ = model.read_safetensors(d + "/input.safetensors")
    out[d] = net(x["x"]).detach().reshape(-1).tolist()
    if "dcnn" in d:
        deformscope_capture.capture(net, x["x"][:1], d + "/capture.safetensors")
print(json.dumps(out))
`

// TestExportRoundTrip exports a net of every architecture (random weights
// with random, non-zero offset convolutions), loads each export in PyTorch
// with its own model.py and compares PyTorch's logits with ours. It runs
// when /usr/bin/python3 has torch and torchvision (.ci/deps installs them).
func TestExportRoundTrip(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import torch, torchvision").Run(); err != nil {
		t.Skipf("%s lacks torch/torchvision (apt-get install python3-torch python3-torchvision): %v", py, err)
	}
	root := t.TempDir()
	want := map[string][]float32{}
	nets := map[string]*model.Net[float32]{}
	inputs := map[string]*nn.Tensor[float32]{}
	var dirs []string
	rng := rand.New(rand.NewPCG(1, 2))
	for _, name := range torchfile.Archs {
		a, _ := torchfile.ParseArch(name)
		rc := experiment.StudyProtocol()
		rc.Models, rc.DCNv1, rc.Imported = []string{a.Model}, a.DCNv1, "test"
		if a.Data == "coco" {
			rc.Data, rc.Scales = "coco", nil
			rc.COCO = experiment.DefaultCOCO("", "")
			rc.COCO.Size, rc.COCO.TopK = 16, 7
		}
		net, err := experiment.NewNet(rc, a.Model) // PyTorch's initialisation
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range net.Params() {
			if strings.Contains(p.Name, ".offset.") || strings.Contains(p.Name, ".modulator.") {
				for i, v := range p.Value.Data() {
					p.Value.Data()[i] = v + float32(rng.NormFloat64()*0.05)
				}
			}
		}
		run, err := runner.ImportRun(filepath.Join(root, name+"-run"), rc, a.Model, net)
		if err != nil {
			t.Fatal(err)
		}
		exp := filepath.Join(root, name)
		if code, _, errs := dcn(t, "export", "--run", run.Dir, "--format", "pytorch", "--out", exp); code != 0 {
			t.Fatalf("export exited %d: %s", code, errs)
		}
		x := nn.New[float32](2, net.InC, net.InH, net.InW)
		for i := range x.Data() {
			x.Data()[i] = float32(rng.NormFloat64())
		}
		if err := ckpt.Save(filepath.Join(exp, "input.safetensors"), &ckpt.Checkpoint{Tensors: []ckpt.Tensor{{Name: "x", Shape: x.Shape(), Data: x.Data()}}}); err != nil {
			t.Fatal(err)
		}
		y, err := net.Forward(x, false)
		if err != nil {
			t.Fatal(err)
		}
		want[exp] = append([]float32(nil), y.Data()...)
		if len(net.DeformBlocks()) > 0 {
			nets[exp], inputs[exp] = net, x
		}
		dirs = append(dirs, exp)
	}
	start := time.Now()
	cmd := exec.Command(py, append([]string{"-c", roundTrip, dirs[0]}, dirs...)...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("PyTorch failed: %v\n%s", err, out)
	}
	t.Logf("PyTorch took %v", time.Since(start))
	var got map[string][]float64
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, d := range dirs {
		if len(got[d]) != len(want[d]) {
			t.Fatalf("%s: PyTorch gave %d logits, we %d", d, len(got[d]), len(want[d]))
		}
		if diff := maxDiff(want[d], got[d]); diff > 1e-4 {
			t.Errorf("%s: PyTorch's logits differ from ours by %.3g", filepath.Base(d), diff)
		}
		if nets[d] != nil {
			compareCapture(t, d, nets[d], inputs[d])
		}
	}
}

// compareCapture checks that the capture PyTorch made of an exported net
// gives, traced through every deformable layer, the points our own trace
// gives through the net's pooling and strides, in image pixels.
func compareCapture(t *testing.T, dir string, net *model.Net[float32], x *nn.Tensor[float32]) {
	t.Helper()
	c, err := torchfile.ReadCapture(filepath.Join(dir, "capture.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	one, _ := nn.FromSlice(x.Data()[:net.InC*net.InH*net.InW], 1, net.InC, net.InH, net.InW)
	fields, _, err := inspect.Sampling(context.Background(), net, &inspect.Input{X: one})
	if err != nil {
		t.Fatal(err)
	}
	blocks := net.DeformBlocks()
	if len(c.Layers) != len(blocks) {
		t.Fatalf("%s: the capture holds %d layers, the net has %d deformable ones", dir, len(c.Layers), len(blocks))
	}
	last := blocks[len(blocks)-1].Name()
	l := c.Layers[len(c.Layers)-1]
	uy, ux := l.Out[1]/2, l.Out[2]/2
	own, err := trace.Trace(net.Layers, fields, [2]int{net.InH, net.InW}, last, uy, ux, trace.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Trace(last, uy, ux, len(c.Layers), torchfile.SpaceImage, trace.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Points) != len(own.Points) {
		t.Fatalf("%s: %d points from the capture, %d from our trace", dir, len(got.Points), len(own.Points))
	}
	for i, p := range got.Points {
		o := own.Points[i]
		if math.Abs(p.Y-o.Y) > 1e-3 || math.Abs(p.X-o.X) > 1e-3 || math.Abs(p.Weight-o.Weight) > 1e-4 {
			t.Fatalf("%s: point %d from the capture %+v, from our trace %+v", filepath.Base(dir), i, p, o)
		}
	}
}

// TestOffsetsCapture checks dcn offsets --capture --json against the
// reference points make_bridge.py computed in PyTorch, and that a PNG comes
// out.
func TestOffsetsCapture(t *testing.T) {
	capPath := filepath.Join(torchData, "toy_capture.safetensors")
	b, err := os.ReadFile(filepath.Join(torchData, "toy_capture.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Cases []struct {
			Layer  string      `json:"layer"`
			Unit   [2]int      `json:"unit"`
			Depth  int         `json:"depth"`
			Space  string      `json:"space"`
			Points [][]float64 `json:"points"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	for _, c := range ref.Cases {
		code, out, errs := dcn(t, "offsets", "--capture", capPath, "--layer", c.Layer, "--unit",
			strconv.Itoa(c.Unit[0])+","+strconv.Itoa(c.Unit[1]), "--depth", strconv.Itoa(c.Depth), "--space", c.Space, "--json")
		if code != 0 {
			t.Fatalf("offsets exited %d: %s", code, errs)
		}
		var got capturePoints
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		if got.Layer != c.Layer || got.Unit != c.Unit || len(got.Points) != len(c.Points) {
			t.Fatalf("printed %s %v with %d points, want %s %v with %d", got.Layer, got.Unit, len(got.Points), c.Layer, c.Unit, len(c.Points))
		}
		for i, p := range got.Points {
			if math.Abs(p[0]-c.Points[i][0]) > 1e-5 || math.Abs(p[1]-c.Points[i][1]) > 1e-5 {
				t.Fatalf("%s %v depth %d %s: point %d is %v, PyTorch's reference %v", c.Layer, c.Unit, c.Depth, c.Space, i, p, c.Points[i][:2])
			}
		}
	}
	png := filepath.Join(t.TempDir(), "cap.png")
	if code, _, errs := dcn(t, "offsets", "--capture", capPath, "--depth", "3", "--out", png); code != 0 {
		t.Fatalf("offsets --out exited %d: %s", code, errs)
	}
	if code, _, errs := dcn(t, "heatmap", "--capture", capPath, "--out", png); code != 0 {
		t.Fatalf("heatmap --capture exited %d: %s", code, errs)
	}
	for _, bad := range [][]string{
		{"--layer", "nope", "--json"},
		{"--depth", "4", "--json"},
		{"--unit", "99,0", "--json"},
		{"--space", "world", "--json"},
		{"--run", "x", "--json"},
	} {
		if code, _, errs := dcn(t, append([]string{"offsets", "--capture", capPath}, bad...)...); code != 1 || errs == "" {
			t.Errorf("offsets %v exited %d: %s", bad, code, errs)
		}
	}
}

// TestPredictImage imports the COCO fixture without a crop set and predicts
// a coco128 photo, prepared as the Offsets view and evaluation prepare one.
func TestPredictImage(t *testing.T) {
	_, images := coco128(t)
	photo := filepath.Join(images, "000000000009.jpg")
	dir := filepath.Join(t.TempDir(), "coco")
	if code, _, errs := dcn(t, "import", "--weights", filepath.Join(torchData, "coco-dcnn-middle.safetensors"), "--arch", "coco-dcnn-middle",
		"--classes", "10", "--crop-size", "32", "--out", dir); code != 0 {
		t.Fatalf("import exited %d: %s", code, errs)
	}
	code, out, errs := dcn(t, "predict", "--run", dir, "--image", photo, "--json")
	if code != 0 {
		t.Fatalf("predict exited %d: %s", code, errs)
	}
	var p predictOutput
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	if p.Model != "dcnn-middle" || len(p.Predictions) != 1 || len(p.Predictions[0].Logits) != 10 || p.Predictions[0].Image != photo {
		t.Errorf("predict printed %s", out)
	}
	// Without a crop set there are no test images, and the error says so.
	if code, _, errs := dcn(t, "predict", "--run", dir, "--index", "0:2"); code != 1 || !strings.Contains(errs, "--ann and --images") {
		t.Errorf("predict --index on a run without crops exited %d: %s", code, errs)
	}
}
