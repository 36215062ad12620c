package train

import (
	"context"
	"fmt"

	"github.com/deformscope/deformscope/model/nn"
)

// MemoryGate bounds the working memory of trainers that run at the same
// time: at most Slots of them hold their nets' layer buffers at once.
//
// A layer keeps its activations, gradients, column matrices and scratch
// buffers from one Forward to the next, so that Backward can follow and the
// next batch reuses them. For one net that is the right trade. Four COCO
// nets training at once (dcn train --model all, as dcn reproduce coco runs
// them) kept four sets: 883 MB live and a 2.2 GB peak at batch 32 on
// coco128. A trainer with a gate takes a slot for each training step,
// evaluation batch and inspection, and releases its net's buffers
// (nn.Release) before it gives the slot back, so at most Slots nets' buffers
// are live while the others wait. The parameters, their gradients, the
// optimiser's state and the deformable blocks' last sampling are kept.
//
// The numbers are the same with or without a gate: every layer computes
// into fresh buffers as it would into reused ones.
type MemoryGate struct {
	slots chan struct{}
}

// NewMemoryGate returns a gate that lets slots trainers hold their working
// memory at once.
func NewMemoryGate(slots int) (*MemoryGate, error) {
	if slots < 1 {
		return nil, fmt.Errorf("train: a memory gate needs at least one slot, got %d", slots)
	}
	return &MemoryGate{slots: make(chan struct{}, slots)}, nil
}

// Slots returns how many trainers may hold their working memory at once.
func (g *MemoryGate) Slots() int { return cap(g.slots) }

// gateTurn is how many steps or evaluation batches a trainer runs each
// time it takes the slot before it releases its buffers and gives the slot
// back. Rebuilding the buffers cost a COCO dcnn-first step 7-30 % more CPU
// time (BenchmarkCOCOStepMemoryGate, loaded machine); four steps a turn pay
// that once for four.
const gateTurn = 4

// turn is a trainer's hold on its gate's slot.
type turn struct {
	held bool
	left int // steps or batches before the turn ends
}

// hold makes sure t holds a slot for its next step or evaluation batch,
// waiting for one until ctx is done. Without a gate it does nothing: the
// net keeps its buffers for the next batch.
func (t *Trainer) hold(ctx context.Context) error {
	g := t.Gate
	if g == nil || t.turn.held {
		return nil
	}
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	t.turn = turn{held: true, left: gateTurn}
	return nil
}

// done counts one step or batch of t's turn and ends the turn after
// gateTurn of them.
func (t *Trainer) done() {
	if !t.turn.held {
		return
	}
	if t.turn.left--; t.turn.left <= 0 {
		t.letGo()
	}
}

// letGo ends t's turn, if it holds one: it releases t's net's buffers and
// gives the slot back. A trainer lets go before anything that does not
// compute (a pause, the end of an epoch or of Run).
func (t *Trainer) letGo() {
	if !t.turn.held {
		return
	}
	for _, l := range t.Net.Layers {
		nn.Release(l)
	}
	t.turn = turn{}
	<-t.Gate.slots
}
