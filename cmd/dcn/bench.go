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

	"github.com/deformscope/deformscope/model/coco/cropset"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/nn"
	"github.com/deformscope/deformscope/model/runner"
	"github.com/deformscope/deformscope/model/train"
)

// benchResult is what `dcn bench --json` prints; the keys of the first
// fields match the PyTorch anchors in ../shared/anchors.
type benchResult struct {
	DCNLayerMS     float64      `json:"dcn_layer_ms"`  // DCNv2 layer fwd+bwd, 64×32×7×7, 3×3
	ConvLayerMS    float64      `json:"conv_layer_ms"` // plain conv of the same shape
	CNNTrainImgS   float64      `json:"cnn_train_img_s"`
	DCNNTrainImgS  float64      `json:"dcnn_train_img_s"`
	Threads        int          `json:"threads"`
	Layers         []layerBench `json:"layers"`
	TrainImages    int          `json:"train_images"`
	TrainTimedStep int          `json:"train_timed_steps"`
	// Runs is the timed calls per layer row (the median is reported) and
	// NetSteps the timed batches per net row.
	Runs     int `json:"runs"`
	NetSteps int `json:"net_steps"`
	// LoadStart and LoadEnd are the 1-minute load average before and after
	// the run (/proc/loadavg; empty where absent): figures taken under load
	// say so.
	LoadStart string `json:"load_start"`
	LoadEnd   string `json:"load_end"`
	// PeakGFLOPS is the measured float32 FMA ceiling on Threads threads
	// (nn.MeasurePeak), PeakKernel what ran.
	PeakGFLOPS float64 `json:"peak_gflops"`
	PeakKernel string  `json:"peak_kernel"`
	// CPU is the processor's model name (/proc/cpuinfo; empty where
	// absent) and Kernels the kernel sets ours ran (nn.KernelSet): rows
	// from one machine's set do not carry over to another's.
	CPU     string `json:"cpu"`
	Kernels string `json:"kernels"`
	// Rows are the rows of issue 23, each against its anchor, in groups.
	Rows []anchorRow `json:"rows"`
	// CropBuild is the crop build's rate where --coco-ann and
	// --coco-images named its inputs (absent otherwise).
	CropBuild *cropBuildRate `json:"crop_build,omitempty"`
}

// cropBuildRate is one fresh crop build (cropset.Build, the default
// options, no cache) timed on the wall clock.
type cropBuildRate struct {
	Annotations string  `json:"annotations"`
	Images      int     `json:"images"` // the instances file's images
	Seconds     float64 `json:"seconds"`
	ImagesPerS  float64 `json:"images_per_s"`
	Aim         string  `json:"aim"` // issue 23's, on the full-scale stand-in
}

// timeCropBuild builds the crop set of ann and its images once, with the
// default options, workers goroutines and no cache (an unnamed temporary
// file), and returns its rate.
func timeCropBuild(ctx context.Context, ann, images string, workers int) (*cropBuildRate, error) {
	t0 := time.Now()
	c, err := cropset.Build(ctx, ann, images, cropset.Options{Seed: 1, Workers: workers})
	if err != nil {
		return nil, fmt.Errorf("the crop build's row: %w", err)
	}
	sec := time.Since(t0).Seconds()
	n := 0
	for _, r := range c.Reports {
		n += r.Images
	}
	return &cropBuildRate{Annotations: ann, Images: n, Seconds: sec, ImagesPerS: float64(n) / sec, Aim: "≥ 252"}, nil
}

// The groups of anchorRow, in the order they are printed.
const (
	groupPeers  = "plain vs peers"
	groupCOCO   = "the COCO net's shapes"
	groupDeform = "deformable vs plain"
	groupNets   = "the nets"
)

// The two ways a row's ratio is formed.
const (
	peerOverOurs = "peer/ours" // > 1: ours takes less time than the peer
	oursOverPeer = "ours/peer" // our cost relative to the peer's
)

