//go:build !unix

package atomicfile

const (
	noFollow = 0
	nonblock = 0
)

func isLoop(error) bool { return false }
