//go:build unix

package model

import (
	"syscall"
	"time"
)

// CPUTime returns the process's user + system CPU time so far (getrusage),
// the steadier figure on a shared machine; ok is false where it cannot be read.
func CPUTime() (d time.Duration, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
