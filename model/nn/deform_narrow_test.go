package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestNarrowBackwardSameBits runs a deformable layer with few input
// channels through backwardNarrow and through convBackward and wants the
// same bits in every gradient: 1 to 3 channels, images whose pixel count
// leaves a partial block of 8 and chunks of several images, with and
// without the column cache and the input gradient, on 1 and 3 workers.
// The bias gradient through maskTranspose (the ReLU fused) sums each
// eighth of the pixels apart: it must agree with the float64 sum of the
// layer's own masked gradient and have the same bits on 3 workers; without
// maskTranspose (noMaskT) it has convBackward's bits too. maskTRan must
// say which route ran, and dwTRan whether the weight gradient was summed
// transposed (with AVX2: narrowDwT).
func TestNarrowBackwardSameBits(t *testing.T) {
	for _, s := range []struct {
		c, o, hw, batch int
		cache, noInput  bool
	}{{3, 32, 9, 5, true, false}, {3, 32, 13, 3, false, true}, {1, 64, 7, 4, true, true}, {2, 32, 20, 2, true, false}} {
		t.Run(fmt.Sprintf("c%d_o%d_%dpx_b%d_cache%v_noinput%v", s.c, s.o, s.hw, s.batch, s.cache, s.noInput), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(s.hw), 31))
			cfg := Conv2DConfig{In: s.c, Out: s.o, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}
			x := New[float32](s.batch, s.c, s.hw, s.hw)
			off := New[float32](s.batch, 18, s.hw, s.hw)
			mask := New[float32](s.batch, 9, s.hw, s.hw)
			dy := New[float32](s.batch, s.o, s.hw, s.hw)
			fillNorm(rng, 1.5, x, off, mask, dy)
			var y *Tensor[float32]
			run := func(narrow, maskT bool) [][]float32 {
				d, err := NewDeformConv2D[float32]("dcn", cfg, 1, rand.New(rand.NewPCG(3, 4)))
				if err != nil {
					t.Fatal(err)
				}
				d.noNarrow, d.NoColumnCache, d.NoInputGrad = !narrow, !s.cache, s.noInput
				d.noMaskT = !maskT
				if y, err = d.Forward(x, off, mask); err != nil {
					t.Fatal(err)
				}
				if got := d.narrowOK(); got != (narrow && narrowHere()) {
					t.Fatalf("narrowOK = %v", got)
				}
				d.maskTRan = false
				dx, doff, dmask, err := d.Backward(dy)
				if err != nil {
					t.Fatal(err)
				}
				if want := narrow && maskT && narrowHere(); d.maskTRan != want {
					t.Fatalf("maskTranspose taken: %v, want %v", d.maskTRan, want)
				}
				if want := narrow && narrowHere() && narrowDwT(); d.dwTRan != want {
					t.Fatalf("dWᵀ taken: %v, want %v", d.dwTRan, want)
				}
				out := [][]float32{doff.data, dmask.data, d.Weight.Grad.data, d.Bias.Grad.data}
				if dx != nil {
					out = append(out, dx.data)
				}
				return out
			}
			want := run(false, false)
			unfused := run(true, false)
			got := run(true, true)
			old := setWorkers(3)
			other := run(true, true)
			setWorkers(old)
			names := []string{"doffset", "dmask", "dweight", "dbias", "dx"}
			for k := range want {
				for i := range want[k] {
					if math.Float32bits(unfused[k][i]) != math.Float32bits(want[k][i]) {
						t.Fatalf("%s[%d] = %v through backwardNarrow without maskTranspose, %v through convBackward",
							names[k], i, unfused[k][i], want[k][i])
					}
					if k == 3 && narrowHere() {
						continue // below: the bias gradient's sums changed order
					}
					if math.Float32bits(got[k][i]) != math.Float32bits(want[k][i]) {
						t.Fatalf("%s[%d] = %v through backwardNarrow, %v through convBackward", names[k], i, got[k][i], want[k][i])
					}
					if math.Float32bits(other[k][i]) != math.Float32bits(want[k][i]) {
						t.Fatalf("%s[%d] = %v through backwardNarrow on 3 workers, %v through convBackward", names[k], i, other[k][i], want[k][i])
					}
				}
			}
			for i := range got[3] {
				if math.Float32bits(other[3][i]) != math.Float32bits(got[3][i]) {
					t.Fatalf("dbias[%d] = %v on 3 workers, %v on %d", i, other[3][i], got[3][i], old)
				}
			}
			// The float64 layer's ReLU mask could flip where y is near 0:
			// the reference is the float32 layer's own mask.
			db64 := maskedBias64(dy.data, y.data, s.o, s.hw*s.hw)
			near64(t, "dbias", got[3], db64, 2e-6)
			near64(t, "dbias (convBackward)", want[3], db64, 2e-6)
		})
	}
}

