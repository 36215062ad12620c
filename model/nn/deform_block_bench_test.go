package nn

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkDeformBlockCOCO is dcnn-first's two deformable blocks as a
// training step runs them, forward and backward: the side convolution
// (offsets and mask), the clamp and 2·sigmoid and their gradients, the
// deformable convolution with ReLU; 32 crops of 64×64. "conv1" (3→32)
// computes no input gradient, as a net's first layer; "conv2" (32→32)
// does. The side convolution's weights are perturbed from their zeros so
// that the sample points are fractional.
func BenchmarkDeformBlockCOCO(b *testing.B) {
	const n, hw = 32, 64
	for _, s := range []struct {
		name    string
		in      int
		noInput bool
	}{{"conv1", 3, true}, {"conv2", 32, false}} {
		b.Run(s.name, func(b *testing.B) {
			blk := cocoBlockBench(b, s.name, s.in)
			blk.NoInputGrad = s.noInput
			x := benchInput(b, n, s.in, hw, hw)
			dy := benchInput(b, n, 32, hw, hw)
			step := func() {
				if _, err := blk.Forward(x, true); err != nil {
					b.Fatal(err)
				}
				if _, err := blk.Backward(dy); err != nil {
					b.Fatal(err)
				}
			}
			step()
			cpuLoop(b, 0, step)
		})
	}
}

// BenchmarkDeformBackwardConv1 is the Backward of dcnn-first's conv1
// deformable layer alone (3→32 channels, 64×64, a batch of 32, no input
// gradient), after one training Forward of its block: the narrow route's
// Backward (deform_narrow.go) with the sampling's gradient by dotsGrad
// (col2im's tables in bands with noDotsGrad). Session 15's raw files call
// it ZZDcnBwd1.
func BenchmarkDeformBackwardConv1(b *testing.B) {
	const n, hw = 32, 64
	blk := cocoBlockBench(b, "conv1", 3)
	x := benchInput(b, n, 3, hw, hw)
	dy := benchInput(b, n, 32, hw, hw)
	if _, err := blk.Forward(x, true); err != nil {
		b.Fatal(err)
	}
	blk.Regular.NoInputGrad = true
	cpuLoop(b, 0, func() {
		if _, _, _, err := blk.Regular.Backward(dy); err != nil {
			b.Fatal(err)
		}
	})
}

// cocoBlockBench returns the COCO net's deformable block name of in→32
// channels (3×3, padding 1, ReLU) with PyTorch's initial weights moved by
// N(0, 0.05²) noise, so that its offsets and mask are not the identity.
func cocoBlockBench(b *testing.B, name string, in int) *DeformBlock[float32] {
	b.Helper()
	cfg := DeformBlockConfig{Conv2DConfig: Conv2DConfig{In: in, Out: 32, Kernel: [2]int{3, 3},
		Padding: [2]int{1, 1}, ReLU: true}}
	blk, err := NewDeformBlock[float32](name, cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	for _, p := range blk.Params() {
		for i := range p.Value.data {
			p.Value.data[i] += float32(rng.NormFloat64() * 0.05)
		}
	}
	return blk
}
