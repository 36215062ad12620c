package runner

import (
	"os"
	"runtime/debug"

	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/train"
)

// memorySlots is how many of a COCO session's nets hold their working
// memory (activations, gradients, column matrices, scratch) at once when
// several train together. One keeps dcn train --model all (the four COCO
// nets) under 1 GB at batch 32 (2.0-2.3 GB before) for the same CPU time: the nets' steps run
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

// GatedGCPercent is the collector's target (GOGC) while a session whose
// nets share a memory gate trains. A net that gives up the slot leaves its
// buffers as garbage until the next collection, so the peak is about the
// live heap of one net's step plus this percentage of it. At 50 instead of
// Go's 100, dcn train --model all at batch 32 on coco128 peaked at 595-630
// MB instead of 748-875 MB for the same CPU time, the nets then releasing
// their buffers after every step (docs/PERFORMANCE.md).
const GatedGCPercent = 50

// tuneCollector sets GatedGCPercent for a gated session, unless GOGC is
// set, and returns the function that restores the previous setting.
func tuneCollector(s *Session) (restore func()) {
	if len(s.Trainers) == 0 || s.Trainers[0].Gate == nil || os.Getenv("GOGC") != "" {
		return func() {}
	}
	prev := debug.SetGCPercent(GatedGCPercent)
	return func() { debug.SetGCPercent(prev) }
}
