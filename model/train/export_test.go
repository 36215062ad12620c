package train

import (
	"context"
	"time"

	"github.com/deformscope/deformscope/model/data"
)

// The benchmarks (package train_test, which may import the experiment
// settings that themselves import train) time these unexported steps.

// EpochOrder is epochOrder.
var EpochOrder = epochOrder

// Step is step.
func (t *Trainer) Step(idx []int, correct *int) (float64, bool, error) {
	return t.step(context.Background(), batches{}, idx, correct)
}

// Pass is pass.
func (t *Trainer) Pass(ctx context.Context, s *data.Set) (evalResult, error) { return t.pass(ctx, s) }

// Take takes one of g's slots, as a trainer's step does.
func (g *MemoryGate) Take() { g.slots <- struct{}{} }

// Give gives back a slot that Take took.
func (g *MemoryGate) Give() { <-g.slots }

// Held is how many of g's slots are taken.
func (g *MemoryGate) Held() int { return len(g.slots) }

// Turn is g's least steps and least time a turn (SetTurn).
func (g *MemoryGate) Turn() (int, time.Duration) { return g.turnSteps, g.turnTime }

// LetGo is letGo.
func (t *Trainer) LetGo() { t.letGo() }
