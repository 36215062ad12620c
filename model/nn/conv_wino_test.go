package nn

import (
	"math"
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

// winoTol is the largest max-norm relative difference from the float64
// direct route allowed to F(m×m, 3×3) in float32 and float64. F(4×4)'s
// transforms have entries up to 8 (Aᵀ) and 5 (Bᵀ) and G's 1/6 and 1/24
// are inexact: its float32 error, measured on TestWinoMatchesDirect's
// cases, is 6.2e-6 at most (F(2×2): 5.4e-7); the bound leaves a factor
// of about 6.
func winoTol(m int) (f32, f64 float64) {
	if m == 4 {
		return 4e-5, 1e-10
	}
	return 2e-5, 1e-12
}

// TestWinoMatchesDirect checks every pass of the Winograd route (forward,
// dx, dW, db), with 2×2 and 4×4 output tiles, against the float64
// column-matrix route, in float32 and float64, on even and odd map sizes
// (partial last tiles), batch 1 and more than a chunk, channel counts that
// are not multiples of 16, with and without ReLU, bias and input
// gradient, and after a Forward that kept nothing (train false: Backward
// transforms the input again).
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
		{in: 6, out: 10, b: 3, h: 5, w: 7, relu: true},
		{in: 9, out: 8, b: 1, h: 6, w: 6},
		{in: 11, out: 13, b: 3, h: 9, w: 9, relu: true},
		{in: 16, out: 20, b: 2, h: 32, w: 32, relu: true},
		{in: 4, out: 6, b: 5, h: 3, w: 17, noTrain: true},
		// Tall, narrow maps of whole tiles whose rows of tiles are not a
		// multiple of 4.
		{in: 8, out: 5, b: 2, h: 32, w: 8, relu: true},
		{in: 8, out: 6, b: 2, h: 32, w: 24, relu: true},
		{in: 5, out: 7, b: 2, h: 64, w: 4, relu: true},
	}
	worst := map[[2]int]float64{}
	for _, m := range []int{2, 4} {
		tol32, tol64 := winoTol(m)
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
			c32.winoForceM, c64.winoForceM = m, m
			c32.NoInputGrad, c64.NoInputGrad = tc.noInput, tc.noInput
			got32 := winoPass(t, c32, x32, !tc.noTrain)
			got64 := winoPass(t, c64, x64, !tc.noTrain)
			if c32.winoTile() != m || c64.winoTile() != m {
				t.Fatalf("%+v: the forced Winograd route with %d×%d tiles was not taken", tc, m, m)
			}
			for k, name := range []string{"y", "dx", "dW", "db"} {
				if (want[k] == nil) != (got32[k] == nil) || (want[k] == nil) != (got64[k] == nil) {
					t.Fatalf("%+v: %s present %v, want %v", tc, name, got32[k] != nil, want[k] != nil)
				}
				if want[k] == nil {
					continue
				}
				d32, d64 := maxRelDiff(got32[k], want[k]), maxRelDiff(got64[k], want[k])
				worst[[2]int{m, 32}] = max(worst[[2]int{m, 32}], d32)
				worst[[2]int{m, 64}] = max(worst[[2]int{m, 64}], d64)
				if d32 > tol32 {
					t.Errorf("F(%d×%d) %+v: float32 %s differs from the direct route by %.3g (max-norm relative)", m, m, tc, name, d32)
				}
				if d64 > tol64 {
					t.Errorf("F(%d×%d) %+v: float64 %s differs from the direct route by %.3g (max-norm relative)", m, m, tc, name, d64)
				}
			}
		}
	}
	for _, m := range []int{2, 4} {
		t.Logf("F(%d×%d): largest difference from the direct route %.3g in float32, %.3g in float64", m, m, worst[[2]int{m, 32}], worst[[2]int{m, 64}])
	}
}

