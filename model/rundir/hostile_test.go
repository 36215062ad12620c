package rundir

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deformscope/deformscope/model/experiment/experimenttest"

	"github.com/deformscope/deformscope/internal/safeopen"
	"github.com/deformscope/deformscope/model/ckpt"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/train"
)

// finishedRun returns a run folder of the tiny CNN with 2 epochs recorded
// and a checkpoint of each (untrained weights with fresh optimiser state,
// as an import writes them), for the test to damage. Training it is
// package runner's job; the folder is all these tests need.
func finishedRun(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	dir := makeRun(t, root, "run", map[string]int{"cnn": 2})
	rc := experimenttest.TinyConfig("cnn", "dcnn")
	run, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for e := 1; e <= 2; e++ {
		net, err := experiment.NewNet(rc, "cnn")
		if err != nil {
			t.Fatal(err)
		}
		c, err := train.ImportedCheckpoint("cnn", net, rc.Train, rc)
		if err != nil {
			t.Fatal(err)
		}
		c.Meta["epoch"] = strconv.Itoa(e)
		if err := ckpt.Save(run.CheckpointPath("cnn", e), c); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestSetEpochs(t *testing.T) {
	dir := finishedRun(t)
	run, err := OpenForResume(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.SetEpochs(1); err == nil || !strings.Contains(err.Error(), "already completed 2 epochs") {
		t.Errorf("fewer epochs than done: %v", err)
	}
	if err := run.SetEpochs(0); err == nil {
		t.Error("0 epochs accepted")
	}
	if err := run.SetEpochs(3); err != nil {
		t.Fatal(err)
	}
	again, err := Open(dir)
	if err != nil || again.Config.Train.Epochs != 3 {
		t.Fatalf("config.json after SetEpochs(3): %+v, %v", again.Config.Train, err)
	}
	run.Release()
}

// TestRunFilesFIFO is issue 17 item 6: a FIFO in place of a run's file
// blocked open(2) for ever, deaf to Ctrl-C.
func TestRunFilesFIFO(t *testing.T) {
	for _, name := range []string{"config.json", "metrics.jsonl", "cnn-epoch002.safetensors"} {
		t.Run(name, func(t *testing.T) {
			dir := finishedRun(t)
			p := filepath.Join(dir, name)
			os.Remove(p)
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
			done := make(chan error, 1)
			go func() {
				run, err := Open(dir)
				if err == nil {
					_, _, err = run.LoadModel("cnn", 2)
				}
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, safeopen.ErrNotRegular) || !strings.Contains(err.Error(), name) {
					t.Errorf("got %v, want a not-a-regular-file error naming %s", err, name)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("blocked on the FIFO")
			}
		})
	}
}

// TestRunLock is #26 item 13: two `dcn train --resume` of one folder both trained the same epochs
// (and config.json ended with "epochs": 3 while 5 were recorded). The second is now refused, naming
// the holder, until the first lets go.
func TestRunLock(t *testing.T) {
	src := finishedRun(t)
	dir := filepath.Join(t.TempDir(), "run")
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	first, err := OpenForResume(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = OpenForResume(dir)
	if err == nil || !strings.Contains(err.Error(), "is being trained by pid ") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("second resume while the first holds the run: %v", err)
	}
	if err := first.SetEpochs(5); err != nil {
		t.Fatal(err)
	}
	first.Release()
	second, err := OpenForResume(dir)
	if err != nil {
		t.Fatalf("resume after the first let go: %v", err)
	}
	if second.Config.Train.Epochs != 5 {
		t.Errorf("the second resume reads %d epochs, want the first's 5", second.Config.Train.Epochs)
	}
	second.Release()
	if _, err := os.Stat(filepath.Join(dir, lockFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file left behind: %v", err)
	}
	// A folder that is no run gets no lock file; a user's file named run.lock is never overwritten.
	plain := t.TempDir()
	if _, err := OpenForResume(plain); err == nil {
		t.Error("a folder without a run opened for resume")
	}
	if _, err := os.Stat(filepath.Join(plain, lockFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file made in a folder with no run: %v", err)
	}
	if err := os.WriteFile(filepath.Join(plain, lockFile), []byte("my notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(plain, experimenttest.TinyConfig("cnn")); err == nil || !strings.Contains(err.Error(), "not a lock file") {
		t.Errorf("Create over a user's run.lock: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(plain, lockFile)); string(b) != "my notes\n" {
		t.Errorf("the user's run.lock is now %q", b)
	}
}

// TestCreateKeepsUsersFiles is #26 item 2: `dcn import --out DIR` (and train) overwrote a user's
// file named like a checkpoint or metrics when DIR had no config.json.
func TestCreateKeepsUsersFiles(t *testing.T) {
	for _, name := range []string{"cnn-epoch001.safetensors", "metrics.jsonl", "metrics.csv", "classes.json"} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, name), []byte("mine\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Create(dir, experimenttest.TinyConfig("cnn"))
		if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "would overwrite") {
			t.Errorf("%s: %v", name, err)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, name)); string(b) != "mine\n" {
			t.Errorf("%s is now %q", name, b)
		}
		if _, err := os.Stat(filepath.Join(dir, configFile)); err == nil {
			t.Errorf("%s: config.json written", name)
		}
	}
}
