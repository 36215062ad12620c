package app

import (
	"sync"
	"testing"
)

// TestLatestPostCoalesces: values posted faster than the UI goroutine
// runs queue one hand-over, which shows the newest value.
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
	if v, ok := l.peek(); !ok || v != 100 {
		t.Errorf("peek = %d, %v; want 100, true", v, ok)
	}
	q.drain()
	if len(shown) != 1 || shown[0] != 100 {
		t.Errorf("shown %v, want [100]", shown)
	}
	if _, ok := l.peek(); ok {
		t.Error("a value still waits after the hand-over")
	}
	l.post(q.do, 7, func(v int) { shown = append(shown, v) })
	q.drain()
	if len(shown) != 2 || shown[1] != 7 {
		t.Errorf("after a second post shown %v, want [100 7]", shown)
	}
}

// TestLatestWorker: a worker takes only the newest value put, each value
// at most once, and newer tells it that its value went stale.
func TestLatestWorker(t *testing.T) {
	var l latest[string]
	if _, ok := l.take(); ok {
		t.Fatal("take on an empty latest found a value")
	}
	l.put("a")
	l.put("b")
	select {
	case <-l.ready():
	default:
		t.Fatal("no wake-up after put")
	}
	select {
	case <-l.ready():
		t.Fatal("two puts left two wake-ups")
	default:
	}
	if v, ok := l.take(); !ok || v != "b" {
		t.Fatalf("take = %q, %v; want b, true", v, ok)
	}
	if _, ok := l.take(); ok {
		t.Error("the same value was taken twice")
	}
	if l.newer() {
		t.Error("newer with nothing put since the take")
	}
	l.put("c")
	if !l.newer() {
		t.Error("newer is false after a put")
	}

	// A producer and a consumer on two goroutines: the consumer ends on
	// the last value, whatever it skipped.
	var m latest[int]
	done := make(chan int)
	go func() {
		last := 0
		for last != 1000 {
			<-m.ready()
			if v, ok := m.take(); ok {
				if v < last {
					t.Errorf("took %d after %d", v, last)
				}
				last = v
			}
		}
		done <- last
	}()
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 1; i <= 1000; i++ {
			m.put(i)
		}
	})
	wg.Wait()
	if got := <-done; got != 1000 {
		t.Errorf("the consumer ended on %d, want 1000", got)
	}
}
