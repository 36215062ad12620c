package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// vecInput returns n values with the awkward ones mixed in: NaN, ±0, ±Inf.
func vecInput(rng *rand.Rand, n int) []float32 {
	special := []float32{float32(math.NaN()), 0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1))}
	v := make([]float32, n)
	for i := range v {
		if rng.IntN(6) == 0 {
			v[i] = special[rng.IntN(len(special))]
		} else {
			v[i] = float32(rng.NormFloat64())
		}
	}
	return v
}

// same reports whether a and b hold the same bits but for NaN payloads.
func same(a, b float32) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

const sentinel = 12345.5

// guarded returns a slice of n elements inside a buffer with sentinel
// values on both sides, and a check that they are untouched.
func guarded(t *testing.T, n int) ([]float32, func()) {
	buf := make([]float32, n+32)
	for i := range buf {
		buf[i] = sentinel
	}
	return buf[16 : 16+n], func() {
		t.Helper()
		for i, v := range buf {
			if (i < 16 || i >= 16+n) && v != sentinel {
				t.Fatalf("element %d outside the %d-element destination was overwritten with %v", i-16, n, v)
			}
		}
	}
}

func TestVecKernels(t *testing.T) {
	if !vecOK {
		t.Skip("no AVX here; the Go loops run instead")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 1; n <= 70; n++ {
		src, acc := vecInput(rng, n), vecInput(rng, n)
		dst, check := guarded(t, n)
		copy(dst, acc)
		vadd(&dst[0], &src[0], n)
		check()
		for i := range n {
			if want := acc[i] + src[i]; !same(dst[i], want) {
				t.Fatalf("vadd n=%d [%d]: %v + %v = %v, want %v", n, i, acc[i], src[i], dst[i], want)
			}
		}
	}
	for _, relu := range []bool{false, true} {
		for cols := 1; cols <= 19; cols++ {
			for _, shape := range [][3]int{{1, 0, 0}, {3, 0, 2}, {4, 3, 0}, {2, 5, 7}} {
				rows, lds, ldd := shape[0], cols+shape[1], cols+shape[2]
				src := vecInput(rng, (rows-1)*lds+cols)
				y := vecInput(rng, len(src))
				b := float32(rng.NormFloat64())
				n := (rows-1)*ldd + ldd
				dst, check := guarded(t, n)
				floor := float32(math.Inf(-1))
				if relu {
					floor = 0
				}
				vbias(&dst[0], ldd, &src[0], lds, rows, cols, b, floor)
				check()
				for r := range rows {
					for c := range ldd {
						got := dst[r*ldd+c]
						if c >= cols {
							if got != sentinel {
								t.Fatalf("vbias wrote column %d ≥ cols %d", c, cols)
							}
							continue
						}
						want := src[r*lds+c] + b
						if relu && want < 0 {
							want = 0
						}
						if !same(got, want) {
							t.Fatalf("vbias relu=%v rows=%d cols=%d [%d,%d]: %v, want %v", relu, rows, cols, r, c, got, want)
						}
					}
				}
				dst, check = guarded(t, n)
				vmask(&dst[0], ldd, &src[0], lds, &y[0], rows, cols)
				check()
				for r := range rows {
					for c := range ldd {
						var want float32
						if c < cols && y[r*lds+c] > 0 {
							want = src[r*lds+c]
						}
						if got := dst[r*ldd+c]; !same(got, want) && !(want == 0 && got == 0) {
							t.Fatalf("vmask rows=%d cols=%d [%d,%d]: %v, want %v (y %v)", rows, cols, r, c, got, want, y[r*lds+c])
						}
					}
				}
			}
		}
	}
}

// TestWideColumnsMatchNarrow runs stride-1 convolutions on the tap-sum
// route (where the padding is "same"), with the wide column layout and
// with the plain one: outputs and every gradient agree with float64, with
// the assembly element-wise kernels and with the Go loops.
func TestWideColumnsMatchNarrow(t *testing.T) {
	old := vecOK
	defer func() { vecOK, tapSumPerTap = old, false }()
	for _, v := range []bool{old, false} {
		vecOK = v
		for _, perTap := range []bool{false, true} {
			tapSumPerTap = perTap
			testWideColumns(t)
		}
	}
}

func testWideColumns(t *testing.T) {
	cfgs := []Conv2DConfig{
		{In: 3, Out: 5, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}},
		{In: 3, Out: 5, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true},
		{In: 2, Out: 4, Kernel: [2]int{2, 3}, Padding: [2]int{2, 1}, Dilation: [2]int{2, 1}, ReLU: true, NoBias: true},
		{In: 4, Out: 3, Kernel: [2]int{3, 3}, Padding: [2]int{0, 0}},
		{In: 1, Out: 6, Kernel: [2]int{5, 5}, Padding: [2]int{2, 2}, ReLU: true},
		{In: 2, Out: 3, Kernel: [2]int{1, 1}},
		{In: 2, Out: 1, Kernel: [2]int{3, 4}, Padding: [2]int{1, 2}, Dilation: [2]int{2, 3}},
		// Channel counts that fill the kernels' panels (8, 16, 32 wide).
		{In: 32, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true},
		{In: 16, Out: 40, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}},
		{In: 40, Out: 8, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}},
	}
	sizes := [][2]int{{5, 6}, {7, 7}, {14, 9}, {28, 28}}
	for _, cfg := range cfgs {
		for _, hw := range sizes {
			if ho, wo := cfg.OutSize(hw[0], hw[1]); ho <= 0 || wo <= 0 {
				continue
			}
			rng := rand.New(rand.NewPCG(uint64(hw[0]), uint64(cfg.In)))
			ref, err := NewConv2D[float64]("ref", cfg, rng)
			if err != nil {
				t.Fatal(err)
			}
			ref.narrow = true
			w, _ := NewConv2D[float32]("wide", cfg, nil)
			n, _ := NewConv2D[float32]("narrow", cfg, nil)
			n.narrow = true
			wt, _ := NewConv2D[float32]("wide columns", cfg, nil)
			wt.noTaps = true
			wf, _ := NewConv2D[float32]("taps at any channel count", cfg, nil)
			wf.forceTaps = true
			all := []*Conv2D[float32]{w, n, wt, wf}
			for _, c := range all {
				for i, v := range ref.Weight.Value.data {
					c.Weight.Value.data[i] = float32(v)
				}
				if c.Bias != nil {
					for i, v := range ref.Bias.Value.data {
						c.Bias.Value.data[i] = float32(v)
					}
				}
			}
			x := New[float32](3, cfg.In, hw[0], hw[1])
			x64 := New[float64](3, cfg.In, hw[0], hw[1])
			for i := range x.data {
				x.data[i] = float32(rng.NormFloat64())
				x64.data[i] = float64(x.data[i])
			}
			want := runConv(t, ref, x64)
			for _, c := range all {
				got := runConv(t, c, x)
				same := 2*cfg.Padding[0] == max(1, cfg.Dilation[0])*(cfg.Kernel[0]-1) && 2*cfg.Padding[1] == max(1, cfg.Dilation[1])*(cfg.Kernel[1]-1)
				if want := same && cfg.In >= tapMinChannels; c == w && c.tapsOK() != want {
					t.Fatalf("%+v on %v: tap-sum route %v, want %v", cfg, hw, c.tapsOK(), want)
				}
				if c == wf && c.tapsOK() != same {
					t.Fatalf("%+v on %v: forced tap-sum route %v, want %v", cfg, hw, c.tapsOK(), same)
				}
				if c == wt && (c.g.LW != c.g.Wo) != (c.g.wideOK() && c.g.W+2*c.g.PW != c.g.Wo) {
					t.Fatalf("%+v on %v: LW %d, Wo %d, wideOK %v", cfg, hw, c.g.LW, c.g.Wo, c.g.wideOK())
				}
				for k, name := range []string{"y", "dx", "dW", "db"} {
					if d := maxRelDiff(got[k], want[k]); d > 1e-5 {
						t.Errorf("%+v on %v, %s layout: %s differs from float64 by %.3g (max-norm relative)", cfg, hw, c.name, name, d)
					}
				}
			}
		}
	}
}

