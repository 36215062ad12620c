package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestDeformBlockNoInputGrad runs a deformable block's Backward with and
// without NoInputGrad and wants nil for dL/dx with it, and the same bits
// in every parameter gradient either way (float32 and the banded passes,
// 3 and 32 channels, DCNv2 and DCNv1); then turns NoInputGrad off again
// and wants dL/dx back.
func TestDeformBlockNoInputGrad(t *testing.T) {
	saved := bandMinColumns
	defer func() { bandMinColumns = saved }()
	for _, s := range []struct {
		c, hw     int
		v1, bands bool
	}{{3, 12, false, true}, {3, 9, true, false}, {32, 8, false, false}, {16, 20, false, true}} {
		t.Run(fmt.Sprintf("c%d_%dpx_v1%v_bands%v", s.c, s.hw, s.v1, s.bands), func(t *testing.T) {
			bandMinColumns = saved
			if s.bands {
				bandMinColumns = 0
			}
			rng := rand.New(rand.NewPCG(uint64(s.c), 7))
			x := New[float32](3, s.c, s.hw, s.hw)
			dy := New[float32](3, 8, s.hw, s.hw)
			for _, tt := range []*Tensor[float32]{x, dy} {
				for i := range tt.data {
					tt.data[i] = float32(rng.NormFloat64())
				}
			}
			run := func(noInput bool) (*Tensor[float32], [][]float32) {
				b, err := NewDeformBlock[float32]("conv1", DeformBlockConfig{NoMask: s.v1,
					Conv2DConfig: Conv2DConfig{In: s.c, Out: 8, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}},
					rand.New(rand.NewPCG(1, 1)))
				if err != nil {
					t.Fatal(err)
				}
				prng := rand.New(rand.NewPCG(2, 2))
				for _, p := range b.Params() {
					for i := range p.Value.data {
						p.Value.data[i] += float32(prng.NormFloat64() * 0.3)
					}
				}
				b.NoInputGrad = noInput
				if _, err := b.Forward(x, true); err != nil {
					t.Fatal(err)
				}
				dx, err := b.Backward(dy)
				if err != nil {
					t.Fatal(err)
				}
				var grads [][]float32
				for _, p := range b.Params() {
					grads = append(grads, p.Grad.Clone().data)
				}
				if noInput {
					b.NoInputGrad = false
					for _, p := range b.Params() {
						clear(p.Grad.data)
					}
					b.Forward(x, true)
					if again, err := b.Backward(dy); err != nil || again == nil {
						t.Fatalf("Backward after NoInputGrad is turned off: dx %v, error %v", again, err)
					}
				}
				return dx, grads
			}
			dxAll, want := run(false)
			dx, got := run(true)
			if dx != nil {
				t.Fatalf("NoInputGrad: dL/dx is %v, want nil", dx.Shape())
			}
			if dxAll == nil {
				t.Fatal("without NoInputGrad: dL/dx is nil")
			}
			for k := range want {
				for i := range want[k] {
					if math.Float32bits(got[k][i]) != math.Float32bits(want[k][i]) {
						t.Fatalf("parameter %d [%d] = %v with NoInputGrad, %v without", k, i, got[k][i], want[k][i])
					}
				}
			}
		})
	}
}
