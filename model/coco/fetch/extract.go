package fetch

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/deformscope/deformscope/model/coco"
)

// ExtractLimits caps what Extract unpacks from one zip.
type ExtractLimits struct {
	// MaxBytes caps the total size of the files, as declared in the zip and as actually written.
	MaxBytes int64
	// MaxEntries caps the number of entries, folders included.
	MaxEntries int
	// MaxRatio caps the total size of the files at this many times the zip's own size. COCO's zips
	// hold JPEGs (ratio about 1) and JSON (about 5); a zip whose entries share their compressed
	// data expands thousands of times over (23 KB to 1.26 GB) while staying under MaxBytes and
	// MaxEntries.
	MaxRatio int64
}

// DefaultExtractLimits fit the largest COCO 2017 zip (train2017.zip: 118,288 entries, 19.3 GB) with
// room to spare.
var DefaultExtractLimits = ExtractLimits{MaxBytes: 32 << 30, MaxEntries: 250_000, MaxRatio: 100}

// Extract unpacks the zip at zipPath into dir, creating dir if needed. It refuses the whole zip,
// before writing anything, if an entry's name is not a local path (absolute, "..", a backslash, a
// drive letter), if an entry is a symbolic link or another non-regular file, or if the entry count
// or the declared sizes exceed lim; while writing it stops if the real sizes exceed lim (a zip
// whose headers understate its contents). A link already in dir cannot lead a write outside it.
//
// Each file is written once, in place: whatever was at its name is removed and a new file made (so
// a link there is replaced, never followed), with no temporary file and no fsync of its own.
// train2017.zip holds 118,287 files, and writing each atomically (temporary file, fsync, rename,
// fsync of the folder) cost two fsyncs a file. Instead, when every file is written, one sync makes
// them all durable (syncfs(2) on Linux; elsewhere each file is synced as it is closed), and the
// caller marks the whole zip done once (Fetch's stamp file, written atomically after Extract
// returns). A stopped or failed extraction leaves files but no stamp, and the next Fetch unpacks
// the zip again.
func Extract(zipPath, dir string, lim ExtractLimits) error {
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = DefaultExtractLimits.MaxBytes
	}
	if lim.MaxEntries <= 0 {
		lim.MaxEntries = DefaultExtractLimits.MaxEntries
	}
	if lim.MaxRatio <= 0 {
		lim.MaxRatio = DefaultExtractLimits.MaxRatio
	}
	zr, err := zip.OpenReader(zipPath)
	if errors.Is(err, zip.ErrInsecurePath) {
		if zr != nil {
			zr.Close()
		}
		return fmt.Errorf("fetch: %s: %w", zipPath, err)
	}
	if err != nil {
		return fmt.Errorf("fetch: %s: %w", zipPath, err)
	}
	defer zr.Close()
	fail := func(format string, args ...any) error {
		return fmt.Errorf("fetch: %s: refused: "+format, append([]any{zipPath}, args...)...)
	}
	if len(zr.File) > lim.MaxEntries {
		return fail("%d entries, more than the cap of %d", len(zr.File), lim.MaxEntries)
	}
	st, err := os.Stat(zipPath)
	if err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	if st.Size() < math.MaxInt64/lim.MaxRatio {
		lim.MaxBytes = min(lim.MaxBytes, max(1<<20, st.Size()*lim.MaxRatio))
	}
	var compressed uint64
	for _, f := range zr.File {
		compressed += f.CompressedSize64
	}
	if compressed > uint64(st.Size()) {
		return fail("its entries' compressed data add up to %d bytes, more than the zip's %d: entries overlap", compressed, st.Size())
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
			return fail("the files declare more than the cap of %d bytes (at most %d times the zip's size, and %d)",
				lim.MaxBytes, lim.MaxRatio, DefaultExtractLimits.MaxBytes)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	defer root.Close()
	left := lim.MaxBytes
	for _, f := range zr.File {
		name := filepath.FromSlash(strings.TrimSuffix(f.Name, "/"))
		if f.Mode().IsDir() {
			if err := root.MkdirAll(name, 0o755); err != nil {
				return fmt.Errorf("fetch: %s: %w", zipPath, err)
			}
			continue
		}
		if parent := filepath.Dir(name); parent != "." {
			if err := root.MkdirAll(parent, 0o755); err != nil {
				return fmt.Errorf("fetch: %s: %w", zipPath, err)
			}
		}
		if extractHook != nil {
			extractHook(name)
		}
		n, err := extractFile(root, f, name, left)
		if errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrChecksum) {
			return fail("entry %q: its data disagree with its header (a corrupt zip, or a zip bomb): %w", f.Name, err)
		}
		if err != nil {
			return fmt.Errorf("fetch: %s: entry %q: %w", zipPath, f.Name, err)
		}
		left -= n
	}
	if err := syncAll(root); err != nil {
		return fmt.Errorf("fetch: %s: syncing the unpacked files: %w", zipPath, err)
	}
	return nil
}

// errTooBig reports an entry larger than what is left of the cap.
var errTooBig = errors.New("more bytes than the cap allows (a zip bomb?)")

// extractHook, when set by a test, runs before each file is written: it can
// swap a folder for a symbolic link, as a hostile local process could.
var extractHook func(name string)

// extractFile writes one entry to name inside root, refusing more than left bytes. Every step goes
// through root, so that a folder swapped for a link after the checks still cannot lead the write
// outside.
func extractFile(root *os.Root, f *zip.File, name string, left int64) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	if err := root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, err
	}
	out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, io.LimitReader(rc, left+1))
	if err == nil && n > left {
		err = errTooBig
	}
	if err == nil && syncEachFile {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		root.Remove(name) // a file cut short is not left to look whole
	}
	return n, err
}