// TestWinoRoute checks which shapes take the Winograd route by default
// and with which tiles: 3×3, stride 1, padding 1, dilation 1, at least 32
// input channels; F(4×4) from 32 output channels on maps of 256 to 4096
// pixels, any aspect (16×16 to 64×64: the COCO net's conv2 to conv6), and
// from 27 on maps of 1024 to 4096 (the side convolutions of dcnn-first
// and dcnn-middle, not dcnn-last's at 16×16), F(2×2) from 64 output
// channels on smaller maps; not the MNIST nets' 32→32 at 7×7 and 14×14,
// nor the COCO net's first layer.
func TestWinoRoute(t *testing.T) {
	conv := func(in, out int) Conv2DConfig {
		return Conv2DConfig{In: in, Out: out, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}
	}
	cases := []struct {
		cfg  Conv2DConfig
		hw   int
		w    int // the map's width where it differs from its height hw
		want int
	}{
		{conv(64, 128), 16, 0, 4},
		{conv(128, 128), 16, 0, 4},
		{conv(64, 64), 32, 0, 4},
		{conv(64, 64), 64, 0, 4},
		{conv(64, 64), 65, 0, 0},
		{conv(64, 64), 128, 0, 0},
		{conv(32, 64), 32, 0, 4},
		{conv(32, 32), 64, 0, 4},
		{conv(32, 27), 64, 0, 4},
		{conv(32, 27), 32, 0, 4},
		{conv(64, 27), 32, 0, 4},
		{conv(64, 27), 16, 0, 0},
		{conv(128, 27), 16, 0, 0},
		{conv(32, 31), 32, 0, 4},
		{conv(32, 31), 31, 0, 0},
		{conv(32, 26), 64, 0, 0},
		{conv(3, 27), 64, 0, 0},
		{conv(3, 32), 64, 0, 0},
		{conv(24, 64), 32, 0, 0},
		{conv(32, 32), 7, 0, 0},
		{conv(32, 32), 14, 0, 0},
		{conv(64, 64), 14, 0, 2},
		{conv(64, 64), 8, 0, 2},
		{conv(48, 64), 16, 0, 4},
		{conv(64, 48), 16, 0, 4},
		{conv(64, 48), 8, 0, 0},
		{Conv2DConfig{In: 64, Out: 64, Kernel: [2]int{3, 3}, Padding: [2]int{2, 2}, Dilation: [2]int{2, 2}}, 16, 0, 0},
		{Conv2DConfig{In: 64, Out: 64, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, Stride: [2]int{2, 2}}, 16, 0, 0},
		{Conv2DConfig{In: 64, Out: 64, Kernel: [2]int{5, 5}, Padding: [2]int{2, 2}}, 16, 0, 0},
		{Conv2DConfig{In: 64, Out: 64, Kernel: [2]int{3, 3}}, 16, 0, 0},
		// The F(4×4) rule counts pixels (256 to 4096), whatever the
		// aspect: a whole photo's layers in evaluation.
		{conv(64, 64), 8, 64, 4},
		{conv(64, 64), 1, 256, 4},
		{conv(64, 64), 100, 7, 4},
		{conv(64, 64), 48, 65, 4},
		{conv(64, 64), 65, 64, 0},
		{conv(64, 64), 1, 255, 2},
	}
	for _, tc := range cases {
		c, err := NewConv2D[float32]("conv", tc.cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		w := tc.hw
		if tc.w != 0 {
			w = tc.w
		}
		if _, err := c.Forward(New[float32](1, tc.cfg.In, tc.hw, w), false); err != nil {
			t.Fatal(err)
		}
		if got := c.winoTile(); got != tc.want || c.winoOK() != (tc.want != 0) {
			t.Errorf("%+v on %d×%d: Winograd tile %d (route %v), want %d", tc.cfg, tc.hw, w, got, c.winoOK(), tc.want)
		}
	}
}

// TestWinoSameBitsAnyCores checks that the Winograd route, with 2×2 and
// 4×4 tiles, gives the same bits on 1, 2 and 5 cores: the work is split by
// shape only and the weight gradient's parts are summed in chunk order.
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
	for _, m := range []int{2, 4} {
		var first [4][]float64
		for i, n := range []int{1, 2, 5} {
			setWorkers(n)
			c := winoTwin[float32](ref, cfg)
			c.winoForceM = m
			got := winoPass(t, c, x, true)
			if c.winoTile() != m || c.g.wino(m).n < 4 {
				t.Fatalf("the test's shape takes the Winograd route with tile %d (want %d) in %d chunks; want several", c.winoTile(), m, c.g.wino(m).n)
			}
			if i == 0 {
				first = got
				continue
			}
			for k, name := range []string{"y", "dx", "dW", "db"} {
				if !slices.Equal(got[k], first[k]) {
					t.Errorf("F(%d×%d): %s on %d cores differs from 1 core", m, m, name, n)
				}
			}
		}
	}
}

