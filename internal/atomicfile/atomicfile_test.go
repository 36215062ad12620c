package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// entries lists the names in dir, so that a test can see a leftover
// temporary file.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWriteFileCreatesAndReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.txt")
	if err := WriteFile(path, []byte("first"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "first" {
		t.Errorf("content = %q, want %q", got, "first")
	}
	if err := WriteFile(path, []byte("second, longer"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "second, longer" {
		t.Errorf("content = %q, want %q", got, "second, longer")
	}
	if got := entries(t, dir); !slices.Equal(got, []string{"a.txt"}) {
		t.Errorf("folder holds %q, want only a.txt", got)
	}
}

func TestWriteRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := WriteFile("rel.txt", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, "rel.txt"); got != "x" {
		t.Errorf("content = %q, want %q", got, "x")
	}
}

func TestWriteStreams(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.bin")
	// Larger than the buffer, in pieces of awkward sizes.
	var want bytes.Buffer
	err := Write(path, 0o644, func(w io.Writer) error {
		for i := range 5000 {
			piece := bytes.Repeat([]byte{byte(i)}, i%97)
			want.Write(piece)
			if _, err := w.Write(piece); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != want.String() {
		t.Errorf("content differs: %d bytes, want %d", len(got), want.Len())
	}
}

func TestFailingWriterKeepsOldContent(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name string
		fn   func(w io.Writer) error
	}{
		{"fails at once", func(io.Writer) error { return errBoom }},
		{"fails after a small write", func(w io.Writer) error {
			w.Write([]byte("partial"))
			return errBoom
		}},
		{"fails after a write beyond the buffer", func(w io.Writer) error {
			w.Write(make([]byte, 3*bufferSize))
			return errBoom
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "keep.txt")
			if err := WriteFile(path, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			err := Write(path, 0o644, tt.fn)
			if !errors.Is(err, errBoom) {
				t.Errorf("err = %v, want %v", err, errBoom)
			}
			if got := readFile(t, path); got != "old" {
				t.Errorf("content = %q, want the old %q", got, "old")
			}
			if got := entries(t, dir); !slices.Equal(got, []string{"keep.txt"}) {
				t.Errorf("folder holds %q, want only keep.txt (temp file left behind)", got)
			}
		})
	}
}

func TestFailingWriterCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "new.txt")
	errBoom := errors.New("boom")
	if err := Write(path, 0o644, func(io.Writer) error { return errBoom }); !errors.Is(err, errBoom) {
		t.Errorf("err = %v, want %v", err, errBoom)
	}
	if got := entries(t, dir); len(got) != 0 {
		t.Errorf("folder holds %q, want nothing", got)
	}
}

func TestPanickingWriterLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.txt")
	if err := WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if r := recover(); r != "oops" {
				t.Errorf("recovered %v, want the writer's panic", r)
			}
		}()
		Write(path, 0o644, func(w io.Writer) error {
			w.Write([]byte("partial"))
			panic("oops")
		})
	}()
	if got := readFile(t, path); got != "old" {
		t.Errorf("content = %q, want the old %q", got, "old")
	}
	if got := entries(t, dir); !slices.Equal(got, []string{"p.txt"}) {
		t.Errorf("folder holds %q, want only p.txt", got)
	}
}

func TestRenameFailureLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	// A non-empty folder in the way makes the rename fail.
	path := filepath.Join(dir, "sub")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(path, []byte("data"), 0o644)
	if err == nil {
		t.Fatal("WriteFile over a folder succeeded")
	}
	if got := entries(t, dir); !slices.Equal(got, []string{"sub"}) {
		t.Errorf("folder holds %q, want only sub", got)
	}
}

func TestMissingFolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "f.txt")
	err := WriteFile(path, []byte("x"), 0o644)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want one wrapping os.ErrNotExist", err)
	}
}

func TestPermissions(t *testing.T) {
	for _, perm := range []os.FileMode{0o600, 0o640, 0o644, 0o755} {
		t.Run(perm.String(), func(t *testing.T) {
			dir := t.TempDir()
			// os.WriteFile applies the umask; so should we.
			ref := filepath.Join(dir, "ref")
			if err := os.WriteFile(ref, nil, perm); err != nil {
				t.Fatal(err)
			}
			refInfo, err := os.Stat(ref)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "f")
			// A first version with other permissions: the replacement takes perm.
			if err := WriteFile(path, []byte("old"), 0o600|(^perm&0o077)); err != nil {
				t.Fatal(err)
			}
			if err := WriteFile(path, []byte("new"), perm); err != nil {
				t.Fatal(err)
			}
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := info.Mode().Perm(), refInfo.Mode().Perm(); got != want {
				t.Errorf("mode = %v, want %v (as os.WriteFile makes)", got, want)
			}
		})
	}
}

func TestConcurrentWritersLeaveOneWholeFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.txt")
	contents := make([]string, 8)
	for i := range contents {
		contents[i] = fmt.Sprintf("%d:%s", i, bytes.Repeat([]byte{'a' + byte(i)}, 100000+i))
	}
	var wg sync.WaitGroup
	for _, c := range contents {
		wg.Go(func() {
			if err := WriteFile(path, []byte(c), 0o644); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := readFile(t, path); !slices.Contains(contents, got) {
		t.Errorf("content (%d bytes) is none of the writers' whole contents", len(got))
	}
	if got := entries(t, dir); !slices.Equal(got, []string{"c.txt"}) {
		t.Errorf("folder holds %q, want only c.txt", got)
	}
}

func BenchmarkWriteFile1MiB(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.bin")
	data := make([]byte, 1<<20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteFile(path, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRemoveStale reproduces the pile-up of temporary files after kills:
// a writer that dies between create and rename leaves its .tmp behind.
func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	keep := []string{"a.json", ".a.json", ".a.json.tmp", ".other.txt.k3j2.tmp", ".a.json.UPPER.tmp", "notes.tmp", ".a.json.x9.tmp.bak"}
	stale := []string{".a.json.1x9z.tmp", ".cnn-epoch001.safetensors.0.tmp"}
	for _, n := range append(slices.Clone(keep), stale...) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A real leftover: a write whose fn panics is cleaned up, so make one
	// by hand the way createTemp names it.
	f, err := createTemp(dir, "a.json", 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	stale = append(stale, filepath.Base(f.Name()))
	ours := func(name string) bool { return name == "a.json" || strings.HasSuffix(name, ".safetensors") }
	removed, err := RemoveStale(dir, ours)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	slices.Sort(stale)
	if !slices.Equal(removed, stale) {
		t.Errorf("removed %q, want %q", removed, stale)
	}
	got := entries(t, dir)
	slices.Sort(got)
	slices.Sort(keep)
	if !slices.Equal(got, keep) {
		t.Errorf("left %q, want %q", got, keep)
	}
}