// narrowHere reports whether backwardNarrow runs for narrow layers here:
// where pixGemm's kernels run, AVX-512's (dcnGemm8x32) or AVX2's
// (dcnGemm6x32AVX2).
func narrowHere() bool { return pixGemmOK() || pixAVX2OK() }

// maskedBias64 is the bias gradient of a layer with a fused ReLU in
// float64: for each of o channels, the sum over the images and p pixels
// of dy where the layer's own output y is positive.
func maskedBias64(dy, y []float32, o, p int) []float64 {
	db := make([]float64, o)
	for i, v := range dy {
		if y[i] > 0 {
			db[i/p%o] += float64(v)
		}
	}
	return db
}

// near64 wants got within tol of ref's largest magnitude of ref and
// returns the largest error in that unit.
func near64(t *testing.T, what string, got []float32, ref []float64, tol float64) float64 {
	t.Helper()
	scale, worst := 0.0, 0.0
	for _, v := range ref {
		scale = max(scale, math.Abs(v))
	}
	for i, v := range ref {
		e := math.Abs(float64(got[i])-v) / scale
		if e > tol {
			t.Fatalf("%s[%d] = %v, float64 gives %v (scale %v, error %.3g of it, above %.3g)", what, i, got[i], v,
				scale, e, tol)
		}
		worst = max(worst, e)
	}
	return worst
}

// TestNarrowBiasGradPrecision holds the bias gradient through
// maskTranspose at dcnn-first's conv1 shape (3→32 at 64×64, 4,096 pixels
// an image, one chunk of images) to the float64 sum of the layer's own
// masked gradient within 2.5·10⁻⁷ of its scale, on output gradients with
// a mean (as a loss's often have: the partial sums grow with the pixels
// summed, where zero-mean ones cancel and the scale, not the sums,
// decides). Two accumulators a channel (even and odd pixels, 2,048 adds
// an image each) gave 2.6 to 5.2·10⁻⁷ on these inputs (every case
// failed); eight (512 adds each) and a tree give at most 1.7·10⁻⁷.
func TestNarrowBiasGradPrecision(t *testing.T) {
	if !narrowHere() {
		t.Skip("no AVX-512 or AVX2 GEMM kernels here: backwardNarrow does not run")
	}
	for _, s := range []struct {
		batch    int
		mean, sd float64
	}{{2, 1, 1.5}, {2, 3, 0.5}, {4, 1, 0.5}} {
		for seed := range uint64(2) {
			t.Run(fmt.Sprintf("b%d_mean%v_sd%v_seed%d", s.batch, s.mean, s.sd, seed), func(t *testing.T) {
				const hw = 64
				rng := rand.New(rand.NewPCG(seed, 41))
				cfg := Conv2DConfig{In: 3, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}
				x := New[float32](s.batch, 3, hw, hw)
				off := New[float32](s.batch, 18, hw, hw)
				mask := New[float32](s.batch, 9, hw, hw)
				dy := New[float32](s.batch, 32, hw, hw)
				fillNorm(rng, 1.5, x, off, mask)
				fillNorm(rng, s.sd, dy)
				for i := range dy.data {
					dy.data[i] += float32(s.mean)
				}
				d, err := NewDeformConv2D[float32]("dcn", cfg, 1, rand.New(rand.NewPCG(3, 4)))
				if err != nil {
					t.Fatal(err)
				}
				d.NoInputGrad = true
				y, err := d.Forward(x, off, mask)
				if err != nil {
					t.Fatal(err)
				}
				d.maskTRan = false
				if _, _, _, err := d.Backward(dy); err != nil {
					t.Fatal(err)
				}
				if !d.maskTRan {
					t.Fatal("backwardNarrow did not take maskTranspose")
				}
				e := near64(t, "dbias", d.Bias.Grad.data, maskedBias64(dy.data, y.data, 32, hw*hw), 2.5e-7)
				t.Logf("largest error %.3g of the scale", e)
			})
		}
	}
}

