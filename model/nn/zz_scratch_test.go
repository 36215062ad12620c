package nn

import (
	"math/rand/v2"
	"testing"
)

func BenchmarkZZPad3(b *testing.B) {
	cfg := Conv2DConfig{In: 3, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}
	d, _ := NewDeformConv2D[float32]("dcn", cfg, 1, rand.New(rand.NewPCG(1, 1)))
	x := benchInput(b, 32, 3, 64, 64)
	off := benchInput(b, 32, 18, 64, 64)
	d.NoColumnCache = true
	d.Forward(x, off, nil)
	t := &sampleTable[float32]{}
	cpuLoop(b, 0, func() {
		for i := range 32 {
			d.padImage(t, i)
		}
	})
}

func BenchmarkZZFillLean1(b *testing.B) {
	cfg := Conv2DConfig{In: 3, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}
	d, _ := NewDeformConv2D[float32]("dcn", cfg, 1, rand.New(rand.NewPCG(1, 1)))
	x := benchInput(b, 32, 3, 64, 64)
	off := benchInput(b, 32, 18, 64, 64)
	mask := benchInput(b, 32, 9, 64, 64)
	d.NoColumnCache = true
	d.Forward(x, off, mask)
	t := &sampleTable[float32]{}
	d.forwarding = true
	cpuLoop(b, 0, func() {
		for i := range 32 {
			for q := 0; q < 4096; q += 128 {
				d.fillRange(t, i, q, q+128)
			}
		}
	})
}
