package runner

import (
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/train"
)

// memorySlots is how many of a COCO session's nets hold their working
// memory (activations, gradients, column matrices, scratch) at once when
// several train together. One keeps dcn train --model all (the four COCO
// nets) under 1 GB at batch 32 for the same CPU time: the nets' steps run
// one at a time, each on every core (docs/PERFORMANCE.md, "Training on the
// full cache").
const memorySlots = 1

// shareMemory gives the trainers of a COCO session of several nets one
// memory gate. MNIST's nets keep tens of MB each, and there rebuilding the
// buffers at every step would cost more than it saves (about a fifth more
// CPU time for dcn train --model both, measured).
func shareMemory(rc experiment.RunConfig, ts []*train.Trainer) {
	if len(ts) < 2 || rc.Data != "coco" {
		return
	}
	g, err := train.NewMemoryGate(memorySlots)
	if err != nil {
		panic(err) // memorySlots is a positive constant
	}
	for _, t := range ts {
		t.Gate = g
	}
}
