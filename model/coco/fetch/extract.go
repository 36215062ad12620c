package fetch

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/deformscope/deformscope/model/atomicfile"
	"github.com/deformscope/deformscope/model/coco"
)

// ExtractLimits caps what Extract unpacks from one zip.
type ExtractLimits struct {
	// MaxBytes caps the total size of the files, as declared in the zip and as actually written.
	MaxBytes int64
	// MaxEntries caps the number of entries, folders included.
	MaxEntries int
}

// DefaultExtractLimits fit the largest COCO 2017 zip (train2017.zip: 118,288 entries, 19.3 GB) with room to spare.
var DefaultExtractLimits = ExtractLimits{MaxBytes: 32 << 30, MaxEntries: 250_000}

// Extract unpacks the zip at zipPath into dir, creating dir if needed. It refuses the whole zip, before writing
// anything, if an entry's name is not a local path (absolute, "..", a backslash, a drive letter), if an entry is
// a symbolic link or another non-regular file, or if the entry count or the declared sizes exceed lim; while
// writing it stops if the real sizes exceed lim (a zip whose headers understate its contents). Each file is
// written atomically, and a link already in dir cannot lead a write outside it.
func Extract(zipPath, dir string, lim ExtractLimits) error {
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = DefaultExtractLimits.MaxBytes
	}
	if lim.MaxEntries <= 0 {
		lim.MaxEntries = DefaultExtractLimits.MaxEntries
	}
	zr, err := zip.OpenReader(zipPath)
	if errors.Is(err, zip.ErrInsecurePath) {
		if zr != nil {
			zr.Close()
		}
		return fmt.Errorf("coco: %s: %w", zipPath, err)
	}
	if err != nil {
		return fmt.Errorf("coco: %s: %w", zipPath, err)
	}
	defer zr.Close()
	fail := func(format string, args ...any) error {
		return fmt.Errorf("coco: %s: refused: "+format, append([]any{zipPath}, args...)...)
	}
	if len(zr.File) > lim.MaxEntries {
		return fail("%d entries, more than the cap of %d", len(zr.File), lim.MaxEntries)
	}
	var declared uint64
	for _, f := range zr.File {
		name := strings.TrimSuffix(f.Name, "/")
		if !coco.LocalPath(name) {
			return fail("entry %q would land outside %s", f.Name, dir)
		}
		switch mode := f.Mode(); {
		case mode&fs.ModeSymlink != 0:
			return fail("entry %q is a symbolic link", f.Name)
		case !mode.IsRegular() && !mode.IsDir():
			return fail("entry %q is not a regular file (%v)", f.Name, mode)
		}
		declared += f.UncompressedSize64
		if declared > uint64(lim.MaxBytes) {
			return fail("the files declare more than the cap of %d bytes", lim.MaxBytes)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("coco: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("coco: %w", err)
	}
	defer root.Close()
	left := lim.MaxBytes
	for _, f := range zr.File {
		name := filepath.FromSlash(strings.TrimSuffix(f.Name, "/"))
		if f.Mode().IsDir() {
			if err := root.MkdirAll(name, 0o755); err != nil {
				return fmt.Errorf("coco: %s: %w", zipPath, err)
			}
			continue
		}
		if parent := filepath.Dir(name); parent != "." {
			if err := root.MkdirAll(parent, 0o755); err != nil {
				return fmt.Errorf("coco: %s: %w", zipPath, err)
			}
		}
		n, err := extractFile(f, filepath.Join(dir, name), left)
		if errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrChecksum) {
			return fail("entry %q: its data disagree with its header (a corrupt zip, or a zip bomb): %w", f.Name, err)
		}
		if err != nil {
			return fmt.Errorf("coco: %s: entry %q: %w", zipPath, f.Name, err)
		}
		left -= n
	}
	return nil
}

// errTooBig reports an entry larger than what is left of the cap.
var errTooBig = errors.New("more bytes than the cap allows (a zip bomb?)")

// extractFile writes one entry to dst atomically, refusing more than left bytes.
func extractFile(f *zip.File, dst string, left int64) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	var n int64
	err = atomicfile.Write(dst, 0o644, func(w io.Writer) error {
		var err error
		n, err = io.Copy(w, io.LimitReader(rc, left+1))
		if err == nil && n > left {
			err = errTooBig
		}
		return err
	})
	return n, err
}
