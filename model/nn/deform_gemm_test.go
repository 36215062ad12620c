package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestPixGemmMatchesGemm multiplies pixel-major column matrices by a weight
// through pixGemm and through the GEMM (gemm(false, true, …), as the
// deformable layer's forward did) and wants the same bits: inner
// dimensions of one block and of two and three (the GEMM's kc), pixel
// counts with and without a partial block of 8, 32 to 128 output
// channels, values of every size (so that a sum in another order or
// another blocking would differ).
func TestPixGemmMatchesGemm(t *testing.T) {
	if !pixGemmOK() && !pixAVX2OK() {
		t.Skip("no AVX-512 or AVX2 GEMM kernels here: pixGemm does not run")
	}
	t.Logf("pixGemm's kernel here: %d rows (AVX-512 %v, AVX2 %v)", pixRows(), pixGemmOK(), pixAVX2OK())
	cases := []struct{ o, n, ck int }{
		{32, 64, 27}, {32, 61, 27}, {32, 8, 9}, {32, 5, 288}, {32, 245, 288}, {64, 100, 288},
		{64, 256, 576}, {32, 19, 600}, {128, 33, 257}, {96, 16, 1}, {32, 256, 800},
	}
	for n := 1; n <= 70; n++ { // every tail of the 6- and 8-row kernels
		cases = append(cases, struct{ o, n, ck int }{32, n, 9 + n%5}, struct{ o, n, ck int }{64, n, 288})
	}
	for _, s := range cases {
		t.Run(fmt.Sprintf("o%d_n%d_ck%d", s.o, s.n, s.ck), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(s.n), uint64(s.ck)))
			w := make([]float32, s.o*s.ck)
			col := make([]float32, s.n*s.ck)
			for _, v := range [][]float32{w, col} {
				for i := range v {
					v[i] = float32(rng.NormFloat64() * math.Exp(rng.NormFloat64()*3))
				}
			}
			want := make([]float32, s.o*s.n)
			gemm(false, true, s.o, s.n, s.ck, 1, w, s.ck, col, s.ck, 0, want, s.n)
			wp := make([]float32, len(w))
			packPixWeight(wp, w, s.o, s.ck)
			got := make([]float32, s.n*s.o)
			for i := range got {
				got[i] = float32(math.NaN()) // every value must be written
			}
			pixGemm(s.o, s.n, s.ck, wp, col, got, make([]float32, pixGemmScratch(s.ck)))
			for p := range s.n {
				for o := range s.o {
					g, w := got[p*s.o+o], want[o*s.n+p]
					if math.Float32bits(g) != math.Float32bits(w) {
						t.Fatalf("out[pixel %d][channel %d] = %v, the GEMM gives %v", p, o, g, w)
					}
				}
			}
		})
	}
}

// TestPixGemmFits: the route runs for float32 with output channels in
// blocks of 32 (where the CPU has the kernel), never for float64.
func TestPixGemmFits(t *testing.T) {
	for _, c := range []struct {
		o    int
		want bool
	}{{32, true}, {64, true}, {16, false}, {27, false}, {0, false}} {
		if got := pixGemmFits[float32](c.o); got != (c.want && (pixGemmOK() || pixAVX2OK())) {
			t.Errorf("pixGemmFits[float32](%d) = %v", c.o, got)
		}
	}
	if pixGemmFits[float64](32) {
		t.Error("pixGemmFits[float64](32) = true")
	}
}