// anchorRow is one of our figures beside a peer's: an optimised library's
// (PyTorch/oneDNN, ONNX Runtime) or, in the deformable and net groups, our
// own plain layer or cnn.
type anchorRow struct {
	Group string `json:"group"`
	Name  string `json:"name"`
	Shape string `json:"shape"`
	// Unit is what OursMS and PeerMS measure: "ms" (wall milliseconds per
	// call, the median of Runs) or "cpu-ms/img" (process CPU time per image,
	// getrusage, over NetSteps batches).
	Unit   string  `json:"unit"`
	OursMS float64 `json:"ours_ms"`
	// GFLOPS is a plain convolution's rate (2·B·O·C·9·H·W per pass, three
	// passes for fwd+bwd, two without the input gradient) and PeakShare
	// that over PeakGFLOPS; absent for rows that are not a plain
	// convolution.
	GFLOPS    float64 `json:"gflops,omitempty"`
	PeakShare float64 `json:"peak_share,omitempty"`
	// Floor is, for a deformable layer's row, the ratio it would have if
	// its GEMMs (model.DeformBench.Flops) ran at PeakGFLOPS and its sampling
	// cost nothing: no kernel brings the row below it. Where it is above the
	// aim's bound, the aim cannot be met against this machine's plain route
	// (Winograd at conv2 does a quarter of the direct multiply-adds).
	Floor  float64 `json:"floor,omitempty"`
	flops  float64 // what GFLOPS counts, kept to redo the shares with a new peak
	Peer   string  `json:"peer"`
	PeerMS float64 `json:"peer_ms,omitempty"` // absent when the peer did not run
	// Ratio is PeerMS/OursMS or OursMS/PeerMS as RatioIs says, the way
	// issue 23 states the row's aim.
	Ratio   float64 `json:"ratio,omitempty"`
	RatioIs string  `json:"ratio_is"`
	Aim     string  `json:"aim"`           // issue 23's aim for Ratio ("≥ 1.0"), "" if none
	Met     *bool   `json:"met,omitempty"` // Ratio against Aim; absent without both
	Note    string  `json:"note,omitempty"`
}

// setPeer records the peer's time and the ratio, or why it did not run.
func (r *anchorRow) setPeer(ms float64, note string) {
	if !(ms > 0) || !(r.OursMS > 0) {
		r.Note = note
		return
	}
	r.PeerMS, r.Note = ms, ""
	r.Ratio = ms / r.OursMS
	if r.RatioIs == oursOverPeer {
		r.Ratio = r.OursMS / ms
	}
	if v, ok := parseAim(r.Aim); ok {
		met := r.Ratio >= v
		if strings.HasPrefix(r.Aim, "≤") {
			met = r.Ratio <= v
		}
		r.Met = &met
	}
}

// parseAim reads "≥ 1.2" or "≤ 1.15".
func parseAim(aim string) (float64, bool) {
	for _, op := range []string{"≥", "≤"} {
		if rest, ok := strings.CutPrefix(aim, op); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v, err == nil
		}
	}
	return 0, false
}

// setRate fills GFLOPS and PeakShare for a convolution of flops, and Floor
// for a deformable one whose plain twin's time (PeerMS) is known.
func (r *anchorRow) setRate(flops, peak float64) {
	if flops > 0 && r.OursMS > 0 {
		r.flops = flops
		r.GFLOPS = flops / (r.OursMS * 1e6)
		if peak > 0 {
			r.PeakShare = r.GFLOPS / peak
			if r.Group == groupDeform && r.PeerMS > 0 {
				r.Floor = flops / (peak * 1e6) / r.PeerMS
			}
		}
	}
}

// outOfReach reports whether the row's floor lies beyond its aim's bound.
func (r anchorRow) outOfReach() bool {
	v, ok := parseAim(r.Aim)
	return ok && r.Floor > 0 && strings.HasPrefix(r.Aim, "≤") && r.Floor > v
}

