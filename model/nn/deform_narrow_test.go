package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestNarrowBackwardSameBits runs a deformable layer with few input
// channels through backwardNarrow and through convBackward and wants the
// same bits in every gradient: 1 to 3 channels, images whose pixel count
// leaves a partial block of 8 and chunks of several images, with and
// without the column cache and the input gradient, on 1 and 3 workers.
func TestNarrowBackwardSameBits(t *testing.T) {
	for _, s := range []struct {
		c, o, hw, batch int
		cache, noInput  bool
	}{{3, 32, 9, 5, true, false}, {3, 32, 13, 3, false, true}, {1, 64, 7, 4, true, true}, {2, 32, 20, 2, true, false}} {
		t.Run(fmt.Sprintf("c%d_o%d_%dpx_b%d_cache%v_noinput%v", s.c, s.o, s.hw, s.batch, s.cache, s.noInput), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(s.hw), 31))
			cfg := Conv2DConfig{In: s.c, Out: s.o, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}
			x := New[float32](s.batch, s.c, s.hw, s.hw)
			off := New[float32](s.batch, 18, s.hw, s.hw)
			mask := New[float32](s.batch, 9, s.hw, s.hw)
			dy := New[float32](s.batch, s.o, s.hw, s.hw)
			for _, tt := range []*Tensor[float32]{x, off, mask, dy} {
				for i := range tt.data {
					tt.data[i] = float32(rng.NormFloat64() * 1.5)
				}
			}
			run := func(narrow bool) [][]float32 {
				d, err := NewDeformConv2D[float32]("dcn", cfg, 1, rand.New(rand.NewPCG(3, 4)))
				if err != nil {
					t.Fatal(err)
				}
				d.noNarrow, d.NoColumnCache, d.NoInputGrad = !narrow, !s.cache, s.noInput
				if _, err := d.Forward(x, off, mask); err != nil {
					t.Fatal(err)
				}
				if got := d.narrowOK(); got != (narrow && pixGemmOK()) {
					t.Fatalf("narrowOK = %v", got)
				}
				dx, doff, dmask, err := d.Backward(dy)
				if err != nil {
					t.Fatal(err)
				}
				out := [][]float32{doff.data, dmask.data, d.Weight.Grad.data, d.Bias.Grad.data}
				if dx != nil {
					out = append(out, dx.data)
				}
				return out
			}
			want := run(false)
			got := run(true)
			old := setWorkers(3)
			other := run(true)
			setWorkers(old)
			names := []string{"doffset", "dmask", "dweight", "dbias", "dx"}
			for k := range want {
				for i := range want[k] {
					if math.Float32bits(got[k][i]) != math.Float32bits(want[k][i]) {
						t.Fatalf("%s[%d] = %v through backwardNarrow, %v through convBackward", names[k], i, got[k][i], want[k][i])
					}
					if math.Float32bits(other[k][i]) != math.Float32bits(want[k][i]) {
						t.Fatalf("%s[%d] = %v through backwardNarrow on 3 workers, %v through convBackward", names[k], i, other[k][i], want[k][i])
					}
				}
			}
		})
	}
}
