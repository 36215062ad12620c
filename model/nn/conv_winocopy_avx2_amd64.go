package nn

import "golang.org/x/sys/cpu"

// winoCopyAVX2 reports whether the AVX2 copies of
// conv_winocopy_avx2_amd64.s (winoDeint4a, winoInt4a, winoInt4Aa) run
// here: CPUs with AVX2 and without AVX-512, where winoCopyOK's kernels do
// not run.
var winoCopyAVX2 = cpu.X86.HasAVX2 && !cpu.X86.HasAVX512F

// winoDeint4a is winoDeint4x in AVX2: l0[k·ldl+i], …, l3[k·ldl+i] =
// src[k·lds+4i], …, src[k·lds+4i+3] for k < rows, i < n (rows, n > 0;
// strides in floats).
//
//go:noescape
func winoDeint4a(l0, l1, l2, l3 *float32, ldl int, src *float32, lds, rows, n int)

// winoInt4a is winoInt4x in AVX2: dst[k·ldd+4i], …, dst[k·ldd+4i+3] =
// l0[k·ldl+i], …, l3[k·ldl+i] for k < rows, i < n (rows, n > 0; strides
// in floats).
//
//go:noescape
func winoInt4a(dst *float32, ldd int, l0, l1, l2, l3 *float32, ldl, rows, n int)

// winoInt4Aa is winoInt4Ax in AVX2: dst[k·ldd+4i+j] += lj[k·ldl+i]
// (rows, n > 0; strides in floats; dst the first operand of each add).
//
//go:noescape
func winoInt4Aa(dst *float32, ldd int, l0, l1, l2, l3 *float32, ldl, rows, n int)