type layerBench struct {
	Name       string  `json:"name"`
	B, C, H, W int     `json:"-"`
	Shape      string  `json:"shape"`
	MS         float64 `json:"ms"`
}

// cmdBench runs dcn bench: it measures the engine on every row of issue 23
// against its anchor (PyTorch/oneDNN, ONNX Runtime, our plain layer or cnn).
func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dcn bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	threads := fs.Int("threads", 0, "cores to use, ours and the peers' alike (0: all, GOMAXPROCS)")
	images := fs.Int("images", 6400, "MNIST training images for the throughput runs (batches of 64, 5 warm-up steps)")
	runs := fs.Int("runs", 20, "timed calls per layer (the median is reported)")
	steps := fs.Int("steps", 8, "timed batches of 32 crops per COCO net row (CPU time per image; one warm-up batch first)")
	cocoAnn := fs.String("coco-ann", "", "a COCO instances file (e.g. ../shared/coco128/annotations/instances_train2017.json): time one fresh crop build of it, images/s (with --coco-images)")
	cocoImages := fs.String("coco-images", "", "the folder of --coco-ann's images")
	anchors := fs.Bool("anchors", true, "time the peers too: PyTorch/oneDNN (python3 with torch) and ONNX Runtime (node with onnxruntime-node); skipped with a message where absent")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *runs < 1 {
		return fmt.Errorf("--runs must be at least 1, got %d", *runs)
	}
	if *steps < 1 {
		return fmt.Errorf("--steps must be at least 1, got %d", *steps)
	}
	// GOMAXPROCS 100000 died in pthread_create with a million-line dump.
	if maxThreads := max(256, runtime.NumCPU()); *threads < 0 || *threads > maxThreads {
		return fmt.Errorf("--threads must be 0 (all cores) to %d, got %d", maxThreads, *threads)
	}
	if *threads > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(*threads))
	}
	if (*cocoAnn == "") != (*cocoImages == "") {
		return fmt.Errorf("--coco-ann and --coco-images go together (the crop build's row): got only one")
	}
	if *images < 64*(5+50) {
		return fmt.Errorf("--images %d gives fewer than 50 timed steps of 64 after the warm-up (need ≥ %d)", *images, 64*55)
	}
	res := benchResult{Threads: runtime.GOMAXPROCS(0), TrainImages: *images, Runs: *runs, NetSteps: *steps,
		LoadStart: loadAverage()}
	for _, s := range [][4]int{{64, 32, 7, 7}, {64, 32, 14, 14}, {64, 64, 16, 16}} {
		d, c := layerTimes(s, *runs)
		shape := fmt.Sprintf("%d×%d×%d×%d", s[0], s[1], s[2], s[3])
		res.Layers = append(res.Layers, layerBench{Name: "deform_conv2d_fwd_bwd", Shape: shape, MS: d},
			layerBench{Name: "conv2d_fwd_bwd", Shape: shape, MS: c})
		if s == [4]int{64, 32, 7, 7} {
			res.DCNLayerMS, res.ConvLayerMS = d, c
		}
	}
	// The peak is a ceiling: another job on a core lowers a measurement of
	// it, so it is taken before and after our rows and the higher kept.
	peak := nn.MeasurePeak(res.Threads, 300*time.Millisecond)
	rows, err := benchRows(ctx, res.Threads, *runs, *steps, peak.GFLOPS, *anchors)
	if err != nil {
		return err
	}
	if again := nn.MeasurePeak(res.Threads, 300*time.Millisecond); again.GFLOPS > peak.GFLOPS {
		for i := range rows {
			rows[i].setRate(rows[i].flops, again.GFLOPS)
		}
		peak = again
	}
	res.PeakGFLOPS, res.PeakKernel = peak.GFLOPS, peak.Kernel
	res.CPU, res.Kernels = cpuModel(), nn.KernelSet()
	res.Rows = rows
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
	if *cocoAnn != "" {
		if res.CropBuild, err = timeCropBuild(ctx, *cocoAnn, *cocoImages, res.Threads); err != nil {
			return err
		}
	}
	res.LoadEnd = loadAverage()
	if *asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	printBench(stdout, res)
	return nil
}

