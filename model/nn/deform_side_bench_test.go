package nn

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkSideConvRoutes is dcnn-first's conv2 block's side convolution
// (offsets and mask: a plain 3×3 Conv2D 32→27 at 64×64, 32 crops) on each
// plain route: "taps" (the tap-sum route it takes), "wino" and "wino4"
// (the Winograd route forced with F(2×2) and F(4×4) tiles: by shape it
// takes neither, its 27 outputs being below F(4×4)'s 32 and F(2×2)'s 64),
// "cols" (the column matrix) and "taps32" (27 outputs padded to 32),
// forward alone and forward+backward with the input
// gradient, as the block runs it. flops counts the convolution's
// multiply-adds.
func BenchmarkSideConvRoutes(b *testing.B) {
	const n, hw, in, out = 32, 64, 32, 27
	x := benchInput(b, n, in, hw, hw)
	dy := benchInput(b, n, out, hw, hw)
	dy32 := benchInput(b, n, 32, hw, hw)
	flops := 2.0 * n * float64(in*out*9*hw*hw)
	for _, route := range []string{"taps", "wino", "wino4", "cols", "taps32"} {
		for _, back := range []bool{false, true} {
			name, fl := route+"/forward", flops
			if back {
				name, fl = route+"/fwdbwd", 3*flops
			}
			b.Run(name, func(b *testing.B) {
				cfg := Conv2DConfig{In: in, Out: out, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}
				g := dy
				if route == "taps32" {
					cfg.Out, g = 32, dy32
				}
				c, err := NewConv2D[float32]("side", cfg, rand.New(rand.NewPCG(1, 1)))
				if err != nil {
					b.Fatal(err)
				}
				wino := route == "wino" || route == "wino4"
				c.forceWino, c.noWino, c.noTaps = wino, !wino, route == "cols"
				if route == "wino4" {
					c.winoForceM = 4
				}
				cpuLoop(b, fl, func() {
					c.Forward(x, back)
					if back {
						c.Backward(g)
					}
				})
			})
		}
	}
}
