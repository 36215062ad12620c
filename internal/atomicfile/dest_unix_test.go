//go:build unix

package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// specials makes, in a temporary folder, each kind of destination that is
// not a regular file: a FIFO, character devices numbered like /dev/null and
// /dev/full (mknod needs root: skipped otherwise), a folder, and links to a
// FIFO and to a folder. The real /dev is never touched.
func specials(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	m := map[string]string{}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	m["fifo"] = fifo
	for name, dev := range map[string]int{"null": 1<<8 | 3, "full": 1<<8 | 7} {
		p := filepath.Join(dir, name)
		if err := syscall.Mknod(p, syscall.S_IFCHR|0o666, dev); err != nil {
			t.Logf("mknod %s: %v (not root?): device nodes not tested", name, err)
			continue
		}
		m[name] = p
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	m["folder"] = sub
	for name, target := range map[string]string{"link-fifo": fifo, "link-folder": sub} {
		p := filepath.Join(dir, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		m[name] = p
	}
	return m
}

// within runs fn and fails the test if it has not returned in 5 s (a write
// into a FIFO blocks for ever).
func within(t *testing.T, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { fn(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("blocked")
	}
}

func TestWriteRefusesNonRegularDest(t *testing.T) {
	for name, p := range specials(t) {
		t.Run(name, func(t *testing.T) {
			before, _ := os.Lstat(p)
			within(t, func() {
				err := WriteFile(p, []byte("png"), 0o644)
				if !errors.Is(err, ErrNotRegularDest) {
					t.Errorf("WriteFile(%s) = %v, want ErrNotRegularDest", name, err)
				}
			})
			after, err := os.Lstat(p)
			if err != nil || after.Mode() != before.Mode() || !os.SameFile(before, after) {
				t.Errorf("%s was replaced: %v %v", name, after, err)
			}
			root, err := os.OpenRoot(filepath.Dir(p))
			if err != nil {
				t.Fatal(err)
			}
			defer root.Close()
			within(t, func() {
				err := WriteIn(root, filepath.Base(p), 0o644, func(w io.Writer) error { _, err := w.Write([]byte("x")); return err })
				// A link that leads out of the root is refused by os.Root itself.
				if !errors.Is(err, ErrNotRegularDest) && (err == nil || name[:4] != "link") {
					t.Errorf("WriteIn(%s) = %v, want ErrNotRegularDest", name, err)
				}
			})
		})
	}
}

func TestOpenDest(t *testing.T) {
	for name, p := range specials(t) {
		t.Run(name, func(t *testing.T) {
			within(t, func() {
				f, err := OpenDest(p, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
				if err == nil {
					f.Close()
				}
				if !errors.Is(err, ErrNotRegularDest) {
					t.Errorf("OpenDest(%s) = %v, want ErrNotRegularDest", name, err)
				}
			})
		})
	}
	dir := t.TempDir()
	user := filepath.Join(dir, "user.txt")
	if err := os.WriteFile(user, []byte("the user's"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "CACHE.lock")
	if err := os.Symlink(user, link); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenDest(link, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644); !errors.Is(err, ErrNotRegularDest) {
		t.Errorf("OpenDest(link to a user's file) = %v, want ErrNotRegularDest", err)
	}
	if b, _ := os.ReadFile(user); string(b) != "the user's" {
		t.Errorf("user's file now %q", b)
	}
	f, err := OpenDest(filepath.Join(dir, "new"), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	// Still a dangling link is fine for a rename, which replaces the link.
	if err := os.Symlink(filepath.Join(dir, "gone"), filepath.Join(dir, "dangling")); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(filepath.Join(dir, "dangling"), []byte("x"), 0o644); err != nil {
		t.Errorf("dangling link: %v", err)
	}
}
