package nn

import "golang.org/x/sys/cpu"

// vecOK reports whether the AVX2 element-wise kernels of vec_amd64.s run
// here (the deformable sampling kernels use FMA too).
var vecOK = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func vadd(dst, src *float32, n int)

//go:noescape
func vbias(dst *float32, ldd int, src *float32, lds int, rows, cols int, b, floor float32)

//go:noescape
func vmask(dst *float32, ldd int, src *float32, lds int, y *float32, rows, cols int)

// vbiasM is vbias for cols a multiple of 8 that also records the fused
// ReLU's mask, one bit per output (vec_relu_amd64.s).
//
//go:noescape
func vbiasM(dst *float32, ldd int, src *float32, lds int, rows, cols int, b, floor float32, m *uint8)

// vmaskM is vmask with the mask vbiasM records in place of y.
//
//go:noescape
func vmaskM(dst *float32, ldd int, src *float32, lds int, m *uint8, rows, cols int)

//go:noescape
func vpool2(img *float32, w int, out *float32, arg *int32, ho, wo int)

//go:noescape
func vsum(x *float32, n int) float32

//go:noescape
func vunpool2(dx *float32, w int, dy *float32, arg *int32, ho, wo int)

//go:noescape
func dcnGatherAVX(dst, img *float32, pix, row int, base *int32, wts *float32, count, n int)

//go:noescape
func dcnScatterAVX(dimg, img *float32, pix, row int, base *int32, wts, gr, s *float32, count, n int)

//go:noescape
func dcnScatter4AVX(dimg, img *float32, pix, row int, base *int32, wts, gr, s *float32, count, n int)

// dcnFillAVX fills the sampling table for one run of pixels (fillRun).
//
//go:noescape
func dcnFillAVX(a *dcnFillArgs)

// dcnOffGradAVX computes one tap's offset and mask gradients (finishGrads).
//
//go:noescape
func dcnOffGradAVX(a *dcnOffGradArgs)