// TestWinoXformMatchesGEMM checks that the add/subtract transforms give
// the bits of the GEMM against the transform matrix they replace, on
// widths with and without a tail and on inputs with zeros of both signs.
func TestWinoXformMatchesGEMM(t *testing.T) {
	tm := newWinoMats[float32]()
	cases := []struct {
		name     string
		kind     int
		mat      []float32
		rows, kk int
	}{
		{"BT", winoKindBT, tm.b, 16, 16},
		{"B", winoKindB, tm.bt, 16, 16},
		{"AT", winoKindAT, tm.a, 4, 16},
		{"A", winoKindA, tm.at, 16, 4},
	}
	rng := rand.New(rand.NewPCG(5, 23))
	for _, tc := range cases {
		for _, n := range []int{1, 15, 16, 37, 256, 1000} {
			ld := winoStride(n)
			src := make([]float32, tc.kk*ld)
			for i := range src {
				switch rng.IntN(8) {
				case 0:
					src[i] = 0
				case 1:
					src[i] = float32(math.Copysign(0, -1))
				default:
					src[i] = float32(rng.NormFloat64() * math.Exp2(float64(rng.IntN(20)-10)))
				}
			}
			want := make([]float32, tc.rows*ld)
			got := make([]float32, tc.rows*ld)
			gemm(false, false, tc.rows, n, tc.kk, 1, tc.mat, tc.kk, src, ld, 0, want, ld)
			winoXform(2, tc.kind, &tm, got, src, ld, n)
			for r := range tc.rows {
				for c := range n {
					w, g := want[r*ld+c], got[r*ld+c]
					if math.Float32bits(w) != math.Float32bits(g) {
						t.Fatalf("%s n=%d: row %d column %d: %v (%#x), GEMM %v (%#x)", tc.name, n, r, c, g, math.Float32bits(g), w, math.Float32bits(w))
					}
				}
			}
		}
	}
}

// BenchmarkWinoXform times each transform at the COCO net's chunk width
// (16384 columns: 64 channels of 256 tiles) as the add/subtract pass and
// as the GEMM against its matrix that it replaced.
func BenchmarkWinoXform(b *testing.B) {
	tm := newWinoMats[float32]()
	cases := []struct {
		name     string
		kind     int
		mat      []float32
		rows, kk int
	}{
		{"BT", winoKindBT, tm.b, 16, 16},
		{"B", winoKindB, tm.bt, 16, 16},
		{"AT", winoKindAT, tm.a, 4, 16},
		{"A", winoKindA, tm.at, 16, 4},
	}
	const n = 16384
	ld := winoStride(n)
	src := make([]float32, 16*ld)
	dst := make([]float32, 16*ld)
	for i := range src {
		src[i] = float32(i%7) - 3
	}
	for _, tc := range cases {
		for _, how := range []string{"adds", "gemm"} {
			b.Run(tc.name+"/"+how, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(4 * n * (tc.rows + tc.kk)))
				for b.Loop() {
					if how == "adds" {
						winoXform(2, tc.kind, &tm, dst, src, ld, n)
					} else {
						gemm(false, false, tc.rows, n, tc.kk, 1, tc.mat, tc.kk, src, ld, 0, dst, ld)
					}
				}
			})
		}
	}
}

