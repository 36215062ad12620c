package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/deformscope/deformscope/model/experiment/experimenttest"

	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/rundir"
)

var (
	doneOnce sync.Once
	doneDir  string
	doneErr  error
)

// finishedRun trains the tiny CNN for 2 epochs once and returns a fresh
// copy of its run folder for the test to damage.
func finishedRun(t *testing.T) string {
	t.Helper()
	d := experimenttest.TinyData(t)
	doneOnce.Do(func() {
		doneDir, doneErr = os.MkdirTemp("", "hostile-run")
		if doneErr != nil {
			return
		}
		var run *rundir.Run
		if run, doneErr = rundir.Create(filepath.Join(doneDir, "run"), experimenttest.TinyConfig("cnn")); doneErr != nil {
			return
		}
		var s *Session
		if s, doneErr = NewSession(run.Config, d, run); doneErr != nil {
			return
		}
		doneErr = s.Train(context.Background(), nil)
	})
	if doneErr != nil {
		t.Fatal(doneErr)
	}
	dst := filepath.Join(t.TempDir(), "run")
	if err := os.CopyFS(dst, os.DirFS(filepath.Join(doneDir, "run"))); err != nil {
		t.Fatal(err)
	}
	return dst
}

// resume opens dir and resumes its trainers, as dcn train --resume does.
func resume(t *testing.T, dir string) ([]int, error) {
	t.Helper()
	run, err := rundir.OpenForResume(dir)
	if err != nil {
		return nil, err
	}
	defer run.Release()
	s, err := NewSession(run.Config, experimenttest.TinyData(t), run)
	if err != nil {
		t.Fatal(err)
	}
	return s.Resume()
}

func fileBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestResumeWithoutMetrics is issue 17 item 3: a run folder that lost
// metrics.jsonl resumed "after epoch 0" and overwrote every checkpoint.
func TestResumeWithoutMetrics(t *testing.T) {
	cases := []struct {
		name    string
		metrics func(t *testing.T, path string)
		from    int    // the epoch resumed from, when allowed
		wantErr string // else
	}{
		{"metrics.jsonl removed", func(t *testing.T, p string) { os.Remove(p) }, 0, "up to epoch 2, but metrics.jsonl records it only up to epoch 0"},
		{"metrics.jsonl emptied", func(t *testing.T, p string) { os.WriteFile(p, nil, 0o644) }, 0, "up to epoch 2"},
		// A stop between saving epoch 2's checkpoint and recording it
		// leaves one unrecorded checkpoint: that one is redone.
		{"last record lost", func(t *testing.T, p string) {
			lines := bytes.SplitAfter(fileBytes(t, p), []byte("\n"))
			os.WriteFile(p, lines[0], 0o644)
		}, 1, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := finishedRun(t)
			ck := filepath.Join(dir, "cnn-epoch002.safetensors")
			before := fileBytes(t, ck)
			c.metrics(t, filepath.Join(dir, "metrics.jsonl"))
			from, err := resume(t, dir)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("resume: %v, %v; want an error with %q", from, err, c.wantErr)
				}
				if !bytes.Equal(fileBytes(t, ck), before) {
					t.Error("the refused resume changed a checkpoint")
				}
				return
			}
			if err != nil || from[0] != c.from {
				t.Fatalf("resume from %v, %v; want %d", from, err, c.from)
			}
		})
	}
}

// TestResumeCrossChecks is issue 17 item 12: resume believed an edited
// config.json, a checkpoint under another epoch's name, and a config.json
// with data after its object.
func TestResumeCrossChecks(t *testing.T) {
	editConfig := func(edit func(rc *experiment.RunConfig)) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			p := filepath.Join(dir, "config.json")
			var rc experiment.RunConfig
			if err := json.Unmarshal(fileBytes(t, p), &rc); err != nil {
				t.Fatal(err)
			}
			edit(&rc)
			b, _ := json.Marshal(rc)
			os.WriteFile(p, b, 0o644)
		}
	}
	cases := []struct {
		name    string
		damage  func(t *testing.T, dir string)
		wantErr string // "" : the resume is allowed
	}{
		{"seed edited", editConfig(func(rc *experiment.RunConfig) { rc.Train.Seed = 8 }), `train.seed 7 (config.json says 8)`},
		{"limit edited", editConfig(func(rc *experiment.RunConfig) { rc.Limit = 128 }), `limit 256 (config.json says 128)`},
		{"more epochs", editConfig(func(rc *experiment.RunConfig) { rc.Train.Epochs = 5 }), ""},
		{"data moved", editConfig(func(rc *experiment.RunConfig) { rc.MNISTDir = "" }), ""},
		{"checkpoint renamed", func(t *testing.T, dir string) {
			os.Rename(filepath.Join(dir, "cnn-epoch001.safetensors"), filepath.Join(dir, "cnn-epoch002.safetensors"))
		}, "holds cnn after epoch 1, not what its name says"},
		{"trailing object", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "config.json")
			os.WriteFile(p, append(fileBytes(t, p), `{"data":"coco"}`...), 0o644)
		}, "data after the configuration object"},
		{"trailing junk", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "config.json")
			os.WriteFile(p, append(fileBytes(t, p), "}\n"...), 0o644)
		}, "data after the configuration object"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := finishedRun(t)
			c.damage(t, dir)
			_, err := resume(t, dir)
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("resume: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("resume: %v; want an error with %q", err, c.wantErr)
			}
		})
	}
}

// TestResumeClearsStaleTemps is issue 17 item 14: .tmp files of writes
// killed mid-way piled up, one per kill.
func TestResumeClearsStaleTemps(t *testing.T) {
	dir := finishedRun(t)
	stale := []string{".cnn-epoch003.safetensors.k2j4.tmp", ".metrics.jsonl.0.tmp", ".config.json.zz9.tmp"}
	mine := []string{".notes.txt.abc.tmp", "draft.tmp"} // not ours: kept
	for _, n := range append(append([]string{}, stale...), mine...) {
		os.WriteFile(filepath.Join(dir, n), []byte("half"), 0o644)
	}
	if _, err := resume(t, dir); err != nil {
		t.Fatal(err)
	}
	for _, n := range stale {
		if _, err := os.Stat(filepath.Join(dir, n)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there (%v)", n, err)
		}
	}
	for _, n := range mine {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s was removed: %v", n, err)
		}
	}
}

// TestResumeAfterSetEpochs: a run given more epochs than it has done
// resumes after its last complete one.
func TestResumeAfterSetEpochs(t *testing.T) {
	dir := finishedRun(t)
	run, err := rundir.OpenForResume(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.SetEpochs(3); err != nil {
		t.Fatal(err)
	}
	run.Release()
	if from, err := resume(t, dir); err != nil || from[0] != 2 {
		t.Errorf("resume after raising the epochs: %v, %v", from, err)
	}
}
