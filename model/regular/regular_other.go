//go:build !unix

package regular

import "os"

// nonblock is zero where there are no FIFOs that block in open.
const nonblock = 0

func blocking(*os.File) error { return nil }
