package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/deformscope/deformscope/internal/safeopen"
)

// ErrNotRegularDest is the error (wrapped, with the path and what is there)
// for a destination that exists and is not a regular file: a folder, a named
// pipe, a device node or a socket. Writing "over" such a destination would
// replace it (as root, `--out /dev/full` replaced the machine's /dev/full
// with a PNG) or, for a writer that opens in place, block on a FIFO for
// ever. Every writer of this project goes through CheckDest (Write,
// WriteFile, WriteIn) or OpenDest (files written in place: locks, journals,
// partial downloads).
var ErrNotRegularDest = errors.New("not a regular file; refusing to write over it")

// CheckDest returns nil when path does not exist or is a regular file (or a
// symbolic link to one, or a dangling one: a rename replaces the link
// itself), and an error wrapping ErrNotRegularDest that names path and what
// it is otherwise. This is the one "may I write a file here" rule of the
// project.
func CheckDest(path string) error {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		t, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // dangling: the rename replaces the link
		}
		if err != nil {
			return fmt.Errorf("atomicfile: write %s: %w", path, err)
		}
		st = t
	}
	if !st.Mode().IsRegular() {
		return &fs.PathError{Op: "write", Path: path, Err: destError(safeopen.Kind(st.Mode()))}
	}
	return nil
}

// checkDestIn is CheckDest for a name inside root.
func checkDestIn(root *os.Root, name string) error {
	st, err := root.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", name, err)
	}
	if !st.Mode().IsRegular() {
		return &fs.PathError{Op: "write", Path: name, Err: destError(safeopen.Kind(st.Mode()))}
	}
	return nil
}

// destError is ErrNotRegularDest with the kind of file found.
type destError string

func (k destError) Error() string        { return string(k) + ", " + ErrNotRegularDest.Error() }
func (k destError) Is(target error) bool { return target == ErrNotRegularDest }

// OpenDest opens path for writing in place (a lock, a journal, a partial
// download: files that cannot be written by a rename) with flag (os.O_RDWR,
// os.O_CREATE, os.O_TRUNC, os.O_EXCL, ...). It never follows a symbolic link
// at path (a link there is refused: it would lead the write, and a later
// removal, to someone else's file), never blocks on a named pipe, and
// refuses, before truncating anything, whatever is not a regular file. The
// error wraps ErrNotRegularDest for those.
func OpenDest(path string, flag int, perm os.FileMode) (*os.File, error) {
	trunc := flag&os.O_TRUNC != 0
	f, err := os.OpenFile(path, flag&^os.O_TRUNC|noFollow|nonblock, perm)
	if err != nil {
		if st, serr := os.Stat(path); serr == nil && st.IsDir() {
			return nil, &fs.PathError{Op: "write", Path: path, Err: destError("a folder")}
		}
		if isLoop(err) {
			if st, lerr := os.Lstat(path); lerr == nil && st.Mode()&fs.ModeSymlink != 0 {
				return nil, &fs.PathError{Op: "write", Path: path, Err: destError("a symbolic link")}
			}
		}
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, &fs.PathError{Op: "write", Path: path, Err: destError(safeopen.Kind(st.Mode()))}
	}
	if err := safeopen.Blocking(f); err != nil {
		f.Close()
		return nil, &fs.PathError{Op: "write", Path: path, Err: err}
	}
	if trunc {
		if err := f.Truncate(0); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}
