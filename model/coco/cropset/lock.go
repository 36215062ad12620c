package cropset

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/deformscope/deformscope/internal/lockfile"
)

// Two builds of one cache would write the same PATH.part and journal over each other, so a build
// holds PATH.lock for as long as it writes: an advisory flock(2) (no cgo) on a small file that says
// who holds it ("pid 1234, dcn, since 17:40:56"). A second build of the same cache waits for the
// first (saying who it waits for, through Options.Waiting), then finds the cache complete and reads
// it; its context ends the wait. The lock goes with the process, so a killed build never leaves a
// stale lock behind; the file is removed by the holder when it is done. Readers of a complete cache
// take no lock: a file named PATH is only ever replaced whole, by a rename.
//
// On systems without flock (Windows) the lock is a no-op: two builds of one cache there are the
// user's to avoid. The lock itself is internal/lockfile's, which run folders use too.

// lockPoll is how often a waiting build tries the lock again.
const lockPoll = 200 * time.Millisecond

// lockBuild takes the build lock of the cache at path (internal/lockfile), waiting while another
// process holds it. waiting, if set, is called once with the holder's description when the lock is
// busy. A lock file that cannot be made (a read-only folder) gives errNotWritable; one that is a
// link, a FIFO or someone's file is refused.
func lockBuild(ctx context.Context, path string, waiting func(holder string)) (*lockfile.Lock, error) {
	name := path + ".lock"
	told := false
	for {
		l, err := lockfile.TryLock(name)
		var le *lockfile.LockedError
		switch {
		case err == nil:
			return l, nil
		case errors.As(err, &le):
			if !told && waiting != nil {
				waiting(le.Holder)
				told = true
			}
		case errors.Is(err, lockfile.ErrCannotCreate):
			return nil, fmt.Errorf("cropset: crop cache lock: %w: %w", errNotWritable, err)
		default:
			return nil, fmt.Errorf("cropset: crop cache lock: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(lockPoll):
		}
	}
}
