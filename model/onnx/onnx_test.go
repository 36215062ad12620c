package onnx

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/nn"
)

var update = flag.Bool("update", false, "rewrite testdata/graphs.golden")

// testNet is one architecture the export must handle.
type testNet struct {
	name string
	make func(rng *rand.Rand) (*model.Net[float32], error)
}

func mnist(set []string, v1 bool) func(*rand.Rand) (*model.Net[float32], error) {
	return func(rng *rand.Rand) (*model.Net[float32], error) {
		return model.NewMNISTNet[float32](model.MNISTConfig{Deformable: set != nil, DeformAt: set, DCNv1: v1}, rng)
	}
}

func coco(place model.Placement, set []string, v1 bool) func(*rand.Rand) (*model.Net[float32], error) {
	return func(rng *rand.Rand) (*model.Net[float32], error) {
		return model.NewCOCONet[float32](model.COCOConfig{Size: 16, Classes: 7, Deform: place, DeformAt: set, DCNv1: v1}, rng)
	}
}

// testNets covers every architecture: both data sets, every COCO placement,
// sets of deformable layers other than the course study's (including the first
// layer, which reads the image, and layers after pooling), DCNv1 and DCNv2.
var testNets = []testNet{
	{"mnist-cnn", mnist(nil, false)},
	{"mnist-dcnn", mnist([]string{"conv4", "conv5"}, false)},
	{"mnist-dcnn-v1", mnist([]string{"conv4", "conv5"}, true)},
	{"mnist-dcnn-conv1+conv2+conv3", mnist([]string{"conv1", "conv2", "conv3"}, false)},
	{"mnist-dcnn-conv2+conv5-v1", mnist([]string{"conv2", "conv5"}, true)},
	{"coco-cnn", coco(model.PlaceNone, nil, false)},
	{"coco-dcnn-first", coco(model.PlaceFirst, nil, false)},
	{"coco-dcnn-middle", coco(model.PlaceMiddle, nil, false)},
	{"coco-dcnn-last", coco(model.PlaceLast, nil, false)},
	{"coco-dcnn-first-v1", coco(model.PlaceFirst, nil, true)},
	{"coco-dcnn-middle-v1", coco(model.PlaceMiddle, nil, true)},
	{"coco-dcnn-last-v1", coco(model.PlaceLast, nil, true)},
	{"coco-dcnn-conv2+conv5", coco(model.PlaceNone, []string{"conv2", "conv5"}, false)},
	{"coco-dcnn-conv1+conv4+conv6-v1", coco(model.PlaceNone, []string{"conv1", "conv4", "conv6"}, true)},
	{"custom-groups2-stride2-dilation2", custom},
}

// custom is a net none of our architectures is: a 12×20 input (the clamp
// takes the larger side), a deformable block with two offset groups,
// stride 2, dilation 2, padding 2 and a 3×5 kernel, without ReLU, then
// Flatten and Linear.
func custom(rng *rand.Rand) (*model.Net[float32], error) {
	c1, err := nn.NewConv2D[float32]("conv1", nn.Conv2DConfig{In: 3, Out: 8, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}, rng)
	if err != nil {
		return nil, err
	}
	d, err := nn.NewDeformBlock[float32]("conv2", nn.DeformBlockConfig{Groups: 2, Conv2DConfig: nn.Conv2DConfig{In: 8, Out: 6,
		Kernel: [2]int{3, 5}, Stride: [2]int{2, 2}, Padding: [2]int{2, 2}, Dilation: [2]int{2, 2}}}, rng)
	if err != nil {
		return nil, err
	}
	// 12×20 → (12+4−5)/2+1 = 6 by (20+4−9)/2+1 = 8
	fc, err := nn.NewLinear[float32]("fc", 6*6*8, 5, rng)
	if err != nil {
		return nil, err
	}
	layers := []nn.Layer[float32]{c1, d, nn.NewReLU[float32]("relu2"), nn.NewFlatten[float32]("flat"), fc}
	return &model.Net[float32]{Sequential: nn.Sequential[float32]{Layers: layers}, Arch: "custom-groups2-stride2-dilation2",
		InC: 3, InH: 12, InW: 20, Classes: 5}, nil
}