// benchRows measures every group of rows: ours first, then the peers.
func benchRows(ctx context.Context, threads, runs, steps int, peak float64, anchors bool) ([]anchorRow, error) {
	rows := peerRows(runs, peak)
	for _, group := range []func() ([]anchorRow, error){
		func() ([]anchorRow, error) { return cocoShapeRows(runs, peak) },
		func() ([]anchorRow, error) { return deformRows(runs, peak) },
		func() ([]anchorRow, error) { return netRows(steps) },
	} {
		if err := ctx.Err(); err != nil { // interrupted: stop between groups
			return nil, err
		}
		more, err := group()
		if err != nil {
			return nil, err
		}
		rows = append(rows, more...)
	}
	setAnchors(ctx, rows, threads, runs, anchors)
	return rows, ctx.Err()
}

// loadAverage returns the 1-minute load average, or "" where /proc/loadavg
// cannot be read.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// printBench prints res as text: a header, the rows of issue 23 under their
// group headings, then the earlier figures.
func printBench(w io.Writer, res benchResult) {
	load := "load average " + res.LoadStart + " → " + res.LoadEnd
	if res.LoadStart == "" {
		load = "load average unknown"
	}
	threads := fmt.Sprintf("%d threads", res.Threads)
	if res.Threads == 1 {
		threads = "1 thread"
	}
	fmt.Fprintf(w, "dcn bench: %s (ours and the peers), %s; layer rows: median of %d runs (wall ms), net rows: CPU per image over %d batches\n",
		threads, load, res.Runs, res.NetSteps)
	if res.CPU != "" {
		fmt.Fprintf(w, "CPU: %s\n", res.CPU)
	}
	if res.Kernels != "" {
		fmt.Fprintf(w, "kernels: %s\n", res.Kernels)
	}
	fmt.Fprintf(w, "FMA peak (%s, %s) %.1f GFLOP/s (%.1f per core)\n", res.PeakKernel, threads,
		res.PeakGFLOPS, res.PeakGFLOPS/float64(max(1, res.Threads)))
	if slices.ContainsFunc(res.Rows, func(r anchorRow) bool { return r.PeakShare > 1 }) {
		fmt.Fprintln(w, "(GFLOP/s and shares count the direct convolution's multiply-adds: the Winograd route (conv2–conv6) does fewer, so its share\n"+
			" is an effective one and can pass 100 %; elsewhere a share above 100 % means the peak was measured while other jobs held the cores)")
	}
	heads := map[string]string{
		groupPeers: "Plain convolution vs the peers (batch 64, 32→32, 3×3; ratio = peer ÷ ours, > 1: ours is faster)",
		groupCOCO:  "The COCO net's convolutions vs PyTorch/oneDNN (fwd+bwd with ReLU, 32 crops; conv1 without dL/dx on both sides; ratio = peer ÷ ours)",
		groupDeform: "Deformable vs plain at the same shape, ours (the DCNv2 layer alone, ReLU; ratio = deformable ÷ plain; GFLOP/s count its\n" +
			"GEMMs' multiply-adds; floor: the ratio with those at the FMA peak and the sampling free, out of reach where above the aim)",
		groupNets: "The COCO nets, dcnn-first vs the cnn (32 crops of 64×64; CPU ms per image; training: the cnn's CPU ÷ ours = images per CPU-second ÷ the cnn's; evaluation: ours ÷ the cnn's)",
	}
	// A long note (why a peer did not run, how to install it) is printed
	// once, under its group, and referred to by number on its rows.
	var notes []string
	flush := func() {
		for i, n := range notes {
			fmt.Fprintf(w, "  [%d] %s\n", i+1, n)
		}
		notes = notes[:0]
	}
	group := ""
	for _, r := range res.Rows {
		if r.Group != group {
			flush()
			group = r.Group
			fmt.Fprintf(w, "\n%s\n%-34s %-16s %9s %8s %5s  %-15s %9s %7s %6s %4s\n", heads[group],
				"row", "shape", "ours", "GFLOP/s", "peak", "against", "its", "ratio", "aim", "met")
		}
		gf, share := "", ""
		if r.GFLOPS > 0 {
			gf, share = fmt.Sprintf("%.1f", r.GFLOPS), fmt.Sprintf("%.0f%%", 100*r.PeakShare)
		}
		peer, ratio, met := "", "", ""
		if r.PeerMS > 0 {
			peer, ratio = fmt.Sprintf("%.3f", r.PeerMS), fmt.Sprintf("%.2f", r.Ratio)
		}
		if r.Met != nil {
			met = map[bool]string{true: "yes", false: "no"}[*r.Met]
		}
		fmt.Fprintf(w, "%-34s %-16s %9.3f %8s %5s  %-15s %9s %7s %6s %4s", r.Name, r.Shape, r.OursMS, gf, share,
			r.Peer, peer, ratio, r.Aim, met)
		if r.Floor > 0 {
			fmt.Fprintf(w, "  floor %.2f", r.Floor)
			if r.outOfReach() {
				fmt.Fprint(w, ": out of reach")
			}
		}
		switch {
		case len(r.Note) > 40:
			i := slices.Index(notes, r.Note)
			if i < 0 {
				notes, i = append(notes, r.Note), len(notes)
			}
			fmt.Fprintf(w, "  see [%d]", i+1)
		case r.Note != "":
			fmt.Fprintf(w, "  %s", r.Note)
		}
		fmt.Fprintln(w)
	}
	flush()
	fmt.Fprintf(w, "\nEarlier figures: the DCNv2 and plain layers fwd+bwd (the anchors of ../shared/anchors, wall ms)\n")
	for _, l := range res.Layers {
		fmt.Fprintf(w, "%-22s %-12s %8.2f ms\n", l.Name, l.Shape, l.MS)
	}
	fmt.Fprintf(w, "the course study's MNIST nets: cnn training %.1f images/s, dcnn training %.1f images/s (%d timed steps of 64, wall)\n",
		res.CNNTrainImgS, res.DCNNTrainImgS, res.TrainTimedStep)
	if c := res.CropBuild; c != nil {
		fmt.Fprintf(w, "the crop build of %s: %d images in %.2f s, %.0f images/s (one fresh build, no cache; issue 23's aim %s/s is on the full-scale stand-in)\n",
			c.Annotations, c.Images, c.Seconds, c.ImagesPerS, c.Aim)
	} else {
		fmt.Fprintln(w, "the crop build: not timed (give --coco-ann and --coco-images, e.g. ../shared/coco128's)")
	}
}

