package app

import "sync"

// latest keeps only the newest of a stream of values for one consumer: a
// producer faster than its consumer overwrites the value that waits, and
// never builds a backlog. It is the package's one "keep only the latest"
// helper. post hands the value over with a do function: fyne.Do (through
// the bridge) for the UI goroutine, or a send on a one-slot channel for a
// worker goroutine of its own (the renderer, the Offsets worker). At most
// one hand-over is queued at a time, and it takes the value that is newest
// when it runs. The zero value is ready to use; a latest must not be
// copied.
type latest[T any] struct {
	mu     sync.Mutex
	v      T
	queued bool
}

// post records v and, unless a hand-over is already queued, queues one
// with do that calls show with the newest value.
func (l *latest[T]) post(do func(func()), v T, show func(T)) {
	l.mu.Lock()
	l.v = v
	queued := l.queued
	l.queued = true
	l.mu.Unlock()
	if queued {
		return
	}
	do(func() {
		l.mu.Lock()
		v := l.v
		l.queued = false
		l.mu.Unlock()
		show(v)
	})
}

// waiting reports whether a hand-over is queued and has not yet taken the
// newest value: a newer value than the one being handled is on its way.
func (l *latest[T]) waiting() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.queued
}

// peek returns the newest value posted and whether a hand-over of it is
// still queued.
func (l *latest[T]) peek() (T, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.v, l.queued
}