// winoTrainLosses trains a small float32 net (three 3×3 convolutions, a
// pool, a global average and a linear layer) for steps steps of plain SGD
// on a fixed synthetic task (which quadrant of a 12×12 image holds a
// bright blob) and returns the loss of every step; route sets up each
// convolution.
func winoTrainLosses(t *testing.T, steps int, route func(*Conv2D[float32])) []float64 {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	conv := func(name string, in, out int) *Conv2D[float32] {
		c, err := NewConv2D[float32](name, Conv2DConfig{In: in, Out: out, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}, rng)
		if err != nil {
			t.Fatal(err)
		}
		route(c)
		return c
	}
	c1 := conv("conv1", 3, 16)
	c1.NoInputGrad = true
	lin, err := NewLinear[float32]("fc", 16, 4, rng)
	if err != nil {
		t.Fatal(err)
	}
	layers := []Layer[float32]{c1, conv("conv2", 16, 16), NewMaxPool2D[float32]("pool", 2), conv("conv3", 16, 16),
		NewGlobalAvgPool[float32]("gap"), NewFlatten[float32]("flat"), lin}
	const b, hw = 8, 12
	data := rand.New(rand.NewPCG(5, 5))
	losses := make([]float64, steps)
	for step := range steps {
		x := New[float32](b, 3, hw, hw)
		targets := make([]int, b)
		for i := range b {
			q := data.IntN(4)
			targets[i] = q
			cy, cx := 3+6*(q/2)+data.IntN(2), 3+6*(q%2)+data.IntN(2)
			for ch := range 3 {
				for y := range hw {
					for xx := range hw {
						v := 0.3 * data.NormFloat64()
						if (y-cy)*(y-cy)+(xx-cx)*(xx-cx) <= 4 {
							v += 1
						}
						x.data[((i*3+ch)*hw+y)*hw+xx] = float32(v)
					}
				}
			}
		}
		h := x
		for _, l := range layers {
			if h, err = l.Forward(h, true); err != nil {
				t.Fatal(err)
			}
		}
		grad := New[float32](h.Shape()...)
		if losses[step], err = CrossEntropy(h, targets, grad); err != nil {
			t.Fatal(err)
		}
		var params []*Param[float32]
		for _, l := range layers {
			params = append(params, l.Params()...)
		}
		for _, p := range params {
			p.Grad.Zero()
		}
		for i := len(layers) - 1; i >= 0 && grad != nil; i-- {
			if grad, err = layers[i].Backward(grad); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range params {
			for i, g := range p.Grad.data {
				p.Value.data[i] -= 0.3 * g
			}
		}
	}
	return losses
}

// TestWino4Trains checks that training is unharmed by F(4×4)'s larger
// float32 error: 300 steps of a small net whose 3×3 convolutions all take
// F(4×4) against the same net on the direct (column-matrix) route, from
// the same weights on the same batches. The net must learn (the last 20
// steps' mean loss under half the first 20's) and every step's loss must
// stay within 1e-3 of the direct route's (measured 6.3e-6, the loss
// falling from 1.39 to 0.001).
func TestWino4Trains(t *testing.T) {
	const steps = 300
	direct := winoTrainLosses(t, steps, func(c *Conv2D[float32]) { c.noWino, c.noTaps = true, true })
	wino4 := winoTrainLosses(t, steps, func(c *Conv2D[float32]) { c.forceWino, c.winoForceM = true, 4 })
	mean := func(s []float64) float64 {
		var a float64
		for _, v := range s {
			a += v
		}
		return a / float64(len(s))
	}
	var worst float64
	for i := range steps {
		worst = max(worst, math.Abs(wino4[i]-direct[i]))
	}
	first, last := mean(direct[:20]), mean(direct[steps-20:])
	t.Logf("direct route: mean loss %.4f over the first 20 steps, %.4f over the last 20; F(4×4): %.4f; largest per-step difference %.3g",
		first, last, mean(wino4[steps-20:]), worst)
	if last > first/2 {
		t.Errorf("the net did not learn: mean loss %.4f over the first 20 steps, %.4f over the last 20", first, last)
	}
	if worst > 1e-3 {
		t.Errorf("F(4×4)'s losses differ from the direct route's by up to %.3g, want at most 1e-3", worst)
	}
}

// BenchmarkWinoRoutes times forward+backward (with the input gradient) of
// the 3×3 shapes the Winograd route could take on each route: "taps" (the
// tap-sum route), "wino2" (F(2×2), forced) and "wino4" (F(4×4), forced).
// The shapes are the COCO net's conv2 to conv6 (32 crops), dcnn-first's
// side convolution (32→27 at 64×64, no ReLU) and the MNIST nets' 32→32 at
// 14×14 and 7×7 (batch 64). flops counts the direct convolution's
// multiply-adds, so GFLOP/s-core compares the routes' speed.
func BenchmarkWinoRoutes(b *testing.B) {
	for _, s := range []struct {
		name               string
		batch, in, out, hw int
		relu               bool
	}{
		{"conv2", 32, 32, 32, 64, true}, {"side", 32, 32, 27, 64, false},
		{"conv3", 32, 32, 64, 32, true}, {"conv4", 32, 64, 64, 32, true},
		{"conv5", 32, 64, 128, 16, true}, {"conv6", 32, 128, 128, 16, true},
		{"mnist14", 64, 32, 32, 14, true}, {"mnist7", 64, 32, 32, 7, true},
	} {
		for _, route := range []string{"taps", "wino2", "wino4"} {
			b.Run(s.name+"/"+route, func(b *testing.B) {
				cfg := Conv2DConfig{In: s.in, Out: s.out, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: s.relu}
				c, err := NewConv2D[float32]("conv", cfg, rand.New(rand.NewPCG(1, 1)))
				if err != nil {
					b.Fatal(err)
				}
				c.noWino, c.forceWino = route == "taps", route != "taps"
				c.winoForceM = map[string]int{"wino2": 2, "wino4": 4}[route]
				x := benchInput(b, s.batch, s.in, s.hw, s.hw)
				y, _ := c.Forward(x, true)
				dy := y.Clone()
				cpuLoop(b, 3*2.0*float64(s.batch*s.in*s.out*9*s.hw*s.hw), func() {
					c.Forward(x, true)
					c.Backward(dy)
				})
			})
		}
	}
}

// TestWino4AsmSameBitsAsGo checks the F(4×4) route's use of the AVX-512
// transforms (ld in bytes, whole blocks of 16 columns, the Go versions on
// the rest), or of the AVX2 ones (blocks of 8) where those run: forward and
// backward give the same bits with them as with the portable Go versions
// alone, whose bits they promise. A second pass switches the copies'
// kernels (winoCopyOK, winoCopyAVX2) with them: every Winograd kernel on
// against the Go loops alone.
func TestWino4AsmSameBitsAsGo(t *testing.T) {
	if !wino4XformOK && !wino4XformAVX2 {
		t.Skip("no AVX-512 or AVX2 here: the Go versions run either way")
	}
	xf0, avx0, cp0, cpa0 := wino4XformOK, wino4XformAVX2, winoCopyOK, winoCopyAVX2
	defer func() { wino4XformOK, wino4XformAVX2, winoCopyOK, winoCopyAVX2 = xf0, avx0, cp0, cpa0 }()
	cfg := Conv2DConfig{In: 33, Out: 30, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}
	rng := rand.New(rand.NewPCG(8, 8))
	ref, _ := NewConv2D[float64]("ref", cfg, rng)
	// 13×18 maps: 20 tiles a map, blocks of 16 (or 8) and a tail of 4 in
	// the gather; 16×16 maps: 16 tiles, whole blocks (winoScatter4); then
	// the COCO net's widths and narrow and tall maps of whole blocks.
	for _, hw := range [][2]int{{13, 18}, {16, 16}, {32, 32}, {64, 64}, {8, 64}, {24, 16}, {32, 8}, {20, 12}} {
		x := New[float32](5, cfg.In, hw[0], hw[1])
		for i := range x.data {
			x.data[i] = float32(rng.NormFloat64())
		}
		for _, copies := range []bool{false, true} {
			var runs [2][4][]float64
			for k, ok := range []bool{true, false} {
				wino4XformOK, wino4XformAVX2 = xf0 && ok, avx0 && ok
				if copies {
					winoCopyOK, winoCopyAVX2 = cp0 && ok, cpa0 && ok
				}
				c := winoTwin[float32](ref, cfg)
				c.forceWino, c.winoForceM = true, 4
				runs[k] = winoPass(t, c, x, true)
			}
			wino4XformOK, wino4XformAVX2, winoCopyOK, winoCopyAVX2 = xf0, avx0, cp0, cpa0
			for k, name := range []string{"y", "dx", "dW", "db"} {
				if !slices.Equal(runs[0][k], runs[1][k]) {
					t.Errorf("%v (copies switched too: %v): %s with the assembly kernels differs from the Go loops'",
						hw, copies, name)
				}
			}
		}
	}
}

// BenchmarkWino4Weights times F(4×4)'s weight transform U = G w Gᵀ and its
// gradient dw += Gᵀ dU G for conv6's 128×128 filter pairs on one core.
func BenchmarkWino4Weights(b *testing.B) {
	g := geom{C: 128, O: 128}
	oc := winoStride(g.O * g.C)
	w := make([]float32, g.O*g.C*9)
	u := make([]float32, 36*oc)
	for i := range w {
		w[i] = float32(i%13) - 6
	}
	for i := range u {
		u[i] = float32(i%11) - 5
	}
	b.Run("U", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			winoWeights4(g, w, u, oc, 0, g.O)
		}
	})
	b.Run("dW", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			winoWeightGrad4(g, u, w, oc, 0, g.O)
		}
	})
}

