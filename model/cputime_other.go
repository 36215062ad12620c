//go:build !unix

package model

import "time"

// CPUTime returns the process's CPU time; on this system it is not read
// (ok false), and callers fall back to wall time or say so.
func CPUTime() (d time.Duration, ok bool) { return 0, false }
