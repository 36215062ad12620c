package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestSgemmSumABBitsMatchPerTap checks that sgemmSumAB gives the very bits
// of one GEMM per product accumulated into C (beta 0, then 1), the route it
// replaces: each product summed over k from zero, then added to C in tap
// order. Checkpoints and goldens depend on it. It runs on every kernel set
// this CPU has (the AVX2 set has no multi-product kernel).
func TestSgemmSumABBitsMatchPerTap(t *testing.T) {
	if !haveSgemmKernels() {
		t.Skip("no assembly GEMM kernels on this CPU")
	}
	old := sgemmKern
	defer func() { sgemmKern = old }()
	for _, kn := range []*sgemmKernel{sgemmAVX512, sgemmAVX2} {
		if kn == sgemmAVX512 && old != sgemmAVX512 {
			continue
		}
		sgemmKern = kn
		t.Run(kn.name, testSgemmSumABBits)
	}
}

func testSgemmSumABBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, s := range []struct{ m, n, k, taps, ldb int }{
		{32, 4225, 32, 9, 4368}, {64, 96, 64, 9, 300}, {40, 70, 33, 9, 100}, {8, 32, 7, 3, 64},
		{16, 64, 128, 25, 1024}, {12, 40, 5, 2, 50},
	} {
		t.Run(fmt.Sprintf("%dx%dx%d/taps=%d/ldb=%d", s.m, s.n, s.k, s.taps, s.ldb), func(t *testing.T) {
			as := s.m * s.k
			a := randSlice(rng, s.taps*as)
			boff := make([]int, s.taps)
			for i := range boff {
				boff[i] = (i/3)*(s.ldb/8) + i%3
			}
			nb := 0
			for _, o := range boff {
				nb = max(nb, o+(s.k-1)*s.ldb+s.n)
			}
			b := randSlice(rng, nb)
			got := make([]float32, s.m*s.n)
			want := make([]float32, s.m*s.n)
			if !sgemmSumAB(s.m, s.n, s.k, a, as, s.k, b, s.ldb, boff, got, s.n) {
				t.Fatal("sgemmSumAB declined a shape within its limits")
			}
			for ti, o := range boff {
				var beta float32
				if ti > 0 {
					beta = 1
				}
				sgemm(false, false, s.m, s.n, s.k, 1, a[ti*as:], s.k, b[o:], s.ldb, beta, want, s.n)
			}
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("element %d: %v, per-tap GEMMs give %v", i, got[i], want[i])
				}
			}
		})
	}
}
