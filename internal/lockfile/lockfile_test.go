//go:build unix

package lockfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestTryLock(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.lock")
	l, err := TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = TryLock(path)
	var le *LockedError
	if !errors.Is(err, ErrLocked) || !errors.As(err, &le) || !strings.HasPrefix(le.Holder, "pid ") {
		t.Fatalf("second lock: %v", err)
	}
	l.Release()
	l.Release()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file left: %v", err)
	}
	l, err = TryLock(path)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l.Release()

	// Never through a link, a FIFO, nor over someone's file.
	user := filepath.Join(dir, "notes")
	os.WriteFile(user, []byte("notes\n"), 0o644)
	os.Symlink(user, filepath.Join(dir, "link.lock"))
	syscall.Mkfifo(filepath.Join(dir, "fifo.lock"), 0o644)
	os.WriteFile(filepath.Join(dir, "user.lock"), []byte("notes\n"), 0o644)
	for _, name := range []string{"link.lock", "fifo.lock", "user.lock"} {
		if _, err := TryLock(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s locked", name)
		}
	}
	if b, _ := os.ReadFile(user); string(b) != "notes\n" {
		t.Errorf("user's file now %q", b)
	}
}
