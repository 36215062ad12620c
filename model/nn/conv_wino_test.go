package nn

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// winoPass runs a forward (train as given) and backward pass with a fixed
// output gradient and returns y, dx (nil with NoInputGrad), dW and db (nil
// without a bias) as float64.
func winoPass[T Float](t *testing.T, c *Conv2D[T], x *Tensor[T], train bool) [4][]float64 {
	t.Helper()
	y, err := c.Forward(x, train)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	dy := New[T](y.Shape()...)
	for i := range dy.data {
		dy.data[i] = T(rng.NormFloat64())
	}
	c.Weight.Grad.Zero()
	if c.Bias != nil {
		c.Bias.Grad.Zero()
	}
	dx, err := c.Backward(dy)
	if err != nil {
		t.Fatal(err)
	}
	f := func(s []T) []float64 {
		out := make([]float64, len(s))
		for i, v := range s {
			out[i] = float64(v)
		}
		return out
	}
	r := [4][]float64{f(y.data), nil, f(c.Weight.Grad.data), nil}
	if dx != nil {
		r[1] = f(dx.data)
	}
	if c.Bias != nil {
		r[3] = f(c.Bias.Grad.data)
	}
	return r
}

// winoTwin returns a float32 or float64 copy of ref's parameters under cfg.
func winoTwin[T Float](ref *Conv2D[float64], cfg Conv2DConfig) *Conv2D[T] {
	c, _ := NewConv2D[T]("wino", cfg, nil)
	for i, v := range ref.Weight.Value.data {
		c.Weight.Value.data[i] = T(v)
	}
	if c.Bias != nil {
		for i, v := range ref.Bias.Value.data {
			c.Bias.Value.data[i] = T(v)
		}
	}
	return c
}

// TestWinoMatchesDirect checks every pass of the Winograd route (forward,
// dx, dW, db) against the float64 column-matrix route, in float32 and
// float64, on even and odd map sizes (a partial last tile), batch 1 and
// more than a chunk, channel counts that are not multiples of 16, with
// and without ReLU, bias and input gradient, and after a Forward that kept
// nothing (train false: Backward transforms the input again).
func TestWinoMatchesDirect(t *testing.T) {
	cases := []struct {
		in, out, b, h, w int
		relu, noBias     bool
		noInput, noTrain bool
	}{
		{in: 3, out: 5, b: 1, h: 7, w: 7, relu: true},
		{in: 5, out: 7, b: 2, h: 4, w: 6},
		{in: 17, out: 33, b: 3, h: 9, w: 8, relu: true},
		{in: 33, out: 17, b: 1, h: 16, w: 16, noBias: true},
		{in: 20, out: 40, b: 11, h: 14, w: 14, relu: true}, // many chunks
		{in: 36, out: 36, b: 2, h: 5, w: 11, relu: true, noInput: true},
		{in: 7, out: 9, b: 4, h: 1, w: 1},
		{in: 7, out: 9, b: 3, h: 2, w: 3, relu: true, noTrain: true},
		{in: 40, out: 24, b: 9, h: 13, w: 10, noTrain: true},
	}
	for _, tc := range cases {
		cfg := Conv2DConfig{In: tc.in, Out: tc.out, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: tc.relu, NoBias: tc.noBias}
		rng := rand.New(rand.NewPCG(uint64(tc.h), uint64(tc.in)))
		ref, err := NewConv2D[float64]("ref", cfg, rng)
		if err != nil {
			t.Fatal(err)
		}
		ref.noTaps, ref.noWino, ref.NoInputGrad = true, true, tc.noInput
		x64 := New[float64](tc.b, tc.in, tc.h, tc.w)
		x32 := New[float32](tc.b, tc.in, tc.h, tc.w)
		for i := range x64.data {
			x32.data[i] = float32(rng.NormFloat64())
			x64.data[i] = float64(x32.data[i])
		}
		want := winoPass(t, ref, x64, true)

		c32 := winoTwin[float32](ref, cfg)
		c64 := winoTwin[float64](ref, cfg)
		c32.forceWino, c64.forceWino = true, true
		c32.NoInputGrad, c64.NoInputGrad = tc.noInput, tc.noInput
		got32 := winoPass(t, c32, x32, !tc.noTrain)
		got64 := winoPass(t, c64, x64, !tc.noTrain)
		if !c32.winoOK() || !c64.winoOK() {
			t.Fatalf("%+v: the forced Winograd route was not taken", tc)
		}
		for k, name := range []string{"y", "dx", "dW", "db"} {
			if (want[k] == nil) != (got32[k] == nil) || (want[k] == nil) != (got64[k] == nil) {
				t.Fatalf("%+v: %s present %v, want %v", tc, name, got32[k] != nil, want[k] != nil)
			}
			if want[k] == nil {
				continue
			}
			if d := maxRelDiff(got32[k], want[k]); d > 2e-5 {
				t.Errorf("%+v: float32 %s differs from the direct route by %.3g (max-norm relative)", tc, name, d)
			}
			if d := maxRelDiff(got64[k], want[k]); d > 1e-12 {
				t.Errorf("%+v: float64 %s differs from the direct route by %.3g (max-norm relative)", tc, name, d)
			}
		}
	}
}