// TestGather512MatchesAVX2 samples with the AVX-512 gather and the AVX2 one
// and wants the same bits: runs of 16 to 96 channels inside wider pixels,
// entries sharing corners, weights of every size.
func TestGather512MatchesAVX2(t *testing.T) {
	if !vecOK || !pixGemmOK() {
		t.Skip("no AVX-512 here: the AVX2 gather runs alone")
	}
	rng := rand.New(rand.NewPCG(21, 22))
	for _, n := range []int{16, 32, 48, 64, 96} {
		for _, pix := range []int{n, n + 16, 2 * n} {
			wp, hp := 9, 7
			row := wp * pix
			img := make([]float32, hp*wp*pix)
			for i := range img {
				img[i] = float32(rng.NormFloat64() * math.Exp(rng.NormFloat64()*3))
			}
			for _, count := range []int{37, 1, 2, 6} { // n = 32 goes in pairs: odd and even counts
				base := make([]int32, count)
				for i := range base {
					base[i] = int32(rng.IntN((hp-1)*wp - 1))
				}
				if count > 5 {
					base[5] = base[4]
				}
				wts := make([]float32, 4*count)
				for i := range wts {
					wts[i] = float32(rng.NormFloat64())
				}
				got := make([]float32, count*n+1)
				got[count*n] = 7 // past the end: untouched
				if !gather512(got, img, pix, row, base, wts, n) {
					t.Fatalf("n %d: gather512 did not run", n)
				}
				want := make([]float32, count*n)
				dcnGatherAVX(&want[0], &img[0], pix, row, &base[0], &wts[0], count, n)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("n %d, pix %d, %d entries: dst[%d] = %v, AVX2 gives %v", n, pix, count, i, got[i], want[i])
					}
				}
				if got[count*n] != 7 {
					t.Fatalf("n %d: wrote past the end", n)
				}
			}
		}
	}
	if gather512(make([]float32, 8), make([]float32, 64), 8, 32, []int32{0}, make([]float32, 4), 8) {
		t.Error("gather512 ran for runs of 8 channels")
	}
}

// TestScatter512MatchesAVX2 runs the sampling's gradient through the
// AVX-512 scatter and the AVX2 one and wants the same bits in the input
// gradient and the corner sums: runs of 16 to 96 channels inside wider
// pixels, entries sharing corners (so the order of the updates shows).
func TestScatter512MatchesAVX2(t *testing.T) {
	if !vecOK || !pixGemmOK() {
		t.Skip("no AVX-512 here: the AVX2 scatter runs alone")
	}
	rng := rand.New(rand.NewPCG(23, 24))
	for _, n := range []int{16, 32, 48, 64, 96} {
		for _, pix := range []int{n, n + 16, 2 * n} {
			wp, hp := 9, 7
			row := wp * pix
			rnd := func(k int) []float32 {
				v := make([]float32, k)
				for i := range v {
					v[i] = float32(rng.NormFloat64() * math.Exp(rng.NormFloat64()*2))
				}
				return v
			}
			img := rnd(hp * wp * pix)
			count := 41
			base := make([]int32, count)
			for i := range base {
				base[i] = int32(rng.IntN((hp-1)*wp - 1))
			}
			base[5], base[9] = base[4], base[8]+1
			wts, g := rnd(4*count), rnd(count*n)
			dimg := rnd(len(img))
			dwant := append([]float32(nil), dimg...)
			s, swant := make([]float32, 4*count), make([]float32, 4*count)
			if !scatter512(dimg, img, pix, row, base, wts, g, s, n) {
				t.Fatalf("n %d: scatter512 did not run", n)
			}
			dcnScatterAVX(&dwant[0], &img[0], pix, row, &base[0], &wts[0], &g[0], &swant[0], count, n)
			for i := range dwant {
				if math.Float32bits(dimg[i]) != math.Float32bits(dwant[i]) {
					t.Fatalf("n %d, pix %d: dimg[%d] = %v, AVX2 gives %v", n, pix, i, dimg[i], dwant[i])
				}
			}
			for i := range swant {
				if math.Float32bits(s[i]) != math.Float32bits(swant[i]) {
					t.Fatalf("n %d, pix %d: s[%d] = %v, AVX2 gives %v", n, pix, i, s[i], swant[i])
				}
			}
		}
	}
}