// TestWinoReluMaskSameBits runs fused-ReLU convolutions on the Winograd
// route, with 2×2 and 4×4 tiles, whose training forward records the mask
// as bits (every chunk's tiles a multiple of 8; partial tiles among them)
// and checks every output and gradient against the same layer masking
// with y: the same bits. Where the chunks' tiles do not allow it, no mask
// is recorded.
func TestWinoReluMaskSameBits(t *testing.T) {
	if !vecOK {
		t.Skip("no AVX2 here; the mask is not recorded")
	}
	defer func() { noReluMask = false }()
	cases := []struct {
		in, out, m, b, h, w int
		bias, mask          bool
	}{
		{32, 64, 4, 3, 16, 16, true, true},
		{32, 48, 4, 2, 14, 16, true, true}, // partial tiles down
		{24, 40, 4, 2, 30, 30, false, true},
		{32, 64, 2, 2, 16, 16, true, true},
		{16, 24, 2, 3, 16, 15, true, true},  // partial tiles across
		{32, 64, 4, 2, 16, 14, true, true},  // partial tiles across
		{16, 24, 2, 3, 18, 14, true, false}, // 63 tiles an image, chunks of 1
		{32, 64, 4, 3, 12, 12, true, false}, // 9 tiles a chunk
	}
	for _, tc := range cases {
		cfg := Conv2DConfig{In: tc.in, Out: tc.out, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1},
			ReLU: true, NoBias: !tc.bias}
		var res [2][4][]float64
		for k, off := range []bool{true, false} {
			noReluMask = off
			rng := rand.New(rand.NewPCG(uint64(tc.h), uint64(tc.in)))
			c, err := NewConv2D[float32]("c", cfg, rng)
			if err != nil {
				t.Fatal(err)
			}
			c.forceWino, c.winoForceM = true, tc.m
			x := New[float32](tc.b, tc.in, tc.h, tc.w)
			for i := range x.data {
				x.data[i] = float32(rng.NormFloat64())
			}
			res[k] = runConv(t, c, x)
			if c.winoTile() != tc.m {
				t.Fatalf("%+v: tile %d, want %d", tc, c.winoTile(), tc.m)
			}
			if recorded := c.mask != nil; recorded != (!off && tc.mask) {
				t.Fatalf("%+v: mask recorded %v with noReluMask %v", tc, recorded, off)
			}
		}
		zeros := 0
		for _, v := range res[0][0] {
			if v == 0 {
				zeros++
			}
		}
		if zeros == 0 || zeros == len(res[0][0]) {
			t.Fatalf("%+v: %d of %d outputs clamped: the ReLU's mask is not tested", tc, zeros, len(res[0][0]))
		}
		for k, name := range []string{"y", "dx", "dW", "db"} {
			for i := range res[0][k] {
				if a, b := res[1][k][i], res[0][k][i]; a != b && !(a != a && b != b) {
					t.Fatalf("%+v: %s[%d] = %v with the mask bits, %v with y", tc, name, i, a, b)
				}
			}
		}
	}
}

