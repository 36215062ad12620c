package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

type sgemmFunc = func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// gemmCase is one multiply: op(A) m×k, op(B) k×n, C m×n, with pad extra
// elements of row stride on each operand.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	pad            int
}

func (g gemmCase) String() string {
	t := func(b bool) string {
		if b {
			return "T"
		}
		return "N"
	}
	return fmt.Sprintf("%s%s/%dx%dx%d/alpha=%g/beta=%g/pad=%d", t(g.transA), t(g.transB), g.m, g.n, g.k, g.alpha, g.beta, g.pad)
}

// gemmSentinel marks C's elements outside the m×n window (row padding and
// the tail), which gemm must leave alone.
const gemmSentinel = 12345.5

// checkGemm runs f on random operands and compares C with a float64
// reference; it returns a description of the first mismatch, or "".
func checkGemm(f sgemmFunc, g gemmCase, rng *rand.Rand) string {
	ar, ac := g.m, g.k
	if g.transA {
		ar, ac = ac, ar
	}
	br, bc := g.k, g.n
	if g.transB {
		br, bc = bc, br
	}
	lda, ldb, ldc := ac+g.pad, bc+g.pad, g.n+g.pad
	// Operands that are not part of op(A), op(B) hold NaN: reading them
	// would poison the result.
	a := nanSlice(max(0, ar*lda))
	b := nanSlice(max(0, br*ldb))
	var maxA, maxB, maxC float64
	for i := range ar {
		for j := range ac {
			v := float32(rng.NormFloat64())
			a[i*lda+j] = v
			maxA = math.Max(maxA, math.Abs(float64(v)))
		}
	}
	for i := range br {
		for j := range bc {
			v := float32(rng.NormFloat64())
			b[i*ldb+j] = v
			maxB = math.Max(maxB, math.Abs(float64(v)))
		}
	}
	c := make([]float32, g.m*ldc+3)
	for i := range c {
		c[i] = gemmSentinel
	}
	for i := range g.m {
		for j := range g.n {
			if g.beta == 0 {
				c[i*ldc+j] = float32(math.NaN())
				continue
			}
			v := float32(rng.NormFloat64())
			c[i*ldc+j] = v
			maxC = math.Max(maxC, math.Abs(float64(v)))
		}
	}
	c0 := slices.Clone(c)

	f(g.transA, g.transB, g.m, g.n, g.k, g.alpha, a, lda, b, ldb, g.beta, c, ldc)

	// Round-off bound: k products each within a few ulps, plus beta·C.
	tol := 1e-6*(math.Abs(float64(g.alpha))*float64(g.k)*maxA*maxB+math.Abs(float64(g.beta))*maxC) + 1e-30
	for i := range g.m {
		for j := range g.n {
			var s float64
			for p := range g.k {
				var av, bv float32
				if g.transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if g.transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			want := float64(g.alpha) * s
			if g.beta != 0 {
				want += float64(g.beta) * float64(c0[i*ldc+j])
			}
			got := float64(c[i*ldc+j])
			if !(math.Abs(got-want) <= tol) {
				return fmt.Sprintf("C[%d][%d] = %g, want %g (tolerance %g)", i, j, got, want, tol)
			}
		}
	}
	for i, v := range c {
		if row, col := i/ldc, i%ldc; row < g.m && col < g.n {
			continue
		}
		if v != gemmSentinel {
			return fmt.Sprintf("element %d outside C's %d×%d window (ldc %d) changed to %g", i, g.m, g.n, ldc, v)
		}
	}
	return ""
}

func nanSlice(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(math.NaN())
	}
	return s
}

// gemmEdgeSizes straddle every kernel's register tile (MR 6 and 8; NR 16
// and 32, and their halves 8 and 16 for a narrow last panel), the 8-wide
// transposes in packing and the cache blocks (kc 256): 8 and 24 make a
// last panel that fills the AVX2 half kernel exactly, 16 the AVX-512 one.
var gemmEdgeSizes = []int{1, 2, 5, 6, 7, 8, 15, 16, 17, 24, 31, 33, 64, 100, 257}

var gemmAlphas = []float32{1, -0.5}
var gemmBetas = []float32{0, 1, 0.25}

