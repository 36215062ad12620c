package train

import (
	"context"
	"fmt"
	"time"

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
// The numbers are the same with or without a gate, and whatever the turns:
// every layer computes into fresh buffers as it would into reused ones.
type MemoryGate struct {
	slots     chan struct{}
	turnSteps int           // a turn's least steps or batches
	turnTime  time.Duration // and its least time
}

// NewMemoryGate returns a gate that lets slots trainers hold their working
// memory at once.
func NewMemoryGate(slots int) (*MemoryGate, error) {
	if slots < 1 {
		return nil, fmt.Errorf("train: a memory gate needs at least one slot, got %d", slots)
	}
	return &MemoryGate{slots: make(chan struct{}, slots), turnSteps: gateTurn, turnTime: gateTurnTime}, nil
}

// SetTurn sets how long a trainer keeps its slot once it has it: at least
// steps training steps or evaluation batches (at least 1) and at least
// least of time, whichever ends later (NewMemoryGate's: gateTurn and
// gateTurnTime); an inspection counts as a step. A turn still ends early
// at a pause, the end of an epoch, of Run or of an evaluation (Evaluate,
// EvaluateAll). Call it before the trainers start.
func (g *MemoryGate) SetTurn(steps int, least time.Duration) {
	g.turnSteps, g.turnTime = max(1, steps), max(0, least)
}

// Slots returns how many trainers may hold their working memory at once.
func (g *MemoryGate) Slots() int { return cap(g.slots) }

// gateTurn and gateTurnTime are how long a trainer keeps its slot once it
// has it: at least 4 training steps or evaluation batches, and at least
// 3 s. Each turn's first step rebuilds the net's buffers (nn.Release gave
// them up), which cost a COCO dcnn-first step 7-30 % more CPU time
// (BenchmarkCOCOStepMemoryGate). With turns of 4 steps alone (4 evaluation
// batches are a fraction of a second) dcn train --model all, the study's
// four COCO nets, took 365 s and 680 s of CPU for an epoch of 6,400
// training crops and the evaluation on the full-scale stand-in, where the
// four nets one after another took 296 s and 568 s; with the least time,
// 295 s and 560 s (quiet 2-core Zen 3, one run each; docs/PERFORMANCE.md,
// session 17). In the app each net's curves still move every few seconds;
// with four nets each waits the others' turns, at least 9 s.
const (
	gateTurn     = 4
	gateTurnTime = 3 * time.Second
)

// turn is a trainer's hold on its gate's slot.
type turn struct {
	held  bool
	left  int       // steps or batches before the turn may end
	start time.Time // when the slot was taken
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
	t.turn = turn{held: true, left: g.turnSteps, start: time.Now()}
	return nil
}

// done counts one step or batch of t's turn and ends the turn once it has
// lasted the gate's least steps and least time (SetTurn).
func (t *Trainer) done() {
	if !t.turn.held {
		return
	}
	if t.turn.left--; t.turn.left <= 0 && time.Since(t.turn.start) >= t.Gate.turnTime {
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
