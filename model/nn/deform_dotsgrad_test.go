package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestDotsGradSameBits runs a first deformable layer's Backward (no input
// gradient, 1 to 3 channels, a mask) with dotsGrad (no table) and through
// the table (fill, dots4, offGrads) and wants the same bits in the offset,
// mask, weight and bias gradients: offsets that put sample points outside
// the map, on its edges and on whole pixels; stride 2 and dilation 2; the
// narrow backward (32 outputs) and convBackward (8); on this machine's
// workers and on 3.
func TestDotsGradSameBits(t *testing.T) {
	if !dotsGrad512OK() {
		t.Skip("no AVX-512: dotsGrad does not run")
	}
	for _, s := range []struct {
		c, o, hw, stride, dil int
	}{
		{3, 32, 16, 1, 1}, {3, 8, 16, 1, 1}, {1, 32, 12, 1, 1}, {2, 32, 16, 2, 1}, {3, 32, 12, 1, 2}, {3, 32, 64, 1, 1},
	} {
		t.Run(fmt.Sprintf("c%d_o%d_%dpx_s%d_d%d", s.c, s.o, s.hw, s.stride, s.dil), func(t *testing.T) {
			cfg := Conv2DConfig{In: s.c, Out: s.o, Kernel: [2]int{3, 3}, Padding: [2]int{s.dil, s.dil},
				Stride: [2]int{s.stride, s.stride}, Dilation: [2]int{s.dil, s.dil}, ReLU: true}
			rng := rand.New(rand.NewPCG(uint64(s.c*s.hw+s.o), 3))
			x := New[float32](3, s.c, s.hw, s.hw)
			for i := range x.data {
				x.data[i] = float32(rng.NormFloat64())
			}
			d0, err := NewDeformConv2D[float32]("dcn", cfg, 1, rand.New(rand.NewPCG(3, 4)))
			if err != nil {
				t.Fatal(err)
			}
			y0, err := d0.Forward(x, New[float32](3, 18, s.hw/s.stride, s.hw/s.stride), nil)
			if err != nil {
				t.Fatal(err)
			}
			ho, wo := y0.Shape()[2], y0.Shape()[3]
			if ho*wo%16 != 0 {
				t.Fatalf("%d×%d outputs: not whole groups of 16", ho, wo)
			}
			off := New[float32](3, 18, ho, wo)
			for i := range off.data {
				switch i % 5 {
				case 0:
					off.data[i] = float32(rng.IntN(7) - 3) // whole pixels
				case 1:
					off.data[i] = float32(rng.NormFloat64() * 8) // often outside
				default:
					off.data[i] = float32(rng.NormFloat64() * 1.5)
				}
			}
			mask := New[float32](3, 9, ho, wo)
			for i := range mask.data {
				mask.data[i] = float32(rng.Float64() * 2)
			}
			dy := New[float32](3, s.o, ho, wo)
			for i := range dy.data {
				dy.data[i] = float32(rng.NormFloat64())
			}
			run := func(table bool) [][]float32 {
				d, err := NewDeformConv2D[float32]("dcn", cfg, 1, rand.New(rand.NewPCG(3, 4)))
				if err != nil {
					t.Fatal(err)
				}
				d.NoInputGrad, d.noDotsGrad = true, table
				var out [][]float32
				for range 2 { // the second pass starts from the first's scratch
					for _, p := range d.Params() {
						clear(p.Grad.data)
					}
					if _, err := d.Forward(x, off, mask); err != nil {
						t.Fatal(err)
					}
					_, doff, dmask, err := d.Backward(dy)
					if err != nil {
						t.Fatal(err)
					}
					for _, tt := range []*Tensor[float32]{doff, dmask, d.Weight.Grad, d.Bias.Grad} {
						out = append(out, tt.Clone().data)
					}
				}
				return out
			}
			want, got := run(true), run(false)
			old := setWorkers(3) // the same bits on any number of cores
			other := run(false)
			setWorkers(old)
			names := []string{"doffset", "dmask", "dweight", "dbias"}
			for k := range want {
				for i := range want[k] {
					if math.Float32bits(got[k][i]) != math.Float32bits(want[k][i]) {
						t.Fatalf("%s[%d] = %v without the table, %v with it", names[k%4], i, got[k][i], want[k][i])
					}
					if math.Float32bits(other[k][i]) != math.Float32bits(want[k][i]) {
						t.Fatalf("%s[%d] = %v on 3 workers, %v with the table", names[k%4], i, other[k][i], want[k][i])
					}
				}
			}
		})
	}
}
