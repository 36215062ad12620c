//go:build amd64

package nn

import "golang.org/x/sys/cpu"

// dcnFill512T is deform_fill_amd64.s's fill of every tap of 16 pixels at
// a time (see there).
//
//go:noescape
func dcnFill512T(a *dcnFillTArgs)

// noFill512 turns dcnFill512T off (tests and benchmarks: the AVX2 kernel
// alone).
var noFill512 bool

// fill512TOK reports whether dcnFill512T runs here: the AVX-512 kernels,
// and AVX-512VL for its 256-bit loads into Y16 and Y17.
func fill512TOK() bool { return sgemmKern == sgemmAVX512 && cpu.X86.HasAVX512VL && !noFill512 }
