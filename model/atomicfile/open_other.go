//go:build !unix

package atomicfile

import "os"

const (
	noFollow = 0
	nonblock = 0
)

func isLoop(error) bool { return false }

func blocking(*os.File) error { return nil }
