// Package safeopen opens files for reading only when they are regular files.
//
// A plain os.Open of a named pipe (FIFO) blocks in open(2) until some other
// process opens its other end, and no signal handler in Go can interrupt
// it: a FIFO given as an image, a checkpoint or a config file would hang dcn
// and the app, deaf to Ctrl-C. A character device such as /dev/zero or
// /dev/urandom never ends. So every reader of outside files opens them
// through this package: the file is opened without blocking (O_NONBLOCK,
// which regular files ignore), checked with fstat on the open descriptor
// (so nothing can be swapped in between), and refused with ErrNotRegular
// unless it is a regular file.
package safeopen

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrNotRegular is the error (wrapped, with the path and what the file is)
// for a path that names a folder, a named pipe, a device or a socket: an
// *fs.PathError whose message reads "open PATH: a named pipe, not a regular
// file".
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is the error (wrapped, with the path and the sizes) of
// ReadFile for a file over its limit.
var ErrTooLarge = errors.New("file too large")

// Open opens the named file for reading. It refuses, without blocking, a
// path that is not a regular file; the error wraps ErrNotRegular and names
// the path and its kind. Errors from open(2) are returned as *fs.PathError,
// so errors.Is(err, fs.ErrNotExist) works as with os.Open.
func Open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|nonblock, 0)
	if err != nil {
		return nil, err
	}
	return check(f, path)
}

// OpenIn is Open for a name inside root (os.Root keeps the name from
// leading out of the folder, through ".." or a symbolic link).
func OpenIn(root *os.Root, name string) (*os.File, error) {
	f, err := root.OpenFile(name, os.O_RDONLY|nonblock, 0)
	if err != nil {
		return nil, err
	}
	return check(f, name)
}

// ReadFile reads the whole regular file at path, refusing one over limit
// bytes (limit ≤ 0: no limit) before reading it, and one that grows past
// the limit while being read.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if limit > 0 && st.Size() > limit {
		return nil, fmt.Errorf("%s: %w: %d bytes (at most %d)", path, ErrTooLarge, st.Size(), limit)
	}
	r := io.Reader(f)
	if limit > 0 {
		r = io.LimitReader(f, limit+1)
	}
	b := make([]byte, 0, st.Size()+1)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
	if limit > 0 && int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: %w: grew past %d bytes while being read", path, ErrTooLarge, limit)
	}
	return b, nil
}

// check keeps f if it is a regular file and closes it otherwise.
func check(f *os.File, name string) (*os.File, error) {
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: notRegular(Kind(st.Mode()))}
	}
	if err := Blocking(f); err != nil {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return f, nil
}

// notRegular is ErrNotRegular with the kind of file found.
type notRegular string

func (k notRegular) Error() string        { return string(k) + ", not a regular file" }
func (k notRegular) Is(target error) bool { return target == ErrNotRegular }

// Kind names the type of file that mode describes, for error messages.
func Kind(mode fs.FileMode) string {
	switch {
	case mode.IsRegular():
		return "a regular file"
	case mode.IsDir():
		return "a folder"
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeCharDevice != 0:
		return "a character device"
	case mode&fs.ModeDevice != 0:
		return "a device"
	case mode&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "not a regular file"
}
