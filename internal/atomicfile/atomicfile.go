// Package atomicfile writes files so that a reader, or a crash, sees either the
// old content or the complete new content, never a mix or a half-written file.
//
// Each write goes to a hidden temporary file in the destination's folder
// (".<name>.<random>.tmp"), is flushed to stable storage with fsync, closed and
// renamed over the destination; the folder is then fsynced so that the rename
// itself survives a power cut. On any error, including one returned by the
// caller's writer or a panic in it, the temporary file is removed and the
// destination is left untouched.
//
// The rename is atomic on local POSIX file systems and on NTFS; it is not on
// NFS with several clients. A temporary file left by a crash between create
// and rename stays until its owner calls RemoveStale on the folder (a run
// folder does when it is opened again).
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// bufferSize is the size of the buffer between the caller's writer and the
// file. Writes at least this large bypass it.
const bufferSize = 64 << 10

// WriteFile writes data to the named file atomically, creating it or replacing it. A destination
// that exists and is not a regular file (a folder, a named pipe, a device node) is refused
// (CheckDest). perm (before the umask) sets the permissions of the new file, as with os.WriteFile
// when it creates a file; unlike os.WriteFile, a replaced file also takes perm, since it is a new
// file.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Write creates or replaces the named file atomically with what fn writes to
// w. w is buffered and valid only during the call to fn. If fn returns an
// error, Write removes the temporary file, leaves the destination untouched
// and returns fn's error unchanged. perm is applied as in WriteFile.
//
// If the final fsync of the folder fails, the new content is already in place
// but may not survive a crash; the returned error says so.
func Write(path string, perm os.FileMode, fn func(w io.Writer) error) error {
	if err := CheckDest(path); err != nil {
		return err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := createTemp(dir, base, perm)
	if err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	tmp := f.Name()
	committed := false
	defer func() {
		// Runs on errors and on a panic in fn alike.
		if !committed {
			f.Close()
			os.Remove(tmp)
		}
	}()

	bw := bufio.NewWriterSize(f, bufferSize)
	if err := fn(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	// Without the fsync a crash after the rename can leave an empty file.
	if err := f.Sync(); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	committed = true
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("atomicfile: %s written, but syncing its folder failed, so it may not survive a crash: %w", path, err)
	}
	return nil
}

// createTemp creates a new hidden file next to base in dir. It differs from
// os.CreateTemp in passing perm to open(2), so that the umask applies exactly
// as it does for os.WriteFile.
func createTemp(dir, base string, perm os.FileMode) (*os.File, error) {
	prefix := filepath.Join(dir, "."+base+".")
	for range 10000 {
		name := prefix + strconv.FormatUint(rand.Uint64(), 36) + ".tmp"
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if !errors.Is(err, os.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("cannot find a free temporary name in %s", dir)
}

// RemoveStale removes from dir the temporary files that interrupted writes
// of this package left there (".<name>.<random>.tmp"), for the names that
// ours accepts, and returns the names it removed. Call it only when no
// write into dir can be in progress: when a folder is opened for work,
// before any writer starts.
func RemoveStale(dir string, ours func(name string) bool) ([]string, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("atomicfile: %w", err)
	}
	var removed []string
	var errs []error
	for _, de := range des {
		name, ok := tempOf(de.Name())
		if !ok || !de.Type().IsRegular() || !ours(name) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, de.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, de.Name())
	}
	if len(errs) > 0 {
		return removed, fmt.Errorf("atomicfile: removing stale temporary files: %w", errors.Join(errs...))
	}
	return removed, nil
}

// tempOf reports whether file is a temporary name made by createTemp, and
// for which destination name.
func tempOf(file string) (name string, ok bool) {
	rest, ok := strings.CutPrefix(file, ".")
	if !ok {
		return "", false
	}
	rest, ok = strings.CutSuffix(rest, ".tmp")
	if !ok {
		return "", false
	}
	i := strings.LastIndexByte(rest, '.')
	if i <= 0 || i == len(rest)-1 {
		return "", false
	}
	for _, c := range rest[i+1:] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z') {
			return "", false
		}
	}
	return rest[:i], true
}

// WriteIn is Write for a name inside root: the temporary file, the rename
// and the folder's fsync all go through root, so that no symbolic link,
// even one swapped in while the file is written, can lead the write out of
// root's folder.
func WriteIn(root *os.Root, name string, perm os.FileMode, fn func(w io.Writer) error) error {
	if err := checkDestIn(root, name); err != nil {
		return err
	}
	dir, base := filepath.Split(name)
	if dir == "" {
		dir = "."
	}
	var f *os.File
	var tmp string
	var err error
	for range 10000 {
		tmp = filepath.Join(dir, "."+base+"."+strconv.FormatUint(rand.Uint64(), 36)+".tmp")
		f, err = root.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if !errors.Is(err, os.ErrExist) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", name, err)
	}
	committed := false
	defer func() {
		if !committed {
			f.Close()
			root.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, bufferSize)
	if err := fn(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", name, err)
	}
	if err := root.Rename(tmp, name); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", name, err)
	}
	committed = true
	if d, err := root.Open(dir); err == nil {
		// As in syncDir: a folder that cannot be fsynced is left as it is.
		_ = d.Sync()
		d.Close()
	}
	return nil
}
