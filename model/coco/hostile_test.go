package coco

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deformscope/deformscope/internal/safeopen"
)

// TestParseMemoryPerEntry is issue 17 item 7: the loader kept every array
// element even when it was no object, and sized its id maps by the array's
// length, so a 30 MB {"images": [0, 0, …]} took 2.4 GB. The files here are
// small; the test checks the bytes allocated per entry, which must not
// depend on what the file holds beyond the entries kept.
func TestParseMemoryPerEntry(t *testing.T) {
	const n = 50_000
	// repeat makes {"key":[elem, elem, …]} with k elements, N in elem
	// numbered from 1.
	repeat := func(key, elem string, k int) []byte {
		var b bytes.Buffer
		b.WriteString(`{"` + key + `":[`)
		for i := range k {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strings.ReplaceAll(elem, "N", fmt.Sprint(i+1)))
		}
		b.WriteString("]}")
		return b.Bytes()
	}
	allocated := func(file []byte) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		x, err := Parse(bytes.NewReader(file), "big.json", LoadOptions{})
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		runtime.KeepAlive(x)
		return after.TotalAlloc - before.TotalAlloc
	}
	cases := []struct {
		name, key, elem string
		perEntry        float64 // bytes allocated per entry, at most
	}{
		// Nothing is kept: no memory per entry.
		{"images of zeros", "images", "0", 1},
		{"categories of zeros", "categories", "0", 1},
		{"annotations of zeros", "annotations", "0", 1},
		{"empty image objects", "images", "{}", 1},
		{"empty category objects", "categories", "{}", 1},
		{"empty annotation objects", "annotations", "{}", 1},
		// Each entry claims its id (a map entry) and nothing else.
		{"images with only an id", "images", `{"id":N}`, 100},
		{"categories with only an id", "categories", `{"id":N}`, 100},
		// Kept entries: a small multiple of their size, growth included.
		{"usable images", "images", `{"id":N,"file_name":"a.jpg","width":640,"height":480}`, 800},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The scanner's buffers are a fixed cost: measure the
			// difference between n and 2n entries.
			one, two := allocated(repeat(c.key, c.elem, n)), allocated(repeat(c.key, c.elem, 2*n))
			per := (float64(two) - float64(one)) / n
			t.Logf("%.1f bytes allocated per entry (%d entries: %d bytes)", per, 2*n, two)
			if per > c.perEntry {
				t.Errorf("%.1f bytes allocated per entry, want at most %.0f", per, c.perEntry)
			}
		})
	}
}

// TestLoadFIFO is issue 17 item 6: an instances file that is a FIFO
// blocked open(2) for ever, deaf to Ctrl-C.
func TestLoadFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "instances.json")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Load(context.Background(), p, LoadOptions{})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, safeopen.ErrNotRegular) || !strings.Contains(err.Error(), p) {
			t.Errorf("Load: %v, want a not-a-regular-file error naming the file", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Load blocked on a FIFO")
	}
	_ = os.Remove(p)
}

// TestImageFilesFIFOAndLinkLoop is issue 17 items 6 and 15: a FIFO named
// as an image blocked the loader for ever, and a loop of symbolic links
// was reported as a missing file.
func TestImageFilesFIFOAndLinkLoop(t *testing.T) {
	dir := t.TempDir()
	imgs := filepath.Join(dir, "images")
	os.Mkdir(imgs, 0o755)
	if err := syscall.Mkfifo(filepath.Join(imgs, "a.jpg"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := os.Symlink("b.jpg", filepath.Join(imgs, "b.jpg")); err != nil {
		t.Skipf("symlink: %v", err)
	}
	ann := filepath.Join(dir, "instances.json")
	os.WriteFile(ann, []byte(`{"images":[{"id":1,"file_name":"a.jpg","width":64,"height":64},`+
		`{"id":2,"file_name":"b.jpg","width":64,"height":64}],"categories":[{"id":1,"name":"a"}],"annotations":[]}`), 0o644)
	done := make(chan *Index, 1)
	go func() {
		x, err := Load(context.Background(), ann, LoadOptions{ImageDir: imgs})
		if err != nil {
			t.Error(err)
		}
		done <- x
	}()
	select {
	case x := <-done:
		if x != nil && x.Skipped.Images[ReasonBadImage] != 2 {
			t.Errorf("skipped %v, want both images as %s", x.Skipped.Images, ReasonBadImage)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the loader blocked on a FIFO image")
	}
}
