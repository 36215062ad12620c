//go:build !amd64

package nn

// sgemm is gonum's Sgemm where we have no assembly kernels.
func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmGonum(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// noWideA turns sgemmWideA's wider in-place A off (tests; amd64 only).
var noWideA bool

// sgemmWideA is sgemm here (no kernels read A in place).
func sgemmWideA(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmVariants lists the float32 paths this CPU can run, by name, for
// tests and benchmarks.
func sgemmVariants() map[string]func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	return map[string]func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int){
		"gonum": sgemmGonum,
	}
}

// sgemmMultiB has no kernels to share packing with here: the caller
// multiplies tap by tap.
func sgemmMultiB(m, n, k int, a []float32, lda int, b []float32, ldb int, boff []int, c []float32, ldc, cs int) bool {
	return false
}

// transpose8 sets dst[q·ldd+r] = src[r·lds+q] for r < rows, q < cols.
func transpose8(src []float32, lds int, dst []float32, ldd, rows, cols int) {
	for r := range rows {
		for q := range cols {
			dst[q*ldd+r] = src[r*lds+q]
		}
	}
}

// sgemmSumAB has no kernels here: the caller multiplies tap by tap.
func sgemmSumAB(m, n, k int, a []float32, as, lda int, b []float32, ldb int, boff []int, c []float32, ldc int) bool {
	return false
}

// haveSgemmKernels reports whether the assembly GEMM kernels run here.
func haveSgemmKernels() bool { return false }

// sgemmBand is never asked for here (haveSgemmKernels is false): one band.
func sgemmBand(p int) int { return p }

// sgemmSumABRows has no kernels here either.
func sgemmSumABRows(m, rows, n, k int, a []float32, as, lda int, b []float32, ldb, bs int, boff []int, c []float32, ldc, cs int) bool {
	return false
}

// sgemmPacksA is false here: no kernels.
func sgemmPacksA() bool { return false }

// sgemmPackAOK is false here: no kernels take A packed beforehand.
func sgemmPackAOK(m, n, k int) bool { return false }

// sgemmPackedALen, sgemmPackA and sgemmPackedA are never called here
// (sgemmPackAOK is false).
func sgemmPackedALen(m, k int) int { panic("nn: no GEMM kernels") }

func sgemmPackA(trans bool, m, k int, a []float32, lda int, dst []float32) {
	panic("nn: no GEMM kernels")
}

func sgemmPackedA(m, n, k int, pa []float32, b []float32, ldb int, c []float32, ldc int) {
	panic("nn: no GEMM kernels")
}

// sgemmTinyProduct is true off amd64: gemm is the plain loop everywhere.
func sgemmTinyProduct(m, n, k int) bool { return true }

// sumABTapsYOK is false: no assembly kernels off amd64.
func sumABTapsYOK() bool { return false }

// padRows7 has no packTranspose8 here: padImage's flat route pads.
func padRows7(x []float32, h, c int, pad []float32) bool { return false }
