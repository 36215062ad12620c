package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/nn"
	"github.com/deformscope/deformscope/model/rundir"
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
}

type layerBench struct {
	Name       string  `json:"name"`
	B, C, H, W int     `json:"-"`
	Shape      string  `json:"shape"`
	MS         float64 `json:"ms"`
}

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dcn bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	threads := fs.Int("threads", 0, "cores to use (0: all, GOMAXPROCS)")
	images := fs.Int("images", 6400, "MNIST training images for the throughput runs (batches of 64, 5 warm-up steps)")
	runs := fs.Int("runs", 20, "timed calls per layer (the median is reported)")
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
	return nil
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

// trainThroughput trains one epoch of the seed's net on the first images
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
	s, err := rundir.NewSession(rc, d, nil)
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
