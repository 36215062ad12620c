package data

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/deformscope/deformscope/internal/atomicfile"
	"github.com/deformscope/deformscope/model/data/mnistfiles"
)

// EmbeddedMNIST reports whether this binary carries the MNIST files
// (its files copied in by `bash .ci/mnist-files`, as `bash .ci/package` does).
func EmbeddedMNIST() bool {
	_, ok := mnistfiles.FS()
	return ok
}

// embeddedMNISTDir copies the MNIST files this binary carries into the
// user's cache folder, once, and returns that folder. A copy already there
// is used when every file has the embedded size; a partial or damaged copy
// is written again (each file atomically, so an interrupted copy never
// looks complete).
func embeddedMNISTDir(cacheDir func() (string, error)) (string, error) {
	files, ok := mnistfiles.FS()
	if !ok {
		return "", fs.ErrNotExist
	}
	return unpackMNIST(files, cacheDir)
}

// unpackMNIST copies the MNIST files of files into deformscope/mnist under
// the folder cacheDir names, unless a copy of the same sizes is there.
func unpackMNIST(files fs.FS, cacheDir func() (string, error)) (string, error) {
	base, err := cacheDir()
	if err != nil {
		return "", fmt.Errorf("data: no user cache folder to unpack the built-in MNIST into: %w", err)
	}
	dir := filepath.Join(base, "deformscope", "mnist")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("data: %w", err)
	}
	for _, name := range mnistfiles.Names {
		b, err := fs.ReadFile(files, name)
		if err != nil {
			return "", fmt.Errorf("data: built-in %s: %w", name, err)
		}
		dst := filepath.Join(dir, name)
		if st, err := os.Stat(dst); err == nil && st.Mode().IsRegular() && st.Size() == int64(len(b)) {
			continue
		}
		err = atomicfile.Write(dst, 0o644, func(w io.Writer) error {
			_, err := io.Copy(w, bytes.NewReader(b))
			return err
		})
		if err != nil {
			return "", fmt.Errorf("data: unpacking the built-in MNIST: %w", err)
		}
	}
	return dir, nil
}
