package rundir

import (
	"math"
	"sync"
	"testing"

	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/train"
)

func stepEvent(model string, step, batches int, loss float64) train.Event {
	return train.Event{Kind: train.KindStep, Model: model, Step: metrics.Step{
		Epoch: (step-1)/batches + 1, Batch: (step-1)%batches + 1, Batches: batches, Step: step, Loss: loss}}
}

func TestStepRecorderDecimates(t *testing.T) {
	r := NewStepRecorder(nil)
	const n = 100000
	for i := 1; i <= n; i++ {
		r.Add(stepEvent("cnn", i, 1000, 2))
		if i%1000 == 0 {
			r.Add(stepEvent("cnn", i, 1000, math.NaN())) // skipped steps leave no point
		}
	}
	r.Add(train.Event{Kind: train.KindEpoch, Model: "dcnn"}) // not a step: no curve
	x, y := r.Curve("cnn")
	if len(x) == 0 || len(x) >= MaxStepPoints || len(x) != len(y) {
		t.Fatalf("%d/%d points, want at most %d", len(x), len(y), MaxStepPoints)
	}
	for i := range x {
		if y[i] != 2 {
			t.Fatalf("point %d: y = %v, want the mean 2", i, y[i])
		}
		if i > 0 && !(x[i] > x[i-1]) {
			t.Fatalf("x not increasing at %d: %v, %v", i, x[i-1], x[i])
		}
	}
	if first, last := x[0], x[len(x)-1]; first > 1 || last < 90 {
		t.Errorf("curve spans %v..%v epochs, want most of 0..100", first, last)
	}
	if cs := r.Curves(); len(cs) != 1 || cs[0].Model != "cnn" {
		t.Errorf("curves of %d models, want cnn's only", len(cs))
	}
}

func TestStepRecorderConcurrentAndResumed(t *testing.T) {
	r := NewStepRecorder([]StepCurve{{Model: "dcnn", X: []float64{0.5, 1}, Y: []float64{3, 2}}})
	var wg sync.WaitGroup
	for _, m := range []string{"cnn", "dcnn"} {
		wg.Go(func() {
			for i := 1; i <= 500; i++ {
				r.Add(stepEvent(m, 100+i, 100, 1))
			}
		})
	}
	wg.Wait()
	cs := r.Curves()
	if len(cs) != 2 || cs[0].Model != "dcnn" || cs[1].Model != "cnn" {
		t.Fatalf("curves %v, want dcnn's (kept) then cnn's", cs)
	}
	if len(cs[0].X) != 502 || cs[0].Y[0] != 3 || len(cs[1].X) != 500 {
		t.Errorf("dcnn %d points (first %v), cnn %d; want 502 from 3, 500", len(cs[0].X), cs[0].Y[0], len(cs[1].X))
	}
}
