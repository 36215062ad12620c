package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/nn"
	"github.com/deformscope/deformscope/model/runner"
	"github.com/deformscope/deformscope/model/train"
)

// benchResult is what `dcn bench --json` prints; the keys match the
// PyTorch anchors in ../shared/anchors.
type benchResult struct {
	DCNLayerMS     float64      `json:"dcn_layer_ms"`  // DCNv2 layer fwd+bwd, 64×32×7×7, 3×3
	ConvLayerMS    float64      `json:"conv_layer_ms"` // plain conv of the same shape
	CNNTrainImgS   float64      `json:"cnn_train_img_s"`
	DCNNTrainImgS  float64      `json:"dcnn_train_img_s"`
	Threads        int          `json:"threads"`
	Layers         []layerBench `json:"layers"`
	TrainImages    int          `json:"train_images"`
	TrainTimedStep int          `json:"train_timed_steps"`
	// PeakGFLOPS is the measured float32 FMA ceiling on Threads threads
	// (nn.MeasurePeak), PeakKernel what ran.
	PeakGFLOPS float64 `json:"peak_gflops"`
	PeakKernel string  `json:"peak_kernel"`
	// Rows are the rows of issue 23's table, each against its anchor.
	Rows []anchorRow `json:"rows"`
}

// anchorRow is one of our figures beside an optimised peer's.
type anchorRow struct {
	Name   string  `json:"name"`
	Shape  string  `json:"shape"`
	OursMS float64 `json:"ours_ms"`
	// GFLOPS is the plain convolution's rate (2·B·O·C·9·H·W per pass, three
	// passes for fwd+bwd) and PeakShare that over PeakGFLOPS; 0 for rows
	// that are not a plain convolution.
	GFLOPS    float64 `json:"gflops,omitempty"`
	PeakShare float64 `json:"peak_share,omitempty"`
	Peer      string  `json:"peer"`
	PeerMS    float64 `json:"peer_ms,omitempty"` // 0 when the peer did not run
	// Ratio is PeerMS/OursMS (> 1: we are faster).
	Ratio float64 `json:"ratio,omitempty"`
	Note  string  `json:"note,omitempty"` // why the peer did not run
}

type layerBench struct {
	Name       string  `json:"name"`
	B, C, H, W int     `json:"-"`
	Shape      string  `json:"shape"`
	MS         float64 `json:"ms"`
}

// cmdBench runs dcn bench: it measures the engine against the PyTorch anchors.
func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dcn bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	threads := fs.Int("threads", 0, "cores to use (0: all, GOMAXPROCS)")
	images := fs.Int("images", 6400, "MNIST training images for the throughput runs (batches of 64, 5 warm-up steps)")
	runs := fs.Int("runs", 20, "timed calls per layer (the median is reported)")
	anchors := fs.Bool("anchors", true, "time the peers too: PyTorch/oneDNN (python3 with torch) and ONNX Runtime (node with onnxruntime-node); skipped with a message where absent")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *runs < 1 {
		return fmt.Errorf("--runs must be at least 1, got %d", *runs)
	}
	// GOMAXPROCS 100000 died in pthread_create with a million-line dump.
	if maxThreads := max(256, runtime.NumCPU()); *threads < 0 || *threads > maxThreads {
		return fmt.Errorf("--threads must be 0 (all cores) to %d, got %d", maxThreads, *threads)
	}
	if *threads > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(*threads))
	}
	if *images < 64*(5+50) {
		return fmt.Errorf("--images %d gives fewer than 50 timed steps of 64 after the warm-up (need ≥ %d)", *images, 64*55)
	}
	res := benchResult{Threads: runtime.GOMAXPROCS(0), TrainImages: *images}
	for _, s := range [][4]int{{64, 32, 7, 7}, {64, 32, 14, 14}, {64, 64, 16, 16}} {
		d, c := layerTimes(s, *runs)
		shape := fmt.Sprintf("%d×%d×%d×%d", s[0], s[1], s[2], s[3])
		res.Layers = append(res.Layers, layerBench{Name: "deform_conv2d_fwd_bwd", Shape: shape, MS: d},
			layerBench{Name: "conv2d_fwd_bwd", Shape: shape, MS: c})
		if s == [4]int{64, 32, 7, 7} {
			res.DCNLayerMS, res.ConvLayerMS = d, c
		}
	}
	peak := nn.MeasurePeak(res.Threads, 300*time.Millisecond)
	res.PeakGFLOPS, res.PeakKernel = peak.GFLOPS, peak.Kernel
	res.Rows = anchorRows(ctx, res.Threads, *runs, peak.GFLOPS, *anchors)
	for _, name := range experiment.MNISTModels {
		v, steps, err := trainThroughput(ctx, name, *images)
		if err != nil {
			return err
		}
		res.TrainTimedStep = steps
		if name == "cnn" {
			res.CNNTrainImgS = v
		} else {
			res.DCNNTrainImgS = v
		}
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	fmt.Fprintf(stdout, "threads %d\n", res.Threads)
	for _, l := range res.Layers {
		fmt.Fprintf(stdout, "%-22s %-12s %8.2f ms\n", l.Name, l.Shape, l.MS)
	}
	fmt.Fprintf(stdout, "cnn training  %8.1f images/s\ndcnn training %8.1f images/s (%d timed steps of 64)\n",
		res.CNNTrainImgS, res.DCNNTrainImgS, res.TrainTimedStep)
	printAnchorRows(stdout, res)
	return nil
}

