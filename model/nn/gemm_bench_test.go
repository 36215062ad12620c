package nn

import (
	"math/rand/v2"
	"testing"
)

// gemmBenchShape is one multiply of a benchmark.
type gemmBenchShape struct {
	name           string
	transA, transB bool
	m, n, k        int
}

// gemmBenchShapes are the multiplies of our workload. MNIST's 32→32 3×3
// layers run in chunks of about 256 columns (chunkColumns): 245 columns on
// the 7×7 map (5 images), 196 on the 14×14 map (1 image); conv1 (1→32)
// runs on 784 columns (one 28×28 image) with CK = 9; a deformable block's
// offset and modulator convolutions have 18 and 9 outputs. The wider ones
// are a COCO-sized net; the tiny ones are the Linear head (batch 64, 32→10).
var gemmBenchShapes = []gemmBenchShape{
	// Forward: W[O×CK]·col[CK×N].
	{"fwd/32x245x288", false, false, 32, 245, 288},
	{"fwd/32x196x288", false, false, 32, 196, 288},
	{"fwd/32x784x9", false, false, 32, 784, 9},
	{"fwd/18x245x288", false, false, 18, 245, 288},
	{"fwd/9x245x288", false, false, 9, 245, 288},
	{"fwd/64x256x576", false, false, 64, 256, 576},
	{"fwd/128x1024x1152", false, false, 128, 1024, 1152},
	// Weight gradient: gy[O×N]·colᵀ.
	{"dw/32x288x245", false, true, 32, 288, 245},
	{"dw/32x9x784", false, true, 32, 9, 784},
	{"dw/18x288x245", false, true, 18, 288, 245},
	{"dw/64x576x256", false, true, 64, 576, 256},
	{"dw/128x1152x1024", false, true, 128, 1152, 1024},
	// Input gradient: Wᵀ[CK×O]·gy[O×N].
	{"dx/288x245x32", true, false, 288, 245, 32},
	{"dx/576x256x64", true, false, 576, 256, 64},
	{"dx/1152x1024x128", true, false, 1152, 1024, 128},
	// Both transposed, for completeness.
	{"tt/256x256x256", true, true, 256, 256, 256},
	{"nn/256x256x256", false, false, 256, 256, 256},
	// Linear 32→10 on a batch of 64: forward, weight gradient, input gradient.
	{"lin/64x10x32", false, true, 64, 10, 32},
	{"lin/10x32x64", true, false, 10, 32, 64},
	{"lin/64x32x10", false, false, 64, 32, 10},
}

// BenchmarkSgemm measures gemm[float32] on random data: gonum skips zero
// elements of A, so zero matrices would flatter it.
func BenchmarkSgemm(b *testing.B) {
	for _, s := range gemmBenchShapes {
		b.Run(s.name, func(b *testing.B) { benchGemmShape(b, s, gemm[float32]) })
	}
}

// benchGemmShape times f on shape s with random operands and reports
// GFLOP/s.
func benchGemmShape(b *testing.B, s gemmBenchShape, f func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, bb []float32, ldb int, beta float32, c []float32, ldc int)) {
	rng := rand.New(rand.NewPCG(1, 2))
	a := randSlice(rng, s.m*s.k)
	bb := randSlice(rng, s.k*s.n)
	c := randSlice(rng, s.m*s.n)
	lda, ldb := s.k, s.n
	if s.transA {
		lda = s.m
	}
	if s.transB {
		ldb = s.k
	}
	b.ReportAllocs()
	for b.Loop() {
		f(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
	}
	b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkSgemmParallel runs one multiply per core at once, as the
// convolution layers do, so that shared caches and memory bandwidth count.
func BenchmarkSgemmParallel(b *testing.B) {
	for _, s := range gemmBenchShapes[:3] {
		b.Run(s.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			a := randSlice(rng, s.m*s.k)
			bb := randSlice(rng, s.k*s.n)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				c := make([]float32, s.m*s.n)
				for pb.Next() {
					gemm(false, false, s.m, s.n, s.k, 1, a, s.k, bb, s.n, 0, c, s.n)
				}
			})
			b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}
