package data

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/deformscope/deformscope/model/data/mnistfiles"
)

// TestUnpackMNIST: the built-in files are copied into the user's cache
// folder once, a complete copy is reused untouched, a truncated one is
// written again, and a missing cache folder is a clear error.
func TestUnpackMNIST(t *testing.T) {
	files := fstest.MapFS{}
	for i, n := range mnistfiles.Names {
		files[n] = &fstest.MapFile{Data: []byte(strings.Repeat("x", 10+i))}
	}
	base := t.TempDir()
	cache := func() (string, error) { return base, nil }
	dir, err := unpackMNIST(files, cache)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(base, "deformscope", "mnist"); dir != want {
		t.Errorf("folder %s, want %s", dir, want)
	}
	for _, n := range mnistfiles.Names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil || string(b) != string(files[n].Data) {
			t.Errorf("%s: %q, %v", n, b, err)
		}
	}
	// A complete copy is kept as it is (its time does not change).
	first := filepath.Join(dir, mnistfiles.Names[0])
	old, _ := os.Stat(first)
	if _, err := unpackMNIST(files, cache); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(first); !st.ModTime().Equal(old.ModTime()) {
		t.Errorf("a complete copy was written again")
	}
	// A truncated file (an interrupted copy by an older build) is replaced.
	if err := os.WriteFile(first, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := unpackMNIST(files, cache); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(first); string(b) != string(files[mnistfiles.Names[0]].Data) {
		t.Errorf("truncated copy not replaced: %q", b)
	}
	_, err = unpackMNIST(files, func() (string, error) { return "", errors.New("$HOME is not defined") })
	if err == nil || !strings.Contains(err.Error(), "no user cache folder") {
		t.Errorf("no cache folder: %v", err)
	}
}

// TestEmbeddedMNISTLoads runs only in a build with the files inside
// (after `bash .ci/mnist-files` has copied the files in):
// FindMNIST unpacks them and LoadMNIST reads all 70,000 images.
func TestEmbeddedMNISTLoads(t *testing.T) {
	if !EmbeddedMNIST() {
		t.Skip("this build carries no MNIST (run `bash .ci/mnist-files` first)")
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	dir, err := FindMNIST()
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Train.Images.N != 60000 || m.Test.Images.N != 10000 {
		t.Errorf("%d training and %d test images, want 60000 and 10000", m.Train.Images.N, m.Test.Images.N)
	}
}
