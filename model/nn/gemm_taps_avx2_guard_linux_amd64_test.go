package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestTapsKernelsYGuardPages runs sgemmKernel6x16TapsS and
// sgemmKernel4x16TapsS on operands of their exact minimum lengths (A's
// last tap's last row ending at A's end, B's last row at B's end, C's
// last row at C's end), each ending on a PROT_NONE page (guardSlice), at
// k of 1 to 9 and 1 to 3 taps: no read or write past any of them faults,
// and each gives the bits of sgemmKernel6x16 called once per product
// (beta 0, then 1).
func TestTapsKernelsYGuardPages(t *testing.T) {
	if !haveSgemmKernels() || !vecOK {
		t.Skip("no AVX2 GEMM kernels on this CPU")
	}
	rng := rand.New(rand.NewPCG(7, 21))
	for _, mr := range []int{6, 4} {
		for k := 1; k <= 9; k++ {
			for taps := 1; taps <= 3; taps++ {
				lda, ldb, ldc := k+1, 16+5, 16+3
				as := mr*lda + 2
				a := guardSlice(t, (taps-1)*as+(mr-1)*lda+k)
				boff := make([]int, taps)
				for i := range boff {
					boff[i] = i * 2
				}
				b := guardSlice(t, boff[taps-1]+(k-1)*ldb+16)
				c := guardSlice(t, (mr-1)*ldc+16)
				for _, s := range [][]float32{a, b} {
					for i := range s {
						s[i] = float32(rng.NormFloat64())
					}
				}
				// The reference: sgemmKernel6x16 per product on A_t packed
				// into a panel of six rows (rows past mr zero), beta 0
				// then 1, into a 6×16 tile.
				tile, ap := make([]float32, 6*16), make([]float32, 6*k)
				for ti, o := range boff {
					var beta float32
					if ti > 0 {
						beta = 1
					}
					for i := range mr {
						for p := range k {
							ap[p*6+i] = a[ti*as+i*lda+p]
						}
					}
					sgemmKernel6x16(k, &ap[0], &b[o], ldb, &tile[0], 16, 1, beta)
				}
				want := make([]float32, len(c))
				for i := range mr {
					copy(want[i*ldc:][:16], tile[i*16:][:16])
				}
				if mr == 6 {
					sgemmKernel6x16TapsS(k, &a[0], as, lda, &b[0], ldb, &boff[0], taps, &c[0], ldc)
				} else {
					sgemmKernel4x16TapsS(k, &a[0], as, lda, &b[0], ldb, &boff[0], taps, &c[0], ldc)
				}
				for i := range mr {
					for j := range 16 {
						g, w := c[i*ldc+j], want[i*ldc+j]
						if math.Float32bits(g) != math.Float32bits(w) {
							t.Fatalf("%d rows, k %d, %d taps: C[%d][%d] = %v, want %v", mr, k, taps, i, j, g, w)
						}
					}
				}
			}
		}
	}
}
