package train_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/train"
)

// BenchmarkTrainStep measures one optimisation step of the course study's MNIST
// nets on real MNIST batches of 64 with Adam; images/s is the figure the
// performance targets use.
func BenchmarkTrainStep(b *testing.B) {
	for _, name := range experiment.MNISTModels {
		b.Run(name, func(b *testing.B) {
			rc := benchConfig(name)
			rc.Limit, rc.Scales = 64*20, nil
			d, err := experiment.LoadData(rc)
			if err != nil {
				b.Skipf("MNIST is not available: %v", err)
			}
			net, err := experiment.NewNet(rc, name)
			if err != nil {
				b.Fatal(err)
			}
			rc.Train.Batch = 64
			tr, err := train.NewTrainer(name, net, d.Data, rc.Train)
			if err != nil {
				b.Fatal(err)
			}
			order := train.EpochOrder(1, 0, d.Train.N)
			var correct, i int
			b.ReportAllocs()
			c0 := cpuTime()
			for b.Loop() {
				lo := (i % 20) * 64
				if _, _, err := tr.Step(order[lo:lo+64], &correct); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(64*float64(b.N)/b.Elapsed().Seconds(), "img/s")
			// CPU per image is the steadier figure on a shared machine.
			b.ReportMetric(float64(cpuTime()-c0)/1e3/(64*float64(b.N)), "cpu-µs/img")
		})
	}
}

// BenchmarkEvaluate measures a forward-only pass over 1024 test images.
func BenchmarkEvaluate(b *testing.B) {
	for _, name := range experiment.MNISTModels {
		b.Run(name, func(b *testing.B) {
			rc := benchConfig(name)
			rc.Limit, rc.TestLimit, rc.Scales, rc.Train.Batch = 64, 1024, nil, 64
			d, err := experiment.LoadData(rc)
			if err != nil {
				b.Skipf("MNIST is not available: %v", err)
			}
			net, _ := experiment.NewNet(rc, name)
			tr, err := train.NewTrainer(name, net, d.Data, rc.Train)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tr.Pass(context.Background(), d.Test); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(1024*float64(b.N)/b.Elapsed().Seconds(), "img/s")
		})
	}
}

// benchConfig is the small MNIST run the benchmarks start from.
func benchConfig(name string) experiment.RunConfig {
	return experiment.RunConfig{Data: "mnist", Models: []string{name}, Limit: 256, Val: 64, TestLimit: 128,
		Train: train.Config{Epochs: 2, Batch: 32, EvalBatch: 64, Optimizer: "adam", LR: 2e-3, StepGamma: 0.7, StepSize: 1, Seed: 7}}
}

// cpuTime returns the process's user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