// TestSgemmShapes runs every m, n, k in gemmEdgeSizes with all four
// transposition cases on each float32 path; alpha, beta and the padding of
// the row strides rotate with the case number.
func TestSgemmShapes(t *testing.T) {
	sizes := gemmEdgeSizes
	if testing.Short() || raceEnabled {
		sizes = []int{1, 5, 7, 16, 17, 33, 100}
	}
	for name, f := range sgemmVariants() {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			fails, n := 0, 0
			for _, m := range sizes {
				for _, nn := range sizes {
					for _, k := range sizes {
						for tr := range 4 {
							g := gemmCase{
								transA: tr&1 != 0, transB: tr&2 != 0, m: m, n: nn, k: k,
								alpha: gemmAlphas[n%2], beta: gemmBetas[n/2%3], pad: n % 3 * 2,
							}
							n++
							if msg := checkGemm(f, g, rng); msg != "" {
								t.Errorf("%v: %s", g, msg)
								if fails++; fails > 10 {
									t.Fatal("too many failures")
								}
							}
						}
					}
				}
			}
		})
	}
}

// TestSgemmAlphaBeta crosses every alpha, beta, transposition and stride
// on sizes around the tile edges.
func TestSgemmAlphaBeta(t *testing.T) {
	sizes := []int{1, 7, 17, 33}
	for name, f := range sgemmVariants() {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			for _, m := range sizes {
				for _, n := range sizes {
					for _, k := range []int{1, 17, 300} {
						for tr := range 4 {
							for _, alpha := range gemmAlphas {
								for _, beta := range gemmBetas {
									for _, pad := range []int{0, 5} {
										g := gemmCase{tr&1 != 0, tr&2 != 0, m, n, k, alpha, beta, pad}
										if msg := checkGemm(f, g, rng); msg != "" {
											t.Fatalf("%v: %s", g, msg)
										}
									}
								}
							}
						}
					}
				}
			}
		})
	}
}

// TestSgemmBlocks crosses more than one cache block in every direction
// (nc 4096 columns, mc 128 or 144 rows, kc 256 steps), with ragged ends,
// and takes the packed path for an untransposed B.
func TestSgemmBlocks(t *testing.T) {
	for name, f := range sgemmVariants() {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 8))
			for _, g := range []gemmCase{
				{false, false, 9, 2*4096 + 37, 5, 1, 0.25, 1},
				{true, true, 3, 4096 + 1, 20, -0.5, 0, 0},
				{false, true, 301, 40, 600, 1, 1, 2},
				{true, false, 290, 70, 513, 1, 0, 0},
				// An untransposed B is read in place unless its row stride
				// is a multiple of 4 KiB or C has many rows: pack it here.
				{false, false, 20, 1000, 40, 1, 0, 24},
				{false, false, 601, 48, 30, -0.5, 0.25, 0},
			} {
				if msg := checkGemm(f, g, rng); msg != "" {
					t.Errorf("%v: %s", g, msg)
				}
			}
		})
	}
}

// TestSgemmKernelsAgree checks that the AVX2 and AVX-512 kernels give
// bit-identical results for alpha 1 and beta 0 or 1 (what the layers use):
// every element is the same chain of FMAs over the same kc blocks, so a
// run does not depend on which of the two the machine has.
func TestSgemmKernelsAgree(t *testing.T) {
	v := sgemmVariants()
	f2, ok2 := v["avx2"]
	f5, ok5 := v["avx512"]
	if !ok2 || !ok5 {
		t.Skip("needs both AVX2 and AVX-512")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for _, s := range []struct{ m, n, k int }{{32, 245, 288}, {17, 33, 600}, {100, 9, 784}} {
		for tr := range 4 {
			for _, beta := range []float32{0, 1} {
				ta, tb := tr&1 != 0, tr&2 != 0
				lda, ldb := s.k, s.n
				if ta {
					lda = s.m
				}
				if tb {
					ldb = s.k
				}
				a, b, c := randSlice(rng, s.m*s.k), randSlice(rng, s.k*s.n), randSlice(rng, s.m*s.n)
				c2, c5 := slices.Clone(c), slices.Clone(c)
				f2(ta, tb, s.m, s.n, s.k, 1, a, lda, b, ldb, beta, c2, s.n)
				f5(ta, tb, s.m, s.n, s.k, 1, a, lda, b, ldb, beta, c5, s.n)
				for i := range c2 {
					if math.Float32bits(c2[i]) != math.Float32bits(c5[i]) {
						t.Fatalf("%d×%d×%d trans %v,%v beta %g: C[%d] is %g with AVX2, %g with AVX-512",
							s.m, s.n, s.k, ta, tb, beta, i, c2[i], c5[i])
					}
				}
			}
		}
	}
}

// TestSgemmDegenerate covers k == 0 and alpha == 0, where C = beta·C and A
// and B (here NaN) are never read, and an empty C.
func TestSgemmDegenerate(t *testing.T) {
	for name, f := range sgemmVariants() {
		t.Run(name, func(t *testing.T) {
			for _, beta := range gemmBetas {
				for _, k := range []int{0, 3} {
					alpha := float32(0)
					if k == 0 {
						alpha = 1
					}
					a, b := nanSlice(4*max(k, 1)), nanSlice(max(k, 1)*5)
					c := make([]float32, 20)
					for i := range c {
						c[i] = float32(i)
						if beta == 0 {
							c[i] = float32(math.NaN())
						}
					}
					f(false, false, 4, 5, k, alpha, a, max(k, 1), b, 5, beta, c, 5)
					for i, v := range c {
						if want := beta * float32(i); v != want {
							t.Fatalf("k=%d alpha=%g beta=%g: C[%d] = %g, want %g", k, alpha, beta, i, v, want)
						}
					}
				}
			}
			f(false, false, 0, 5, 3, 1, nil, 3, make([]float32, 15), 5, 0, nil, 5)
			f(false, false, 4, 0, 3, 1, make([]float32, 12), 3, nil, 1, 0, nil, 1)
		})
	}
}

// TestSgemmPanics checks that operands too short for their shape panic
// instead of reaching the assembly kernels.
func TestSgemmPanics(t *testing.T) {
	for _, tc := range []struct {
		name                               string
		m, n, k, la, lda, lb, ldb, lc, ldc int
	}{
		{"short A", 4, 4, 4, 15, 4, 16, 4, 16, 4},
		{"short B", 4, 4, 4, 16, 4, 15, 4, 16, 4},
		{"short C", 4, 4, 4, 16, 4, 16, 4, 15, 4},
		{"small lda", 4, 4, 4, 16, 3, 16, 4, 16, 4},
		{"small ldc", 4, 4, 4, 16, 4, 16, 4, 16, 3},
		{"negative k", 4, 4, -1, 16, 4, 16, 4, 16, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			gemm(false, false, tc.m, tc.n, tc.k, float32(1), make([]float32, tc.la), tc.lda,
				make([]float32, tc.lb), tc.ldb, 0, make([]float32, tc.lc), tc.ldc)
		})
	}
}