// printAnchorRows prints the peak and the table of issue 23.
func printAnchorRows(w io.Writer, res benchResult) {
	fmt.Fprintf(w, "\npeak (%s, %d threads) %.1f GFLOP/s (%.1f per core)\n", res.PeakKernel, res.Threads,
		res.PeakGFLOPS, res.PeakGFLOPS/float64(max(1, res.Threads)))
	fmt.Fprintf(w, "%-36s %-12s %9s %9s %6s  %s\n", "row", "shape", "ours ms", "GFLOP/s", "peak", "peer")
	for _, r := range res.Rows {
		gf, share := "", ""
		if r.GFLOPS > 0 {
			gf, share = fmt.Sprintf("%.1f", r.GFLOPS), fmt.Sprintf("%.0f%%", 100*r.PeakShare)
		}
		peer := r.Peer + ": " + r.Note
		if r.PeerMS > 0 {
			peer = fmt.Sprintf("%s %.3f ms, ours %.2f× its speed", r.Peer, r.PeerMS, r.Ratio)
		}
		fmt.Fprintf(w, "%-36s %-12s %9.3f %9s %6s  %s\n", r.Name, r.Shape, r.OursMS, gf, share, peer)
	}
}

// anchorRows times the rows of issue 23's table (batch 64, 32→32, 3×3,
// padding 1) and, with anchors, the peers beside them.
func anchorRows(ctx context.Context, threads, runs int, peak float64, anchors bool) []anchorRow {
	rng := rand.New(rand.NewPCG(3, 4))
	cfg := nn.Conv2DConfig{In: 32, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}
	input := func(shape ...int) *nn.Tensor[float32] {
		t := nn.New[float32](shape...)
		for i := range t.Data() {
			t.Data()[i] = float32(rng.NormFloat64())
		}
		return t
	}
	convFlops := func(hw int) float64 { return 2 * 64 * 32 * 32 * 9 * float64(hw*hw) }
	var rows []anchorRow
	add := func(name string, hw int, ms, flops float64, peer string) {
		r := anchorRow{Name: name, Shape: fmt.Sprintf("64×32×%d×%d", hw, hw), OursMS: ms, Peer: peer}
		if flops > 0 && ms > 0 {
			r.GFLOPS = flops / (ms * 1e6)
			if peak > 0 {
				r.PeakShare = r.GFLOPS / peak
			}
		}
		rows = append(rows, r)
	}
	var fwd7 float64
	for _, hw := range []int{7, 14} {
		conv, _ := nn.NewConv2D[float32]("conv", cfg, rng)
		x := input(64, 32, hw, hw)
		dy := input(64, 32, hw, hw)
		if hw == 7 {
			fwd7 = median(runs, func() { conv.Forward(x, false) })
			add("plain conv forward", 7, fwd7, convFlops(7), "ORT")
		}
		ms := median(runs, func() {
			conv.Forward(x, true)
			conv.Backward(dy)
		})
		add("plain conv forward+backward", hw, ms, 3*convFlops(hw), "PyTorch/oneDNN")
	}
	x := input(64, 32, 7, 7)
	off := input(64, 18, 7, 7)
	mask := input(64, 9, 7, 7)
	d, _ := nn.NewDeformConv2D[float32]("dcn", cfg, 1, rng)
	dms := median(runs, func() { d.Forward(x, off, mask) })
	add("deformable layer forward", 7, dms, 0, "ORT")
	blk, _ := nn.NewDeformBlock[float32]("block", nn.DeformBlockConfig{Conv2DConfig: cfg}, rng)
	bms := median(runs, func() { blk.Forward(x, false) })
	add("DCNv2 block forward", 7, bms, 0, "ORT")
	rows = append(rows, anchorRow{Name: "deformable / plain forward", Shape: "64×32×7×7", OursMS: dms,
		Peer: "our plain conv forward", Note: fmt.Sprintf("deformable/plain %.2f (issue 23's aim ≤ 1.15)", dms/fwd7)})

	torchMS, torchNote := map[int]float64{}, "not run (--anchors=false)"
	ortMS, ortNote := map[string]float64{}, torchNote
	if anchors {
		torchMS, torchNote = torchConvAnchor(ctx, threads, runs)
		ortMS, ortNote = ortAnchor(ctx, threads, runs)
	}
	for i := range rows {
		r := &rows[i]
		var peer float64
		var note string
		switch r.Peer {
		case "PyTorch/oneDNN":
			hw, _ := strconv.Atoi(r.Shape[strings.LastIndex(r.Shape, "×")+len("×"):])
			peer, note = torchMS[hw], torchNote
		case "ORT":
			key := map[string]string{"plain conv forward": "conv", "deformable layer forward": "dcn", "DCNv2 block forward": "block"}[r.Name]
			peer, note = ortMS[key], ortNote
		default:
			continue
		}
		if peer > 0 {
			r.PeerMS, r.Ratio, r.Note = peer, peer/r.OursMS, ""
		} else {
			r.Note = note
		}
	}
	return rows
}

