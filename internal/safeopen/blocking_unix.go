//go:build unix

package safeopen

import (
	"os"
	"syscall"
)

// nonblock makes open(2) return at once on a FIFO with no writer.
const nonblock = syscall.O_NONBLOCK

// Blocking clears O_NONBLOCK again on a regular file, so that reads behave
// as after a plain open (Linux ignores the flag on regular files, other
// systems may not).
func Blocking(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.SetNonblock(int(fd), false) }); err != nil {
		return err
	}
	return serr
}