// TestSmallBackward runs a deformable layer of small images (7×7 and 8×8,
// 32 or 64 channels: smallOK) through backwardNarrow and through
// convBackward: the input, offset and mask gradients must have the same
// bits (the same column gradient), and the weight and bias gradients,
// whose per-chunk sums cover other images, must agree with a float64
// layer's to float32's precision; the same bits again on 3 workers. With
// and without the column cache, the ReLU, batches of 1 to 8 chunks; the
// column counts a multiple of 32 and not.
func TestSmallBackward(t *testing.T) {
	if !pixGemmOK() {
		t.Skip("no AVX-512 GEMM kernels here: backwardNarrow does not run")
	}
	for _, s := range []struct {
		c, o, hw, batch int
		cache, relu     bool
	}{{32, 32, 7, 64, true, false}, {32, 32, 7, 19, false, true}, {64, 32, 8, 9, true, true}, {32, 64, 7, 3, true, false},
		{40, 32, 7, 5, true, false}} {
		t.Run(fmt.Sprintf("c%d_o%d_%dpx_b%d_cache%v_relu%v", s.c, s.o, s.hw, s.batch, s.cache, s.relu), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(s.hw*s.batch), 32))
			cfg := Conv2DConfig{In: s.c, Out: s.o, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: s.relu}
			x := New[float32](s.batch, s.c, s.hw, s.hw)
			off := New[float32](s.batch, 18, s.hw, s.hw)
			mask := New[float32](s.batch, 9, s.hw, s.hw)
			dy := New[float32](s.batch, s.o, s.hw, s.hw)
			fillNorm(rng, 1.5, x, off, mask, dy)
			run := func(small bool) [][]float32 {
				d, err := NewDeformConv2D[float32]("dcn", cfg, 1, rand.New(rand.NewPCG(3, 4)))
				if err != nil {
					t.Fatal(err)
				}
				d.noSmall, d.NoColumnCache = !small, !s.cache
				y, err := d.Forward(x, off, mask)
				if err != nil {
					t.Fatal(err)
				}
				if got := d.smallOK(); got != small {
					t.Fatalf("smallOK = %v", got)
				}
				dx, doff, dmask, err := d.Backward(dy)
				if err != nil {
					t.Fatal(err)
				}
				return [][]float32{y.data, dx.data, doff.data, dmask.data, d.Weight.Grad.data, d.Bias.Grad.data}
			}
			want, got := run(false), run(true)
			old := setWorkers(3)
			other := run(true)
			setWorkers(old)
			names := []string{"y", "dx", "doffset", "dmask", "dweight", "dbias"}
			for k := range want {
				for i := range want[k] {
					if math.Float32bits(other[k][i]) != math.Float32bits(got[k][i]) {
						t.Fatalf("%s[%d] = %v on 3 workers, %v on %d", names[k], i, other[k][i], got[k][i], old)
					}
					if k < 4 && math.Float32bits(got[k][i]) != math.Float32bits(want[k][i]) {
						t.Fatalf("%s[%d] = %v through backwardNarrow, %v through convBackward", names[k], i, got[k][i], want[k][i])
					}
				}
			}
			// The weight and bias gradients against float64's.
			d64, err := NewDeformConv2D[float64]("dcn", cfg, 1, rand.New(rand.NewPCG(3, 4)))
			if err != nil {
				t.Fatal(err)
			}
			wide := func(a *Tensor[float32]) *Tensor[float64] {
				b := New[float64](a.Shape()...)
				for i, v := range a.data {
					b.data[i] = float64(v)
				}
				return b
			}
			d32, _ := NewDeformConv2D[float32]("dcn", cfg, 1, rand.New(rand.NewPCG(3, 4)))
			for i, v := range d32.Weight.Value.data {
				d64.Weight.Value.data[i] = float64(v)
			}
			for i, v := range d32.Bias.Value.data {
				d64.Bias.Value.data[i] = float64(v)
			}
			if _, err := d64.Forward(wide(x), wide(off), wide(mask)); err != nil {
				t.Fatal(err)
			}
			if _, _, _, err := d64.Backward(wide(dy)); err != nil {
				t.Fatal(err)
			}
			for k, ref := range [][]float64{d64.Weight.Grad.data, d64.Bias.Grad.data} {
				scale := 0.0
				for _, v := range ref {
					scale = max(scale, math.Abs(v))
				}
				for i, v := range ref {
					for _, g := range []float32{got[4+k][i], want[4+k][i]} {
						if math.Abs(float64(g)-v) > 2e-6*scale {
							t.Fatalf("%s[%d] = %v, float64 gives %v (scale %v)", names[4+k], i, g, v, scale)
						}
					}
				}
			}
		})
	}
}

