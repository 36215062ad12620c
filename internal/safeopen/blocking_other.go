//go:build !unix

package safeopen

import "os"

// nonblock is zero where there are no FIFOs that block in open.
const nonblock = 0

// Blocking does nothing where open never blocks.
func Blocking(*os.File) error { return nil }
