// Package lockfile is the advisory lock of a file or folder that one
// process at a time may write: a crop cache's build (model/coco/cropset,
// which waits for the holder) and a run folder being trained (model/rundir,
// which refuses). A lock is an flock(2) (no cgo) on a small file that says
// who holds it ("pid 1234, dcn, since 2026-12-06 02:40:11"). The lock goes
// with the process, so a killed holder never leaves a stale lock behind; the
// holder removes the file when it lets go.
//
// The lock file is opened through atomicfile.OpenDest (never through a
// symbolic link, never a FIFO), and a file of that name that is not a lock
// (someone's file) is refused rather than overwritten.
//
// On systems without flock (Windows) TryLock always succeeds.
package lockfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/deformscope/deformscope/internal/atomicfile"
)

// ErrLocked is wrapped by TryLock's error when another process holds the
// lock; the error names the holder.
var ErrLocked = errors.New("locked by another process")

// ErrNotLock is wrapped by TryLock's error for a file at the lock's path
// that is not a lock file (someone's file), which is never overwritten.
var ErrNotLock = errors.New("not a lock file")

// ErrCannotCreate is wrapped by TryLock's error when the lock file cannot
// be opened or made (a read-only folder, say), as opposed to a refusal.
var ErrCannotCreate = errors.New("cannot open the lock file")

// LockedError is TryLock's error for a held lock.
type LockedError struct {
	Path   string
	Holder string // "pid 1234, dcn, since ...", or "another process"
}

// Error names the lock file and its holder.
func (e *LockedError) Error() string { return fmt.Sprintf("%s is held by %s", e.Path, e.Holder) }

// Is reports ErrLocked as the error's kind, for errors.Is.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Lock is a held lock.
type Lock struct {
	f    *os.File
	path string
}

// TryLock takes the lock at path without waiting. A lock held by another
// process gives a *LockedError (errors.Is(err, ErrLocked)).
func TryLock(path string) (*Lock, error) {
	for {
		f, err := atomicfile.OpenDest(path, os.O_RDWR|os.O_CREATE, 0o644)
		if errors.Is(err, atomicfile.ErrNotRegularDest) {
			return nil, fmt.Errorf("lockfile: %w", err)
		}
		if err != nil {
			return nil, fmt.Errorf("lockfile: %w: %w", ErrCannotCreate, err)
		}
		if err := IsLockFile(f, path); err != nil {
			f.Close()
			return nil, err
		}
		err = tryLock(f)
		if errors.Is(err, ErrLocked) {
			b := make([]byte, 256)
			n, _ := f.ReadAt(b, 0)
			f.Close()
			holder := strings.TrimSpace(string(b[:n]))
			if holder == "" {
				holder = "another process"
			}
			return nil, &LockedError{Path: path, Holder: holder}
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		// The holder before us may have removed the file after we opened it: lock the new one then.
		if same(f, path) {
			l := &Lock{f: f, path: path}
			s := fmt.Sprintf("pid %d, %s, since %s\n", os.Getpid(), filepath.Base(os.Args[0]), time.Now().Format(time.DateTime))
			f.Truncate(0)
			f.WriteAt([]byte(s), 0)
			return l, nil
		}
		f.Close()
	}
}

// IsLockFile refuses an open file that is not a lock file: one is empty or
// holds one short "pid ..." line.
func IsLockFile(f *os.File, name string) error {
	b := make([]byte, 257)
	n, _ := f.ReadAt(b, 0)
	if n == 0 || n < len(b) && strings.HasPrefix(string(b[:n]), "pid ") {
		return nil
	}
	return fmt.Errorf("lockfile: %s exists and is %w: refusing to overwrite it (remove it if it is not yours)", name, ErrNotLock)
}

// same reports whether the open file f is the file now at name.
func same(f *os.File, name string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(name)
	return err == nil && os.SameFile(a, b)
}

// Release removes the lock file and lets the lock go (in that order, so that
// a process that locks the old file sees that it was removed). It may be
// called more than once.
func (l *Lock) Release() {
	if l == nil || l.f == nil {
		return
	}
	os.Remove(l.path)
	l.f.Close()
	l.f = nil
}
