package nn

import (
	"math/rand/v2"
	"testing"
)

// gemmRouteShapes are the multiplies that one COCO net training step
// issues (logged from sgemmWith and sgemmSumAB, session 5): the Winograd
// route's transforms (16×n×16 and 4×n×16 against transform matrices, row
// stride a little over n) and its 16 per-point products (O×256×C), and the
// tap-sum route's forward / input-gradient sum over 9 taps (32×4225×32).
var gemmRouteShapes = []struct {
	name           string
	transA, transB bool
	m, n, k, ldb   int
}{
	{"wino-in/16x16384x16", false, false, 16, 16384, 16, 16432},
	{"wino-out/4x16384x16", false, false, 4, 16384, 16, 16432},
	{"wino-dm/16x16384x4", false, false, 16, 16384, 4, 16432},
	{"wino-fwd/64x256x32", false, false, 64, 256, 32, 256},
	{"wino-fwd/64x256x64", false, false, 64, 256, 64, 256},
	{"wino-fwd/128x256x64", false, false, 128, 256, 64, 256},
	{"wino-fwd/128x256x128", false, false, 128, 256, 128, 256},
	{"wino-dw/128x128x256", false, true, 128, 128, 256, 256},
	{"wino-dv/64x256x128", true, false, 64, 256, 128, 256},
	{"wino-dv/128x256x128", true, false, 128, 256, 128, 256},
}

// BenchmarkSgemmRoute times the route shapes above on random data, in
// CPU time per op (cpuLoop) as well as wall time.
func BenchmarkSgemmRoute(b *testing.B) {
	for _, s := range gemmRouteShapes {
		b.Run(s.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			lda := s.k
			if s.transA {
				lda = s.m
			}
			rows := s.k
			if s.transB {
				rows = s.n
			}
			a := randSlice(rng, s.m*s.k)
			bb := randSlice(rng, rows*s.ldb)
			c := randSlice(rng, s.m*s.n)
			cpuLoop(b, 2*float64(s.m*s.n*s.k), func() {
				gemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bb, s.ldb, 0, c, s.n)
			})
		})
	}
}

// BenchmarkSgemmSumAB times the tap-sum route's sum over 9 taps at the
// COCO net's 32-channel layer: C (32×4225) = Σ_t A_t (32×32) · B shifted.
func BenchmarkSgemmSumAB(b *testing.B) {
	if !haveSgemmKernels() {
		b.Skip("no assembly GEMM kernels on this CPU")
	}
	const m, n, k, taps, ldb = 32, 4225, 32, 9, 4368
	rng := rand.New(rand.NewPCG(1, 2))
	a := randSlice(rng, taps*m*k)
	boff := make([]int, taps)
	for t := range boff {
		boff[t] = (t/3)*66 + t%3
	}
	bb := randSlice(rng, boff[taps-1]+k*ldb+n)
	c := make([]float32, m*n)
	cpuLoop(b, 2*float64(taps*m*n*k), func() {
		sgemmSumAB(m, n, k, a, m*k, k, bb, ldb, boff, c, n)
	})
}

// BenchmarkSgemmMultiB times the tap-sum route's weight gradient at the
// COCO net's 32-channel layer (one 64×64 image per chunk): dW_t (32×32) =
// gy (32×4225, row stride 4368) · X_tᵀ for 9 taps, X_tᵀ rows of the
// pixel-major input from tap t's offset.
func BenchmarkSgemmMultiB(b *testing.B) {
	if !haveSgemmKernels() {
		b.Skip("no assembly GEMM kernels on this CPU")
	}
	const m, n, k, taps, lda = 32, 32, 4225, 9, 4368
	rng := rand.New(rand.NewPCG(1, 2))
	a := randSlice(rng, m*lda)
	boff := make([]int, taps)
	for t := range boff {
		boff[t] = ((t/3)*65 + t%3) * n
	}
	bb := randSlice(rng, boff[taps-1]+k*n)
	c := make([]float32, taps*m*n)
	cpuLoop(b, 2*float64(taps*m*n*k), func() {
		sgemmMultiB(m, n, k, a, lda, bb, n, boff, c, n, m*n)
	})
}
