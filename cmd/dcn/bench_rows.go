package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/nn"
)

// The COCO net's rows: its six convolutions against PyTorch, its deformable
// layers against the plain ones of the same shape, and dcnn-first against
// the cnn. The cases come from package model (benchcase.go), which its
// benchmarks time too.

// cocoBatch and cocoSize are the COCO net's batch of crops and their size.
const cocoBatch, cocoSize = 32, 64

// cocoShapeRows times the COCO net's six convolutions, forward and backward
// as the net runs them (ReLU fused, conv1 without the input gradient).
func cocoShapeRows(runs int, peak float64) ([]anchorRow, error) {
	convs, err := model.COCOConvBenches(cocoBatch, cocoSize)
	if err != nil {
		return nil, err
	}
	var rows []anchorRow
	for _, c := range convs {
		r := anchorRow{Group: groupCOCO, Name: c.Name, Shape: c.Shape(), Unit: "ms", OursMS: median(runs, c.FwdBwd),
			Peer: "PyTorch/oneDNN", RatioIs: peerOverOurs, Aim: "≥ 1.0"}
		r.setRate(c.Flops(true), peak)
		rows = append(rows, r)
	}
	return rows, nil
}

// deformRows times the deformable layer against our plain convolution of
// the same shape, forward (as evaluation runs it) and forward+backward, at
// the MNIST net's 7×7 (batch 64, 32→32) and dcnn-first's conv1 and conv2
// (32 crops of 64×64). The two layers' calls alternate, so that a change in
// the machine's load falls on both. Each row's GFLOP/s and floor count the
// deformable layer's GEMMs against peak, the FMA ceiling measured.
func deformRows(runs int, peak float64) ([]anchorRow, error) {
	rng := rand.New(rand.NewPCG(9, 10))
	cfg := nn.Conv2DConfig{In: 32, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}
	conv, err := nn.NewConv2D[float32]("conv", cfg, rng)
	if err != nil {
		return nil, err
	}
	dcn, err := nn.NewDeformConv2D[float32]("dcn", cfg, 1, rng)
	if err != nil {
		return nil, err
	}
	pair := model.COCOLayerPair{Plain: model.NewConvBench("7×7", conv, 64, 7, 7, rng),
		Deform: model.NewDeformBench("7×7", dcn, 64, 7, 7, rng)}
	pair.Deform.X = pair.Plain.X
	coco, err := model.COCOLayerPairs(model.PlaceFirst, cocoBatch, cocoSize)
	if err != nil {
		return nil, err
	}
	var rows []anchorRow
	for _, p := range append([]model.COCOLayerPair{pair}, coco...) {
		name := "dcnn-first " + p.Plain.Name
		if p.Plain.Name == "7×7" {
			name = "MNIST net conv3–5"
		}
		note := ""
		if p.Plain.Conv.NoInputGrad {
			note = "neither side computes dL/dx, as neither net's first layer does"
		}
		for _, fwd := range []bool{true, false} {
			plain, deform, what := p.Plain.FwdBwd, p.Deform.FwdBwd, " forward+backward"
			if fwd {
				plain, deform, what = p.Plain.Forward, p.Deform.Forward, " forward"
			}
			pm, dm := medianPair(runs, plain, deform)
			r := anchorRow{Group: groupDeform, Name: name + what, Shape: p.Plain.Shape(), Unit: "ms", OursMS: dm,
				Peer: "our plain conv", RatioIs: oursOverPeer, Aim: "≤ 1.15"}
			r.setPeer(pm, "")
			r.setRate(p.Deform.Flops(!fwd), peak)
			if !fwd {
				r.Note = note
			}
			rows = append(rows, r)
		}
	}
	return rows, nil
}

