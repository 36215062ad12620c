//go:build unix

package atomicfile

import (
	"errors"
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
