package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// fdStep is the central-difference step; with float64 and values of order
// 1 it leaves a truncation error near 1e-10, well inside fdTol.
const (
	fdStep = 1e-6
	fdTol  = 1e-6
)

func randTensor(rng *rand.Rand, scale float64, shape ...int) *Tensor[float64] {
	t := New[float64](shape...)
	for i := range t.data {
		t.data[i] = rng.NormFloat64() * scale
	}
	return t
}

// objective is sum(y ⊙ g) for a fixed upstream gradient g, so that its
// gradient is what Backward computes from g.
func objective(y, g *Tensor[float64]) float64 {
	var s float64
	for i, v := range y.data {
		s += v * g.data[i]
	}
	return s
}

// checkFD compares analytic[i] with the central difference of f in v[i]
// for up to 40 evenly spread elements of v.
func checkFD(t *testing.T, what string, v []float64, analytic []float64, f func() float64) {
	t.Helper()
	if len(v) != len(analytic) {
		t.Fatalf("%s: %d values but %d gradient entries", what, len(v), len(analytic))
	}
	stride := max(1, len(v)/40)
	for i := 0; i < len(v); i += stride {
		old := v[i]
		v[i] = old + fdStep
		up := f()
		v[i] = old - fdStep
		down := f()
		v[i] = old
		num := (up - down) / (2 * fdStep)
		if d := math.Abs(num - analytic[i]); d > fdTol*max(1, math.Abs(num)) {
			t.Errorf("%s[%d]: analytic %.10g, finite difference %.10g (|diff| %.3g)", what, i, analytic[i], num, d)
		}
	}
}

// checkLayer runs Forward/Backward once and compares dL/dx and every
// parameter gradient against finite differences.
func checkLayer(t *testing.T, l Layer[float64], x *Tensor[float64], rng *rand.Rand) {
	t.Helper()
	y, err := l.Forward(x, true)
	if err != nil {
		t.Fatal(err)
	}
	g := randTensor(rng, 1, y.shape...)
	for _, p := range l.Params() {
		p.Grad.Zero()
	}
	dx, err := l.Backward(g)
	if err != nil {
		t.Fatal(err)
	}
	dx = dx.Clone()
	f := func() float64 {
		y, err := l.Forward(x, true)
		if err != nil {
			t.Fatal(err)
		}
		return objective(y, g)
	}
	checkFD(t, l.Name()+" input", x.data, dx.data, f)
	for _, p := range l.Params() {
		checkFD(t, p.Name, p.Value.data, p.Grad.Clone().data, f)
	}
}

