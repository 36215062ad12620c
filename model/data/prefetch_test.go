package data

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// fileFixture returns a set of n samples of 3×h×w random bytes on a file, and the same set in
// memory.
func fileFixture(t testing.TB, n, h, w int) (file, mem *Set) {
	size := 3 * h * w
	rng := rand.New(rand.NewPCG(4, 5))
	pix := make([]uint8, n*size)
	for i := range pix {
		pix[i] = uint8(rng.IntN(256))
	}
	labels := make([]uint8, n)
	for i := range labels {
		labels[i] = uint8(rng.IntN(10))
	}
	mean, std := []float32{0.485, 0.456, 0.406}, []float32{0.229, 0.224, 0.225}
	path := filepath.Join(t.TempDir(), "pix")
	if err := os.WriteFile(path, pix, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	file, err = NewFileSet("file", f, 0, labels, n, 3, h, w, mean, std)
	if err != nil {
		t.Fatal(err)
	}
	mem, err = NewSet("mem", pix, labels, n, 3, h, w, mean, std)
	if err != nil {
		t.Fatal(err)
	}
	return file, mem
}

// TestPrefetcherMatchesBatch checks that the batches a Prefetcher hands out are Batch's, in order,
// the last one short, for a set on a file and in memory and for any depth.
func TestPrefetcherMatchesBatch(t *testing.T) {
	file, mem := fileFixture(t, 23, 4, 5)
	order := rand.New(rand.NewPCG(1, 1)).Perm(23)
	size := file.SampleSize()
	for _, s := range []*Set{file, mem} {
		for _, depth := range []int{0, 1, 3} {
			p := s.Prefetch(order, 5, depth)
			x, y := make([]float32, 5*size), make([]int, 5)
			wx, wy := make([]float32, 5*size), make([]int, 5)
			got := 0
			for {
				idx := p.Next(x, y)
				if idx == nil {
					break
				}
				want := order[got*5 : min(23, got*5+5)]
				mem.Batch(want, wx, wy)
				if !slices.Equal(idx, want) || !slices.Equal(x[:len(idx)*size], wx[:len(idx)*size]) ||
					!slices.Equal(y[:len(idx)], wy[:len(idx)]) {
					t.Errorf("%s depth %d: batch %d differs from Batch's", s.Name, depth, got)
				}
				got++
			}
			p.Close()
			if got != 5 || p.Batches() != 5 {
				t.Errorf("%s depth %d: %d batches, want 5", s.Name, depth, got)
			}
		}
	}
	if file.Err() != nil {
		t.Error(file.Err())
	}
}

// TestPrefetcherCloseMidway checks that closing a Prefetcher before its last batch ends its
// goroutine.
func TestPrefetcherCloseMidway(t *testing.T) {
	file, _ := fileFixture(t, 50, 4, 4)
	ignore := goleak.IgnoreCurrent()
	for range 10 {
		p := file.Prefetch(slices.Collect(func(yield func(int) bool) {
			for i := range 50 {
				if !yield(i) {
					return
				}
			}
		}), 4, 2)
		x, y := make([]float32, 4*file.SampleSize()), make([]int, 4)
		p.Next(x, y)
		p.Close()
		p.Close()
	}
	goleak.VerifyNone(t, ignore)
}

// slowReader makes every read take d, as a read that misses the page cache does.
type slowReader struct {
	r io.ReaderAt
	d time.Duration
}

func (s slowReader) ReadAt(p []byte, off int64) (int, error) {
	// A spin rather than a sleep: sleeps this short overshoot by a millisecond or more on a busy
	// machine.
	for t0 := time.Now(); time.Since(t0) < s.d; {
	}
	return s.r.ReadAt(p, off)
}

// BenchmarkPrefetch trains on an epoch of 64×64 RGB crops on a file in batches of 32, the "step"
// being 10 ms of waiting (a stand-in for the net, which leaves the reader's core alone): reading in
// the step's place (sync) against a Prefetcher 2 batches ahead, from the page cache and with every
// crop read taking 100 µs (a disk).
func BenchmarkPrefetch(b *testing.B) {
	const n, batch = 640, 32
	size := 3 * 64 * 64
	pix := make([]uint8, n*size)
	labels := make([]uint8, n)
	mean, std := []float32{0.485, 0.456, 0.406}, []float32{0.229, 0.224, 0.225}
	order := rand.New(rand.NewPCG(2, 2)).Perm(n)
	for _, disk := range []struct {
		name string
		r    io.ReaderAt
	}{{"cached", bytes.NewReader(pix)}, {"disk100us", slowReader{bytes.NewReader(pix), 100 * time.Microsecond}}} {
		s, err := NewFileSet("b", disk.r, 0, labels, n, 3, 64, 64, mean, std)
		if err != nil {
			b.Fatal(err)
		}
		x, y := make([]float32, batch*size), make([]int, batch)
		step := func() { time.Sleep(10 * time.Millisecond) }
		b.Run(disk.name+"/sync", func(b *testing.B) {
			for b.Loop() {
				for lo := 0; lo < n; lo += batch {
					s.Batch(order[lo:lo+batch], x, y)
					step()
				}
			}
		})
		b.Run(disk.name+"/prefetch", func(b *testing.B) {
			for b.Loop() {
				p := s.Prefetch(order, batch, 2)
				for p.Next(x, y) != nil {
					step()
				}
				p.Close()
			}
		})
	}
}