// build makes a test net with PyTorch's initialisation and offset and
// modulator convolutions far from zero, so that the offsets bend the
// sampling grid and some reach the clamp.
func build(t *testing.T, tn testNet, seed uint64) *model.Net[float32] {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	net, err := tn.make(rng)
	if err != nil {
		t.Fatal(err)
	}
	if net.Arch != tn.name {
		t.Fatalf("built %s, want %s", net.Arch, tn.name)
	}
	for _, p := range net.Params() {
		if strings.Contains(p.Name, ".offset.") || strings.Contains(p.Name, ".modulator.") {
			for i := range p.Value.Data() {
				p.Value.Data()[i] += float32(rng.NormFloat64() * 0.3)
			}
		}
	}
	return net
}

// pb is a decoded protocol-buffer message: each field's values, as []byte
// (length-delimited), uint64 (varint) or uint32 (fixed32).
type pb map[protowire.Number][]any

func decode(t *testing.T, b []byte) pb {
	t.Helper()
	m := pb{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		var v any
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		case protowire.Fixed32Type:
			v, n = protowire.ConsumeFixed32(b)
		default:
			t.Fatalf("field %d: unexpected wire type %d", num, typ)
		}
		if n < 0 {
			t.Fatalf("field %d: %v", num, protowire.ParseError(n))
		}
		m[num] = append(m[num], v)
		b = b[n:]
	}
	return m
}

func (m pb) str(n protowire.Number) string {
	if len(m[n]) == 0 {
		return ""
	}
	return string(m[n][0].([]byte))
}

func (m pb) strs(n protowire.Number) []string {
	var s []string
	for _, v := range m[n] {
		s = append(s, string(v.([]byte)))
	}
	return s
}

func (m pb) int(n protowire.Number) int64 {
	if len(m[n]) == 0 {
		return 0
	}
	return int64(m[n][0].(uint64))
}

func (m pb) ints(n protowire.Number) []int64 {
	var s []int64
	for _, v := range m[n] {
		s = append(s, int64(v.(uint64)))
	}
	return s
}

func (m pb) subs(t *testing.T, n protowire.Number) []pb {
	var s []pb
	for _, v := range m[n] {
		s = append(s, decode(t, v.([]byte)))
	}
	return s
}

// parsed is what the tests read back from a written model.
type parsed struct {
	model, graph pb
	nodes        []pb
	inits        map[string]pb
}

func parse(t *testing.T, b []byte) parsed {
	t.Helper()
	p := parsed{model: decode(t, b), inits: map[string]pb{}}
	gs := p.model.subs(t, modelGraph)
	if len(gs) != 1 {
		t.Fatalf("model has %d graphs", len(gs))
	}
	p.graph = gs[0]
	p.nodes = p.graph.subs(t, graphNode)
	for _, ti := range p.graph.subs(t, graphInitializer) {
		p.inits[ti.str(tensorName)] = ti
	}
	return p
}

func attrs(t *testing.T, n pb) map[string]pb {
	m := map[string]pb{}
	for _, a := range n.subs(t, nodeAttribute) {
		m[a.str(attrName)] = a
	}
	return m
}

func shape(t *testing.T, vi pb) []string {
	tt := vi.subs(t, valueType)[0].subs(t, typeTensor)[0]
	if tt.int(typeTensorElem) != dataTypeFloat {
		t.Errorf("%s: element type %d, want float", vi.str(valueName), tt.int(typeTensorElem))
	}
	var dims []string
	for _, d := range tt.subs(t, typeTensorShape)[0].subs(t, shapeDim) {
		if s := d.str(dimParamField); s != "" {
			dims = append(dims, s)
		} else {
			dims = append(dims, fmt.Sprint(d.int(dimValueField)))
		}
	}
	return dims
}