// torchAnchor is the PyTorch side of the plain-convolution rows: the
// measurement of ../shared/anchors/torch_layer_anchor.py for conv2d alone.
const torchAnchor = `import sys, time, statistics, torch
torch.set_num_threads(int(sys.argv[1])); runs = int(sys.argv[2])
def bench(fn):
    fn(); ts = []
    for _ in range(runs):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return 1000 * statistics.median(ts)
for hw in (7, 14):
    x = torch.randn(64, 32, hw, hw, requires_grad=True); w = torch.randn(32, 32, 3, 3, requires_grad=True)
    b = torch.zeros(32, requires_grad=True)
    def conv():
        y = torch.nn.functional.conv2d(x, w, b, padding=1); y.sum().backward()
    print(hw, bench(conv))
`

// torchConvAnchor runs torchAnchor with python3 and returns the median ms
// by map size, or a note saying why it did not run.
func torchConvAnchor(ctx context.Context, threads, runs int) (map[int]float64, string) {
	// Debian's python3-torch lives in the system interpreter, which a
	// python3 earlier on PATH (pyenv, a venv) may not see.
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		if py, err = exec.LookPath("python3"); err != nil {
			return nil, "not run: no python3 (Debian: apt-get install python3-torch)"
		}
	}
	out, err := exec.CommandContext(ctx, py, "-c", torchAnchor, strconv.Itoa(threads), strconv.Itoa(runs)).CombinedOutput()
	if err != nil {
		return nil, fmt.Sprintf("not run: python3 with torch failed (%v; Debian: apt-get install python3-torch): %s",
			err, firstLine(string(out)))
	}
	ms := parseTorchAnchor(string(out))
	if len(ms) == 0 {
		return nil, "not run: the PyTorch anchor printed nothing usable: " + firstLine(string(out))
	}
	return ms, ""
}

// ortAnchor runs ../shared/anchors/ort's run.js (ONNX Runtime's CPU
// provider on conv, dcn and block models) when node, onnxruntime-node and
// the models are present; ORT_DIR names the folder holding node_modules
// (default .ci/ort, where .ci/deps installs it) and ORT_MODELS the one
// holding the models (default ORT_DIR/m, as pair.sh writes them).
func ortAnchor(ctx context.Context, threads, runs int) (map[string]float64, string) {
	const how = "; install with `bash .ci/deps` (onnxruntime-node into .ci/ort) and write the models with " +
		"`python3 ../shared/anchors/ort/make_models.py .ci/ort/m 64 32 7 7`"
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, "not run: no node on PATH" + how
	}
	dir := os.Getenv("ORT_DIR")
	if dir == "" {
		dir = filepath.Join(".ci", "ort")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "onnxruntime-node")); err != nil {
		return nil, "not run: onnxruntime-node not found under " + dir + how
	}
	models := os.Getenv("ORT_MODELS")
	if models == "" {
		models = filepath.Join(dir, "m")
	}
	script := filepath.Join("..", "shared", "anchors", "ort", "run.js")
	for _, f := range []string{filepath.Join(models, "conv.onnx"), script} {
		if _, err := os.Stat(f); err != nil {
			return nil, "not run: " + f + " is missing" + how
		}
	}
	cmd := exec.CommandContext(ctx, node, script, models, "64", "32", "7", "7", strconv.Itoa(threads), strconv.Itoa(runs))
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(dir, "node_modules"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Sprintf("not run: node %s failed (%v): %s", script, err, firstLine(string(out)))
	}
	ms := parseORTAnchor(string(out))
	if len(ms) == 0 {
		return nil, "not run: run.js printed nothing usable: " + firstLine(string(out))
	}
	return ms, ""
}

