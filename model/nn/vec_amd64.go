package nn

import "golang.org/x/sys/cpu"

// vecOK reports whether the AVX element-wise kernels of vec_amd64.s run
// here.
var vecOK = cpu.X86.HasAVX

//go:noescape
func vadd(dst, src *float32, n int)

//go:noescape
func vbias(dst *float32, ldd int, src *float32, lds int, rows, cols int, b, floor float32)

//go:noescape
func vmask(dst *float32, ldd int, src *float32, lds int, y *float32, rows, cols int)