func floats(raw []byte) []float32 {
	f := make([]float32, len(raw)/4)
	for i := range f {
		f[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return f
}

// TestEncodeParsesBack decodes each written model with protowire and checks
// the header, the graph's input and output, every weight against the net's
// and each deformable block's nodes; the op sequence of every architecture
// is compared with testdata/graphs.golden (go test -update rewrites it).
func TestEncodeParsesBack(t *testing.T) {
	var golden strings.Builder
	for _, tn := range testNets {
		t.Run(tn.name, func(t *testing.T) {
			net := build(t, tn, 1)
			b, err := Encode(net, Info{Run: "runs/a", Model: "dcnn", Epoch: 3})
			if err != nil {
				t.Fatal(err)
			}
			p := parse(t, b)
			if v := p.model.int(modelIRVersion); v != IRVersion {
				t.Errorf("ir_version %d, want %d", v, IRVersion)
			}
			ops := p.model.subs(t, modelOpsetImport)
			if len(ops) != 1 || ops[0].str(opsetDomain) != "" || ops[0].int(opsetVersion) != 19 {
				t.Errorf("opset_import %v, want the default domain at 19", ops)
			}
			meta := map[string]string{}
			for _, e := range p.model.subs(t, modelMetadata) {
				meta[e.str(entryKey)] = e.str(entryValue)
			}
			if meta["arch"] != net.Arch || meta["run"] != "runs/a" || meta["model"] != "dcnn" || meta["epoch"] != "3" {
				t.Errorf("metadata %v", meta)
			}
			in, out := p.graph.subs(t, graphInput), p.graph.subs(t, graphOutput)
			if len(in) != 1 || in[0].str(valueName) != InputName || len(out) != 1 || out[0].str(valueName) != OutputName {
				t.Fatalf("graph input/output: %d/%d", len(in), len(out))
			}
			wantIn := []string{"N", fmt.Sprint(net.InC), fmt.Sprint(net.InH), fmt.Sprint(net.InW)}
			if got := shape(t, in[0]); !slices.Equal(got, wantIn) {
				t.Errorf("input shape %v, want %v", got, wantIn)
			}
			if got := shape(t, out[0]); !slices.Equal(got, []string{"N", fmt.Sprint(net.Classes)}) {
				t.Errorf("output shape %v, want N×%d", got, net.Classes)
			}
			// Every parameter is an initializer with its shape and values.
			for _, prm := range net.Params() {
				ti, ok := p.inits[prm.Name]
				if !ok {
					t.Errorf("no initializer %s", prm.Name)
					continue
				}
				if dims := ti.ints(tensorDims); !slices.Equal(dims, toInt64(prm.Value.Shape())) {
					t.Errorf("%s: dims %v, want %v", prm.Name, dims, prm.Value.Shape())
				}
				if got := floats(ti[tensorRaw][0].([]byte)); !slices.Equal(got, prm.Value.Data()) {
					t.Errorf("%s: raw data differs from the weights", prm.Name)
				}
			}
			// Values flow: every node input is the graph input, an
			// initializer or an earlier output; the last output is logits.
			known := map[string]bool{InputName: true, "": true}
			for name := range p.inits {
				known[name] = true
			}
			var seq []string
			deform := 0
			for _, n := range p.nodes {
				for _, v := range n.strs(nodeInput) {
					if !known[v] {
						t.Errorf("%s reads %q before it is made", n.str(nodeName), v)
					}
				}
				outs := n.strs(nodeOutput)
				if len(outs) != 1 {
					t.Fatalf("%s has %d outputs", n.str(nodeName), len(outs))
				}
				known[outs[0]] = true
				seq = append(seq, n.str(nodeOpType))
				if n.str(nodeOpType) == "DeformConv" {
					deform++
					checkDeformNode(t, net, p, n)
				}
			}
			if last := p.nodes[len(p.nodes)-1].strs(nodeOutput)[0]; last != OutputName {
				t.Errorf("last node writes %q, want %q", last, OutputName)
			}
			if deform != len(net.DeformBlocks()) {
				t.Errorf("%d DeformConv nodes for %d deformable blocks", deform, len(net.DeformBlocks()))
			}
			fmt.Fprintf(&golden, "%s: %s\n", tn.name, strings.Join(seq, " "))
		})
	}
	path := filepath.Join("testdata", "graphs.golden")
	if *update {
		if err := os.WriteFile(path, []byte(golden.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if golden.String() != string(want) {
		t.Errorf("op sequences differ from %s (go test -update rewrites it):\n%s", path, golden.String())
	}
}

func toInt64(s []int) []int64 {
	out := make([]int64, len(s))
	for i, v := range s {
		out[i] = int64(v)
	}
	return out
}

// checkDeformNode checks a DeformConv node against its block: the offset
// comes through Clip at ±max(H, W)/4 of the block's input, the mask (DCNv2)
// through Sigmoid then Mul by 2, and the geometry attributes are the
// regular convolution's.
func checkDeformNode(t *testing.T, net *model.Net[float32], p parsed, n pb) {
	t.Helper()
	name := strings.TrimSuffix(n.str(nodeName), ".regular")
	var blk *nn.DeformBlock[float32]
	h, w := net.InH, net.InW
	for _, l := range net.Layers {
		if b, ok := l.(*nn.DeformBlock[float32]); ok && b.Name() == name {
			blk = b
			break
		}
		switch l := l.(type) {
		case *nn.MaxPool2D[float32]:
			h, w = h/l.K, w/l.K
		case *nn.Conv2D[float32]:
			h, w = l.Config().OutSize(h, w)
		case *nn.DeformBlock[float32]:
			h, w = l.Regular.Config().OutSize(h, w)
		}
	}
	if blk == nil {
		t.Fatalf("DeformConv %s has no block", n.str(nodeName))
	}
	producer := map[string]pb{}
	for _, m := range p.nodes {
		producer[m.strs(nodeOutput)[0]] = m
	}
	in := n.strs(nodeInput)
	_, masked := producer[name+".mask"]
	want := 4
	if masked {
		want = 5
	}
	if len(in) != want || in[1] != name+".regular.weight" || in[3] != name+".regular.bias" {
		t.Fatalf("%s inputs %q", name, in)
	}
	clip := producer[in[2]]
	if clip.str(nodeOpType) != "Clip" {
		t.Fatalf("%s: offset from %s, want Clip", name, clip.str(nodeOpType))
	}
	lim := float32(max(h, w)) / 4
	ci := clip.strs(nodeInput)
	lo, hi := floats(p.inits[ci[1]][tensorRaw][0].([]byte)), floats(p.inits[ci[2]][tensorRaw][0].([]byte))
	if len(lo) != 1 || len(hi) != 1 || lo[0] != -lim || hi[0] != lim {
		t.Errorf("%s: clip bounds %v %v, want ±%v", name, lo, hi, lim)
	}
	if conv := producer[ci[0]]; conv.str(nodeOpType) != "Conv" || conv.strs(nodeInput)[1] != name+".offset.weight" {
		t.Errorf("%s: clip reads %s %q", name, conv.str(nodeOpType), conv.strs(nodeInput))
	}
	if masked {
		mul := producer[in[4]]
		sig := producer[mul.strs(nodeInput)[0]]
		two := floats(p.inits[mul.strs(nodeInput)[1]][tensorRaw][0].([]byte))
		if mul.str(nodeOpType) != "Mul" || sig.str(nodeOpType) != "Sigmoid" || !slices.Equal(two, []float32{2}) {
			t.Errorf("%s: mask is %s(%s, %v)", name, mul.str(nodeOpType), sig.str(nodeOpType), two)
		}
		if conv := producer[sig.strs(nodeInput)[0]]; conv.strs(nodeInput)[1] != name+".modulator.weight" {
			t.Errorf("%s: sigmoid reads %q", name, conv.strs(nodeInput))
		}
	}
	a := attrs(t, n)
	cfg := blk.Regular.Config()
	kn, st, pd, dl := cfg.Kernel, cfg.Stride, cfg.Padding, cfg.Dilation
	for k, v := range map[string][]int64{"kernel_shape": {int64(kn[0]), int64(kn[1])}, "strides": {int64(st[0]), int64(st[1])},
		"pads": {int64(pd[0]), int64(pd[1]), int64(pd[0]), int64(pd[1])}, "dilations": {int64(dl[0]), int64(dl[1])}} {
		if got := a[k].ints(attrIntsField); !slices.Equal(got, v) || a[k].int(attrType) != attributeInts {
			t.Errorf("%s: %s = %v, want %v", name, k, got, v)
		}
	}
	if a["offset_group"].int(attrI) != int64(blk.Regular.Groups()) || a["group"].int(attrI) != 1 {
		t.Errorf("%s: offset_group %d group %d", name, a["offset_group"].int(attrI), a["group"].int(attrI))
	}
}

// ortDir returns the node_modules folder that holds onnxruntime-node:
// $DEFORMSCOPE_ORT_MODULES, else .ci/ort/node_modules of the module, where
// .ci/deps installs it.
func ortDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("DEFORMSCOPE_ORT_MODULES"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, ".ci", "ort", "node_modules")
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = up
	}
}

// TestOnnxRuntime exports every architecture, runs each file in ONNX
// Runtime's CPU provider (onnxruntime-node, through node) and compares its
// logits with our engine's on the same input: they must agree within 1e-4.
// It also checks that the offsets reached the clamp somewhere, so that the
// Clip is exercised. It skips when node or onnxruntime-node is missing
// (bash .ci/deps installs both).
func TestOnnxRuntime(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed (bash .ci/deps installs it): skipping the ONNX Runtime round trip")
	}
	mods := ortDir(t)
	if _, err := os.Stat(filepath.Join(mods, "onnxruntime-node", "package.json")); err != nil {
		t.Skipf("onnxruntime-node is not in %s (bash .ci/deps installs it; or set DEFORMSCOPE_ORT_MODULES): skipping the ONNX Runtime round trip", mods)
	}
	dir := t.TempDir()
	type job struct {
		Model string `json:"model"`
		Input string `json:"input"`
		Shape []int  `json:"shape"`
	}
	var jobs []job
	want := map[string][]float32{}
	clamped := 0
	for i, tn := range testNets {
		net := build(t, tn, uint64(10+i))
		path := filepath.Join(dir, tn.name+".onnx")
		if err := WriteFile(path, net, Info{}, false); err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(uint64(i), 3))
		x := nn.New[float32](3, net.InC, net.InH, net.InW)
		raw := make([]byte, 4*x.Len())
		for k := range x.Data() {
			x.Data()[k] = float32(rng.NormFloat64())
			binary.LittleEndian.PutUint32(raw[4*k:], math.Float32bits(x.Data()[k]))
		}
		in := filepath.Join(dir, tn.name+".f32")
		if err := os.WriteFile(in, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		y, err := net.Forward(x, false)
		if err != nil {
			t.Fatal(err)
		}
		want[path] = slices.Clone(y.Data())
		for _, b := range net.DeformBlocks() {
			off, _ := b.Sampling()
			lim := float32(b.Limit())
			for _, v := range off.Data() {
				if v == lim || v == -lim {
					clamped++
				}
			}
		}
		jobs = append(jobs, job{path, in, x.Shape()})
	}
	if clamped == 0 {
		t.Error("no offset reached the clamp: the test does not exercise Clip")
	}
	jb, _ := json.Marshal(jobs)
	jpath := filepath.Join(dir, "jobs.json")
	if err := os.WriteFile(jpath, jb, 0o644); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "ort_logits.js"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script, jpath)
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
	for _, j := range jobs {
		name := strings.TrimSuffix(filepath.Base(j.Model), ".onnx")
		w, g := want[j.Model], got[j.Model]
		if len(g) != len(w) {
			t.Errorf("%s: ONNX Runtime gave %d logits, we %d", name, len(g), len(w))
			continue
		}
		d := 0.0
		for k := range w {
			d = max(d, math.Abs(float64(w[k])-g[k]))
		}
		if d > 1e-4 {
			t.Errorf("%s: ONNX Runtime's logits differ from ours by %.3g", name, d)
		} else {
			t.Logf("%s: max |ORT − ours| = %.2g over %d logits", name, d, len(w))
		}
	}
	t.Logf("clamped offsets: %d", clamped)
}

// TestWriteFileRefuses checks that an export never replaces what it must
// not, and leaves no file behind when it refuses.
func TestWriteFileRefuses(t *testing.T) {
	net := build(t, testNets[1], 1)
	dir := t.TempDir()
	existing := filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(existing, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(dir, "run")
	if err := os.Mkdir(runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(runDir, "config.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.onnx")
	if err := os.Symlink(existing, link); err != nil {
		t.Fatal(err)
	}
	fifoLink := filepath.Join(dir, "fifo-link.onnx")
	if err := os.Symlink(fifo, fifoLink); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		replace    bool
		want       string
	}{
		{"existing file", existing, false, "file already exists: refusing to replace it"},
		{"run folder", runDir, false, "is a folder"},
		{"run folder with replace", runDir, true, "is a folder"},
		{"fifo with replace", fifo, true, "a named pipe, not a regular file"},
		{"link to a fifo with replace", fifoLink, true, "a named pipe, not a regular file"},
		{"link to a file", link, false, "file already exists"},
		{"missing folder", filepath.Join(dir, "nope", "m.onnx"), false, "no such file"},
		{"empty path", "", false, "no destination"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := WriteFile(tc.path, net, Info{}, tc.replace)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if tc.path != "" && !strings.Contains(err.Error(), tc.path) {
				t.Errorf("err = %v does not name %s", err, tc.path)
			}
		})
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced")
	}
	if b, _ := os.ReadFile(existing); string(b) != "mine" {
		t.Errorf("the existing file was changed to %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(runDir, "config.json")); string(b) != "{}" {
		t.Errorf("the run folder's config.json was changed")
	}
	if err := WriteFile(existing, net, Info{}, true); err != nil {
		t.Fatalf("replacing a regular file: %v", err)
	}
	b, _ := os.ReadFile(existing)
	if want, _ := Encode(net, Info{}); !bytes.Equal(b, want) {
		t.Error("the replaced file does not hold the model")
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("left a temporary file %s", e.Name())
		}
	}
}

// TestEncodeRefusesUnknownLayer checks the error for a layer with no ONNX
// form.
func TestEncodeRefusesUnknownLayer(t *testing.T) {
	net := build(t, testNets[0], 1)
	net.Layers = append(net.Layers[:1:1], oddLayer{}, net.Layers[1])
	_, err := Encode(net, Info{})
	if err == nil || !strings.Contains(err.Error(), "odd") || !strings.Contains(err.Error(), "no ONNX form") {
		t.Fatalf("err = %v", err)
	}
}

type oddLayer struct{ nn.Layer[float32] }

func (oddLayer) Name() string { return "odd" }

// BenchmarkEncode measures writing the COCO net with the last placement.
func BenchmarkEncode(b *testing.B) {
	net, err := model.NewCOCONet[float32](model.COCOConfig{Size: 64, Classes: 10, Deform: model.PlaceLast}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(net, Info{}); err != nil {
			b.Fatal(err)
		}
	}
}
