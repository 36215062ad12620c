package model

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/deformscope/deformscope/model/nn"
)

// BenchmarkCOCONetStep measures a forward and backward pass of the COCO
// net on a batch of 32 random 64×64 crops, for each placement of the
// deformable pair (images/s is the figure to compare).
func BenchmarkCOCONetStep(b *testing.B) {
	for _, p := range []Placement{PlaceNone, PlaceFirst, PlaceMiddle, PlaceLast} {
		b.Run(string(p), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			net, err := NewCOCONet[float32](COCOConfig{Size: 64, Classes: 10, Deform: p}, rng)
			if err != nil {
				b.Fatal(err)
			}
			x := nn.New[float32](32, 3, 64, 64)
			for i := range x.Data() {
				x.Data()[i] = float32(rng.NormFloat64())
			}
			var dy *nn.Tensor[float32]
			b.ReportAllocs()
			c0 := cpuTime()
			for b.Loop() {
				y, err := net.Forward(x, true)
				if err != nil {
					b.Fatal(err)
				}
				if dy == nil {
					dy = nn.New[float32](y.Shape()...)
					for i := range dy.Data() {
						dy.Data()[i] = 0.01
					}
				}
				if err := net.Backward(dy); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(32*float64(b.N)/b.Elapsed().Seconds(), "img/s")
			// CPU per image is the steadier figure on a shared machine.
			b.ReportMetric(float64(cpuTime()-c0)/1e6/(32*float64(b.N)), "cpu-ms/img")
		})
	}
}

// BenchmarkCOCONetEval measures the COCO net's forward pass in evaluation
// (train false) on a batch of 32 random 64×64 crops, for each placement of
// the deformable pair: cpu-ms/img is evaluation's CPU per crop.
func BenchmarkCOCONetEval(b *testing.B) {
	for _, p := range []Placement{PlaceNone, PlaceFirst, PlaceMiddle, PlaceLast} {
		b.Run(string(p), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			net, err := NewCOCONet[float32](COCOConfig{Size: 64, Classes: 10, Deform: p}, rng)
			if err != nil {
				b.Fatal(err)
			}
			x := nn.New[float32](32, 3, 64, 64)
			for i := range x.Data() {
				x.Data()[i] = float32(rng.NormFloat64())
			}
			b.ReportAllocs()
			c0 := cpuTime()
			for b.Loop() {
				if _, err := net.Forward(x, false); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(32*float64(b.N)/b.Elapsed().Seconds(), "img/s")
			b.ReportMetric(float64(cpuTime()-c0)/1e6/(32*float64(b.N)), "cpu-ms/img")
		})
	}
}

// cpuTime returns the process's user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
