//go:build !amd64

package nn

import "sync/atomic"

// pixGemmOK is false off amd64: the deformable forward packs its columns
// for the portable GEMM.
func pixGemmOK() bool { return false }

func pixKernel(kc int, a []float32, lda int, b []float32, c []float32, ldc int, add bool) {
	panic("nn: pixKernel without assembly")
}

func pixBlock(k int) int { return k }

// pixAVX2OK is false off amd64 (see pixGemmOK).
func pixAVX2OK() bool { return false }

func pixRows() int { return 8 }

func pixKernelRows(kc int, a []float32, lda int, b []float32, c []float32, ldc int, add bool) {
	panic("nn: pixKernelRows without assembly")
}

func narrowKernel(kc int, a []float32, lda int, b []float32, c []float32, ldc int) {
	panic("nn: narrowKernel without assembly")
}

func gather512(dst, img []float32, pix, row int, base []int32, wts []float32, n int) bool {
	return false
}

func scatter512(dimg, img []float32, pix, row int, base []int32, wts, g, s []float32, n int) bool {
	return false
}

func scatterCols512OK(n int) bool { return false }

func dots4(img []float32, pix, row int, base []int32, g, s []float32, n int) bool { return false }

func dots4Bound(img []float32, pix, row int, base []int32, g, s []float32, n, last int) bool {
	return false
}

func scatterCols512Bound(dimg, img []float32, pix, row int, base []int32, wts, g, s []float32, n, last int) {
	panic("nn: scatterCols512 without assembly")
}

func outT8(src []float32, lds int, dst []float32, ldd, blocks int, bias []float32, floor float32) {
	panic("nn: outT8 without assembly")
}

func outT8Pix(src []float32, lds int, dst []float32, ldd, blocks int, bias []float32, floor float32) {
	panic("nn: outT8Pix without assembly")
}

var noFill512 bool

func fill512TOK() bool { return false }

func dcnFill512T(a *dcnFillTArgs) { panic("nn: dcnFill512T without assembly") }

// fillTAVXOK is false off amd64 (see fill512TOK).
func fillTAVXOK(gk int) bool { return false }

// fillTRan records that dcnFillTAVX ran (never off amd64).
var fillTRan atomic.Bool

// noFillTAVX would turn dcnFillTAVX off (tests; it never runs off amd64).
var noFillTAVX bool

func dcnFillTAVX(a *dcnFillTArgs) { panic("nn: dcnFillTAVX without assembly") }

// scatterColsVecOK is false here: no kernels.
func scatterColsVecOK(n int) bool { return false }

// scatterColsVec has no kernels here.
func scatterColsVec(dimg, img []float32, pix, row int, base []int32, wts, g, s []float32, n int) {
	panic("nn: scatterColsVec without assembly")
}

// scatterColsVecBound has no kernels here.
func scatterColsVecBound(dimg, img []float32, pix, row int, base []int32, wts, g, s []float32, n, last int) {
	panic("nn: scatterColsVec without assembly")
}