// peerRows times our side of the rows that have an optimised peer at the
// course study's MNIST shapes (batch 64, 32→32, 3×3, padding 1).
func peerRows(runs int, peak float64) []anchorRow {
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
	add := func(name string, hw int, ms, flops float64, peer, aim string) {
		r := anchorRow{Group: groupPeers, Name: name, Shape: fmt.Sprintf("64×32→32 %d×%d", hw, hw), Unit: "ms",
			OursMS: ms, Peer: peer, RatioIs: peerOverOurs, Aim: aim}
		r.setRate(flops, peak)
		rows = append(rows, r)
	}
	for _, hw := range []int{7, 14} {
		conv, _ := nn.NewConv2D[float32]("conv", cfg, rng)
		x := input(64, 32, hw, hw)
		dy := input(64, 32, hw, hw)
		if hw == 7 {
			add("plain conv forward", 7, median(runs, func() { conv.Forward(x, false) }), convFlops(7), "ORT", "≥ 1.2")
		}
		ms := median(runs, func() {
			conv.Forward(x, true)
			conv.Backward(dy)
		})
		add("plain conv forward+backward", hw, ms, 3*convFlops(hw), "PyTorch/oneDNN", "≥ 1.0")
	}
	x := input(64, 32, 7, 7)
	off := input(64, 18, 7, 7)
	mask := input(64, 9, 7, 7)
	d, _ := nn.NewDeformConv2D[float32]("dcn", cfg, 1, rng)
	// Inference, as ORT's DeformConv runs and as the plain row above runs
	// (train false): no column cache kept for a backward pass (until
	// session 12 this row kept one; ../shared/anchors/ort/pair.sh still
	// times the training forward on both of our sides).
	d.NoColumnCache = true
	add("deformable layer forward", 7, median(runs, func() { d.Forward(x, off, mask) }), 0, "ORT", "≥ 4")
	blk, _ := nn.NewDeformBlock[float32]("block", nn.DeformBlockConfig{Conv2DConfig: cfg}, rng)
	add("DCNv2 block forward", 7, median(runs, func() { blk.Forward(x, false) }), 0, "ORT", "")
	return rows
}

