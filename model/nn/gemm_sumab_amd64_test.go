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
// this CPU has (the AVX2 set's multi-product kernels through sumABTapsY).
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

// TestSgemmSumABRowsBits checks sgemmSumABRows against sgemmSumAB over
// the flat columns the runs are taken from: every element of every run the
// same bits, and nothing written between the runs or past C's last one,
// on every kernel set this CPU has, with ragged strips (runs not a multiple
// of the tile width) and row panels (m not a multiple of 8) among them.
func TestSgemmSumABRowsBits(t *testing.T) {
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
		rng := rand.New(rand.NewPCG(13, 14))
		for _, s := range []struct{ m, rows, n, k, taps, bs, cs int }{
			{32, 4, 64, 32, 9, 65, 64}, {27, 3, 64, 16, 9, 66, 64}, {32, 5, 48, 27, 1, 50, 48},
			{8, 2, 40, 7, 3, 45, 41}, {5, 1, 70, 9, 2, 0, 0}, {40, 3, 32, 33, 9, 34, 32},
		} {
			name := fmt.Sprintf("%s/%+v", kn.name, s)
			const ldb = 400
			as := s.m * s.k
			if s.taps == 1 {
				as = 0
			}
			a := randSlice(rng, max(1, s.taps)*s.m*s.k)
			boff := make([]int, s.taps)
			for i := range boff {
				boff[i] = (i/3)*7 + i%3
			}
			flatN := (s.rows-1)*s.bs + s.n
			b := randSlice(rng, boff[s.taps-1]+(s.k-1)*ldb+flatN)
			flat := make([]float32, s.m*flatN)
			if !sgemmSumAB(s.m, flatN, s.k, a, as, s.k, b, ldb, boff, flat, flatN) {
				t.Fatalf("%s: sgemmSumAB declined", name)
			}
			ldc := (s.rows-1)*s.cs + s.n + 3
			got := make([]float32, s.m*ldc)
			for i := range got {
				got[i] = sentinel
			}
			if !sgemmSumABRows(s.m, s.rows, s.n, s.k, a, as, s.k, b, ldb, s.bs, boff, got, ldc, s.cs) {
				t.Fatalf("%s: sgemmSumABRows declined", name)
			}
			inRun := make([]bool, ldc)
			for r := range s.rows {
				for x := range s.n {
					inRun[r*s.cs+x] = true
				}
			}
			for i := range s.m {
				for j := range ldc {
					g := got[i*ldc+j]
					if !inRun[j] {
						if g != sentinel {
							t.Fatalf("%s: wrote C[%d][%d] between or past the runs", name, i, j)
						}
						continue
					}
					r, x := j/max(1, s.cs), j%max(1, s.cs)
					if s.rows == 1 {
						r, x = 0, j
					}
					w := flat[i*flatN+r*s.bs+x]
					if math.Float32bits(g) != math.Float32bits(w) {
						t.Fatalf("%s: C[%d] row %d column %d = %v, the flat sum gives %v", name, i, r, x, g, w)
					}
				}
			}
		}
	}
}
