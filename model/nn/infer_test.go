package nn

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// inferNet is a small net of every layer kind Infer releases: a plain
// convolution of few channels (column route), one of many (tap route), a
// deformable block with offsets of a few pixels, pooling and a linear head.
func inferNet(t *testing.T, v1 bool) *Sequential[float32] {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	c1, err := NewConv2D[float32]("conv1", Conv2DConfig{In: 3, Out: 16, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}, rng)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := NewConv2D[float32]("conv2", Conv2DConfig{In: 16, Out: 16, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}, rng)
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDeformBlock[float32]("conv3", DeformBlockConfig{Conv2DConfig: Conv2DConfig{In: 16, Out: 8, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}, NoMask: v1}, rng)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range d.Params()[:2] {
		for i := range p.Value.Data() {
			p.Value.Data()[i] = float32(rng.NormFloat64() * 0.2)
		}
	}
	fc, err := NewLinear[float32]("fc", 8, 5, rng)
	if err != nil {
		t.Fatal(err)
	}
	return &Sequential[float32]{Layers: []Layer[float32]{c1, NewMaxPool2D[float32]("pool1", 2), c2, d, NewGlobalAvgPool[float32]("gap"), fc}}
}

// TestInferMatchesForward checks that Infer gives Forward(x, false)'s
// output and sampling bit for bit, keeps the sampling readable, and leaves
// the layers so that Backward is an error, not a panic.
func TestInferMatchesForward(t *testing.T) {
	for _, tc := range []struct {
		name string
		v1   bool
		h, w int
	}{
		{"dcnv2 square", false, 24, 24},
		{"dcnv2 wide", false, 22, 38},
		{"dcnv1", true, 30, 18},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := inferNet(t, tc.v1), inferNet(t, tc.v1)
			rng := rand.New(rand.NewPCG(5, 6))
			x := New[float32](1, 3, tc.h, tc.w)
			for i := range x.Data() {
				x.Data()[i] = float32(rng.NormFloat64())
			}
			want, err := a.Forward(x, false)
			if err != nil {
				t.Fatal(err)
			}
			got, err := b.Infer(x)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Data(), want.Data()) {
				t.Fatalf("Infer gave %v, Forward %v", got.Data(), want.Data())
			}
			wo, wm := a.DeformBlocks()[0].Sampling()
			go_, gm := b.DeformBlocks()[0].Sampling()
			if !slices.Equal(go_.Data(), wo.Data()) {
				t.Error("offsets differ after Infer")
			}
			if (wm == nil) != (gm == nil) || (wm != nil && !slices.Equal(gm.Data(), wm.Data())) {
				t.Error("masks differ after Infer")
			}
			for i := len(b.Layers) - 1; i >= 0; i-- {
				l := b.Layers[i]
				dy := New[float32](1, 5)
				if _, err := l.Backward(dy); err == nil {
					t.Errorf("%s: Backward after Infer gave no error", l.Name())
				}
			}
			// A Forward after Infer trains as before.
			if _, err := b.Forward(x, true); err != nil {
				t.Fatal(err)
			}
			if err := b.Backward(New[float32](1, 5)); err != nil {
				t.Fatalf("Backward after a new Forward: %v", err)
			}
		})
	}
}
