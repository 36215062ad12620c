package nn

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkDeformConvForward7 is the deformable layer's forward alone at
// the anchor's shape (batch 64, 32→32, 7×7, given offsets and mask, no
// column cache, as dcn bench's deformable row and ORT's DeformConv run
// it): compare with BenchmarkConvForward7.
func BenchmarkDeformConvForward7(b *testing.B) {
	cfg := Conv2DConfig{In: 32, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}
	d, _ := NewDeformConv2D[float32]("dcn", cfg, 1, rand.New(rand.NewPCG(1, 1)))
	d.NoColumnCache = true
	x := benchInput(b, 64, 32, 7, 7)
	off := benchInput(b, 64, 18, 7, 7)
	mask := benchInput(b, 64, 9, 7, 7)
	d.Forward(x, off, mask)
	cpuLoop(b, 2.0*64*32*32*9*49, func() { d.Forward(x, off, mask) })
}

// BenchmarkPadImage7 pads the 64 images of the 7×7 layer's input (32
// channels) one after another into one table, as forwardBlocks does.
func BenchmarkPadImage7(b *testing.B) {
	cfg := Conv2DConfig{In: 32, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}
	d, _ := NewDeformConv2D[float32]("dcn", cfg, 1, rand.New(rand.NewPCG(1, 1)))
	x := benchInput(b, 64, 32, 7, 7)
	off := benchInput(b, 64, 18, 7, 7)
	d.Forward(x, off, nil)
	t := &sampleTable[float32]{}
	cpuLoop(b, 0, func() {
		for i := range 64 {
			d.padImage(t, i)
		}
	})
}

// BenchmarkPermute7 reorders the 7×7 layer's weight (32→32, 3×3) into
// the column order, as each Forward does.
func BenchmarkPermute7(b *testing.B) {
	cfg := Conv2DConfig{In: 32, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}
	d, _ := NewDeformConv2D[float32]("dcn", cfg, 1, rand.New(rand.NewPCG(1, 1)))
	x := benchInput(b, 64, 32, 7, 7)
	off := benchInput(b, 64, 18, 7, 7)
	d.Forward(x, off, nil)
	cpuLoop(b, 0, func() { d.permute(d.wT, d.Weight.Value.data, false) })
}
