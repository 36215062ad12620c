//go:build !amd64

package cropset

// resizeAVX2 is false: the assembly passes of resize_amd64.s are amd64 only.
const resizeAVX2 = false

// yccAVX2 is false: ycbcr16 is amd64 only.
const yccAVX2 = false

func hpass4(src *uint8, sstride int, dst *uint8, dstride int, w []taps) {
	panic("cropset: hpass4 without AVX2")
}

func vaxpy(acc *float64, src *uint8, n int, w float64) { panic("cropset: vaxpy without AVX2") }

func ycbcr16(lum, cb, cr *uint8, blocks int, row *uint8) { panic("cropset: ycbcr16 without AVX2") }

func ycbcr16full(lum, cb, cr *uint8, blocks int, row *uint8) {
	panic("cropset: ycbcr16full without AVX2")
}
