//go:build amd64

package nn

import "golang.org/x/sys/cpu"

// dcnDotsGrad512 is deform_dotsgrad_amd64.s's sampling gradient without a
// table (see there and dotsGrad).
//
//go:noescape
func dcnDotsGrad512(a *dcnDotsGradArgs)

// dotsGrad512OK reports whether dcnDotsGrad512 runs here: the AVX-512
// kernels, and AVX-512VL for its 256-bit loads into Y16 and Y17.
func dotsGrad512OK() bool { return sgemmKern == sgemmAVX512 && cpu.X86.HasAVX512VL }

// dcnDotsGradAVX is dcnDotsGrad512 in AVX2, 16 pixels of one tap at a
// time as two halves of 8 (deform_dotsgrad_amd64.s).
//
//go:noescape
func dcnDotsGradAVX(a *dcnDotsGradArgs)

// dotsGradAVXOK reports whether dcnDotsGradAVX can run here: AVX2 and FMA
// (vecOK). dotsGrad takes it where dcnDotsGrad512 does not run, and for 4
// input channels, which that one does not gather.
func dotsGradAVXOK() bool { return vecOK }
