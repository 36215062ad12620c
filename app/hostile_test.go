package app

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/deformscope/deformscope/internal/safeopen"
)

// TestCheckInstancesFIFO is issue 17 item 6: a FIFO chosen as the COCO
// instances file would block the window's check in open(2) for ever.
func TestCheckInstancesFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "instances.json")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- checkInstances(p) }()
	select {
	case err := <-done:
		if !errors.Is(err, safeopen.ErrNotRegular) {
			t.Errorf("checkInstances: %v, want a not-a-regular-file error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("checkInstances blocked on a FIFO")
	}
}
