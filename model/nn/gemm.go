package nn

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

var impl gonum.Implementation

// gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, with
// op(A) m×k and op(B) k×n. float32 runs on our own blocked kernels
// (sgemm; gemm_amd64.go), where beta == 0 never reads C (NaN in scratch
// memory does not leak) and alpha == 0 or k == 0 never reads A or B.
// float64 serves reference checks and stays on gonum's Dgemm, which also
// ignores C when beta == 0 (and alpha ≠ 0). Sizes that do not fit the
// slices panic, as in gonum.
func gemm[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	switch a := any(a).(type) {
	case []float32:
		sgemm(transA, transB, m, n, k, float32(alpha), a, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		impl.Dgemm(blasTrans(transA), blasTrans(transB), m, n, k, float64(alpha), a, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	default:
		gemmGeneric(transA, transB, m, n, k, alpha, any(a).([]T), lda, b, ldb, beta, c, ldc)
	}
}

// gemmWideA is gemm with float32's A read in place for wider products
// (sgemmWideA): the same bits.
func gemmWideA[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if a32, ok := any(a).([]float32); ok && m > 0 && n > 0 {
		sgemmWideA(transA, transB, m, n, k, float32(alpha), a32, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
		return
	}
	gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmPackALen returns the length of op(A) (m×k) packed by gemmPackA for
// an m×n×k product, or 0 where gemmPackedA does not serve it: T other
// than float32, no assembly kernels, or a size they do not take packed
// beforehand (sgemmPackAOK).
func gemmPackALen[T Float](m, n, k int) int {
	if _, f32 := any(T(0)).(float32); !f32 || !sgemmPackAOK(m, n, k) {
		return 0
	}
	return sgemmPackedALen(m, k)
}

// gemmPackA packs op(A) (m×k; A stored k×m where trans, row stride lda)
// into dst for gemmPackedA (gemmPackALen must be positive).
func gemmPackA[T Float](trans bool, m, k int, a []T, lda int, dst []T) {
	sgemmPackA(trans, m, k, any(a).([]float32), lda, any(dst).([]float32))
}

// gemmPackedA sets C = op(A)·B (m×n, row stride ldc) for the op(A) that
// gemmPackA packed into pa and an untransposed B (k×n, row stride ldb):
// the bits of gemm(transA, false, m, n, k, 1, a, lda, b, ldb, 0, c, ldc).
func gemmPackedA[T Float](m, n, k int, pa, b []T, ldb int, c []T, ldc int) {
	sgemmPackedA(m, n, k, any(pa).([]float32), any(b).([]float32), ldb, any(c).([]float32), ldc)
}

func blasTrans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// sgemmGonum is the portable float32 path: gonum's Sgemm, except that
// alpha == 0 or k == 0 scales C here (gonum leaves NaN in C when alpha and
// beta are both 0).
func sgemmGonum(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if (k == 0 || alpha == 0) && m > 0 && n > 0 {
		gemmCheck(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
		gemmScale(m, n, beta, c, ldc)
		return
	}
	impl.Sgemm(blasTrans(transA), blasTrans(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmCheck panics unless the three matrices fit their slices; the
// assembly kernels index without bounds checks, so this is their guard.
func gemmCheck[T Float](transA, transB bool, m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("nn: gemm: negative size %d×%d×%d", m, n, k))
	}
	checkMat("A", transA, m, k, len(a), lda)
	checkMat("B", transB, k, n, len(b), ldb)
	checkMat("C", false, m, n, len(c), ldc)
}

// checkMat checks an r×s operand (stored s×r when trans) of a slice of
// length l with row stride ld.
func checkMat(name string, trans bool, r, s, l, ld int) {
	if trans {
		r, s = s, r
	}
	if ld < max(1, s) {
		panic(fmt.Sprintf("nn: gemm: %s is %d×%d but its row stride is %d", name, r, s, ld))
	}
	if r > 0 && s > 0 && l < (r-1)*ld+s {
		panic(fmt.Sprintf("nn: gemm: %s is %d×%d with row stride %d but has only %d elements", name, r, s, ld, l))
	}
}

// gemmScale sets C = beta·C (zero when beta == 0, never reading C).
func gemmScale[T Float](m, n int, beta T, c []T, ldc int) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		if beta == 1 {
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// gemmGeneric serves named float types (type X float32), which the type
// switch above does not match, and tiny float32 products. It reads the
// transposed operands only where they are stored (an earlier version read
// a[i·lda+p] before choosing, which overran a transposed A that is smaller
// than its untransposed shape).
func gemmGeneric[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	for i := range m {
		for j := range n {
			var s T
			for p := range k {
				var av, bv T
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}
}
