//go:build !amd64

package nn

// sdotTOK is false without the AVX-512 kernel: gemmDotT runs gemm.
const sdotTOK = false

func sdotT4x4(k int, a, b *[4]*float32, c *float32, ldc int) { panic("nn: no sdotT4x4 here") }

func sdotT4xN(k int, a *[4]*float32, b *float32, ldb, nb int, c *float32, ldc, cs int) {
	panic("nn: no sdotT4xN here")
}
