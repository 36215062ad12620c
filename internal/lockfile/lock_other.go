//go:build !unix

package lockfile

import "os"

// tryLock does nothing where there is no flock (see lock.go).
func tryLock(*os.File) error { return nil }