// TestSgemmConcurrent runs multiplies of different shapes from several
// goroutines at once: packing buffers must never be shared (run with -race).
func TestSgemmConcurrent(t *testing.T) {
	shapes := []gemmCase{
		{false, false, 33, 100, 17, 1, 0, 1},
		{true, false, 17, 257, 40, 1, 1, 0},
		{false, true, 64, 31, 300, -0.5, 0.25, 3},
		{true, true, 7, 64, 64, 1, 0, 0},
	}
	done := make(chan string)
	for w := range 8 {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(w), 9))
			msg := ""
			for i := range 10 {
				g := shapes[(w+i)%len(shapes)]
				if msg = checkGemm(sgemm, g, rng); msg != "" {
					msg = fmt.Sprintf("%v: %s", g, msg)
					break
				}
			}
			done <- msg
		}()
	}
	for range 8 {
		if msg := <-done; msg != "" {
			t.Error(msg)
		}
	}
}

// TestSgemmNoAllocs checks that steady-state calls reuse their packing
// buffers.
func TestSgemmNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	a, b, c := randSlice(rng, 64*300), randSlice(rng, 300*100), make([]float32, 64*100)
	allocs := testing.AllocsPerRun(20, func() {
		gemm(false, true, 64, 100, 300, 1, a, 300, b, 300, 0, c, 100)
	})
	if allocs != 0 {
		t.Errorf("%g allocations per call, want 0", allocs)
	}
}

// FuzzSgemm compares the default float32 path with the float64 reference
// on small random shapes.
func FuzzSgemm(f *testing.F) {
	f.Add(uint8(6), uint8(16), uint8(3), uint8(0), uint8(0), uint64(1))
	f.Add(uint8(9), uint8(33), uint8(70), uint8(3), uint8(1), uint64(2))
	f.Add(uint8(1), uint8(1), uint8(1), uint8(2), uint8(2), uint64(3))
	f.Fuzz(func(t *testing.T, m, n, k, flags, pad uint8, seed uint64) {
		g := gemmCase{
			transA: flags&1 != 0, transB: flags&2 != 0,
			m: int(m%80) + 1, n: int(n%80) + 1, k: int(k) + 1,
			alpha: gemmAlphas[flags>>2&1], beta: gemmBetas[int(flags>>3)%3], pad: int(pad % 7),
		}
		if msg := checkGemm(sgemm, g, rand.New(rand.NewPCG(seed, 7))); msg != "" {
			t.Fatalf("%v: %s", g, msg)
		}
	})
}

// BenchmarkSgemmVariants runs every float32 path this CPU has (gonum, AVX2,
// AVX-512) on the workload's shapes.
func BenchmarkSgemmVariants(b *testing.B) {
	for name, f := range sgemmVariants() {
		for _, s := range gemmBenchShapes {
			b.Run(name+"/"+s.name, func(b *testing.B) { benchGemmShape(b, s, f) })
		}
	}
}
