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

	"github.com/deformscope/deformscope/model/experiment/experimenttest"

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
	return trainOn(t, experimenttest.TinyData(t), dir, rc, stop)
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
	rc := experimenttest.TinyConfig("dcnn")
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
	s, err := NewSession(run.Config, experimenttest.TinyData(t), run)
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

func TestNaNStopsWithoutCheckpoint(t *testing.T) {
	d := experimenttest.TinyData(t)
	rc := experimenttest.TinyConfig("cnn")
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
	rc := experimenttest.TinyConfig("cnn")
	rc.Train.Epochs = 1
	rc.Val = 0 // validation absent: its fields must be null
	dir := t.TempDir()
	d := experimenttest.TinyData(t)
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

// TestLaunch trains a run through the launcher the app and dcn use: every hook
// is called in order, the folder keeps its epochs, and the soft memory
// limit it sets for an MNIST run is put back when it returns.
func TestLaunch(t *testing.T) {
	experimenttest.TinyData(t) // skips without MNIST
	t.Setenv("GOMEMLIMIT", "")
	before := debug.SetMemoryLimit(-1)
	rc := experimenttest.TinyConfig("cnn")
	rc.Train.Epochs = 1
	run, err := rundir.Create(filepath.Join(t.TempDir(), "run"), rc)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	var limit int64
	var mu sync.Mutex
	err = Launch(context.Background(), run, false, Hooks{
		Loaded: func(d experiment.Data) { order = append(order, "loaded") },
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
			rc := experimenttest.TinyConfig("cnn")
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
