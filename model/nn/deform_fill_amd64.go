//go:build amd64

package nn

import (
	"sync/atomic"

	"golang.org/x/sys/cpu"
)

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

// dcnFillTAVX is deform_fill_amd64.s's AVX2 fill of every tap of 16
// pixels at a time (see there): dcnFill512T's order of writes where
// AVX-512 does not run, in assembly for speed (each pixel's bases stored
// together; fy, fx, md and vv only in whole fills, a.fdelta ≠ 0); the
// bits of dcnFillAVX and of fillRangeLean's Go loop.
//
//go:noescape
func dcnFillTAVX(a *dcnFillTArgs)

// noFillTAVX turns dcnFillTAVX off (tests and benchmarks: dcnFillAVX tap
// by tap).
var noFillTAVX bool

// fillTRan records that dcnFillTAVX ran (tests; atomic: workers fill at
// once).
var fillTRan atomic.Bool

// fillTAVXOK reports whether dcnFillTAVX fills gk taps a pixel here: AVX2
// (vecOK) and 8 to 64 taps.
func fillTAVXOK(gk int) bool { return vecOK && !noFillTAVX && gk >= 8 && gk <= 64 }
