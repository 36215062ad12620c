package runner_test

import (
	"testing"

	"github.com/deformscope/deformscope/model/data"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/runner"
	"github.com/deformscope/deformscope/model/train"
)

// tinySet is a set of n samples of c×s×s zeros, labelled 0 and 1.
func tinySet(t *testing.T, n, c, s int) *data.Set {
	t.Helper()
	labels := make([]uint8, n)
	for i := range labels {
		labels[i] = uint8(i % 2)
	}
	set, err := data.NewSet("tiny", make([]uint8, n*c*s*s), labels, n, c, s, s, make([]float32, c), []float32{1, 1, 1}[:c])
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// TestSessionSharesMemoryGate checks which sessions' trainers share a
// memory gate: those of a COCO session of several nets, where the nets'
// buffers are large, and no others.
func TestSessionSharesMemoryGate(t *testing.T) {
	coco := experiment.DefaultCOCO("ann.json", "images")
	coco.Size, coco.TopK = 16, 2
	cfg := train.Config{Epochs: 1, Batch: 4, Optimizer: "sgd", LR: 1e-3, Seed: 1}
	for _, tc := range []struct {
		name   string
		rc     experiment.RunConfig
		c, s   int
		shared bool
	}{
		{"coco all", experiment.RunConfig{Data: "coco", COCO: coco, Models: []string{"cnn", "dcnn-first", "dcnn-middle", "dcnn-last"}, Train: cfg}, 3, 16, true},
		{"coco one net", experiment.RunConfig{Data: "coco", COCO: coco, Models: []string{"dcnn-first"}, Train: cfg}, 3, 16, false},
		{"mnist both", experiment.RunConfig{Data: "mnist", Models: []string{"cnn", "dcnn"}, Train: cfg}, 1, 28, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := runner.NewSession(tc.rc, train.Data{Train: tinySet(t, 8, tc.c, tc.s)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			g := s.Trainers[0].Gate
			for _, tr := range s.Trainers {
				if tr.Gate != g {
					t.Errorf("%s's gate %p differs from %s's %p", tr.Name, tr.Gate, s.Trainers[0].Name, g)
				}
			}
			if shared := g != nil; shared != tc.shared {
				t.Fatalf("gate shared: %v, want %v", shared, tc.shared)
			}
			if g != nil && g.Slots() != 1 {
				t.Errorf("the gate has %d slots, want 1", g.Slots())
			}
		})
	}
}
