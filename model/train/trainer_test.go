package train_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deformscope/deformscope/model/experiment/experimenttest"

	"github.com/deformscope/deformscope/model/ckpt"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/train"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// trainers builds a trainer for each model of rc on d.
func trainers(t *testing.T, rc experiment.RunConfig, d train.Data) []*train.Trainer {
	t.Helper()
	var out []*train.Trainer
	for _, name := range rc.Models {
		net, err := experiment.NewNet(rc, name)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := train.NewTrainer(name, net, d, rc.Train)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tr)
	}
	return out
}

// runAll runs every trainer in its own goroutine until all return and
// joins their errors; emit is called from those goroutines.
func runAll(ctx context.Context, trs []*train.Trainer, emit func(train.Event)) error {
	errs := make([]error, len(trs))
	var wg sync.WaitGroup
	for i, tr := range trs {
		wg.Go(func() { errs[i] = tr.Run(ctx, emit) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// trainTo trains the models of rc on the tiny data set until they finish or
// stop returns true (then every trainer is cancelled). It returns the epoch
// records, in the order the epochs ended, and the error.
func trainTo(t *testing.T, rc experiment.RunConfig, stop func(train.Event) bool) ([]metrics.Epoch, error) {
	t.Helper()
	trs := trainers(t, rc, experimenttest.TinyData(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var recs []metrics.Epoch
	err := runAll(ctx, trs, func(e train.Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.Kind == train.KindEpoch {
			recs = append(recs, e.Epoch)
		}
		if stop != nil && stop(e) {
			cancel()
		}
	})
	return recs, err
}

// comparable strips the wall-clock fields of records and sorts them by
// model and epoch.
func comparable(recs []metrics.Epoch) []metrics.Epoch {
	out := make([]metrics.Epoch, len(recs))
	for i, r := range recs {
		r.EpochSeconds, r.EvalSeconds = 0, 0
		out[i] = r
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j].Model < out[i].Model || (out[j].Model == out[i].Model && out[j].Epoch < out[i].Epoch) {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestSameSeedSameNumbers(t *testing.T) {
	rc := experimenttest.TinyConfig("cnn", "dcnn")
	var ia, ib []*metrics.Inspection
	keep := func(to *[]*metrics.Inspection) func(train.Event) bool {
		return func(e train.Event) bool {
			if e.Kind == train.KindEpoch && e.Epoch.Inspect != nil {
				*to = append(*to, e.Epoch.Inspect)
			}
			return false
		}
	}
	a, err := trainTo(t, rc, keep(&ia))
	if err != nil {
		t.Fatal(err)
	}
	b, err := trainTo(t, rc, keep(&ib))
	if err != nil {
		t.Fatal(err)
	}
	ra, rb := comparable(a), comparable(b)
	if !reflect.DeepEqual(ia, ib) || len(ia) != 2 {
		t.Errorf("inspections of two runs with one seed differ (%d, %d)", len(ia), len(ib))
	}
	for _, in := range ia {
		if len(in.Fields) != train.DefaultInspect || in.Fields[0]["conv5"] == nil || in.Fields[0]["conv5"].Ho != 7 {
			t.Errorf("inspection %+v", in)
		}
	}
	if len(ra) != 4 {
		t.Fatalf("%d records, want 2 models × 2 epochs", len(ra))
	}
	if !reflect.DeepEqual(ra, rb) {
		t.Errorf("two runs with one seed differ:\n%+v\n%+v", ra, rb)
	}
	// The DCNN has offset statistics for conv4 and conv5.
	for _, r := range ra {
		if r.Model == "dcnn" && (len(r.Offsets) != 2 || r.Offsets[0].Layer != "conv4") {
			t.Errorf("dcnn epoch %d offsets %+v", r.Epoch, r.Offsets)
		}
		if math.IsNaN(float64(r.ScaledTestAcc)) || len(r.Scaled) != 2 {
			t.Errorf("%s epoch %d: scaled accuracy missing: %+v", r.Model, r.Epoch, r.Scaled)
		}
	}
}

// TestStopMidEpochIsPrompt checks that a stop requested mid-epoch ends each
// trainer after at most the step it has in flight, before the epoch ends.
// Promptness is asserted by what happens after the request, not by time.
func TestStopMidEpochIsPrompt(t *testing.T) {
	rc := experimenttest.TinyConfig("cnn", "dcnn")
	rc.Train.Batch = 8
	var (
		stopped bool
		batches int
		epochs  int
		after   = map[string]int{} // step events of each model after the request
	)
	recs, err := trainTo(t, rc, func(e train.Event) bool {
		switch {
		case e.Kind == train.KindEpoch:
			epochs++
		case e.Kind != train.KindStep:
		case stopped:
			after[e.Model]++
		default:
			batches = e.Step.Batches
			if e.Step.Batch == 3 {
				stopped = true
				return true
			}
		}
		return false
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if batches < 6 {
		t.Fatalf("an epoch has %d batches; the test needs more to tell mid-epoch from the end", batches)
	}
	for m, n := range after {
		if n > 1 {
			t.Errorf("%s took %d steps after the stop; want at most the one in flight", m, n)
		}
	}
	if epochs != 0 || len(recs) != 0 {
		t.Errorf("%d epochs ended after a stop at batch 3 of %d; want none", epochs, batches)
	}
	// goleak in TestMain checks that no goroutine is left behind.
}

func TestPauseResume(t *testing.T) {
	d := experimenttest.TinyData(t)
	rc := experimenttest.TinyConfig("cnn")
	rc.Train.Epochs = 1
	tr := trainers(t, rc, d)[0]
	tr.Pause()
	events := make(chan train.Event, 1024)
	done := make(chan error, 1)
	go func() { done <- tr.Run(context.Background(), func(e train.Event) { events <- e }) }()
	if e := <-events; e.Kind != train.KindState || e.State != "paused" {
		t.Fatalf("first event %+v, want the paused state", e)
	}
	select {
	case e := <-events:
		t.Fatalf("event %+v while paused", e)
	case <-time.After(50 * time.Millisecond):
	}
	if !tr.Paused() {
		t.Fatal("Paused() is false while paused")
	}
	tr.Resume()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	close(events)
	var steps int
	for e := range events {
		if e.Kind == train.KindStep {
			steps++
		}
	}
	if steps != 8 {
		t.Errorf("%d steps after resume, want 256/32 = 8", steps)
	}
}

// TestDivergenceStops: a net that yields NaN is stopped after three skipped
// steps in a row, before its epoch ends (so nothing saves it).
func TestDivergenceStops(t *testing.T) {
	rc := experimenttest.TinyConfig("cnn")
	tr := trainers(t, rc, experimenttest.TinyData(t))[0]
	tr.Net.Params()[0].Value.Data()[0] = float32(math.NaN())
	var skipped, epochs int
	err := tr.Run(context.Background(), func(e train.Event) {
		switch e.Kind {
		case train.KindStep:
			skipped = e.Step.Skipped
		case train.KindEpoch:
			epochs++
		}
	})
	if !errors.Is(err, train.ErrDiverged) || !strings.Contains(err.Error(), "3 steps in a row") {
		t.Fatalf("got %v, want a divergence error after 3 steps", err)
	}
	if skipped != 3 {
		t.Errorf("%d steps reported skipped, want 3", skipped)
	}
	if epochs != 0 {
		t.Errorf("%d epochs ended after divergence, want none", epochs)
	}
}

func TestRestoreRefusesBadCheckpoints(t *testing.T) {
	rc := experimenttest.TinyConfig("cnn", "dcnn")
	rc.Train.Epochs = 1
	d := experimenttest.TinyData(t)
	trained := trainers(t, rc, d)[0]
	if err := trained.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	c, err := trained.Checkpoint(rc)
	if err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(t.TempDir(), "cnn-epoch001.safetensors")
	if err := ckpt.Save(good, c); err != nil {
		t.Fatal(err)
	}
	trs := trainers(t, rc, d)
	cnn, dcnn := trs[0], trs[1]
	if err := cnn.Restore(good); err != nil {
		t.Fatalf("restoring a good checkpoint: %v", err)
	}
	if err := dcnn.Restore(good); err == nil || !strings.Contains(err.Error(), `"mnist-cnn"`) {
		t.Errorf("restoring a CNN checkpoint into the DCNN: %v", err)
	}
	b, _ := os.ReadFile(good)
	b[len(b)-10] ^= 0x40
	bad := filepath.Join(t.TempDir(), "bad.safetensors")
	os.WriteFile(bad, b, 0o644)
	if err := cnn.Restore(bad); err == nil || !strings.Contains(err.Error(), "bad.safetensors") {
		t.Errorf("restoring a corrupt checkpoint: %v", err)
	}
	os.WriteFile(bad, []byte("not a checkpoint at all"), 0o644)
	if err := cnn.Restore(bad); err == nil {
		t.Error("restoring a foreign file succeeded")
	}
}

// TestETACountsEvaluation checks that the last step of a run still has
// time left: the evaluation after the last epoch. Before the fix the ETA
// read 0 while every model evaluated.
func TestETACountsEvaluation(t *testing.T) {
	var last metrics.Step
	rc := experimenttest.TinyConfig("cnn")
	if _, err := trainTo(t, rc, func(e train.Event) bool {
		if e.Kind == train.KindStep {
			last = e.Step
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	if last.Epoch != rc.Train.Epochs || last.Batch != last.Batches {
		t.Fatalf("last step %d/%d of epoch %d, want the last of epoch %d", last.Batch, last.Batches, last.Epoch, rc.Train.Epochs)
	}
	if last.ETA <= 0 {
		t.Errorf("ETA at the last training step = %v, want the last evaluation's time (> 0)", last.ETA)
	}
}