// runConv runs one forward and backward pass with a fixed output
// gradient and returns y, dx, dW and db (nil without a bias) as float64.
func runConv[T Float](t *testing.T, c *Conv2D[T], x *Tensor[T]) [4][]float64 {
	t.Helper()
	y, err := c.Forward(x, true)
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
	r := [4][]float64{f(y.data), f(dx.data), f(c.Weight.Grad.data), nil}
	if c.Bias != nil {
		r[3] = f(c.Bias.Grad.data)
	}
	return r
}

// maxRelDiff is max|a−b| over max(1, max|b|).
func maxRelDiff(a, b []float64) float64 {
	var d, m float64
	for i := range b {
		d = max(d, math.Abs(a[i]-b[i]))
		m = max(m, math.Abs(b[i]))
	}
	return d / max(1, m)
}

// TestVecPool2 checks the assembly 2×2 pooling against the Go loop on
// planes of every width up to 41 (odd ones leave a column out), with ties
// and NaN.
func TestVecPool2(t *testing.T) {
	if !vecOK {
		t.Skip("no AVX2 here; the Go loop runs instead")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for w := 2; w <= 41; w++ {
		for _, h := range []int{2, 3, 6} {
			img := vecInput(rng, h*w)
			for i := range img {
				if rng.IntN(2) == 0 {
					img[i] = float32(rng.IntN(3)) // ties
				}
			}
			ho, wo := h/2, w/2
			out, check := guarded(t, ho*wo)
			arg := make([]int32, ho*wo)
			vpool2(&img[0], w, &out[0], &arg[0], ho, wo)
			check()
			vecOK = false
			want, wantArg := make([]float32, ho*wo), make([]int32, ho*wo)
			pool2(img, want, wantArg, w, ho, wo)
			vecOK = true
			for i := range want {
				if !same(out[i], want[i]) || arg[i] != wantArg[i] {
					t.Fatalf("%d×%d plane, output %d: %v at %d, want %v at %d", h, w, i, out[i], arg[i], want[i], wantArg[i])
				}
			}
		}
	}
}

func TestVecSum(t *testing.T) {
	if !vecOK {
		t.Skip("no AVX2 here; the Go loop runs instead")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for n := 1; n <= 300; n += 1 + n/20 {
		x := make([]float32, n+8)
		var want float64
		for i := range n {
			x[i] = float32(rng.NormFloat64())
			want += float64(x[i])
		}
		for i := n; i < len(x); i++ {
			x[i] = float32(math.NaN()) // past the end: must not be read
		}
		if got := vsum(&x[0], n); math.Abs(float64(got)-want) > 1e-5*float64(n) {
			t.Fatalf("vsum of %d values: %v, want %v", n, got, want)
		}
	}
	x := []float32{1, float32(math.Inf(1)), 2}
	if got := vsum(&x[0], 3); !math.IsInf(float64(got), 1) {
		t.Fatalf("vsum with +Inf: %v", got)
	}
}

// TestVecUnpool2 checks the assembly pooling backward pass against the Go
// loop: each window gets its gradient at its maximum, 0 elsewhere.
func TestVecUnpool2(t *testing.T) {
	if !vecOK {
		t.Skip("no AVX2 here; the Go loop runs instead")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for w := 2; w <= 41; w++ {
		for _, h := range []int{2, 3, 6} {
			ho, wo := h/2, w/2
			img := vecInput(rng, h*w)
			out, arg := make([]float32, ho*wo), make([]int32, ho*wo)
			vpool2(&img[0], w, &out[0], &arg[0], ho, wo)
			dy := vecInput(rng, ho*wo)
			dx, check := guarded(t, h*w)
			clear(dx)
			vunpool2(&dx[0], w, &dy[0], &arg[0], ho, wo)
			check()
			want := make([]float32, h*w)
			for i, a := range arg {
				want[a] += dy[i]
			}
			for i := range want {
				if !same(dx[i], want[i]) && !(dx[i] == 0 && want[i] == 0) {
					t.Fatalf("%d×%d plane, dx[%d] = %v, want %v", h, w, i, dx[i], want[i])
				}
			}
		}
	}
}

// TestVecDeformSampling checks the assembly bilinear gather and its
// transpose against the Go loops, for channel runs of every length up to
// 20 and the course study's 32, within a wider pixel (offset groups).
func TestVecDeformSampling(t *testing.T) {
	if !vecOK {
		t.Skip("no AVX2 here; the Go loops run instead")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 20, 32, 33} {
		pix := n + rng.IntN(3)*n // a group's run inside C channels
		wp, hp := 7, 6
		row := wp * pix
		img := vecInput(rng, hp*wp*pix)
		count := 23
		base := make([]int32, count)
		for i := range base {
			base[i] = int32(rng.IntN((hp-1)*wp - 1)) // corners stay inside
		}
		base[3] = base[2] // two entries on the same corners
		wts := make([]float32, 4*count)
		for i := range wts {
			wts[i] = float32(rng.Float64())
		}
		dst, check := guarded(t, count*n)
		dcnGather(dst, img[:len(img)-(pix-n)], pix, row, base, wts, n)
		check()
		vecOK = false
		want := make([]float32, count*n)
		dcnGather(want, img[:len(img)-(pix-n)], pix, row, base, wts, n)
		vecOK = true
		near32(t, "gather", n, dst, want)

		g := vecInput(rng, count*n)
		for i := range g {
			if g[i] != g[i] || math.IsInf(float64(g[i]), 0) {
				g[i] = 1
			}
		}
		for i := range img {
			if img[i] != img[i] || math.IsInf(float64(img[i]), 0) {
				img[i] = 0.5
			}
		}
		dimg, dwant := make([]float32, len(img)), make([]float32, len(img))
		s, swant := make([]float32, 4*count), make([]float32, 4*count)
		dcnScatter(dimg[:len(img)-(pix-n)], img[:len(img)-(pix-n)], pix, row, base, wts, g, s, n)
		vecOK = false
		dcnScatter(dwant[:len(img)-(pix-n)], img[:len(img)-(pix-n)], pix, row, base, wts, g, swant, n)
		vecOK = true
		near32(t, "scatter dimg", n, dimg, dwant)
		near32(t, "scatter sums", n, s, swant)
	}
}

func near32(t *testing.T, what string, n int, got, want []float32) {
	t.Helper()
	for i := range want {
		if same(got[i], want[i]) {
			continue // equal, or both NaN
		}
		if d := math.Abs(float64(got[i] - want[i])); d > 1e-5*max(1, math.Abs(float64(want[i]))) || got[i] != got[i] {
			t.Fatalf("%s, runs of %d: [%d] = %v, want %v", what, n, i, got[i], want[i])
		}
	}
}
