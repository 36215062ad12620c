package nn

import "golang.org/x/sys/cpu"

// sdotTOK says that sdotT4x4 runs here (AVX-512 F: zmm registers and
// mask registers).
var sdotTOK = cpu.X86.HasAVX512F

// sdotT4x4 sets c[i·ldc + j] = Σ_t a[i][t]·b[j][t] for i, j < 4 over
// k values of each row (gemm_dot_amd64.s: the order of its sums is
// described there and written out in Go by sdotTRef, in the tests).
//
//go:noescape
func sdotT4x4(k int, a, b *[4]*float32, c *float32, ldc int)

// sdotT4xN is sdotT4x4 over nb blocks of four rows of B (row stride
// ldb) from b, writing block q's 4×4 results at c + q·cs (row stride
// ldc).
//
//go:noescape
func sdotT4xN(k int, a *[4]*float32, b *float32, ldb, nb int, c *float32, ldc, cs int)
