package inspect

import (
	"context"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/nn"
)

// wholeNet returns a COCO net with deformable middle layers and random
// weights, and a random input of a whole photo's size (356×533, the size
// `dcn replay --whole` gives a 640×480 photo at the default object scale).
func wholeNet(tb testing.TB) (*model.Net[float32], *Input) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	net, err := model.NewCOCONet[float32](model.COCOConfig{Size: 64, Classes: 10, Deform: model.PlaceMiddle}, rng)
	if err != nil {
		tb.Fatal(err)
	}
	// Offsets of a few pixels, as a trained net has.
	for _, b := range net.DeformBlocks() {
		for _, p := range b.Params()[:2] {
			for i := range p.Value.Data() {
				p.Value.Data()[i] = float32(rng.NormFloat64() * 0.05)
			}
		}
	}
	x := nn.New[float32](1, 3, 356, 533)
	for i := range x.Data() {
		x.Data()[i] = float32(rng.NormFloat64())
	}
	return net, &Input{X: x}
}

// BenchmarkSamplingWhole loads a fresh net (as each replay frame does)
// and runs it forward on a whole photo's input. B/op is what one frame
// allocates; kept-MB is what the net still holds afterwards beyond its
// weights (live heap after a GC). "forward" is Forward(x, false), which
// keeps every layer's activations and scratch for a Backward; "infer" is
// Sampling, on nn's Infer.
func BenchmarkSamplingWhole(b *testing.B) {
	for _, mode := range []string{"forward", "infer"} {
		b.Run(mode, func(b *testing.B) {
			_, in := wholeNet(b)
			before := liveHeap()
			fresh, _ := wholeNet(b)
			weights := liveHeap() - before
			b.ReportAllocs()
			var net *model.Net[float32]
			for b.Loop() {
				net, _ = wholeNet(b)
				if mode == "forward" {
					if _, err := net.Forward(in.X, false); err != nil {
						b.Fatal(err)
					}
				} else if _, _, err := Sampling(context.Background(), net, in); err != nil {
					b.Fatal(err)
				}
			}
			kept := liveHeap() - before - 2*weights
			runtime.KeepAlive(fresh)
			runtime.KeepAlive(net)
			runtime.KeepAlive(in)
			b.ReportMetric(float64(kept)/1e6, "kept-MB")
		})
	}
}

// liveHeap returns the bytes of live heap after a collection.
func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
