package data

import (
	"fmt"
	"sync"
)

// Prefetcher reads the batches of a set in a goroutine of its own, a few batches ahead of the one
// being used, so that a set on a file (NewFileSet: the COCO crop cache) is read while the previous
// batch trains instead of between steps. Its goroutine normalises each batch as [Set.Batch] does,
// so the numbers are the same with or without it; it holds at most depth+1 batches (depth ahead,
// one being copied out). Close stops the goroutine and waits for it; a Prefetcher must be closed.
type Prefetcher struct {
	s     *Set
	order []int
	batch int
	full  chan *rawBatch
	free  chan *rawBatch
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
	next  int // batches handed out by Next
}

type rawBatch struct {
	idx []int
	x   []float32
}

// Prefetch starts a Prefetcher over the samples of s in order, in batches of batch (the last one
// shorter), depth batches ahead (at least 1). It panics if an index is out of range or batch is not
// positive.
func (s *Set) Prefetch(order []int, batch, depth int) *Prefetcher {
	if batch <= 0 {
		panic(fmt.Sprintf("data: Prefetch: batch %d", batch))
	}
	for _, i := range order {
		s.checkIndex("Prefetch", i)
	}
	depth = max(depth, 1)
	s.checkNorm("Prefetch")
	p := &Prefetcher{s: s, order: order, batch: batch, full: make(chan *rawBatch, depth),
		free: make(chan *rawBatch, depth+1), stop: make(chan struct{}), done: make(chan struct{})}
	for range depth + 1 {
		p.free <- &rawBatch{x: make([]float32, min(batch, max(len(order), 1))*s.SampleSize())}
	}
	go p.run()
	return p
}

// OnFile reports whether s reads its pixels from a file (NewFileSet), where Prefetch pays.
func (s *Set) OnFile() bool { return s.file != nil }

func (p *Prefetcher) run() {
	defer close(p.done)
	size := p.s.SampleSize()
	for lo := 0; lo < len(p.order); lo += p.batch {
		var b *rawBatch
		select {
		case b = <-p.free:
		case <-p.stop:
			return
		}
		b.idx = p.order[lo:min(len(p.order), lo+p.batch)]
		for k, i := range b.idx {
			p.s.normalise(b.x[k*size:(k+1)*size], i)
		}
		select {
		case p.full <- b:
		case <-p.stop:
			return
		}
	}
}

// Batches returns the number of batches the Prefetcher hands out.
func (p *Prefetcher) Batches() int { return (len(p.order) + p.batch - 1) / p.batch }

// Next waits for the next batch, writes its normalised samples into x and their classes into y (as
// Set.Batch does) and returns its indices (a view of the order given to Prefetch), or nil after the
// last batch. A failed read shows in the set's Err, as with Batch. It panics if x or y is too
// short.
func (p *Prefetcher) Next(x []float32, y []int) []int {
	if p.next >= p.Batches() {
		return nil
	}
	b := <-p.full
	p.next++
	size := p.s.SampleSize()
	if len(x) < len(b.idx)*size || len(y) < len(b.idx) {
		panic(fmt.Sprintf("data: Prefetcher.Next: x holds %d values and y %d, want %d and %d", len(x), len(y),
			len(b.idx)*size, len(b.idx)))
	}
	copy(x, b.x[:len(b.idx)*size])
	for k, i := range b.idx {
		y[k] = int(p.s.Y[i])
	}
	idx := b.idx
	p.free <- b
	return idx
}

// Close stops the Prefetcher's goroutine and waits for it to end. It may be called more than once.
func (p *Prefetcher) Close() {
	p.once.Do(func() { close(p.stop) })
	<-p.done
}
