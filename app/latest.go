package app

import "sync"

// latest keeps only the newest of a stream of values for one consumer: a
// producer faster than its consumer overwrites the value that waits, and
// never builds a backlog. It is the package's one "keep only the latest"
// helper, with two kinds of consumer:
//
//   - the UI goroutine: post records a value and, unless a hand-over is
//     already queued there, queues one (with fyne.Do, through the bridge)
//     that shows whatever value is newest when it runs;
//   - a worker goroutine of its own: put records a value and wakes the
//     worker, which waits on ready and then takes the newest value; newer
//     tells a worker busy with an older value that it is already stale.
//
// A latest[struct{}] is a wake-up signal that coalesces: the renderer's.
// The zero value is ready to use; a latest must not be copied.
type latest[T any] struct {
	mu     sync.Mutex
	v      T
	seq    uint64 // values put so far
	taken  uint64 // seq of the value last taken
	queued bool   // post: a hand-over waits on the UI goroutine
	wake   chan struct{}
}

// post records v and, unless a hand-over is already queued, queues one
// with do that calls show with the newest value.
func (l *latest[T]) post(do func(func()), v T, show func(T)) {
	l.mu.Lock()
	l.v = v
	l.seq++
	queued := l.queued
	l.queued = true
	l.mu.Unlock()
	if queued {
		return
	}
	do(func() {
		l.mu.Lock()
		v := l.v
		var zero T
		l.v = zero // drop the reference: the UI now owns the value
		l.taken = l.seq
		l.queued = false
		l.mu.Unlock()
		show(v)
	})
}

// peek returns the value waiting for a hand-over, if any (for tests).
func (l *latest[T]) peek() (T, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.v, l.seq != l.taken
}

// put records v as the newest value and wakes the consumer; it never
// blocks.
func (l *latest[T]) put(v T) {
	l.mu.Lock()
	l.v = v
	l.seq++
	wake := l.wakeLocked()
	l.mu.Unlock()
	select {
	case wake <- struct{}{}:
	default: // a wake-up is already pending: it will find v
	}
}

// ready is where the consumer waits for a value to take.
func (l *latest[T]) ready() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wakeLocked()
}

func (l *latest[T]) wakeLocked() chan struct{} {
	if l.wake == nil {
		l.wake = make(chan struct{}, 1)
	}
	return l.wake
}

// take returns the newest value if it has not been taken yet.
func (l *latest[T]) take() (T, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seq == l.taken {
		var zero T
		return zero, false
	}
	l.taken = l.seq
	return l.v, true
}

// newer reports whether a value put after the last one taken waits.
func (l *latest[T]) newer() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seq != l.taken
}
