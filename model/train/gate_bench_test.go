package train_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/deformscope/deformscope/model/data"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/train"
)

// BenchmarkCOCOStepMemoryGate measures a training step of the COCO cnn and
// dcnn-first at the course study's batch of 32 with the net keeping its
// buffers between steps and with a memory gate, which releases them after
// every step (as when the four nets train together). cpu-µs/img is the
// steadier figure on a shared machine; B/op is what the gate makes the
// step allocate again.
func BenchmarkCOCOStepMemoryGate(b *testing.B) {
	const n, size, batch = 256, 64, 32
	rng := rand.New(rand.NewPCG(1, 2))
	pix := make([]uint8, n*3*size*size)
	for i := range pix {
		pix[i] = uint8(rng.IntN(256))
	}
	labels := make([]uint8, n)
	for i := range labels {
		labels[i] = uint8(i % 10)
	}
	set, err := data.NewSet("bench", pix, labels, n, 3, size, size, []float32{0.485, 0.456, 0.406}, []float32{0.229, 0.224, 0.225})
	if err != nil {
		b.Fatal(err)
	}
	coco := experiment.DefaultCOCO("ann.json", "images")
	for _, name := range []string{"cnn", "dcnn-first"} {
		for _, gated := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/gated=%v", name, gated), func(b *testing.B) {
				rc := experiment.RunConfig{Data: "coco", COCO: coco, Models: []string{name},
					Train: train.Config{Epochs: 1, Batch: batch, Optimizer: "sgd", LR: 1e-3, Momentum: 0.9, Seed: 1}}
				net, err := experiment.NewNet(rc, name)
				if err != nil {
					b.Fatal(err)
				}
				tr, err := train.NewTrainer(name, net, train.Data{Train: set}, rc.Train)
				if err != nil {
					b.Fatal(err)
				}
				if gated {
					if tr.Gate, err = train.NewMemoryGate(1); err != nil {
						b.Fatal(err)
					}
					tr.Gate.SetTurn(1, 0) // a turn a step: the rebuild's whole cost
				}
				order := train.EpochOrder(1, 0, n)
				var correct, i int
				b.ReportAllocs()
				c0 := cpuTime()
				for b.Loop() {
					lo := (i % (n / batch)) * batch
					if _, _, err := tr.Step(order[lo:lo+batch], &correct); err != nil {
						b.Fatal(err)
					}
					i++
				}
				b.ReportMetric(float64(cpuTime()-c0)/1e3/(batch*float64(b.N)), "cpu-µs/img")
			})
		}
	}
}
