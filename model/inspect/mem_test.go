package inspect

import (
	"context"
	"math/rand/v2"
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

// BenchmarkSamplingWhole runs a fresh net (as each replay frame loads one)
// forward on a whole photo: the bytes allocated per frame are what an
// inference forward keeps.
func BenchmarkSamplingWhole(b *testing.B) {
	_, in := wholeNet(b)
	nets := make([]*model.Net[float32], 0, 8)
	for range 8 {
		n, _ := wholeNet(b)
		nets = append(nets, n)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, _, err := Sampling(context.Background(), nets[i%len(nets)], in); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
