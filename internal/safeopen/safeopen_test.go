//go:build unix

package safeopen

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// within fails the test if fn does not return within a few seconds: the
// bug this package fixes is a hang, so a hang must fail, not stall the suite.
func within(t *testing.T, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("blocked for 5 s")
	}
}

func TestOpenRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.png")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	cases := []struct {
		name, path, kind string
	}{
		{"fifo", fifo, "a named pipe"},
		{"folder", dir, "a folder"},
		{"device", "/dev/null", "a character device"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := os.Stat(c.path); err != nil {
				t.Skip(err)
			}
			within(t, func() {
				f, err := Open(c.path)
				if err == nil {
					f.Close()
					t.Fatalf("Open(%s) succeeded", c.path)
				}
				if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), c.path) || !strings.Contains(err.Error(), c.kind) {
					t.Errorf("Open(%s): %v; want ErrNotRegular naming the path and %q", c.path, err, c.kind)
				}
				if _, err := ReadFile(c.path, 0); !errors.Is(err, ErrNotRegular) {
					t.Errorf("ReadFile(%s): %v", c.path, err)
				}
			})
		})
	}
	t.Run("fifo in root", func(t *testing.T) {
		root, err := os.OpenRoot(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer root.Close()
		within(t, func() {
			if _, err := OpenIn(root, "pipe.png"); !errors.Is(err, ErrNotRegular) {
				t.Errorf("OpenIn: %v", err)
			}
		})
	})
}

func TestOpenRegular(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.txt")
	if err := os.WriteFile(p, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	n, err := f.Read(buf)
	f.Close()
	if err != nil || string(buf[:n]) != "hello" {
		t.Errorf("read %q, %v", buf[:n], err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if f, err := OpenIn(root, "a.txt"); err != nil {
		t.Error(err)
	} else {
		f.Close()
	}
	if _, err := Open(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestReadFileLimit(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.txt")
	os.WriteFile(p, []byte("0123456789"), 0o644)
	cases := []struct {
		limit   int64
		wantErr bool
	}{{0, false}, {10, false}, {100, false}, {9, true}, {1, true}}
	for _, c := range cases {
		b, err := ReadFile(p, c.limit)
		if c.wantErr {
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), p) {
				t.Errorf("limit %d: %v, want ErrTooLarge naming the file", c.limit, err)
			}
			continue
		}
		if err != nil || string(b) != "0123456789" {
			t.Errorf("limit %d: %q, %v", c.limit, b, err)
		}
	}
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o644)
	if b, err := ReadFile(empty, 5); err != nil || len(b) != 0 {
		t.Errorf("empty file: %q, %v", b, err)
	}
}