// TestWinoBlocksSameBits checks that running the transforms over blocks
// of a chunk's columns (winoBlocks) gives the bits of one pass over the
// whole chunk, with 2×2 and 4×4 tiles, blocks of one channel and of
// several, and chunks whose columns are not a multiple of 16.
func TestWinoBlocksSameBits(t *testing.T) {
	defer func(k int) { winoBlockCols = k }(winoBlockCols)
	cases := []struct{ in, out, m, b, h, w int }{
		{32, 64, 4, 3, 16, 16},
		{24, 40, 4, 2, 30, 30},
		{32, 48, 4, 3, 12, 12}, // 9 tiles an image
		{32, 64, 2, 2, 16, 16},
		{16, 24, 2, 3, 18, 14},
	}
	for _, tc := range cases {
		cfg := Conv2DConfig{In: tc.in, Out: tc.out, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}
		var ref [4][]float64
		for k, cols := range []int{-1, 1, 40, 256, 1024} {
			winoBlockCols = cols
			rng := rand.New(rand.NewPCG(uint64(tc.h), uint64(tc.in)))
			c, err := NewConv2D[float32]("c", cfg, rng)
			if err != nil {
				t.Fatal(err)
			}
			c.forceWino, c.winoForceM = true, tc.m
			x := New[float32](tc.b, tc.in, tc.h, tc.w)
			for i := range x.data {
				x.data[i] = float32(rng.NormFloat64())
			}
			res := runConv(t, c, x)
			if k == 0 {
				ref = res
				continue
			}
			for j, name := range []string{"y", "dx", "dW", "db"} {
				for i := range res[j] {
					if a, b := res[j][i], ref[j][i]; a != b && !(a != a && b != b) {
						t.Fatalf("%+v, blocks of %d columns: %s[%d] = %v, %v in one pass", tc, cols, name, i, a, b)
					}
				}
			}
		}
	}
}