// TestDots4MatchesScatter4 computes the corner sums with dots4 and with
// dcnScatter4 (which also writes the input gradient) and wants the same
// bits: 1 to 4 channels in pixels of 4, entries sharing corners, odd and
// even counts (dcnDots4AVX takes entries two at a time, an odd last one
// alone), zeros of both signs among the values (sums of −0 products).
func TestDots4MatchesScatter4(t *testing.T) {
	if !vecOK {
		t.Skip("no AVX2 here")
	}
	rng := rand.New(rand.NewPCG(25, 26))
	for _, count := range []int{1, 2, 3, 4, 5, 8, 9, 45, 46} {
		for n := 1; n <= 4; n++ {
			const pix, wp, hp = 4, 9, 7
			img := make([]float32, hp*wp*pix)
			for i := range img {
				if i%pix < n {
					img[i] = float32(rng.NormFloat64() * math.Exp(rng.NormFloat64()*2))
					if i%5 == 0 {
						img[i] = 0
					}
				}
			}
			base := make([]int32, count)
			for i := range base {
				base[i] = int32(rng.IntN((hp-1)*wp - 1))
			}
			if count > 7 {
				base[7] = base[6]
			}
			wts := make([]float32, 4*count)
			g := make([]float32, count*n)
			for _, v := range [][]float32{wts, g} {
				for i := range v {
					v[i] = float32(rng.NormFloat64())
				}
			}
			for i := 0; i < len(g); i += 3 {
				g[i] = float32(math.Copysign(0, float64(rng.IntN(2)-1)))
			}
			// Every fourth entry: products that underflow to −0 (−1e-30
			// times 1e-30), whose sums over 4 channels are −0 (made +0 by
			// the final add of zero).
			for e := 1; e < count; e += 4 {
				for i := range n {
					g[e*n+i] = -1e-30
				}
				for _, q := range []int{0, 1, wp, wp + 1} {
					for i := range n {
						img[(int(base[e])+q)*pix+i] = 1e-30
					}
				}
			}
			s, want := make([]float32, 4*count), make([]float32, 4*count)
			if !dots4(img, pix, wp*pix, base, g, s, n) {
				t.Fatalf("n %d: dots4 did not run", n)
			}
			dcnScatter4(make([]float32, len(img)), img, pix, wp*pix, base, wts, g, want, n)
			for i := range want {
				if math.Float32bits(s[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%d entries, n %d: s[%d] = %v, dcnScatter4 gives %v", count, n, i, s[i], want[i])
				}
			}
		}
	}
}

// TestStorePixMatchesBiasRows writes a layer's output from a pixel-major
// product with storePix and by transposing it and running biasRows (the
// route it replaces), and wants the same bits: with and without the ReLU
// and a bias, pixel counts with and without a partial block of 8 (every
// n from 1 to 70: the last n%8 pixels of a run of at least 8 by an
// overlapping block, of fewer one at a time), NaN, ±Inf and −0 among the
// values; nothing written past the n pixels.
func TestStorePixMatchesBiasRows(t *testing.T) {
	if !pixGemmOK() && !pixAVX2OK() {
		t.Skip("no AVX-512 or AVX2 GEMM kernels here: storePix does not run")
	}
	rng := rand.New(rand.NewPCG(27, 28))
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Copysign(0, -1)), 0}
	type shape struct {
		o, n       int
		relu, bias bool
	}
	shapes := []shape{{32, 64, true, true}, {32, 61, false, true}, {64, 13, true, false}, {32, 5, false, false}, {96, 256, true, true}}
	// Every tail of 8: short runs, and runs past 8 (the overlapping block).
	for n := 1; n <= 70; n++ {
		shapes = append(shapes, shape{32, n, n%2 == 0, n%3 != 0}, shape{64, n, n%2 != 0, n%3 == 0})
	}
	for _, s := range shapes {
		pix := make([]float32, s.n*s.o)
		for i := range pix {
			pix[i] = float32(rng.NormFloat64())
			if rng.IntN(20) == 0 {
				pix[i] = special[rng.IntN(len(special))]
			}
		}
		var bias []float32
		if s.bias {
			bias = make([]float32, s.o)
			for i := range bias {
				bias[i] = float32(rng.NormFloat64())
			}
			bias[0] = float32(math.Copysign(0, -1))
		}
		// 300: 8 pixels of every channel at a time; 1024 (planes 4 KB
		// apart): 8 channels of every pixel.
		for _, ldy := range []int{300, planeAlias} {
			got := make([]float32, s.o*ldy)
			want := make([]float32, s.o*ldy)
			storePix(pix, s.o, s.n, got, ldy, bias, s.relu)
			out := make([]float32, s.o*s.n)
			transposeInto(pix, s.o, out, s.n, s.n, s.o)
			for c := range s.o {
				var b float32
				if bias != nil {
					b = bias[c]
				}
				biasRows(want[c*ldy:][:s.n], s.n, out[c*s.n:][:s.n], s.n, 1, s.n, b, s.relu)
			}
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("o %d, n %d, ldy %d, relu %v: y[%d] = %v, transpose and biasRows give %v",
						s.o, s.n, ldy, s.relu, i, got[i], want[i])
				}
			}
		}
	}
}