// setAnchors runs the peers (with anchors) and fills their side of the
// rows whose peer is PyTorch or ORT.
func setAnchors(ctx context.Context, rows []anchorRow, threads, runs int, anchors bool) {
	torchMS, torchNote := map[int]float64{}, "not run (--anchors=false)"
	cocoMS, cocoNote := map[string]float64{}, torchNote
	ortMS, ortNote := map[string]float64{}, torchNote
	if anchors {
		torchMS, torchNote = torchConvAnchor(ctx, threads, runs)
		cocoMS, cocoNote = torchCOCO(ctx, threads, runs)
		ortMS, ortNote = ortAnchor(ctx, threads, runs)
	}
	for i := range rows {
		r := &rows[i]
		switch {
		case r.Group == groupCOCO:
			r.setPeer(cocoMS[r.Name], cocoNote)
		case r.Peer == "PyTorch/oneDNN":
			hw, _ := strconv.Atoi(r.Shape[strings.LastIndex(r.Shape, "×")+len("×"):])
			r.setPeer(torchMS[hw], torchNote)
		case r.Peer == "ORT":
			key := map[string]string{"plain conv forward": "conv", "deformable layer forward": "dcn", "DCNv2 block forward": "block"}[r.Name]
			r.setPeer(ortMS[key], ortNote)
		}
	}
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
	out, note := runTorch(ctx, torchAnchor, threads, runs)
	if note != "" {
		return nil, note
	}
	ms := parseTorchAnchor(out)
	if len(ms) == 0 {
		return nil, "not run: the PyTorch anchor printed nothing usable: " + firstLine(out)
	}
	return ms, ""
}

// runTorch runs a PyTorch anchor script with the system python3 and the
// arguments threads and runs; it returns its output, or a note saying why
// it did not run (no python3, no torch, the script failed).
func runTorch(ctx context.Context, script string, threads, runs int) (string, string) {
	// Debian's python3-torch lives in the system interpreter, which a
	// python3 earlier on PATH (pyenv, a venv) may not see.
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		if py, err = exec.LookPath("python3"); err != nil {
			return "", "not run: no python3 (Debian: apt-get install python3-torch)"
		}
	}
	out, err := exec.CommandContext(ctx, py, "-c", script, strconv.Itoa(threads), strconv.Itoa(runs)).CombinedOutput()
	if err != nil {
		// A traceback's last line names the fault (ModuleNotFoundError: …).
		return "", fmt.Sprintf("not run: python3 with torch failed (%v; Debian: apt-get install python3-torch): %s",
			err, lastLine(string(out)))
	}
	return string(out), ""
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

// lastLine returns s's last non-empty line, at most 200 bytes.
func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return firstLine(s[strings.LastIndex(s, "\n")+1:])
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

// cpuModel returns the first "model name" of /proc/cpuinfo, or "" where
// there is none (not Linux, or not x86).
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