func TestGradConv2D(t *testing.T) {
	cases := []struct {
		name string
		cfg  Conv2DConfig
		in   []int
	}{
		{"3x3 pad1", Conv2DConfig{In: 3, Out: 4, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, []int{2, 3, 6, 5}},
		{"stride2 dilation2", Conv2DConfig{In: 2, Out: 3, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{2, 2}, Dilation: [2]int{2, 2}}, []int{3, 2, 9, 8}},
		{"2x3 no bias", Conv2DConfig{In: 2, Out: 2, Kernel: [2]int{2, 3}, Stride: [2]int{1, 2}, Padding: [2]int{0, 1}, NoBias: true}, []int{2, 2, 5, 7}},
		{"1x1", Conv2DConfig{In: 4, Out: 3, Kernel: [2]int{1, 1}}, []int{1, 4, 3, 3}},
		{"3x3 pad1 relu", Conv2DConfig{In: 3, Out: 4, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}, []int{2, 3, 6, 5}},
		{"3x4 taps wholly in the padding", Conv2DConfig{In: 2, Out: 1, Kernel: [2]int{3, 4}, Padding: [2]int{1, 2}, Dilation: [2]int{2, 3}}, []int{1, 2, 5, 6}},
		{"3x3 dilation2 pad2 (same)", Conv2DConfig{In: 3, Out: 2, Kernel: [2]int{3, 3}, Padding: [2]int{2, 2}, Dilation: [2]int{2, 2}, ReLU: true}, []int{2, 3, 9, 8}},
		{"5x5 pad2", Conv2DConfig{In: 2, Out: 3, Kernel: [2]int{5, 5}, Padding: [2]int{2, 2}}, []int{2, 2, 7, 7}},
		{"2x3 dilation2 pad(2,1) relu", Conv2DConfig{In: 2, Out: 3, Kernel: [2]int{2, 3}, Padding: [2]int{2, 1}, Dilation: [2]int{2, 1}, ReLU: true}, []int{2, 2, 5, 6}},
	}
	for _, c := range cases {
		for _, taps := range []bool{false, true} {
			name := c.name
			if taps {
				name += ", tap-sum route where it applies"
			}
			t.Run(name, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(1, 2))
				l, err := NewConv2D[float64]("conv", c.cfg, rng)
				if err != nil {
					t.Fatal(err)
				}
				l.forceTaps = taps
				checkLayer(t, l, randTensor(rng, 1, c.in...), rng)
			})
		}
		for _, m := range []int{2, 4} {
			t.Run(fmt.Sprintf("%s, Winograd route F(%d×%d) where it applies", c.name, m, m), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(1, 2))
				l, err := NewConv2D[float64]("conv", c.cfg, rng)
				if err != nil {
					t.Fatal(err)
				}
				l.forceWino, l.winoForceM = true, m
				checkLayer(t, l, randTensor(rng, 1, c.in...), rng)
			})
		}
	}
}

// deformAsLayer adapts DeformConv2D to the Layer interface with fixed
// offset and mask, and exposes their gradients.
type deformAsLayer struct {
	*DeformConv2D[float64]
	off, mask   *Tensor[float64]
	doff, dmask *Tensor[float64]
}

func (d *deformAsLayer) Forward(x *Tensor[float64], _ bool) (*Tensor[float64], error) {
	return d.DeformConv2D.Forward(x, d.off, d.mask)
}

func (d *deformAsLayer) Backward(dy *Tensor[float64]) (*Tensor[float64], error) {
	dx, doff, dmask, err := d.DeformConv2D.Backward(dy)
	if err == nil {
		d.doff = doff.Clone()
		if dmask != nil {
			d.dmask = dmask.Clone()
		}
	}
	return dx, err
}