// firstLine returns s's first line, at most 200 bytes.
func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// layerTimes returns the median milliseconds of a DCNv2 and a plain 3×3
// convolution (C→C, padding 1), forward and backward, as the anchor
// measures them: offsets ~ N(0, 0.5²), mask ~ U(0, 1), dL/dy = 1.
func layerTimes(s [4]int, runs int) (dcnMS, convMS float64) {
	b, c, h, w := s[0], s[1], s[2], s[3]
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(t *nn.Tensor[float32], f func() float64) *nn.Tensor[float32] {
		for i := range t.Data() {
			t.Data()[i] = float32(f())
		}
		return t
	}
	normal := func() float64 { return rng.NormFloat64() }
	cfg := nn.Conv2DConfig{In: c, Out: c, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}
	x := fill(nn.New[float32](b, c, h, w), normal)
	off := fill(nn.New[float32](b, 18, h, w), func() float64 { return 0.5 * rng.NormFloat64() })
	mask := fill(nn.New[float32](b, 9, h, w), rng.Float64)
	dy := fill(nn.New[float32](b, c, h, w), func() float64 { return 1 })
	d, _ := nn.NewDeformConv2D[float32]("dcn", cfg, 1, rng)
	conv, _ := nn.NewConv2D[float32]("conv", cfg, rng)
	dcnMS = median(runs, func() {
		d.Forward(x, off, mask)
		d.Backward(dy)
	})
	convMS = median(runs, func() {
		conv.Forward(x, true)
		conv.Backward(dy)
	})
	return dcnMS, convMS
}

// median calls fn once to warm up, then runs times, and returns the median in milliseconds.
func median(runs int, fn func()) float64 {
	fn() // warm-up: buffers are allocated on the first call
	ts := make([]float64, runs)
	for i := range ts {
		t := time.Now()
		fn()
		ts[i] = float64(time.Since(t).Microseconds()) / 1000
	}
	slices.Sort(ts)
	return ts[runs/2]
}

// trainThroughput trains one epoch of the course study's net on the first images
// MNIST training images (batches of 64, Adam lr 1e-3) and returns the
// images per second after 5 warm-up steps.
func trainThroughput(ctx context.Context, name string, images int) (float64, int, error) {
	rc := experiment.RunConfig{Data: "mnist", Models: []string{name}, Limit: images,
		Train: train.Config{Epochs: 1, Batch: 64, Optimizer: "adam", LR: 1e-3, Seed: 1}}
	d, err := experiment.LoadData(rc)
	if err != nil {
		return 0, 0, err
	}
	d.Test = nil
	s, err := runner.NewSession(rc, d.Data, nil)
	if err != nil {
		return 0, 0, err
	}
	var start, end time.Time
	var timed int
	err = s.Trainers[0].Run(ctx, func(e train.Event) {
		if e.Kind != train.KindStep {
			return
		}
		switch {
		case e.Step.Batch == 5:
			start = time.Now()
		case e.Step.Batch > 5:
			timed++
			end = time.Now()
		}
	})
	if err != nil {
		return 0, 0, err
	}
	return float64(64*timed) / end.Sub(start).Seconds(), timed, nil
}

// parseTorchAnchor reads torchAnchor's lines "HW MS"; lines that are not
// two numbers, or give a time that is not positive and finite, are skipped.
func parseTorchAnchor(out string) map[int]float64 {
	ms := map[int]float64{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		hw, err1 := strconv.Atoi(f[0])
		v, err2 := strconv.ParseFloat(f[1], 64)
		if err1 == nil && err2 == nil && hw > 0 && validMS(v) {
			ms[hw] = v
		}
	}
	return ms
}

// parseORTAnchor reads run.js's lines "ort NAME B64 C32 7x7 threads 2:
// median X ms min Y ms" into X by NAME; other lines are skipped.
func parseORTAnchor(out string) map[string]float64 {
	ms := map[string]float64{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 9 && f[0] == "ort" && f[7] == "median" {
			if v, err := strconv.ParseFloat(f[8], 64); err == nil && validMS(v) {
				ms[f[1]] = v
			}
		}
	}
	return ms
}

// validMS reports a time a peer may have printed: positive and finite.
func validMS(v float64) bool { return v > 0 && v < 1e12 }
