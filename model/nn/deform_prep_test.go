package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestDeformBlockPrepSameBits runs a deformable block's training step (two
// of them, the second from the first's scratch) and an evaluation Forward
// with the clamp, the 2·sigmoid and their gradients inside the layer's
// passes (deform_prep.go) and as passes of their own (noPrep), and wants
// the same bits in the output, the offsets and mask, dL/dx and every
// parameter gradient: the banded passes, the chunked forward and the
// narrow backward (3 channels), the column matrices (float64), inference
// in bands (more than deformBandPixels outputs), DCNv1, NoInputGrad; on
// this machine's workers and on 3.
func TestDeformBlockPrepSameBits(t *testing.T) {
	saved := bandMinColumns
	defer func() { bandMinColumns = saved }()
	for _, s := range []struct {
		c, o, hw           int
		v1, bands, noInput bool
	}{
		{32, 32, 16, false, true, false}, {3, 32, 12, false, false, true}, {3, 32, 12, false, false, false},
		{8, 16, 9, true, false, false}, {16, 32, 20, false, true, true}, {4, 8, 66, false, false, false},
	} {
		name := fmt.Sprintf("c%d_o%d_%dpx_v1%v_bands%v_noinput%v", s.c, s.o, s.hw, s.v1, s.bands, s.noInput)
		t.Run(name+"/float32", func(t *testing.T) {
			bandMinColumns = saved
			if s.bands {
				bandMinColumns = 0
			}
			prepSameBits[float32](t, s.c, s.o, s.hw, s.v1, s.noInput)
		})
		t.Run(name+"/float64", func(t *testing.T) {
			prepSameBits[float64](t, s.c, s.o, s.hw, s.v1, s.noInput)
		})
	}
}

func prepSameBits[T Float](t *testing.T, c, o, hw int, v1, noInput bool) {
	rng := rand.New(rand.NewPCG(uint64(c*hw), 11))
	x := New[T](3, c, hw, hw)
	dy := New[T](3, o, hw, hw)
	for _, tt := range []*Tensor[T]{x, dy} {
		for i := range tt.data {
			tt.data[i] = T(rng.NormFloat64())
		}
	}
	run := func(noPrep bool) [][]T {
		b, err := NewDeformBlock[T]("conv", DeformBlockConfig{NoMask: v1,
			Conv2DConfig: Conv2DConfig{In: c, Out: o, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}},
			rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		prng := rand.New(rand.NewPCG(2, 2))
		for _, p := range b.Params() {
			for i := range p.Value.data {
				p.Value.data[i] += T(prng.NormFloat64())
			}
		}
		b.noPrep, b.NoInputGrad = noPrep, noInput
		var out [][]T
		keep := func(ts ...*Tensor[T]) {
			for _, tt := range ts {
				if tt != nil {
					out = append(out, tt.Clone().data)
				}
			}
		}
		for range 2 {
			for _, p := range b.Params() {
				clear(p.Grad.data)
			}
			y, err := b.Forward(x, true)
			if err != nil {
				t.Fatal(err)
			}
			dx, err := b.Backward(dy)
			if err != nil {
				t.Fatal(err)
			}
			if (dx == nil) != noInput {
				t.Fatalf("dL/dx nil: %v, want %v", dx == nil, noInput)
			}
			off, mask := b.Sampling()
			keep(y, off, mask, dx, b.dSide)
			for _, p := range b.Params() {
				keep(p.Grad)
			}
		}
		y, err := b.Forward(x, false) // evaluation: inference in bands for large maps
		if err != nil {
			t.Fatal(err)
		}
		off, mask := b.Sampling()
		keep(y, off, mask)
		clamped := 0
		for _, v := range b.raw {
			if math.Abs(float64(v)) > float64(b.limit) {
				clamped++
			}
		}
		if clamped == 0 {
			t.Fatal("no offset reaches the clamp: the test would not see the clamp's gradient")
		}
		return out
	}
	want := run(true)
	got := run(false)
	old := setWorkers(3) // the same bits on any number of cores
	other := run(false)
	setWorkers(old)
	if len(got) != len(want) || len(other) != len(want) {
		t.Fatalf("%d and %d tensors, want %d", len(got), len(other), len(want))
	}
	for k := range want {
		for i := range want[k] {
			if bits(got[k][i]) != bits(want[k][i]) {
				t.Fatalf("tensor %d [%d] = %v inside the layer's passes, %v as passes of their own", k, i, got[k][i], want[k][i])
			}
			if bits(other[k][i]) != bits(want[k][i]) {
				t.Fatalf("tensor %d [%d] = %v on 3 workers, %v as passes of their own", k, i, other[k][i], want[k][i])
			}
		}
	}
}

func bits[T Float](v T) uint64 {
	if f, ok := any(v).(float32); ok {
		return uint64(math.Float32bits(f))
	}
	return math.Float64bits(float64(v))
}
