package runner

import (
	"runtime/debug"
	"testing"

	"github.com/deformscope/deformscope/model/train"
)

// TestTuneCollector checks that a gated session trains at GatedGCPercent,
// that the previous target comes back, and that an ungated session or a
// GOGC set by the user is left alone.
func TestTuneCollector(t *testing.T) {
	g, err := train.NewMemoryGate(1)
	if err != nil {
		t.Fatal(err)
	}
	gated := &Session{Trainers: []*train.Trainer{{Gate: g}, {Gate: g}}}
	plain := &Session{Trainers: []*train.Trainer{{}, {}}}
	for _, tc := range []struct {
		name string
		s    *Session
		gogc string
		want int
	}{
		{"gated", gated, "", GatedGCPercent},
		{"gated, GOGC set", gated, "100", 77},
		{"ungated", plain, "", 77},
		{"no trainers", &Session{}, "", 77},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOGC", tc.gogc)
			old := debug.SetGCPercent(77)
			defer debug.SetGCPercent(old)
			restore := tuneCollector(tc.s)
			got := debug.SetGCPercent(77)
			debug.SetGCPercent(got)
			restore()
			if got != tc.want {
				t.Errorf("GC percent while training %d, want %d", got, tc.want)
			}
			if after := debug.SetGCPercent(77); after != 77 {
				t.Errorf("GC percent after training %d, want 77 back", after)
			}
		})
	}
}