// TestNarrowBackwardShapes runs deformable layers of few input channels
// (1 to 3; 1×1, 2×2, 3×3 and 5×5 kernels; 1 to 3 offset groups; 2 to 64
// output channels, down to products the GEMM multiplies with its plain
// loop) through backwardNarrow and through convBackward, with and without
// the ReLU and the column cache, on 1, 2 and 3 workers: the same bits in
// every gradient (noMaskT: the bias gradient summed as convBackward sums
// it). A review found the tiny products' one-ulp difference this way.
func TestNarrowBackwardShapes(t *testing.T) {
	narrowRan := false
	for _, s := range []struct{ c, o, k, groups, hw, batch int }{
		{1, 32, 1, 1, 9, 3}, {2, 32, 1, 1, 7, 2}, {3, 16, 2, 1, 9, 2}, {1, 8, 3, 1, 11, 2}, {2, 32, 3, 2, 9, 3},
		{3, 32, 3, 3, 13, 2}, {1, 2, 3, 1, 1, 1}, {1, 2, 3, 1, 2, 1}, {1, 3, 1, 1, 2, 1}, {1, 5, 2, 1, 3, 1},
		{3, 40, 3, 1, 10, 2}, {2, 64, 2, 2, 8, 3}, {1, 32, 5, 1, 9, 2}, {3, 33, 3, 1, 6, 1},
	} {
		for _, relu := range []bool{true, false} {
			for _, cache := range []bool{true, false} {
				name := fmt.Sprintf("c%d_o%d_k%d_g%d_hw%d_b%d_relu%v_cache%v", s.c, s.o, s.k, s.groups, s.hw, s.batch, relu, cache)
				t.Run(name, func(t *testing.T) {
					rng := rand.New(rand.NewPCG(uint64(s.hw), 9))
					pad := s.k / 2
					cfg := Conv2DConfig{In: s.c, Out: s.o, Kernel: [2]int{s.k, s.k}, Padding: [2]int{pad, pad}, ReLU: relu}
					gk := s.groups * s.k * s.k
					x := New[float32](s.batch, s.c, s.hw, s.hw)
					ho := s.hw + 2*pad - s.k + 1
					off := New[float32](s.batch, 2*gk, ho, ho)
					mask := New[float32](s.batch, gk, ho, ho)
					dy := New[float32](s.batch, s.o, ho, ho)
					fillNorm(rng, 1.5, x, off, mask, dy)
					run := func(narrow bool, workers int) ([][]float32, bool, bool) {
						old := setWorkers(workers)
						defer setWorkers(old)
						d, err := NewDeformConv2D[float32]("dcn", cfg, s.groups, rand.New(rand.NewPCG(3, 4)))
						if err != nil {
							t.Fatal(err)
						}
						d.noNarrow, d.NoColumnCache = !narrow, !cache
						d.noMaskT = true
						if _, err = d.Forward(x, off, mask); err != nil {
							t.Fatal(err)
						}
						d.dwTRan = false
						dx, doff, dmask, err := d.Backward(dy)
						if err != nil {
							t.Fatal(err)
						}
						return [][]float32{doff.data, dmask.data, d.Weight.Grad.data, d.Bias.Grad.data, dx.data}, d.narrowOK(), d.dwTRan
					}
					want, _, _ := run(false, 1)
					for _, w := range []int{1, 2, 3} {
						got, ok, dwt := run(true, w)
						if ok {
							narrowRan = true
						}
						if w == 1 {
							t.Logf("narrowOK %v dwT %v", ok, dwt)
						}
						for k := range want {
							for i := range want[k] {
								if math.Float32bits(got[k][i]) != math.Float32bits(want[k][i]) {
									t.Fatalf("workers %d: out %d [%d] = %v want %v", w, k, i, got[k][i], want[k][i])
								}
							}
						}
					}
				})
			}
		}
	}
	if narrowHere() && !narrowRan {
		t.Fatal("backwardNarrow never ran here, where its kernels do")
	}
}
