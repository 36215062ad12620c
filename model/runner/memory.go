package runner

import "github.com/deformscope/deformscope/model/train"

// memorySlots is how many of a session's nets hold their working memory
// (activations, gradients, column matrices, scratch) at once when several
// train together. One keeps dcn train --model all (the four COCO nets)
// under 1 GB at batch 32 and costs no CPU time: the nets' steps run one at
// a time, each on every core (docs/PERFORMANCE.md, "Training on the full
// cache").
const memorySlots = 1

// shareMemory gives trainers that train at the same time one memory gate.
func shareMemory(ts []*train.Trainer) {
	if len(ts) < 2 {
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