// netRows times dcnn-first against the cnn (the COCO net, 32 crops of
// 64×64): a training step's forward and backward pass and evaluation's
// forward pass, in CPU time per image as `go test ./model -bench
// 'COCONet(Step|Eval)'` reports it. The two nets' batches alternate.
func netRows(steps int) ([]anchorRow, error) {
	cnn, err := model.NewCOCONetBench(model.PlaceNone, cocoBatch, cocoSize)
	if err != nil {
		return nil, err
	}
	first, err := model.NewCOCONetBench(model.PlaceFirst, cocoBatch, cocoSize)
	if err != nil {
		return nil, err
	}
	_, cpu := model.CPUTime()
	unit := "cpu-ms/img"
	if !cpu {
		unit = "ms/img" // wall time: no CPU time on this system
	}
	shape := fmt.Sprintf("%d×3 %d×%d", cocoBatch, cocoSize, cocoSize) // batch×channels, crop
	var rows []anchorRow
	for _, c := range []struct {
		name, ratioIs, aim string
		run                func(*model.NetBench) error
	}{
		{"dcnn-first training step", peerOverOurs, "≥ 0.7", (*model.NetBench).Step},
		{"dcnn-first evaluation", oursOverPeer, "≤ 2", (*model.NetBench).Eval},
	} {
		var per [2]time.Duration
		for _, nb := range []*model.NetBench{cnn, first} {
			if err := c.run(nb); err != nil { // warm-up: buffers are allocated on the first call
				return nil, err
			}
		}
		for range steps {
			for i, nb := range []*model.NetBench{cnn, first} {
				t0, c0 := time.Now(), cpuNow()
				if err := c.run(nb); err != nil {
					return nil, err
				}
				if cpu {
					per[i] += cpuNow() - c0
				} else {
					per[i] += time.Since(t0)
				}
			}
		}
		ms := func(d time.Duration) float64 { return d.Seconds() * 1000 / float64(steps*cocoBatch) }
		r := anchorRow{Group: groupNets, Name: c.name, Shape: shape, Unit: unit,
			OursMS: ms(per[1]), Peer: "our cnn", RatioIs: c.ratioIs, Aim: c.aim}
		r.setPeer(ms(per[0]), "")
		rows = append(rows, r)
	}
	return rows, nil
}

// cpuNow returns the process's CPU time so far (0 where it cannot be read).
func cpuNow() time.Duration {
	d, _ := model.CPUTime()
	return d
}

// medianPair calls a and b once each to warm up, then runs times each,
// alternating, and returns the median milliseconds of each.
func medianPair(runs int, a, b func()) (float64, float64) {
	a()
	b()
	ta, tb := make([]float64, runs), make([]float64, runs)
	for i := range runs {
		for _, c := range []struct {
			fn func()
			ts []float64
		}{{a, ta}, {b, tb}} {
			t := time.Now()
			c.fn()
			c.ts[i] = float64(time.Since(t).Microseconds()) / 1000
		}
	}
	slices.Sort(ta)
	slices.Sort(tb)
	return ta[runs/2], tb[runs/2]
}

// torchCOCOAnchor is the PyTorch side of the COCO net's rows: each of its
// six convolutions with its ReLU, forward and backward on 32 crops, conv1
// without the input gradient as our net's first layer runs it.
const torchCOCOAnchor = `import sys, time, statistics, torch
torch.set_num_threads(int(sys.argv[1])); runs = int(sys.argv[2])
for name, cin, cout, hw in [("conv1",3,32,64),("conv2",32,32,64),("conv3",32,64,32),("conv4",64,64,32),("conv5",64,128,16),("conv6",128,128,16)]:
    x = torch.randn(32, cin, hw, hw, requires_grad=(name != "conv1"))
    w = torch.randn(cout, cin, 3, 3, requires_grad=True); bias = torch.zeros(cout, requires_grad=True)
    def step():
        y = torch.relu(torch.nn.functional.conv2d(x, w, bias, padding=1)); y.sum().backward()
    step(); ts = []
    for _ in range(runs):
        t = time.perf_counter(); step(); ts.append(time.perf_counter() - t)
    print(name, "%.3f ms" % (1000 * statistics.median(ts)))
`

// torchCOCO runs torchCOCOAnchor and returns the median ms by layer name,
// or a note saying why it did not run.
func torchCOCO(ctx context.Context, threads, runs int) (map[string]float64, string) {
	out, note := runTorch(ctx, torchCOCOAnchor, threads, runs)
	if note != "" {
		return nil, note
	}
	ms := parseTorchCOCOAnchor(out)
	if len(ms) == 0 {
		return nil, "not run: the PyTorch COCO anchor printed nothing usable: " + firstLine(out)
	}
	return ms, ""
}

// parseTorchCOCOAnchor reads torchCOCOAnchor's lines "conv2 42.013 ms";
// lines that name no convolution of the COCO net, or give a time that is
// not positive and finite, are skipped.
func parseTorchCOCOAnchor(out string) map[string]float64 {
	ms := map[string]float64{}
	for line := range strings.SplitSeq(out, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[2] != "ms" || !slices.Contains(model.COCOConvs, f[0]) {
			continue
		}
		if v, err := strconv.ParseFloat(f[1], 64); err == nil && validMS(v) {
			ms[f[0]] = v
		}
	}
	return ms
}