// TestForwardChunksAcrossImages runs a deformable layer's Forward on a
// batch whose chunks hold several images (7×7, 9×9 and 5×5 maps: 49, 81
// and 25 pixels, so forwardChunks' blocks of pixels run across the images'
// boundaries and end in partial groups of 8) and on each image alone, and
// wants the same bits: an output does not depend on where its block
// starts. With and without the column cache, a bias or none, the ReLU.
func TestForwardChunksAcrossImages(t *testing.T) {
	if !pixGemmOK() && !pixAVX2OK() {
		t.Skip("no AVX-512 or AVX2 GEMM kernels here: forwardChunks does not run")
	}
	for _, s := range []struct {
		c, o, hw, batch  int
		relu, bias, keep bool
	}{
		{32, 32, 7, 7, false, true, false}, {32, 32, 7, 12, true, true, true}, {32, 32, 7, 64, true, true, true},
		{8, 32, 9, 7, true, false, false}, {16, 64, 5, 13, false, true, true},
	} {
		t.Run(fmt.Sprintf("c%d_o%d_%dpx_b%d_relu%v_bias%v_cache%v", s.c, s.o, s.hw, s.batch, s.relu, s.bias, s.keep), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(s.hw), uint64(s.batch)))
			cfg := Conv2DConfig{In: s.c, Out: s.o, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: s.relu, NoBias: !s.bias}
			d, err := NewDeformConv2D[float32]("dcn", cfg, 1, rand.New(rand.NewPCG(5, 6)))
			if err != nil {
				t.Fatal(err)
			}
			d.NoColumnCache = !s.keep
			if per, _ := forwardChunking(s.batch, s.hw*s.hw); per < 2 {
				t.Fatalf("chunks of %d image: the test needs several", per)
			}
			x := New[float32](s.batch, s.c, s.hw, s.hw)
			off := New[float32](s.batch, 18, s.hw, s.hw)
			mask := New[float32](s.batch, 9, s.hw, s.hw)
			fillNorm(rng, 1.5, x, off, mask)
			y, err := d.Forward(x, off, mask)
			if err != nil {
				t.Fatal(err)
			}
			if d.wPix == nil {
				t.Fatal("forwardChunks did not run")
			}
			all := append([]float32(nil), y.data...)
			one := func(tt *Tensor[float32], b int) *Tensor[float32] {
				sh := tt.Shape()
				n := len(tt.data) / sh[0]
				o := New[float32](1, sh[1], sh[2], sh[3])
				copy(o.data, tt.data[b*n:(b+1)*n])
				return o
			}
			n := len(all) / s.batch
			for b := range s.batch {
				yb, err := d.Forward(one(x, b), one(off, b), one(mask, b))
				if err != nil {
					t.Fatal(err)
				}
				for i, v := range yb.data {
					if math.Float32bits(v) != math.Float32bits(all[b*n+i]) {
						t.Fatalf("image %d, value %d: %v in the batch, %v alone", b, i, all[b*n+i], v)
					}
				}
			}
		})
	}
}
