package train_test

import (
	"context"
	"errors"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/deformscope/deformscope/model/experiment/experimenttest"

	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/train"
)

// gatedRun trains a cnn and a dcnn together on the tiny data set, sharing a
// memory gate of slots when slots > 0, and returns their epoch records,
// their final weights and the live heap afterwards with the trainers (and
// so their nets) still reachable.
func gatedRun(t *testing.T, slots int) (recs []metrics.Epoch, weights [][]float32, live uint64) {
	t.Helper()
	rc := experimenttest.TinyConfig("cnn", "dcnn")
	rc.Train.Epochs = 1
	trs := trainers(t, rc, experimenttest.TinyData(t))
	if slots > 0 {
		g, err := train.NewMemoryGate(slots)
		if err != nil {
			t.Fatal(err)
		}
		// A turn a step, so that the nets give up and rebuild their
		// buffers between steps and evaluation batches (the tiny run fits
		// in one turn of the default 3 s).
		g.SetTurn(1, 0)
		for _, tr := range trs {
			tr.Gate = g
		}
	}
	var mu sync.Mutex
	if err := runAll(context.Background(), trs, func(e train.Event) {
		if e.Kind == train.KindEpoch {
			mu.Lock()
			recs = append(recs, e.Epoch)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	for _, tr := range trs {
		for _, p := range tr.Net.Params() {
			weights = append(weights, slices.Clone(p.Value.Data()))
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	runtime.KeepAlive(trs)
	return comparable(recs), weights, ms.HeapAlloc
}

// TestMemoryGate checks that nets sharing a one-slot gate compute the same
// numbers as nets that keep their buffers, and that they let go of their
// layer buffers: after the run the live heap is smaller by at least what
// the cnn's first convolution alone keeps from its last evaluation batch.
func TestMemoryGate(t *testing.T) {
	recs0, w0, live0 := gatedRun(t, 0)
	recs1, w1, live1 := gatedRun(t, 1)
	// The first convolution's output: EvalBatch images of 32 channels of
	// 28×28 float32s (a lower bound on what an ungated net keeps).
	kept := uint64(experimenttest.TinyConfig("cnn").Train.EvalBatch * 32 * 28 * 28 * 4)
	t.Logf("live heap after training: %d bytes without a gate, %d with one", live0, live1)
	if !reflect.DeepEqual(recs0, recs1) {
		t.Errorf("records differ with a memory gate:\nwithout %+v\nwith    %+v", recs0, recs1)
	}
	if !reflect.DeepEqual(w0, w1) {
		t.Error("the weights after training differ with a memory gate")
	}
	if live1+kept > live0 {
		t.Errorf("live heap after training: %d bytes with a gate, %d without: want at least %d less", live1, live0, kept)
	}
}

func TestMemoryGateNeedsASlot(t *testing.T) {
	for _, n := range []int{0, -1} {
		if _, err := train.NewMemoryGate(n); err == nil {
			t.Errorf("NewMemoryGate(%d) gave no error", n)
		}
	}
	g, err := train.NewMemoryGate(2)
	if err != nil || g.Slots() != 2 {
		t.Fatalf("NewMemoryGate(2) = %v slots, %v", g.Slots(), err)
	}
}

// TestMemoryGateWaitIsCancellable checks that a trainer waiting for the
// slot stops when its context is cancelled, even though the slot never
// comes free.
func TestMemoryGateWaitIsCancellable(t *testing.T) {
	rc := experimenttest.TinyConfig("cnn")
	tr := trainers(t, rc, experimenttest.TinyData(t))[0]
	g, err := train.NewMemoryGate(1)
	if err != nil {
		t.Fatal(err)
	}
	tr.Gate = g
	g.Take()
	defer g.Give()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- tr.Run(ctx, nil) }()
	// Time for Run to reach the gate: its first batch is in memory.
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run returned %v, want context.Canceled", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Run still waits for the memory gate a minute after its context was cancelled")
	}
}

// TestMemoryGateTurn checks when a trainer gives its slot back: after the
// turn's least steps and its least time, whichever ends later, or when it
// lets go (a pause, the end of an epoch or of Run).
func TestMemoryGateTurn(t *testing.T) {
	g, err := train.NewMemoryGate(1)
	if err != nil {
		t.Fatal(err)
	}
	if steps, least := g.Turn(); steps != 4 || least != 3*time.Second {
		t.Errorf("a new gate's turn: %d steps and %v, want 4 and 3s", steps, least)
	}
	rc := experimenttest.TinyConfig("cnn")
	for _, c := range []struct {
		steps int
		least time.Duration
		held  []int // the slots held after each step
	}{
		{1, 0, []int{0, 0, 0}},
		{0, -time.Second, []int{0, 0}}, // at least a step, no time
		{3, 0, []int{1, 1, 0, 1, 1, 0}},
		{1, time.Hour, []int{1, 1, 1, 1}},
		{2, time.Hour, []int{1, 1, 1}},
	} {
		tr := trainers(t, rc, experimenttest.TinyData(t))[0]
		tr.Gate = g
		g.SetTurn(c.steps, c.least)
		var correct int
		for i, want := range c.held {
			if _, _, err := tr.Step([]int{0, 1, 2, 3}, &correct); err != nil {
				t.Fatal(err)
			}
			if got := g.Held(); got != want {
				t.Errorf("SetTurn(%d, %v): %d slots held after step %d, want %d", c.steps, c.least, got, i+1, want)
			}
		}
		tr.LetGo()
		if got := g.Held(); got != 0 {
			t.Errorf("SetTurn(%d, %v): %d slots held after LetGo, want 0", c.steps, c.least, got)
		}
	}
	// A least time that runs out: the turn ends at the first step after it.
	tr := trainers(t, rc, experimenttest.TinyData(t))[0]
	tr.Gate = g
	g.SetTurn(1, 500*time.Millisecond)
	var correct int
	for i, want := range []int{1, 0} {
		if i == 1 {
			time.Sleep(600 * time.Millisecond)
		}
		if _, _, err := tr.Step([]int{0, 1, 2, 3}, &correct); err != nil {
			t.Fatal(err)
		}
		if got := g.Held(); got != want {
			t.Errorf("SetTurn(1, 500ms): %d slots held after step %d, want %d", got, i+1, want)
		}
	}
	tr.LetGo()
}
