package nn

import "golang.org/x/sys/cpu"

// winoCopyOK reports whether the AVX-512 copies of conv_winocopy_amd64.s
// run here (winoDeint4, winoInt4).
var winoCopyOK = cpu.X86.HasAVX512F

// winoDeint4x sets l0[i], l1[i], l2[i], l3[i] to src[4i], …, src[4i+3]
// for i < n (n > 0; src holds 4n values, each l n).
//
//go:noescape
func winoDeint4x(l0, l1, l2, l3, src *float32, n int)

// winoInt4x sets dst[4i], …, dst[4i+3] to l0[i], l1[i], l2[i], l3[i] for
// i < n (n > 0; dst holds 4n values, each l n).
//
//go:noescape
func winoInt4x(dst, l0, l1, l2, l3 *float32, n int)
