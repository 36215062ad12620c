//go:build unix

package atomicfile

import (
	"errors"
	"os"
	"syscall"
)

// noFollow and nonblock make OpenDest refuse a symbolic link and return at
// once on a named pipe.
const (
	noFollow = syscall.O_NOFOLLOW
	nonblock = syscall.O_NONBLOCK
)

// isLoop reports the error open(2) gives for O_NOFOLLOW on a link.
func isLoop(err error) bool { return errors.Is(err, syscall.ELOOP) }

// blocking clears O_NONBLOCK again on the opened regular file.
func blocking(f *os.File) error {
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
