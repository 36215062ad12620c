package cropset

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/deformscope/deformscope/model/atomicfile"
	"github.com/deformscope/deformscope/model/lockfile"
)

// Two builds of one cache would write the same PATH.part and journal over each other, so a build holds
// PATH.lock for as long as it writes: an advisory flock(2) (no cgo) on a small file that says who holds it ("pid
// 1234, dcn, since 17:40:56"). A second build of the same cache waits for the first (saying who it waits for, through
// Options.Waiting), then finds the cache complete and reads it; its context ends the wait. The lock goes with the
// process, so a killed build never leaves a stale lock behind; the file is removed by the holder when it is done.
// Readers of a complete cache take no lock: a file named PATH is only ever replaced whole, by a rename.
//
// On systems without flock (Windows) the lock is a no-op: two builds of one cache there are the user's to avoid.

// lockPoll is how often a waiting build tries the lock again.
const lockPoll = 200 * time.Millisecond

// buildLock is a held PATH.lock.
type buildLock struct {
	f    *os.File
	path string
}

// errLocked is what tryLock returns when another process holds the lock.
var errLocked = errors.New("locked")

// lockBuild takes the build lock of the cache at path, waiting while another process holds it. waiting, if set, is
// called once with the holder's description when the lock is busy.
func lockBuild(ctx context.Context, path string, waiting func(holder string)) (*buildLock, error) {
	name := path + ".lock"
	told := false
	for {
		// The lock file is never followed through a symbolic link, and a file there that is not a lock (someone's
		// file of that name) is refused: describe would overwrite it and release remove it.
		f, err := atomicfile.OpenDest(name, os.O_RDWR|os.O_CREATE, 0o644)
		if errors.Is(err, atomicfile.ErrNotRegularDest) {
			return nil, fmt.Errorf("coco: crop cache lock: %w", err)
		}
		if err != nil {
			return nil, fmt.Errorf("coco: crop cache lock: %w: %w", errNotWritable, err)
		}
		if err := lockfile.IsLockFile(f, name); err != nil {
			f.Close()
			return nil, err
		}
		err = tryLock(f)
		if err == nil {
			// The holder before us may have removed the file after we opened it: then we hold a lock on a
			// name that no longer exists, and a third build could lock a new file. Lock again in that case.
			if same(f, name) {
				l := &buildLock{f: f, path: name}
				l.describe()
				return l, nil
			}
			f.Close()
			continue
		}
		if !errors.Is(err, errLocked) {
			f.Close()
			return nil, fmt.Errorf("coco: crop cache lock %s: %w", name, err)
		}
		if !told && waiting != nil {
			b := make([]byte, 256)
			n, _ := f.ReadAt(b, 0)
			holder := strings.TrimSpace(string(b[:n]))
			if holder == "" {
				holder = "another process"
			}
			waiting(holder)
			told = true
		}
		f.Close()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(lockPoll):
		}
	}
}

// same reports whether the open file f is the file now at name.
func same(f *os.File, name string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(name)
	return err == nil && os.SameFile(a, b)
}

// describe writes who holds the lock into its file, for a build that waits.
func (l *buildLock) describe() {
	s := fmt.Sprintf("pid %d, %s, since %s\n", os.Getpid(), filepath.Base(os.Args[0]), time.Now().Format(time.DateTime))
	l.f.Truncate(0)
	l.f.WriteAt([]byte(s), 0)
}

// release removes the lock file and lets the lock go (in that order, so that a waiter that locks the old file sees
// that it was removed and locks a new one).
func (l *buildLock) release() {
	os.Remove(l.path)
	l.f.Close()
}