// BenchmarkWinoSteps compares, in one binary and in alternation, the
// F(4×4) route at the COCO net's shapes masking with y, with the ReLU
// mask as bits, and with the mask bits and the transforms in blocks of
// 1024 columns (winoBlockCols): fwd+bwd of a training step, batch 32.
func BenchmarkWinoSteps(b *testing.B) {
	defer func(k int) { winoBlockCols, noReluMask = k, false }(winoBlockCols)
	const blocks = 1024
	for _, s := range []struct {
		name        string
		in, out, hw int
	}{
		{"conv2", 32, 32, 64}, {"conv3", 32, 64, 32}, {"conv4", 64, 64, 32},
		{"conv5", 64, 128, 16}, {"conv6", 128, 128, 16},
	} {
		for _, step := range []string{"y", "bits", "bits+blocks"} {
			b.Run(s.name+"/"+step, func(b *testing.B) {
				noReluMask = step == "y"
				winoBlockCols = -1
				if step == "bits+blocks" {
					winoBlockCols = blocks
				}
				cfg := Conv2DConfig{In: s.in, Out: s.out, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}
				c, err := NewConv2D[float32]("conv", cfg, rand.New(rand.NewPCG(1, 1)))
				if err != nil {
					b.Fatal(err)
				}
				c.forceWino, c.winoForceM = true, 4
				x := benchInput(b, 32, s.in, s.hw, s.hw)
				y, _ := c.Forward(x, true)
				dy := y.Clone()
				c.Backward(dy) // the backward's buffers too, before the clock
				cpuLoop(b, 3*2.0*float64(32*s.in*s.out*9*s.hw*s.hw), func() {
					c.Forward(x, true)
					c.Backward(dy)
				})
			})
		}
	}
}

// TestWinoBlockSize checks which of the COCO net's F(4×4) layers (batch
// 32, training) run their transforms in blocks: those whose chunk's rows
// exceed the L2 cache (conv5 and conv6), and that the tests' settings of
// winoBlockCols win.
func TestWinoBlockSize(t *testing.T) {
	defer func(k int) { winoBlockCols = k }(winoBlockCols)
	cases := []struct {
		name                   string
		in, out, hw, set, want int
	}{
		{"conv2", 32, 32, 64, 0, 0}, {"conv3", 32, 64, 32, 0, 0}, {"conv4", 64, 64, 32, 0, 0},
		{"conv5", 64, 128, 16, 0, 1024}, {"conv6", 128, 128, 16, 0, 1024},
		{"conv6", 128, 128, 16, -1, 0}, {"conv2", 32, 32, 64, 40, 40},
	}
	for _, tc := range cases {
		winoBlockCols = tc.set
		g := geom{B: 32, C: tc.in, O: tc.out, H: tc.hw, W: tc.hw, Ho: tc.hw, Wo: tc.hw}
		if got := winoBlockSize[float32](g, g.wino(4)); got != tc.want {
			t.Errorf("%s (winoBlockCols %d): blocks of %d columns, want %d", tc.name, tc.set, got, tc.want)
		}
	}
}
