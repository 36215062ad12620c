package model

import (
	"testing"
	"time"
)

// BenchmarkCOCONetStep measures a forward and backward pass of the COCO
// net on a batch of 32 random 64×64 crops, for each placement of the
// deformable pair (images/s is the figure to compare). `dcn bench` times
// the same NetBench.
func BenchmarkCOCONetStep(b *testing.B) {
	benchNet(b, (*NetBench).Step)
}

// BenchmarkCOCONetEval measures the COCO net's forward pass in evaluation
// (train false) on a batch of 32 random 64×64 crops, for each placement of
// the deformable pair: cpu-ms/img is evaluation's CPU per crop.
func BenchmarkCOCONetEval(b *testing.B) {
	benchNet(b, (*NetBench).Eval)
}

func benchNet(b *testing.B, run func(*NetBench) error) {
	for _, p := range []Placement{PlaceNone, PlaceFirst, PlaceMiddle, PlaceLast} {
		b.Run(string(p), func(b *testing.B) {
			nb, err := NewCOCONetBench(p, 32, 64)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			c0 := cpuTime()
			for b.Loop() {
				if err := run(nb); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(32*float64(b.N)/b.Elapsed().Seconds(), "img/s")
			// CPU per image is the steadier figure on a shared machine.
			b.ReportMetric(float64(cpuTime()-c0)/1e6/(32*float64(b.N)), "cpu-ms/img")
		})
	}
}

// BenchmarkCOCOLayers is the COCO net's six convolutions as the cnn runs
// them (32 crops of 64×64, fwd+bwd with ReLU, conv1 without the input
// gradient) and dcnn-first's two deformable layers ("conv1/deform",
// "conv2/deform") on the same inputs: the cases `dcn bench` prints beside
// PyTorch's and the deformable / plain ratio.
func BenchmarkCOCOLayers(b *testing.B) {
	convs, err := COCOConvBenches(32, 64)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range convs {
		b.Run(c.Name+"/plain", func(b *testing.B) {
			c.FwdBwd()
			cpuLoop(b, c.Flops(true), c.FwdBwd)
		})
	}
	pairs, err := COCOLayerPairs(PlaceFirst, 32, 64)
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range pairs {
		b.Run(p.Deform.Name+"/deform", func(b *testing.B) {
			p.Deform.FwdBwd()
			cpuLoop(b, p.Plain.Flops(false)*3, p.Deform.FwdBwd)
		})
	}
}

// cpuLoop times body in b.Loop and reports the CPU time per call and, for
// flops > 0, the rate per core of CPU time.
func cpuLoop(b *testing.B, flops float64, body func()) {
	b.ReportAllocs()
	c0 := cpuTime()
	for b.Loop() {
		body()
	}
	cpu := float64(cpuTime()-c0) / float64(b.N)
	b.ReportMetric(cpu, "cpu-ns/op")
	if flops > 0 && cpu > 0 {
		b.ReportMetric(flops/cpu, "GFLOP/s-core")
	}
}

// cpuTime returns the process's user + system CPU time so far.
func cpuTime() time.Duration {
	d, _ := CPUTime()
	return d
}
