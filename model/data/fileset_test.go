package data

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// TestFileSetMatchesMemory checks that a set whose pixels are read from a file gives the very
// numbers of the same set in memory: samples, batches, subsets and gathered copies.
func TestFileSetMatchesMemory(t *testing.T) {
	const n, c, h, w = 7, 3, 4, 5
	size := c * h * w
	pix := make([]uint8, n*size)
	for i := range pix {
		pix[i] = uint8(i*37 + i/size)
	}
	labels := []uint8{0, 1, 2, 1, 0, 2, 1}
	mean, std := []float32{0.4, 0.5, 0.6}, []float32{0.2, 0.25, 0.3}
	mem, err := NewSet("mem", pix, labels, n, c, h, w, mean, std)
	if err != nil {
		t.Fatal(err)
	}
	const off = 11 // the pixels sit after a header in the file
	file := append(bytes.Repeat([]byte{0xee}, off), pix...)
	fs, err := NewFileSet("file", bytes.NewReader(file), off, labels, n, c, h, w, mean, std)
	if err != nil {
		t.Fatal(err)
	}
	if fs.Pix != nil {
		t.Error("a set on a file holds its pixels")
	}
	idx := []int{6, 0, 3, 3, 5}
	x1, x2 := make([]float32, len(idx)*size), make([]float32, len(idx)*size)
	y1, y2 := make([]int, len(idx)), make([]int, len(idx))
	mem.Batch(idx, x1, y1)
	fs.Batch(idx, x2, y2)
	if !slices.Equal(x1, x2) || !slices.Equal(y1, y2) {
		t.Error("batches differ")
	}
	for i := range n {
		if !bytes.Equal(mem.Pixels(i), fs.Pixels(i)) {
			t.Errorf("sample %d differs", i)
		}
	}
	sub := fs.Subset(3)
	if sub.N != 3 || !bytes.Equal(sub.Pixels(2), mem.Pixels(2)) {
		t.Error("subset differs")
	}
	g := fs.Gather([]int{4, 1})
	if g.Pix == nil || !bytes.Equal(g.Pixels(0), mem.Pixels(4)) || g.Y[1] != labels[1] {
		t.Error("gathered copy differs")
	}
	if fs.Err() != nil || mem.Err() != nil {
		t.Errorf("errors %v %v", fs.Err(), mem.Err())
	}
}

// TestFileSetReadError checks that a short file zeroes the samples it cannot read and says so
// through Err.
func TestFileSetReadError(t *testing.T) {
	const size = 3 * 2 * 2
	labels := []uint8{0, 1, 0}
	short := bytes.NewReader(bytes.Repeat([]byte{200}, 2*size+1)) // the third sample is cut short
	fs, err := NewFileSet("cut", short, 0, labels, 3, 3, 2, 2, []float32{0, 0, 0}, []float32{1, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	x, y := make([]float32, 3*size), make([]int, 3)
	fs.Batch([]int{0, 1, 2}, x, y)
	if x[0] == 0 || x[2*size] != 0 {
		t.Errorf("sample values %v, %v", x[0], x[2*size])
	}
	if err := fs.Err(); err == nil || !strings.Contains(err.Error(), `set "cut": reading sample 2`) {
		t.Errorf("error %v", err)
	}
	if _, err := NewFileSet("bad", short, -1, labels, 3, 3, 2, 2, []float32{0, 0, 0}, []float32{1, 1, 1}); err == nil {
		t.Error("negative offset accepted")
	}
	if _, err := NewFileSet("bad", short, 0, labels[:2], 3, 3, 2, 2, []float32{0, 0, 0}, []float32{1, 1, 1}); err == nil {
		t.Error("too few labels accepted")
	}
}
