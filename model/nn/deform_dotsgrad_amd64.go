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

// dcnDotsGradAVX is dcnDotsGrad512 in AVX2, 8 pixels of one tap at a time
// (deform_dotsgrad_amd64.s).
//
//go:noescape
func dcnDotsGradAVX(a *dcnDotsGradArgs)

// dotsGradAVXOK reports whether dcnDotsGradAVX runs here: AVX2 and FMA
// (vecOK), where dcnDotsGrad512 does not.
func dotsGradAVXOK() bool { return vecOK && !dotsGrad512OK() }
