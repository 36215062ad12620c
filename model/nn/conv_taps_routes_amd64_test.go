package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// tapsRouteRun runs a tap-sum layer's Forward (training or not) and, with
// back, its Backward on random data, after a first Forward on NaN (dirty
// buffers), with the AVX2 routes of session 11 on, or all off with old
// (noTapsInner, noSumABTapsY, noStackRows: the route before them). It
// returns y, dx, dW, db and whether the batch-innermost forward ran.
func tapsRouteRun(t *testing.T, cfg Conv2DConfig, b, h, w int, seed uint64, train, back bool, workers int,
	old bool) (r [4][]float32, inner bool) {
	t.Helper()
	noTapsInner, noSumABTapsY, noStackRows = old, old, old
	defer func() { noTapsInner, noSumABTapsY, noStackRows = false, false, false }()
	defer setWorkers(setWorkers(workers))
	rng := rand.New(rand.NewPCG(seed, 7))
	c, err := NewConv2D[float32]("c", cfg, rng)
	if err != nil {
		t.Fatal(err)
	}
	c.forceTaps, c.noWino = true, true
	if c.Bias != nil {
		fillNorm(rng, 1, c.Bias.Value)
	}
	x, nan := New[float32](b, cfg.In, h, w), New[float32](b, cfg.In, h, w)
	fillNorm(rng, 1, x)
	for i := range nan.data {
		nan.data[i] = float32(math.NaN())
	}
	if _, err := c.Forward(nan, train); err != nil {
		t.Fatal(err)
	}
	y, err := c.Forward(x, train)
	if err != nil {
		t.Fatal(err)
	}
	if !c.tapsOK() {
		t.Fatalf("%+v: not on the tap-sum route", cfg)
	}
	inner = c.tapsInnerOK()
	r[0] = append([]float32(nil), y.data...)
	if back {
		dy := New[float32](y.Shape()...)
		fillNorm(rng, 1, dy)
		dx, err := c.Backward(dy)
		if err != nil {
			t.Fatal(err)
		}
		r[1], r[2] = append([]float32(nil), dx.data...), append([]float32(nil), c.Weight.Grad.data...)
		if c.Bias != nil {
			r[3] = append([]float32(nil), c.Bias.Grad.data...)
		}
	}
	return r, inner
}

// TestTapsAVX2RoutesSameBits compares the tap-sum route with the AVX2
// kernels, moves and batch-innermost forward against the route without
// them on random layers (batch 1–33, maps 1–9 by 1–9, 16–256 input and
// 1–33 output channels, 1×1 to 7×7 and dilated kernels, ReLU and bias on
// and off, training and inference, 1–3 workers): every value of y, dx,
// dW and db the same bits. It asks that the innermost forward ran in some
// cases and not in others. (A review's test of 3,000 such layers, cut to
// 200.)
func TestTapsAVX2RoutesSameBits(t *testing.T) {
	if !sumABTapsYOK() || !vecOK {
		t.Skip("no AVX2 GEMM kernels here: the routes do not run")
	}
	rng := rand.New(rand.NewPCG(13, 0xf))
	type kern struct{ kh, kw, ph, pw, dh, dw int }
	kerns := []kern{{3, 3, 1, 1, 1, 1}, {1, 1, 0, 0, 1, 1}, {5, 5, 2, 2, 1, 1}, {5, 3, 2, 1, 1, 1}, {3, 3, 2, 2, 2, 2},
		{2, 2, 1, 1, 2, 2}, {1, 3, 0, 1, 1, 1}, {3, 1, 2, 0, 2, 1}, {7, 7, 3, 3, 1, 1}}
	chans := []int{16, 17, 23, 31, 64, 100, 256}
	outs := []int{1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 17, 32, 33}
	inner, cases := 0, 0
	for it := range 200 {
		k := kerns[rng.IntN(len(kerns))]
		cfg := Conv2DConfig{In: chans[rng.IntN(len(chans))], Out: outs[rng.IntN(len(outs))],
			Kernel: [2]int{k.kh, k.kw}, Padding: [2]int{k.ph, k.pw}, Dilation: [2]int{k.dh, k.dw},
			ReLU: rng.IntN(2) == 0, NoBias: rng.IntN(3) == 0}
		b, h, w := 1+rng.IntN(33), 1+rng.IntN(9), 1+rng.IntN(9)
		train, workers := rng.IntN(2) == 0, 1+rng.IntN(3)
		back := train && rng.IntN(2) == 0
		name := fmt.Sprintf("%+v b%d %d×%d train %v back %v workers %d", cfg, b, h, w, train, back, workers)
		got, in := tapsRouteRun(t, cfg, b, h, w, uint64(it), train, back, workers, false)
		want, _ := tapsRouteRun(t, cfg, b, h, w, uint64(it), train, back, workers, true)
		cases++
		if in {
			inner++
		}
		for q, out := range []string{"y", "dx", "dW", "db"} {
			for i := range want[q] {
				if math.Float32bits(got[q][i]) != math.Float32bits(want[q][i]) {
					t.Fatalf("%s: %s[%d] = %v, %v without the AVX2 routes", name, out, i, got[q][i], want[q][i])
				}
			}
		}
	}
	if inner == 0 || inner == cases {
		t.Fatalf("the batch-innermost forward ran in %d of %d cases: want some, not all", inner, cases)
	}
}
