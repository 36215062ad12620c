//go:build unix

package experiment

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/deformscope/deformscope/model/train"
)

// TestLoadWaitsForAnotherBuild holds a crop cache's build lock as another process's build would,
// and checks that loading the data says who holds it, waits, and loads once the lock is let go.
func TestLoadWaitsForAnotherBuild(t *testing.T) {
	dir := os.Getenv("DEFORMSCOPE_COCO128")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "coco128")
	}
	ann, images := filepath.Join(dir, "annotations", "instances_train2017.json"), filepath.Join(dir, "images", "train2017")
	if _, err := os.Stat(ann); err != nil {
		t.Skipf("COCO128 is not available (%v): set DEFORMSCOPE_COCO128 or provide ../shared/coco128", err)
	}
	rc := RunConfig{Data: "coco", Models: []string{"cnn"}, COCO: DefaultCOCO(ann, images),
		Train: train.Config{Epochs: 1, Batch: 8, Optimizer: "sgd", LR: 1e-3, Seed: 1}}
	rc.COCO.Size, rc.COCO.Cache = 8, filepath.Join(t.TempDir(), "crops.cache")
	lock, err := os.OpenFile(rc.COCO.Cache+".lock", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Skipf("no flock here: %v", err)
	}
	lock.WriteString("pid 4242, dcn, since 2026-12-04 18:00:00\n")
	type result struct {
		d   Data
		err error
	}
	waited := make(chan string, 1)
	done := make(chan result, 1)
	go func() {
		d, err := LoadDataHooks(t.Context(), rc, LoadHooks{Waiting: func(h string) { waited <- h }})
		done <- result{d, err}
	}()
	if h := <-waited; !strings.HasPrefix(h, "pid 4242, dcn") {
		t.Errorf("Waiting got %q", h)
	}
	os.Remove(rc.COCO.Cache + ".lock") // as the holder does when it is done
	lock.Close()
	r := <-done
	if r.err != nil || r.d.Train == nil || r.d.Train.N == 0 {
		t.Fatalf("load after the lock was let go: %v", r.err)
	}
}
