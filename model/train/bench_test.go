package train

import (
	"context"
	"testing"
)

// BenchmarkTrainStep measures one optimisation step of the seed's MNIST
// nets on real MNIST batches of 64 with Adam; images/s is the figure the
// performance targets use.
func BenchmarkTrainStep(b *testing.B) {
	for _, name := range MNISTModels {
		b.Run(name, func(b *testing.B) {
			rc := tinyConfig(name)
			rc.Limit, rc.Scales = 64*20, nil
			d, err := LoadData(rc)
			if err != nil {
				b.Skipf("MNIST is not available: %v", err)
			}
			net, err := NewNet(rc, name)
			if err != nil {
				b.Fatal(err)
			}
			rc.Train.Batch = 64
			tr, err := NewTrainer(name, net, d, rc.Train)
			if err != nil {
				b.Fatal(err)
			}
			order := epochOrder(1, 0, d.Train.N)
			var correct, i int
			b.ReportAllocs()
			for b.Loop() {
				lo := (i % 20) * 64
				if _, _, err := tr.step(order[lo:lo+64], &correct); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(64*float64(b.N)/b.Elapsed().Seconds(), "img/s")
		})
	}
}

// BenchmarkEvaluate measures a forward-only pass over 1024 test images.
func BenchmarkEvaluate(b *testing.B) {
	for _, name := range MNISTModels {
		b.Run(name, func(b *testing.B) {
			rc := tinyConfig(name)
			rc.Limit, rc.TestLimit, rc.Scales, rc.Train.Batch = 64, 1024, nil, 64
			d, err := LoadData(rc)
			if err != nil {
				b.Skipf("MNIST is not available: %v", err)
			}
			net, _ := NewNet(rc, name)
			tr, err := NewTrainer(name, net, d, rc.Train)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tr.pass(context.Background(), d.Test); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(1024*float64(b.N)/b.Elapsed().Seconds(), "img/s")
		})
	}
}
