package model

import (
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/nn"
)

// TestCOCONetSameBitsOnAnyCoreCount: one training step of each COCO net (the
// logits and every parameter's gradient) gives the same bits whether the
// layers run on 1, 2, 3, 4, 8 or 16 cores. The layers split their work by
// shape only, never by the number of workers (issue 23, item 4).
func TestCOCONetSameBitsOnAnyCoreCount(t *testing.T) {
	old := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(old)
	for _, p := range []Placement{PlaceNone, PlaceFirst, PlaceMiddle, PlaceLast} {
		t.Run(string(p), func(t *testing.T) {
			step := func(procs int) []float32 {
				runtime.GOMAXPROCS(procs)
				rng := rand.New(rand.NewPCG(3, 4))
				net, err := NewCOCONet[float32](COCOConfig{Size: 64, Classes: 10, Deform: p}, rng)
				if err != nil {
					t.Fatal(err)
				}
				// Offsets of a few pixels, so the deformable layers sample
				// between pixels and across the borders.
				for _, b := range net.DeformBlocks() {
					for _, q := range b.Params() {
						if !strings.Contains(q.Name, "regular") {
							for i := range q.Value.Data() {
								q.Value.Data()[i] = float32(rng.NormFloat64() * 0.05)
							}
						}
					}
				}
				x := nn.New[float32](net.InputShape(5)...)
				for i := range x.Data() {
					x.Data()[i] = float32(rng.NormFloat64())
				}
				y, err := net.Forward(x, true)
				if err != nil {
					t.Fatal(err)
				}
				g := nn.New[float32](y.Shape()...)
				if _, err := nn.CrossEntropy(y, []int{0, 3, 9, 3, 1}, g); err != nil {
					t.Fatal(err)
				}
				net.ZeroGrad()
				if err := net.Backward(g); err != nil {
					t.Fatal(err)
				}
				out := append([]float32(nil), y.Data()...)
				for _, q := range net.Params() {
					out = append(out, q.Grad.Data()...)
				}
				return out
			}
			want := step(1)
			for _, procs := range []int{2, 3, 4, 8, 16} {
				got := step(procs)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("value %d of %d: %v on %d cores, %v on 1", i, len(want), got[i], procs, want[i])
					}
				}
			}
		})
	}
}
