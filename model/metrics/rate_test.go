package metrics

import (
	"testing"
	"time"
)

func TestRate(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		updates [][2]int64 // seconds after t0, done
		total   int64
		rate    float64
		left    time.Duration
		ok      bool
	}{
		{"first update", [][2]int64{{0, 100}}, 1000, 0, 0, false},
		{"no progress", [][2]int64{{0, 100}, {5, 100}}, 1000, 0, 0, false},
		// A resumed build starts at 100: the 100 done before are not speed.
		{"resumed", [][2]int64{{0, 100}, {10, 300}}, 1000, 20, 35 * time.Second, true},
		{"finished", [][2]int64{{0, 0}, {4, 1000}}, 1000, 250, 0, true},
	} {
		var r Rate
		var rate float64
		var left time.Duration
		var ok bool
		for _, u := range tc.updates {
			rate, left, ok = r.Update(u[1], tc.total, t0.Add(time.Duration(u[0])*time.Second))
		}
		if rate != tc.rate || left != tc.left || ok != tc.ok {
			t.Errorf("%s: %v/s, %v left, ok %v; want %v/s, %v, %v", tc.name, rate, left, ok, tc.rate, tc.left, tc.ok)
		}
	}
}
