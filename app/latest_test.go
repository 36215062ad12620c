package app

import (
	"testing"
)

// TestLatestPostCoalesces: values posted faster than the consumer runs
// queue one hand-over, which shows the newest value.
func TestLatestPostCoalesces(t *testing.T) {
	var l latest[int]
	q := &uiQueue{}
	var shown []int
	for i := 1; i <= 100; i++ {
		l.post(q.do, i, func(v int) { shown = append(shown, v) })
	}
	if n := q.len(); n != 1 {
		t.Fatalf("%d hand-overs queued, want 1", n)
	}
	if v, ok := l.peek(); !ok || v != 100 || !l.waiting() {
		t.Errorf("peek = %d, %v (waiting %v); want 100, true, true", v, ok, l.waiting())
	}
	q.drain()
	if len(shown) != 1 || shown[0] != 100 {
		t.Errorf("shown %v, want [100]", shown)
	}
	if _, ok := l.peek(); ok || l.waiting() {
		t.Error("a hand-over still waits after it ran")
	}
	l.post(q.do, 7, func(v int) { shown = append(shown, v) })
	q.drain()
	if len(shown) != 2 || shown[1] != 7 {
		t.Errorf("after a second post shown %v, want [100 7]", shown)
	}
}

// TestLatestToAWorker: hand-overs to a worker goroutine through a one-slot
// channel never block the producer, and the worker ends on the last value.
func TestLatestToAWorker(t *testing.T) {
	var l latest[int]
	jobs := make(chan func(), 1)
	got := make(chan int, 1)
	last := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for f := range jobs {
			f()
			if last == 1000 {
				return
			}
		}
	}()
	for i := 1; i <= 1000; i++ {
		l.post(func(f func()) { jobs <- f }, i, func(v int) {
			if v < last {
				t.Errorf("took %d after %d", v, last)
			}
			last = v
		})
	}
	<-done
	got <- last
	if v := <-got; v != 1000 {
		t.Errorf("the worker ended on %d, want 1000", v)
	}
}
