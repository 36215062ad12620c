package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestStackT checks the weight gradient's pixel-major input, built
// straight from the images, against the planes of stack transposed by
// transpose8 (as tapWeightGrad built it before), padding included, over
// channel counts around the transpose's blocks of 8 and several paddings.
func TestStackT(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, c := range []int{1, 3, 8, 13, 32} {
		for _, s := range []struct{ h, w, kh, kw, dh, dw int }{
			{5, 7, 3, 3, 1, 1}, {8, 8, 3, 3, 1, 1}, {6, 9, 5, 3, 1, 2}, {4, 11, 1, 1, 1, 1},
		} {
			for nb := 1; nb <= 3; nb++ {
				g := geom{B: nb + 1, C: c, H: s.h, W: s.w, O: 4, KH: s.kh, KW: s.kw, SH: 1, SW: 1,
					PH: s.dh * (s.kh - 1) / 2, PW: s.dw * (s.kw - 1) / 2, DH: s.dh, DW: s.dw, Ho: s.h, Wo: s.w}
				x := make([]float32, g.B*c*s.h*s.w)
				for i := range x {
					x[i] = float32(rng.NormFloat64())
				}
				lo, hi := 1, nb+1
				tg := g.taps(hi - lo)
				nq := tg.ld + g.tapOff(tg, g.k()-1)
				xs := make([]float32, c*tg.ps)
				stack(g, tg, x, c, lo, hi, xs)
				want := make([]float32, nq*c)
				transpose8(xs, tg.ps, want, c, c, nq)
				got := make([]float32, nq*c)
				for i := range got {
					got[i] = float32(math.NaN())
				}
				stackT(g, tg, x, lo, hi, nq, got)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("C %d, %+v, %d images: row %d channel %d = %v, want %v", c, s, nb, i/c, i%c, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestStackPadding checks that stack zeroes every position of its planes
// but the pixels, over a buffer that held other values.
func TestStackPadding(t *testing.T) {
	g := geom{B: 3, C: 2, H: 4, W: 5, O: 1, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1, Ho: 4, Wo: 5}
	x := make([]float32, g.B*g.C*g.H*g.W)
	for i := range x {
		x[i] = float32(i + 1)
	}
	tg := g.taps(3)
	dst := make([]float32, g.C*tg.ps)
	for i := range dst {
		dst[i] = -1
	}
	stack(g, tg, x, g.C, 0, 3, dst)
	n := 0
	for i, v := range dst {
		switch {
		case v < 0:
			t.Fatalf("position %d of plane %d kept a stale value", i%tg.ps, i/tg.ps)
		case v > 0:
			n++
		}
	}
	if n != len(x) {
		t.Fatalf("%d pixels in the planes, want %d", n, len(x))
	}
}

// TestTapsScratchReuse runs tap-sum convolutions a second time over
// scratch buffers filled with NaN: every output and gradient must be those
// of a fresh layer, bit for bit (the passes write or clear every element
// they read, padding included).
func TestTapsScratchReuse(t *testing.T) {
	cfgs := []Conv2DConfig{
		{In: 16, Out: 8, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true},
		{In: 5, Out: 7, Kernel: [2]int{3, 3}, Padding: [2]int{2, 1}, Dilation: [2]int{2, 1}},
		// 4×4 images with 5×5 taps: too much padding for wide columns
		// (the layer's LW is Wo, not the padded width).
		{In: 4, Out: 3, Kernel: [2]int{5, 5}, Padding: [2]int{2, 2}, ReLU: true},
	}
	for _, cfg := range cfgs {
		for _, hw := range [][2]int{{8, 8}, {7, 9}, {14, 14}, {4, 4}} {
			name := fmt.Sprintf("%+v on %v", cfg, hw)
			rng := rand.New(rand.NewPCG(uint64(hw[0]), uint64(hw[1])))
			mk := func() *Conv2D[float32] {
				c, err := NewConv2D[float32]("c", cfg, rand.New(rand.NewPCG(1, 2)))
				if err != nil {
					t.Fatal(err)
				}
				c.forceTaps, c.noWino = true, true
				return c
			}
			input := func() *Tensor[float32] {
				x := New[float32](3, cfg.In, hw[0], hw[1])
				for i := range x.data {
					x.data[i] = float32(rng.NormFloat64())
				}
				return x
			}
			used, fresh := mk(), mk()
			runConv(t, used, input())
			if !used.tapsOK() {
				t.Fatalf("%s: not on the tap-sum route", name)
			}
			for _, s := range []*scratch[float32]{&used.ws, &used.pad} {
				for _, b := range s.bufs {
					b = b[:cap(b)]
					for i := range b {
						b[i] = float32(math.NaN())
					}
				}
			}
			x := input()
			got, want := runConv(t, used, x), runConv(t, fresh, x)
			for k, what := range []string{"y", "dx", "dW", "db"} {
				for i := range want[k] {
					if math.Float64bits(got[k][i]) != math.Float64bits(want[k][i]) {
						t.Fatalf("%s: %s[%d] = %v over used scratch, %v fresh", name, what, i, got[k][i], want[k][i])
					}
				}
			}
		}
	}
}

// TestColPadSameBits runs column-route convolutions whose ck is not a
// multiple of 8 (the 3-channel first layer's 27 among them) with the
// column matrix padded to a multiple of 8 rows and without: every output
// and gradient the same bits.
func TestColPadSameBits(t *testing.T) {
	if !haveSgemmKernels() {
		t.Skip("no assembly GEMM kernels: no padding")
	}
	defer func() { noColPad = false }()
	cfgs := []Conv2DConfig{
		{In: 3, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true},
		{In: 3, Out: 5, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}},
		{In: 2, Out: 9, Kernel: [2]int{5, 5}, Padding: [2]int{2, 2}, ReLU: true, NoBias: true},
		{In: 1, Out: 4, Kernel: [2]int{3, 3}},
	}
	for _, cfg := range cfgs {
		for _, hw := range [][2]int{{16, 16}, {7, 9}, {28, 28}} {
			var res [2][4][]float64
			for k, off := range []bool{true, false} {
				noColPad = off
				rng := rand.New(rand.NewPCG(uint64(hw[0]), uint64(cfg.Out)))
				c, err := NewConv2D[float32]("c", cfg, rng)
				if err != nil {
					t.Fatal(err)
				}
				c.noTaps, c.noWino = true, true
				x := New[float32](3, cfg.In, hw[0], hw[1])
				for i := range x.data {
					x.data[i] = float32(rng.NormFloat64())
				}
				res[k] = runConv(t, c, x)
				if got := colPadOK[float32](c.g, plainCols[float32]{c}, c.cache); got == off {
					t.Fatalf("%+v on %v: padded route %v with noColPad %v", cfg, hw, got, off)
				}
				if c.g.ck()%8 == 0 {
					t.Fatalf("%+v: ck %d is a multiple of 8", cfg, c.g.ck())
				}
			}
			for k, name := range []string{"y", "dx", "dW", "db"} {
				for i := range res[0][k] {
					if a, b := res[1][k][i], res[0][k][i]; math.Float64bits(a) != math.Float64bits(b) {
						t.Fatalf("%+v on %v: %s[%d] = %v padded, %v not", cfg, hw, name, i, a, b)
					}
				}
			}
		}
	}
}

// TestTapRowsSameBits runs convolutions whose rows are whole kernel
// strips (W a multiple of 16, at least 32) on the tap-sum route, with the
// output and the input gradient written straight into y and dx
// (tapSumRows) and through the stacked buffers and their copies, and on
// the column route, with the output straight into y (colRowsOK) and
// through its buffer: every output and gradient the same bits, on one
// worker and on three.
func TestTapRowsSameBits(t *testing.T) {
	if !haveSgemmKernels() {
		t.Skip("no assembly GEMM kernels")
	}
	defer func() { noTapRows = false }()
	cfgs := []Conv2DConfig{
		{In: 16, Out: 8, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true},
		{In: 5, Out: 12, Kernel: [2]int{3, 3}, Padding: [2]int{2, 2}, Dilation: [2]int{2, 2}},
		{In: 3, Out: 9, Kernel: [2]int{5, 3}, Padding: [2]int{2, 1}, NoBias: true},
	}
	for _, cfg := range cfgs {
		for _, hw := range [][2]int{{32, 32}, {3, 48}, {5, 64}} {
			for _, route := range []string{"taps", "columns"} {
				for _, workers := range []int{1, 3} {
					old := setWorkers(workers)
					var res [2][4][]float64
					for k, off := range []bool{true, false} {
						noTapRows = off
						rng := rand.New(rand.NewPCG(uint64(hw[0]), uint64(cfg.Out)))
						c, err := NewConv2D[float32]("c", cfg, rng)
						if err != nil {
							t.Fatal(err)
						}
						c.forceTaps, c.noTaps, c.noWino = route == "taps", route == "columns", true
						x := New[float32](3, cfg.In, hw[0], hw[1])
						for i := range x.data {
							x.data[i] = float32(rng.NormFloat64())
						}
						res[k] = runConv(t, c, x)
						rows := tapRowsOK(c.g)
						if route == "columns" {
							rows = colRowsOK[float32](c.g, plainCols[float32]{c})
						}
						if c.tapsOK() != (route == "taps") || rows == off {
							t.Fatalf("%+v on %v (%s): taps %v, rows %v", cfg, hw, route, c.tapsOK(), rows)
						}
					}
					setWorkers(old)
					for k, name := range []string{"y", "dx", "dW", "db"} {
						for i := range res[0][k] {
							if a, b := res[1][k][i], res[0][k][i]; math.Float64bits(a) != math.Float64bits(b) {
								t.Fatalf("%+v on %v (%s), %d workers: %s[%d] = %v straight, %v through the copy",
									cfg, hw, route, workers, name, i, a, b)
							}
						}
					}
				}
			}
		}
	}
}

// TestStackRowsAsm runs stackRows with the assembly kernel (AVX-512, or
// AVX2 where pw + w ≤ 16) and in Go on odd sizes (runs of 1 to 40
// values, no zeros to 16 zeros: one pass, two, and the Go loops past 32;
// strides not multiples of 16) over buffers of NaN: the same values in
// every position, and untouched positions kept.
func TestStackRowsAsm(t *testing.T) {
	if !stackRowsOK && !stackRowsAVX2 {
		t.Skip("no AVX-512 or AVX2: stackRows runs in Go only")
	}
	defer func() { noStackRows = false }()
	rng := rand.New(rand.NewPCG(5, 6))
	for _, w := range []int{1, 3, 7, 8, 13, 14, 16, 20, 27, 40} {
		for _, pw := range []int{0, 1, 2, 5, 16} {
			for _, s := range []struct{ rows, nb int }{{1, 1}, {7, 8}, {3, 5}, {14, 4}} {
				dr, di := s.nb*(w+pw)+3, w+pw
				sr, si := w+1, (w+1)*s.rows+5
				src := make([]float32, (s.rows-1)*sr+(s.nb-1)*si+w)
				for i := range src {
					src[i] = float32(rng.NormFloat64())
				}
				var res [2][]float32
				for k, off := range []bool{false, true} {
					noStackRows = off
					dst := make([]float32, (s.rows-1)*dr+(s.nb-1)*di+pw+w+9)
					for i := range dst {
						dst[i] = float32(math.NaN())
					}
					stackRows(dst, dr, di, src, sr, si, w, pw, s.rows, s.nb)
					res[k] = dst
				}
				for i := range res[0] {
					if a, b := math.Float32bits(res[0][i]), math.Float32bits(res[1][i]); a != b {
						t.Fatalf("w %d, pw %d, %+v: dst[%d] = %v (assembly), %v (Go)", w, pw, s, i, res[0][i], res[1][i])
					}
				}
				// The Go loops against the definition.
				for y := range s.rows {
					for i := range s.nb {
						at := y*dr + i*di
						for k := range pw {
							if res[1][at+k] != 0 {
								t.Fatalf("w %d, pw %d, %+v: zero %d of run (%d, %d) = %v", w, pw, s, k, y, i, res[1][at+k])
							}
						}
						for k := range w {
							if got, want := res[1][at+pw+k], src[y*sr+i*si+k]; got != want {
								t.Fatalf("w %d, pw %d, %+v: value %d of run (%d, %d) = %v, want %v", w, pw, s, k, y, i, got, want)
							}
						}
					}
				}
			}
		}
	}
}

// TestTapsSideLayout runs the seed's MNIST shapes (32→32, 3×3, 7×7 and
// 14×14, with and without the fused ReLU) and odd ones on the tap-sum
// route with the images side by side, on 1, 2 and 3 workers: the same
// bits on each, and within 1e-5 (max-norm relative) of the float64
// layer. The batch of 16 makes chunks of several images (at 7×7 and at
// 14×14, 8 chunks of 2) and strips that cross the images' rows.
func TestTapsSideLayout(t *testing.T) {
	cfgs := []Conv2DConfig{
		{In: 32, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}},
		{In: 32, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true},
		{In: 16, Out: 12, Kernel: [2]int{5, 3}, Padding: [2]int{2, 1}, NoBias: true},
		{In: 17, Out: 9, Kernel: [2]int{3, 3}, Padding: [2]int{2, 2}, Dilation: [2]int{2, 2}, ReLU: true},
	}
	for _, cfg := range cfgs {
		for _, hw := range [][2]int{{7, 7}, {14, 14}, {8, 8}, {5, 11}} {
			name := fmt.Sprintf("%+v on %v", cfg, hw)
			rng := rand.New(rand.NewPCG(uint64(hw[0]), uint64(hw[1])))
			ref, err := NewConv2D[float64]("ref", cfg, rng)
			if err != nil {
				t.Fatal(err)
			}
			ref.noTaps, ref.noWino = true, true
			x64 := New[float64](16, cfg.In, hw[0], hw[1])
			x := New[float32](16, cfg.In, hw[0], hw[1])
			for i := range x.data {
				x.data[i] = float32(rng.NormFloat64())
				x64.data[i] = float64(x.data[i])
			}
			want := runConv(t, ref, x64)
			var first [4][]float64
			for _, workers := range []int{1, 2, 3} {
				old := setWorkers(workers)
				c, _ := NewConv2D[float32]("c", cfg, nil)
				for i, v := range ref.Weight.Value.data {
					c.Weight.Value.data[i] = float32(v)
				}
				if c.Bias != nil {
					for i, v := range ref.Bias.Value.data {
						c.Bias.Value.data[i] = float32(v)
					}
				}
				c.forceTaps, c.noWino = true, true
				got := runConv(t, c, x)
				setWorkers(old)
				if !c.tapsOK() || !c.g.taps(2).side() {
					t.Fatalf("%s: taps %v, side by side %v", name, c.tapsOK(), c.g.taps(2).side())
				}
				for k, what := range []string{"y", "dx", "dW", "db"} {
					if d := maxRelDiff(got[k], want[k]); d > 1e-5 {
						t.Errorf("%s, %d workers: %s differs from float64 by %.3g", name, workers, what, d)
					}
					if workers == 1 {
						first[k] = got[k]
						continue
					}
					for i := range got[k] {
						if math.Float64bits(got[k][i]) != math.Float64bits(first[k][i]) {
							t.Fatalf("%s: %s[%d] = %v on %d workers, %v on 1", name, what, i, got[k][i], workers, first[k][i])
						}
					}
				}
			}
		}
	}
}

// TestTapsSideAsmSameBits runs tap-sum convolutions laid side by side
// with the assembly moves (stackRows512, and stackBias512 for the output
// with its bias and ReLU; without AVX-512 their AVX2 twins stackRowsY and
// stackBiasY) and the taps packed once (tapSumPacked), and
// with the Go loops, biasRows and sgemmSumAB: every output and gradient
// the same bits, at widths of one pass (7, 14), two (16, 27) and the Go
// loops (40), with output channels of whole panels (8), a ragged one
// (12) and too few (5).
func TestTapsSideAsmSameBits(t *testing.T) {
	if !stackRowsOK && !stackRowsAVX2 {
		t.Skip("no AVX-512 or AVX2: the Go loops only")
	}
	defer func() { noStackRows, noTapPack = false, false }()
	cfgs := []Conv2DConfig{
		{In: 16, Out: 12, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true},
		{In: 16, Out: 8, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}},
		{In: 16, Out: 5, Kernel: [2]int{5, 3}, Padding: [2]int{2, 1}, NoBias: true, ReLU: true},
	}
	for _, cfg := range cfgs {
		for _, hw := range [][2]int{{7, 7}, {14, 14}, {6, 16}, {5, 27}, {3, 40}} {
			for _, batch := range []int{5, 24} { // chunks of 1 image, of 3
				sideAsmSameBits(t, cfg, hw, batch)
			}
		}
	}
}

// sideAsmSameBits is one case of TestTapsSideAsmSameBits.
func sideAsmSameBits(t *testing.T, cfg Conv2DConfig, hw [2]int, batch int) {
	t.Helper()
	var res [2][4][]float64
	for k, off := range []bool{true, false} {
		noStackRows, noTapPack = off, off
		rng := rand.New(rand.NewPCG(uint64(hw[1]), uint64(cfg.Out)))
		c, err := NewConv2D[float32]("c", cfg, rng)
		if err != nil {
			t.Fatal(err)
		}
		c.forceTaps, c.noWino = true, true
		x := New[float32](batch, cfg.In, hw[0], hw[1])
		for i := range x.data {
			x.data[i] = float32(rng.NormFloat64())
		}
		res[k] = runConv(t, c, x)
		if !c.g.taps(1).side() {
			t.Fatalf("%+v on %v: not side by side", cfg, hw)
		}
	}
	for k, name := range []string{"y", "dx", "dW", "db"} {
		for i := range res[0][k] {
			if a, b := res[1][k][i], res[0][k][i]; math.Float64bits(a) != math.Float64bits(b) {
				t.Fatalf("%+v on %v, batch %d: %s[%d] = %v with the assembly, %v with the Go loops",
					cfg, hw, batch, name, i, a, b)
			}
		}
	}
}

// TestTapsInnerSameBits runs the tap-sum forward with the images
// innermost (tapsForwardInner) and with them side by side, on 1, 2 and 3
// workers: every output the same bits, at 7×7, 8×8, 4×6 and 3×3 maps,
// batches of whole chunks of 16 images and not (1, 5, 16, 24, 37), with
// and without bias and the fused ReLU, a 5×3 kernel and a dilated one,
// each after a first call on NaN (the buffers dirty). It asserts that
// the inner layout ran wherever it should (not where the ReLU's mask is
// recorded: 8×8 with the ReLU).
func TestTapsInnerSameBits(t *testing.T) {
	if !sumABTapsYOK() || !vecOK {
		t.Skip("no AVX2 GEMM kernels here: the batch-innermost forward does not run")
	}
	defer func() { noTapsInner = false }()
	ran := 0
	b2i := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	cfgs := []Conv2DConfig{
		{In: 32, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}},
		{In: 32, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true},
		{In: 16, Out: 12, Kernel: [2]int{5, 3}, Padding: [2]int{2, 1}, NoBias: true},
		{In: 17, Out: 9, Kernel: [2]int{3, 3}, Padding: [2]int{2, 2}, Dilation: [2]int{2, 2}, ReLU: true},
	}
	for _, cfg := range cfgs {
		for _, hw := range [][2]int{{7, 7}, {8, 8}, {4, 6}, {3, 3}} {
			for _, batch := range []int{1, 5, 16, 24, 37} {
				for _, workers := range []int{1, 2, 3} {
					var res [2][]float32
					for k, off := range []bool{true, false} {
						noTapsInner = off
						old := setWorkers(workers)
						rng := rand.New(rand.NewPCG(uint64(hw[0]*100+batch), uint64(cfg.Out)))
						c, err := NewConv2D[float32]("c", cfg, rng)
						if err != nil {
							t.Fatal(err)
						}
						c.forceTaps, c.noWino = true, true
						x := New[float32](batch, cfg.In, hw[0], hw[1])
						for i := range x.data {
							x.data[i] = float32(rng.NormFloat64())
						}
						if c.Bias != nil {
							for i := range c.Bias.Value.data {
								c.Bias.Value.data[i] = float32(rng.NormFloat64())
							}
						}
						// A first call on NaN dirties the buffers.
						nan := New[float32](batch, cfg.In, hw[0], hw[1])
						for i := range nan.data {
							nan.data[i] = float32(math.NaN())
						}
						if _, err := c.Forward(nan, true); err != nil {
							t.Fatal(err)
						}
						y, err := c.Forward(x, true)
						setWorkers(old)
						if err != nil {
							t.Fatal(err)
						}
						// A recorded ReLU mask (rows of 8) keeps the side-by-side layout.
						want := !off && c.mask == nil
						if inner := c.tapsOK() && c.tapsInnerOK(); inner != want {
							t.Fatalf("%+v on %v: the inner layout ran %v, want %v", cfg, hw, inner, want)
						}
						ran += b2i(want)
						res[k] = y.data
					}
					for i := range res[0] {
						if a, b := math.Float32bits(res[0][i]), math.Float32bits(res[1][i]); a != b {
							t.Fatalf("%+v on %v, batch %d, %d workers: y[%d] = %v inner, %v side by side",
								cfg, hw, batch, workers, i, res[1][i], res[0][i])
						}
					}
				}
			}
		}
	}
	if ran < 200 {
		t.Fatalf("the inner layout ran in %d cases of 240", ran)
	}
}

// TestTapsWideChannelsSmallMaps runs the forward of layers with more input
// channels than one block of the GEMM kernels' inner dimension on 7×7
// maps (ResNet-50's last stage: 1×1 512→2048 and 2048→512; a 3×3 of 300
// channels): no panic (the batch-innermost layout, which takes one block,
// must leave them to the side-by-side route; a review found them
// panicking), and the column-matrix route's values to float32's rounding.
func TestTapsWideChannelsSmallMaps(t *testing.T) {
	for _, cfg := range []Conv2DConfig{
		{In: 512, Out: 2048, Kernel: [2]int{1, 1}},
		{In: 2048, Out: 512, Kernel: [2]int{1, 1}},
		{In: 300, Out: 8, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true},
	} {
		t.Run(fmt.Sprintf("%d-%d-%dx%d", cfg.In, cfg.Out, cfg.Kernel[0], cfg.Kernel[1]), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			x := New[float32](2, cfg.In, 7, 7)
			fillNorm(rng, 1, x)
			run := func(taps bool) []float32 {
				c, err := NewConv2D[float32]("c", cfg, rand.New(rand.NewPCG(3, 4)))
				if err != nil {
					t.Fatal(err)
				}
				c.noTaps, c.noWino = !taps, true
				y, err := c.Forward(x, false)
				if err != nil {
					t.Fatal(err)
				}
				return y.data
			}
			got, want := run(true), run(false)
			for i := range want {
				if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
					t.Fatalf("y[%d] = %v, %v through the column matrix", i, got[i], want[i])
				}
			}
		})
	}
}
