package safeopen

import (
	"fmt"
	"io/fs"
	"os"
)

// ErrNotDir is the error (wrapped, with the path and what it is) for a
// folder path that names something else.
var ErrNotDir = fmt.Errorf("not a folder")

// notDir is ErrNotDir with the kind of file found.
type notDir string

func (k notDir) Error() string        { return string(k) + ", not a folder" }
func (k notDir) Is(target error) bool { return target == ErrNotDir }

// CheckDir returns nil when path is a folder (or a link to one). It never
// opens path: os.OpenRoot of a named pipe blocks in open(2) for ever, deaf
// to Ctrl-C and SIGTERM (an image folder that was a FIFO hung coco report,
// coco crops, train and reproduce coco).
func CheckDir(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return &fs.PathError{Op: "open", Path: path, Err: notDir(Kind(st.Mode()))}
	}
	return nil
}

// OpenRoot is os.OpenRoot for a folder, refusing without blocking whatever
// is not one (CheckDir first). A folder swapped for a FIFO between the check
// and the open could still block; only a local process that owns the path
// can do that.
func OpenRoot(path string) (*os.Root, error) {
	if err := CheckDir(path); err != nil {
		return nil, err
	}
	return os.OpenRoot(path)
}
