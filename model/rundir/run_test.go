package rundir

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/experiment/experimenttest"

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

func TestOpenRefusesBadRunFolders(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "not a run folder") {
		t.Errorf("empty folder: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"data":"mnist","models":["cnn"],"bogus":1}`), 0o644)
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("unknown field: %v", err)
	}
	b, _ := json.Marshal(experimenttest.TinyConfig("cnn"))
	os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644)
	os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte("{\"model\":\"cnn\",\"epoch\":1}\n{truncated"), 0o644)
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("truncated metrics: %v", err)
	}
}

func TestDiscardIfEmpty(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	run, err := Create(dir, experimenttest.TinyConfig("cnn"))
	if err != nil {
		t.Fatal(err)
	}
	kept := filepath.Join(t.TempDir(), "kept")
	run2, err := Create(kept, experimenttest.TinyConfig("cnn"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(kept, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if gone, err := run.DiscardIfEmpty(); !gone || err != nil {
		t.Fatalf("a run with only its config: removed %v, err %v", gone, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the run folder is still there: %v", err)
	}
	// Issue 17 item 14: a failed start left config.json among the files of
	// a folder that held others. The config goes; the others stay.
	if gone, err := run2.DiscardIfEmpty(); !gone || err != nil {
		t.Fatalf("a run folder with another file: removed %v, err %v", gone, err)
	}
	if left := entryNames(t, kept); !reflect.DeepEqual(left, []string{"notes.txt"}) {
		t.Errorf("the folder holds %q, want only notes.txt", left)
	}
	// A run that saved a checkpoint is kept whole.
	withCkpt := filepath.Join(t.TempDir(), "ckpt")
	run4, err := Create(withCkpt, experimenttest.TinyConfig("cnn"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(run4.CheckpointPath("cnn", 1), []byte("x"), 0o644)
	if gone, err := run4.DiscardIfEmpty(); gone || err != nil {
		t.Fatalf("a run with a checkpoint: removed %v, err %v", gone, err)
	}
	if left := entryNames(t, withCkpt); len(left) != 2 {
		t.Errorf("the run with a checkpoint holds %q", left)
	}
	// A folder the user made before the run loses the config only.
	mine := filepath.Join(t.TempDir(), "mine")
	if err := os.Mkdir(mine, 0o755); err != nil {
		t.Fatal(err)
	}
	run3, err := Create(mine, experimenttest.TinyConfig("cnn"))
	if err != nil {
		t.Fatal(err)
	}
	if gone, err := run3.DiscardIfEmpty(); !gone || err != nil {
		t.Fatalf("a run in the user's folder: removed %v, err %v", gone, err)
	}
	if left, err := os.ReadDir(mine); err != nil || len(left) != 0 {
		t.Errorf("the user's folder: %v entries, err %v; want it there and empty", len(left), err)
	}
}

func entryNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}