// TestWinoRoute checks which shapes take the Winograd route by default:
// 3×3, stride 1, padding 1, dilation 1, at least winoMinIn (32) channels
// in and winoMinOut (64) out, maps of at most winoMaxPixels (32×32): the
// COCO net's conv3 to conv6, not the MNIST nets' 32→32 nor the COCO net's
// first two.
func TestWinoRoute(t *testing.T) {
	cases := []struct {
		cfg  Conv2DConfig
		hw   int
		want bool
	}{
		{Conv2DConfig{In: 64, Out: 128, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, 16, true},
		{Conv2DConfig{In: 128, Out: 128, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, 16, true},
		{Conv2DConfig{In: 64, Out: 64, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, 32, true},
		{Conv2DConfig{In: 64, Out: 64, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, 64, false},
		{Conv2DConfig{In: 32, Out: 64, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, 32, true},
		{Conv2DConfig{In: 24, Out: 64, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, 32, false},
		{Conv2DConfig{In: 32, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, 7, false},
		{Conv2DConfig{In: 32, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, 14, false},
		{Conv2DConfig{In: 48, Out: 64, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, 16, true},
		{Conv2DConfig{In: 64, Out: 48, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, 16, false},
		{Conv2DConfig{In: 64, Out: 64, Kernel: [2]int{3, 3}, Padding: [2]int{2, 2}, Dilation: [2]int{2, 2}}, 16, false},
		{Conv2DConfig{In: 64, Out: 64, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, Stride: [2]int{2, 2}}, 16, false},
		{Conv2DConfig{In: 64, Out: 64, Kernel: [2]int{5, 5}, Padding: [2]int{2, 2}}, 16, false},
		{Conv2DConfig{In: 64, Out: 64, Kernel: [2]int{3, 3}}, 16, false},
	}
	for _, tc := range cases {
		c, err := NewConv2D[float32]("conv", tc.cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Forward(New[float32](1, tc.cfg.In, tc.hw, tc.hw), false); err != nil {
			t.Fatal(err)
		}
		if got := c.winoOK(); got != tc.want {
			t.Errorf("%+v on %d×%d: Winograd route %v, want %v", tc.cfg, tc.hw, tc.hw, got, tc.want)
		}
	}
}

// TestWinoSameBitsAnyCores checks that the Winograd route gives the same
// bits on 1, 2 and 5 cores: the work is split by shape only and the weight
// gradient's parts are summed in chunk order.
func TestWinoSameBitsAnyCores(t *testing.T) {
	cfg := Conv2DConfig{In: 65, Out: 70, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}
	rng := rand.New(rand.NewPCG(3, 4))
	ref, _ := NewConv2D[float64]("ref", cfg, rng)
	x := New[float32](13, cfg.In, 15, 16)
	for i := range x.data {
		x.data[i] = float32(rng.NormFloat64())
	}
	old := setWorkers(1)
	defer setWorkers(old)
	var first [4][]float64
	for i, n := range []int{1, 2, 5} {
		setWorkers(n)
		c := winoTwin[float32](ref, cfg)
		got := winoPass(t, c, x, true)
		if !c.winoOK() || c.g.wino().n < 4 {
			t.Fatalf("the test's shape takes the Winograd route %v in %d chunks; want it in several", c.winoOK(), c.g.wino().n)
		}
		if i == 0 {
			first = got
			continue
		}
		for k, name := range []string{"y", "dx", "dW", "db"} {
			if !slices.Equal(got[k], first[k]) {
				t.Errorf("%s on %d cores differs from 1 core", name, n)
			}
		}
	}
}
