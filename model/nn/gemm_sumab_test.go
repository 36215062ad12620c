package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestSgemmSumAB checks C = Σ_t A_t·B_t against a float64 reference at
// shapes with full AVX-512 tiles (the multi-tap kernel), ragged edges
// (the per-tap kernels and the temporary tile) and B row strides that are
// and are not read in place; the elements of C outside the m×n window must
// stay untouched.
func TestSgemmSumAB(t *testing.T) {
	if !haveSgemmKernels() {
		t.Skip("no assembly GEMM kernels on this CPU")
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for _, s := range []struct{ m, n, k, taps, ldb int }{
		{32, 64, 32, 9, 100}, {32, 96, 32, 9, 1024}, {8, 32, 5, 1, 40}, {27, 130, 32, 9, 200},
		{32, 512, 32, 9, 530}, {3, 17, 16, 4, 50}, {40, 64, 1, 25, 90}, {16, 48, 33, 2, 70},
	} {
		t.Run(fmt.Sprintf("%dx%dx%d/taps=%d/ldb=%d", s.m, s.n, s.k, s.taps, s.ldb), func(t *testing.T) {
			as := s.m * s.k
			a := make([]float32, s.taps*as)
			for i := range a {
				a[i] = float32(rng.NormFloat64())
			}
			boff := make([]int, s.taps)
			for i := range boff {
				boff[i] = rng.IntN(3*s.ldb/2 + 1)
			}
			nb := 0
			for _, o := range boff {
				nb = max(nb, o+(s.k-1)*s.ldb+s.n)
			}
			b := make([]float32, nb)
			for i := range b {
				b[i] = float32(rng.NormFloat64())
			}
			ldc := s.n + 3
			c := make([]float32, s.m*ldc)
			for i := range c {
				c[i] = gemmSentinel
			}
			if !sgemmSumAB(s.m, s.n, s.k, a, as, s.k, b, s.ldb, boff, c, ldc) {
				t.Fatal("sgemmSumAB declined a shape within its limits")
			}
			for i := range s.m {
				for j := range ldc {
					got := c[i*ldc+j]
					if j >= s.n {
						if got != gemmSentinel {
							t.Fatalf("C[%d][%d] outside the window = %v, want it untouched", i, j, got)
						}
						continue
					}
					var want, mag float64
					for tp, o := range boff {
						for p := range s.k {
							v := float64(a[tp*as+i*s.k+p]) * float64(b[o+p*s.ldb+j])
							want += v
							mag += math.Abs(v)
						}
					}
					if d := math.Abs(float64(got) - want); d > 1e-5*mag+1e-6 {
						t.Fatalf("C[%d][%d] = %v, want %v (|terms| %v)", i, j, got, want, mag)
					}
				}
			}
		})
	}
}
