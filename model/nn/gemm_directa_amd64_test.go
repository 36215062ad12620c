package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestSgemmDirectASameBits runs sgemmWith with the full row panels of A
// read in place (directA: sgemmKernel8x32S and 8x16S untransposed, 8x32T
// and 8x16T transposed with AVX-512; 6x16S, 6x8S, 6x16T and 6x8T with
// AVX2) and packed, for the kernel set this CPU runs, on sizes around the tiles (ragged last
// row and column panels, widths not multiples of 16 or 32), depths over
// one kc block, more rows than one mc block, padded row strides and all
// four transposition cases: C must have the same bits, its window's edges
// untouched. NaN beside the operands checks that nothing outside them is
// read.
func TestSgemmDirectASameBits(t *testing.T) {
	kn := sgemmKern
	if kn == nil || kn.fs[0] == nil {
		t.Skip("no kernels reading A in place on this CPU")
	}
	t.Logf("kernels %s", kn.name)
	saved := sgemmDirectACols
	defer func() { sgemmDirectACols = saved }()
	ms := []int{6, 7, 8, 9, 10, 12, 13, 16, 17, 18, 31, 64, 100, 136, 145, 150, 257}
	ns := []int{1, 5, 8, 9, 16, 17, 24, 31, 32, 33, 48, 100, 256}
	ks := []int{1, 2, 3, 4, 5, 7, 8, 32, 129, 255, 256, 257, 300}
	if testing.Short() || raceEnabled {
		ms, ns, ks = []int{8, 13, 136}, []int{5, 32, 33}, []int{3, 300}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, m := range ms {
		for _, n := range ns {
			for _, k := range ks {
				for tr := range 4 {
					transA, transB := tr&1 != 0, tr&2 != 0
					for _, beta := range []float32{0, 0.5} {
						pad := (m + n + k) % 3 * 3
						name := fmt.Sprintf("%dx%dx%d/transA=%v/transB=%v/beta=%g/pad=%d", m, n, k, transA, transB, beta, pad)
						if msg := directAOnce(kn, m, n, k, transA, transB, beta, pad, rng); msg != "" {
							t.Fatalf("%s: %s", name, msg)
						}
					}
				}
			}
		}
	}
}

// directAOnce multiplies random operands with directA off and on and
// describes the first difference, or returns "".
func directAOnce(kn *sgemmKernel, m, n, k int, transA, transB bool, beta float32, pad int, rng *rand.Rand) string {
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	lda := ac + pad
	a := nanSlice(ar*lda + pad)
	for i := range ar {
		for p := range ac {
			a[i*lda+p] = float32(rng.NormFloat64())
		}
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	ldb := bc + pad
	b := nanSlice(br * ldb)
	for i := range br {
		for j := range bc {
			b[i*ldb+j] = float32(rng.NormFloat64())
		}
	}
	ldc := n + pad
	c0 := make([]float32, m*ldc+2)
	for i := range c0 {
		c0[i] = float32(rng.NormFloat64())
	}
	var out [2][]float32
	for d, cols := range []int{-1, math.MaxInt} {
		sgemmDirectACols = cols
		out[d] = append([]float32(nil), c0...)
		sgemmWith(kn, transA, transB, m, n, k, -0.75, a, lda, b, ldb, beta, out[d], ldc)
	}
	for i := range c0 {
		if math.Float32bits(out[0][i]) != math.Float32bits(out[1][i]) {
			return fmt.Sprintf("C[%d] = %g in place, %g packed", i, out[1][i], out[0][i])
		}
		if i%ldc >= n || i/ldc >= m {
			if out[1][i] != c0[i] {
				return fmt.Sprintf("element %d outside C's window changed", i)
			}
		}
	}
	return ""
}

// BenchmarkSgemmDirectA times sgemmWith with A packed and read in place
// (directA) on the Winograd route's GEMMs at the COCO net's shapes (one
// position ξ of a chunk): the forward's O×tc×C (U·V), the weight
// gradient's O×C×tc (dM·Vᵀ) and the input gradient's C×tc×O (Uᵀ·dM), tc
// tiles of a chunk (256 with F(2×2) and at 64×64 with F(4×4), else 128),
// and a few of gemmBenchShapes.
func BenchmarkSgemmDirectA(b *testing.B) {
	if sgemmKern == nil || sgemmKern.fs[0] == nil {
		b.Skip("no kernels reading A in place on this CPU")
	}
	shapes := []gemmBenchShape{
		{"fwd/32x256x32", false, false, 32, 256, 32},
		{"fwd/64x256x64", false, false, 64, 256, 64},
		{"fwd/128x128x128", false, false, 128, 128, 128},
		{"fwd/128x256x128", false, false, 128, 256, 128},
		{"du/32x32x256", false, true, 32, 32, 256},
		{"du/64x64x256", false, true, 64, 64, 256},
		{"du/128x128x128", false, true, 128, 128, 128},
		{"du/128x128x256", false, true, 128, 128, 256},
		{"dv/32x256x32", true, false, 32, 256, 32},
		{"dv/64x256x64", true, false, 64, 256, 64},
		{"dv/128x128x128", true, false, 128, 128, 128},
		{"dv/128x256x128", true, false, 128, 256, 128},
		{"fwd/32x245x288", false, false, 32, 245, 288},
		{"dx/288x245x32", true, false, 288, 245, 32},
		{"fwd/64x256x576", false, false, 64, 256, 576},
		{"dw/64x576x256", false, true, 64, 576, 256},
		// Past sgemmDirectACols: the column route's weight gradient
		// (dY·colsᵀ, untransposed A) and input gradient (Wᵀ·dY).
		{"dw/32x288x1024", false, true, 32, 288, 1024},
		{"dw/64x576x1024", false, false, 64, 576, 1024},
		{"dw/128x1152x256", false, false, 128, 1152, 256},
		{"fwd/32x1024x288", false, false, 32, 1024, 288},
		{"dx/288x1024x32", true, false, 288, 1024, 32},
		{"dx/576x1024x64", true, false, 576, 1024, 64},
	}
	saved := sgemmDirectACols
	defer func() { sgemmDirectACols = saved }()
	for _, s := range shapes {
		for _, mode := range []string{"packed", "inplace"} {
			b.Run(s.name+"/"+mode, func(b *testing.B) {
				sgemmDirectACols = -1
				if mode == "inplace" {
					sgemmDirectACols = math.MaxInt
				}
				benchGemmShape(b, s, gemm[float32])
			})
		}
	}
}

// BenchmarkWinoDirectA compares, in one binary and in alternation, a
// training step (fwd+bwd, batch 32, F(4×4), CPU time) at the COCO net's
// Winograd shapes with the GEMMs' A packed in each GEMM (main's code before
// session 7), read in place (directA; the default with either kernel set
// since session 10), and with the AVX2 kernels that pack every A
// (sgemmAVX2Packing, the AVX2 set before session 10), packing U and Uᵀ in
// each GEMM ("avx2") and once for all the chunks ("avx2once", winoPackU).
// With AVX2 and no AVX-512, "packed" and "inplace" run the AVX2 kernels.
func BenchmarkWinoDirectA(b *testing.B) {
	if sgemmKern == nil || sgemmKern.fs[0] == nil {
		b.Skip("no kernels reading A in place on this CPU")
	}
	saved, kern := sgemmDirectACols, sgemmKern
	defer func() { sgemmDirectACols, winoNoPackU, sgemmKern = saved, false, kern }()
	for _, s := range []struct {
		name        string
		in, out, hw int
	}{
		{"conv2", 32, 32, 64}, {"conv3", 32, 64, 32}, {"conv4", 64, 64, 32},
		{"conv5", 64, 128, 16}, {"conv6", 128, 128, 16},
	} {
		for _, mode := range []string{"packed", "inplace", "avx2", "avx2once"} {
			b.Run(s.name+"/"+mode, func(b *testing.B) {
				sgemmDirectACols, winoNoPackU, sgemmKern = saved, mode != "avx2once", kern
				if mode == "packed" {
					sgemmDirectACols = -1
				}
				if mode == "avx2" || mode == "avx2once" {
					sgemmKern = sgemmAVX2Packing()
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

// TestSgemmPackedASameBits checks sgemmPackA and sgemmPackedA against
// sgemmWith's C = op(A)·B, A transposed and not, on sizes around the tiles
// (ragged row panels of MR/2 and less, more rows than one mc block,
// column panels of NR, NR/2 and less, k not a multiple of 4 or 8) with
// padded strides: the same bits, C's neighbours untouched, and nothing
// read outside the operands (NaN beside them).
func TestSgemmPackedASameBits(t *testing.T) {
	if sgemmKern == nil {
		t.Skip("no assembly GEMM kernels on this CPU")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, m := range []int{1, 3, 5, 8, 17, 40, 64, 129, 260} {
		for _, n := range []int{1, 5, 16, 17, 33, 100, 300} {
			for _, k := range []int{1, 3, 9, 17, 100, 256} {
				for _, trans := range []bool{false, true} {
					if !sgemmPackAOK(m, n, k) {
						continue
					}
					pad := (m + 2*n + k) % 4
					ar, ac := m, k
					if trans {
						ar, ac = k, m
					}
					lda, ldb, ldc := ac+pad, n+pad, n+pad
					a, b := nanSlice(ar*lda), nanSlice(k*ldb)
					for i := range ar {
						for p := range ac {
							a[i*lda+p] = float32(rng.NormFloat64())
						}
					}
					for p := range k {
						for j := range n {
							b[p*ldb+j] = float32(rng.NormFloat64())
						}
					}
					want := make([]float32, m*ldc+1)
					for i := range want {
						want[i] = gemmSentinel
					}
					got := append([]float32(nil), want...)
					sgemmWith(sgemmKern, trans, false, m, n, k, 1, a, lda, b, ldb, 0, want, ldc)
					pa := nanSlice(sgemmPackedALen(m, k) + 3)
					sgemmPackA(trans, m, k, a, lda, pa)
					sgemmPackedA(m, n, k, pa, b, ldb, got, ldc)
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%dx%dx%d trans=%v: C[%d] = %g packed beforehand, %g by sgemmWith", m, n, k, trans, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// BenchmarkDeformDirectA runs BenchmarkDeformBlockCOCO (the COCO net's
// deformable blocks, fwd+bwd) with the GEMMs' A packed and read in place
// (directA), in alternation: the check that the deformable layers' small
// products do not lose by it.
func BenchmarkDeformDirectA(b *testing.B) {
	if sgemmKern == nil || sgemmKern.fs[0] == nil {
		b.Skip("no kernels reading A in place on this CPU")
	}
	saved := sgemmDirectACols
	defer func() { sgemmDirectACols = saved }()
	for _, mode := range []string{"packed", "inplace"} {
		b.Run("mode="+mode, func(b *testing.B) {
			sgemmDirectACols = saved
			if mode == "packed" {
				sgemmDirectACols = -1
			}
			BenchmarkDeformBlockCOCO(b)
		})
	}
}