func TestGradDeformConv2D(t *testing.T) {
	cases := []struct {
		name   string
		cfg    Conv2DConfig
		groups int
		mask   bool
		in     []int
		spread float64
	}{
		{"dcnv1", Conv2DConfig{In: 2, Out: 3, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, 1, false, []int{2, 2, 5, 6}, 1},
		{"dcnv2", Conv2DConfig{In: 3, Out: 2, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, 1, true, []int{2, 3, 6, 6}, 1},
		{"groups2 stride2 dilation2", Conv2DConfig{In: 4, Out: 2, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{2, 2}, Dilation: [2]int{2, 2}}, 2, true, []int{2, 4, 8, 7}, 1.5},
		{"offsets leave the image", Conv2DConfig{In: 2, Out: 2, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, 1, true, []int{1, 2, 4, 4}, 3},
		// 256 pixels: the table's fields lie fieldStride (272) apart.
		{"16x16 map", Conv2DConfig{In: 2, Out: 2, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, 1, true, []int{1, 2, 16, 16}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			d, err := NewDeformConv2D[float64]("dcn", c.cfg, c.groups, rng)
			if err != nil {
				t.Fatal(err)
			}
			ho, wo := c.cfg.OutSize(c.in[2], c.in[3])
			k := c.cfg.Kernel[0] * c.cfg.Kernel[1]
			l := &deformAsLayer{DeformConv2D: d, off: randTensor(rng, c.spread, c.in[0], 2*c.groups*k, ho, wo)}
			for i := range l.off.data {
				l.off.data[i] += 0.013 // keep sample points off integers
			}
			if c.mask {
				l.mask = randTensor(rng, 1, c.in[0], c.groups*k, ho, wo)
			}
			x := randTensor(rng, 1, c.in...)
			checkLayer(t, l, x, rng)
			f := func() float64 {
				y, err := l.Forward(x, true)
				if err != nil {
					t.Fatal(err)
				}
				return objective(y, randTensorSeeded(y.shape))
			}
			// The upstream gradient must be the same tensor in f and in
			// Backward; randTensorSeeded makes it reproducible.
			y, _ := l.Forward(x, true)
			if _, err := l.Backward(randTensorSeeded(y.shape)); err != nil {
				t.Fatal(err)
			}
			checkFD(t, "offset", l.off.data, l.doff.data, f)
			if c.mask {
				checkFD(t, "mask", l.mask.data, l.dmask.data, f)
			}
		})
	}
}

func randTensorSeeded(shape []int) *Tensor[float64] {
	return randTensor(rand.New(rand.NewPCG(99, 100)), 1, shape...)
}

func TestGradDeformBlock(t *testing.T) {
	for _, v1 := range []bool{false, true} {
		name := "dcnv2"
		if v1 {
			name = "dcnv1"
		}
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			b, err := NewDeformBlock[float64]("conv4", DeformBlockConfig{
				Conv2DConfig: Conv2DConfig{In: 3, Out: 4, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, NoMask: v1}, rng)
			if err != nil {
				t.Fatal(err)
			}
			// Non-zero offset and modulator weights, so that the block
			// deforms; small enough that few offsets reach the clamp.
			for _, p := range b.Params() {
				if p.Name != "conv4.regular.weight" && p.Name != "conv4.regular.bias" {
					for i := range p.Value.data {
						p.Value.data[i] = rng.NormFloat64() * 0.2
					}
				}
			}
			checkLayer(t, b, randTensor(rng, 1, 2, 3, 6, 5), rng)
		})
	}
}

func TestGradSimpleLayers(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	lin, _ := NewLinear[float64]("fc", 5, 3, rng)
	drop, _ := NewDropout[float64]("drop", 0.3, rand.New(rand.NewPCG(1, 1)))
	cases := []struct {
		l  Layer[float64]
		in []int
	}{
		{NewReLU[float64]("relu"), []int{2, 3, 4, 4}},
		{NewMaxPool2D[float64]("pool", 2), []int{2, 3, 6, 5}},
		{NewGlobalAvgPool[float64]("gap"), []int{2, 3, 4, 5}},
		{NewFlatten[float64]("flat"), []int{2, 3, 2, 2}},
		{lin, []int{4, 5}},
		{&fixedDropout{drop}, []int{3, 7}},
	}
	for _, c := range cases {
		t.Run(c.l.Name(), func(t *testing.T) {
			checkLayer(t, c.l, randTensor(rng, 1, c.in...), rng)
		})
	}
}

// fixedDropout redraws the same mask on every Forward, so that finite
// differences see one fixed function.
type fixedDropout struct{ *Dropout[float64] }

func (f *fixedDropout) Forward(x *Tensor[float64], train bool) (*Tensor[float64], error) {
	f.rng = rand.New(rand.NewPCG(42, 42))
	return f.Dropout.Forward(x, train)
}

func TestGradCrossEntropy(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	logits := randTensor(rng, 2, 4, 6)
	targets := []int{0, 5, 2, 2}
	grad := New[float64](4, 6)
	if _, err := CrossEntropy(logits, targets, grad); err != nil {
		t.Fatal(err)
	}
	checkFD(t, "logits", logits.data, grad.Clone().data, func() float64 {
		l, err := CrossEntropy(logits, targets, nil)
		if err != nil {
			t.Fatal(err)
		}
		return l
	})
}
