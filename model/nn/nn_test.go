package nn

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func maxDiff(a, b []float64) float64 {
	var d float64
	for i := range a {
		d = max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

// convPair returns a plain and a deformable convolution with equal weights.
func convPair(t *testing.T, cfg Conv2DConfig, rng *rand.Rand) (*Conv2D[float64], *DeformConv2D[float64]) {
	t.Helper()
	c, err := NewConv2D[float64]("conv", cfg, rng)
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDeformConv2D[float64]("dcn", cfg, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	copy(d.Weight.Value.data, c.Weight.Value.data)
	copy(d.Bias.Value.data, c.Bias.Value.data)
	return c, d
}

func TestZeroOffsetsEqualConv(t *testing.T) {
	cfgs := []Conv2DConfig{
		{In: 3, Out: 4, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}},
		{In: 2, Out: 3, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{2, 2}, Dilation: [2]int{2, 2}},
	}
	for _, cfg := range cfgs {
		rng := rand.New(rand.NewPCG(11, 12))
		c, d := convPair(t, cfg, rng)
		x := randTensor(rng, 1, 2, cfg.In, 7, 6)
		want, _ := c.Forward(x, false)
		ho, wo := cfg.OutSize(7, 6)
		got, err := d.Forward(x, New[float64](2, 18, ho, wo), nil)
		if err != nil {
			t.Fatal(err)
		}
		if m := maxDiff(got.data, want.data); m > 1e-12 {
			t.Errorf("%+v: zero-offset deformable conv differs from conv by %g", cfg, m)
		}
		// With a mask of ones (DCNv2) too, and the backward passes agree.
		ones := New[float64](2, 9, ho, wo)
		for i := range ones.data {
			ones.data[i] = 1
		}
		got, _ = d.Forward(x, New[float64](2, 18, ho, wo), ones)
		if m := maxDiff(got.data, want.data); m > 1e-12 {
			t.Errorf("%+v: unit mask: differs from conv by %g", cfg, m)
		}
		g := randTensor(rng, 1, want.shape...)
		dxc, _ := c.Backward(g)
		dxd, _, _, _ := d.Backward(g)
		if m := maxDiff(dxc.data, dxd.data); m > 1e-12 {
			t.Errorf("%+v: input gradients differ by %g", cfg, m)
		}
		if m := maxDiff(c.Weight.Grad.data, d.Weight.Grad.data); m > 1e-12 {
			t.Errorf("%+v: weight gradients differ by %g", cfg, m)
		}
	}
}

// An integer offset (dy, dx) on every tap samples x at (y+dy, x+dx), which
// is a plain convolution of the input shifted by (−dy, −dx) with zero fill,
// away from the border.
func TestIntegerOffsetEqualsShiftedConv(t *testing.T) {
	for _, sh := range [][2]int{{1, 0}, {0, -2}, {-1, 1}, {2, 3}} {
		rng := rand.New(rand.NewPCG(13, 14))
		cfg := Conv2DConfig{In: 2, Out: 3, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}
		c, d := convPair(t, cfg, rng)
		const B, H, W = 2, 6, 7
		x := randTensor(rng, 1, B, 2, H, W)
		shifted := New[float64](B, 2, H, W)
		for p := range B * 2 {
			for y := range H {
				for xx := range W {
					sy, sx := y+sh[0], xx+sh[1]
					if sy >= 0 && sy < H && sx >= 0 && sx < W {
						shifted.data[(p*H+y)*W+xx] = x.data[(p*H+sy)*W+sx]
					}
				}
			}
		}
		want, _ := c.Forward(shifted, false)
		off := New[float64](B, 18, H, W)
		for b := range B {
			for k := range 9 {
				for q := range H * W {
					off.data[((b*18+2*k)*H*W)+q] = float64(sh[0])
					off.data[((b*18+2*k+1)*H*W)+q] = float64(sh[1])
				}
			}
		}
		got, err := d.Forward(x, off, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Compare where no tap of the plain convolution falls in its zero
		// padding: there the deformable one still reads real pixels.
		for p := range B * 3 {
			for y := 1; y < H-1; y++ {
				for xx := 1; xx < W-1; xx++ {
					i := (p*H+y)*W + xx
					if d := math.Abs(got.data[i] - want.data[i]); d > 1e-12 {
						t.Fatalf("shift %v: output %d differs from the shifted convolution by %g", sh, i, d)
					}
				}
			}
		}
	}
}

func TestShapeErrors(t *testing.T) {
	conv, _ := NewConv2D[float32]("conv1", Conv2DConfig{In: 1, Out: 4, Kernel: [2]int{3, 3}}, nil)
	dcn, _ := NewDeformConv2D[float32]("conv4", Conv2DConfig{In: 2, Out: 2, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, 1, nil)
	lin, _ := NewLinear[float32]("fc", 32, 10, nil)
	cases := []struct {
		name string
		run  func() error
		want []string
	}{
		{"conv channels", func() error { _, err := conv.Forward(New[float32](4, 3, 28, 28), false); return err },
			[]string{"conv1", "3 channels", "want 1", "4×3×28×28"}},
		{"conv rank", func() error { _, err := conv.Forward(New[float32](4, 28, 28), false); return err },
			[]string{"conv1", "4-D", "4×28×28"}},
		{"conv too small", func() error { _, err := conv.Forward(New[float32](1, 1, 2, 2), false); return err },
			[]string{"conv1", "too small", "3×3 kernel"}},
		{"offset channels", func() error {
			_, err := dcn.Forward(New[float32](1, 2, 5, 5), New[float32](1, 9, 5, 5), nil)
			return err
		}, []string{"conv4", "offset has shape 1×9×5×5", "want 1×18×5×5"}},
		{"mask spatial", func() error {
			_, err := dcn.Forward(New[float32](1, 2, 5, 5), New[float32](1, 18, 5, 5), New[float32](1, 9, 4, 5))
			return err
		}, []string{"conv4", "mask has shape 1×9×4×5", "want 1×9×5×5"}},
		{"linear features", func() error { _, err := lin.Forward(New[float32](2, 31), false); return err },
			[]string{"fc", "2×31", "want B×32"}},
		{"loss targets", func() error { _, err := CrossEntropy(New[float32](2, 10), []int{1, 10}, nil); return err },
			[]string{"target 10", "0..9"}},
		{"bad groups", func() error {
			_, err := NewDeformConv2D[float32]("c", Conv2DConfig{In: 3, Out: 2, Kernel: [2]int{3, 3}}, 2, nil)
			return err
		}, []string{"2 offset groups", "3 input channels"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.run()
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLossRejectsNonFinite(t *testing.T) {
	for _, v := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		logits := New[float32](2, 3)
		logits.data[4] = v
		grad := New[float32](2, 3)
		if _, err := CrossEntropy(logits, []int{0, 1}, grad); err == nil || !strings.Contains(err.Error(), "non-finite") {
			t.Errorf("logit %v: error %v, want a non-finite error", v, err)
		}
	}
}

func TestDeterministicAcrossWorkers(t *testing.T) {
	run := func() []float32 {
		rng := rand.New(rand.NewPCG(15, 16))
		b, _ := NewDeformBlock[float32]("conv4", DeformBlockConfig{Conv2DConfig: Conv2DConfig{In: 8, Out: 8, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}}, rng)
		for _, p := range b.Params() {
			for i := range p.Value.data {
				p.Value.data[i] += float32(rng.NormFloat64() * 0.1)
			}
		}
		x := New[float32](33, 8, 7, 7)
		for i := range x.data {
			x.data[i] = float32(rng.NormFloat64())
		}
		y, _ := b.Forward(x, true)
		if _, err := b.Backward(y); err != nil {
			t.Fatal(err)
		}
		var out []float32
		for _, p := range b.Params() {
			out = append(out, p.Grad.data...)
		}
		return out
	}
	a := run()
	old := setWorkers(1)
	defer setWorkers(old)
	b := run()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("gradient %d differs between %d workers and 1: %v vs %v", i, old, a[i], b[i])
		}
	}
}

// TestConvTapsDeterministicAcrossWorkers: the tap-sum route's gradients are
// the same bits on one worker as on all of them (the chunks depend on the
// shape only).
func TestConvTapsDeterministicAcrossWorkers(t *testing.T) {
	run := func() []float32 {
		rng := rand.New(rand.NewPCG(17, 18))
		c, _ := NewConv2D[float32]("conv", Conv2DConfig{In: 16, Out: 24, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}, rng)
		x := New[float32](37, 16, 7, 7)
		for i := range x.data {
			x.data[i] = float32(rng.NormFloat64())
		}
		y, _ := c.Forward(x, true)
		if !c.tapsOK() {
			t.Fatal("16→24 3×3 same convolution did not take the tap-sum route")
		}
		dx, err := c.Backward(y)
		if err != nil {
			t.Fatal(err)
		}
		out := append([]float32(nil), y.data...)
		out = append(out, dx.data...)
		out = append(out, c.Weight.Grad.data...)
		return append(out, c.Bias.Grad.data...)
	}
	old := setWorkers(1)
	a := run()
	setWorkers(max(2, old))
	b := run()
	setWorkers(old)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("value %d differs between 1 worker and %d: %v vs %v", i, max(2, old), a[i], b[i])
		}
	}
}
