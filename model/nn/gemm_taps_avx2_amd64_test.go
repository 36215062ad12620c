package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSumABTapsYBits runs sgemmSumABRows on the AVX2 kernels with the
// taps kernels (sumABTapsY) and without (the tap-by-tap loop it replaces)
// at every m from 1 to 40 (panels of six and four, and the one to three
// rows left over), n of 1 to 70 columns in one or three runs (ragged last
// strips), odd k and 1 to 9 taps, strides past n, into C filled with
// NaN: the same bits everywhere, positions between the runs untouched.
// It asserts that sumABTapsY ran wherever it should (m ≥ 4, a full strip).
func TestSumABTapsYBits(t *testing.T) {
	if !haveSgemmKernels() || !vecOK {
		t.Skip("no AVX2 GEMM kernels on this CPU")
	}
	old := sgemmKern
	defer func() { sgemmKern, noSumABTapsY = old, false }()
	sgemmKern = sgemmAVX2
	rng := rand.New(rand.NewPCG(13, 15))
	for m := 1; m <= 40; m++ {
		for _, s := range []struct{ rows, n, k, taps, bs, cs int }{
			{1, 16, 32, 9, 0, 0}, {1, 70, 7, 3, 0, 0}, {3, 8, 5, 9, 11, 9}, {3, 33, 17, 2, 37, 35},
			{1, 48, 1, 1, 0, 0}, {2, 64, 40, 9, 66, 64},
		} {
			const ldb = 300
			k := s.k
			lda := k + 3
			as := m*lda + 5
			a := randSlice(rng, (s.taps-1)*as+(m-1)*lda+k)
			boff := make([]int, s.taps)
			for i := range boff {
				boff[i] = (i/3)*7 + i%3
			}
			nb := (s.rows-1)*s.bs + s.n
			b := randSlice(rng, boff[s.taps-1]+(k-1)*ldb+nb)
			ldc := (s.rows-1)*s.cs + s.n + 3
			var res [2][]float32
			for v, off := range []bool{true, false} {
				noSumABTapsY = off
				c := make([]float32, m*ldc)
				for i := range c {
					c[i] = float32(math.NaN())
				}
				if !sgemmSumABRows(m, s.rows, s.n, k, a, as, lda, b, ldb, s.bs, boff, c, ldc, s.cs) {
					t.Fatalf("m %d %+v: sgemmSumABRows declined", m, s)
				}
				res[v] = c
			}
			noSumABTapsY = false
			ran := sumABTapsY(m, s.rows, s.n, k, a, as, lda, b, ldb, s.bs, boff, make([]float32, m*ldc), ldc, s.cs)
			if want := m >= 4 && s.n >= 16; ran != want {
				t.Fatalf("m %d %+v: sumABTapsY ran %v, want %v", m, s, ran, want)
			}
			for i := range res[0] {
				if x, y := math.Float32bits(res[0][i]), math.Float32bits(res[1][i]); x != y {
					t.Fatalf("m %d %+v: C[%d] = %v with the taps kernels, %v tap by tap", m, s, i, res[1][i], res[0][i])
				}
			}
		}
	}
}
