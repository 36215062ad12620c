package nn

import "golang.org/x/sys/cpu"

// winoCopyAVX2 reports whether the AVX2 copies of
// conv_winocopy_avx2_amd64.s (winoDeint4a, winoInt4a, winoInt4Aa,
// winoScatAdd, winoFill4a) run here: CPUs with AVX2 and without AVX-512,
// where winoCopyOK's kernels do not run.
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

// winoScatAArgs is one map's adds for winoScatAdd (the offsets its
// assembly reads: keep the order; all eight bytes on amd64).
type winoScatAArgs struct {
	q, dd  *float32  // the planes (winoPlanes' cut), the map's row 0 of dd
	tab    *[108]int // per add: plane, row, column apart (−1: none), bytes
	ne     int       // adds (r² of tab's 36)
	n      int       // tiles a map (floats a row)
	tw, th int       // tiles across, down
}

// winoScatAdd is winoScatter's r² adds of one map's rows of dd into its
// planes (and columns apart) in one call, in winoScatter's order, each
// add the plane's element first: the bits of its Go loops and addTo, in
// assembly for speed (one call a map instead of r² addTo calls and the Go
// loops over the columns apart). It sets the rows' elements it adds to
// the columns apart to +0, as the Go loop does.
//
//go:noescape
func winoScatAdd(a *winoScatAArgs)

// winoFill4AArgs is one map's planes for winoFill4a (the offsets its
// assembly reads: keep the order; all eight bytes on amd64).
type winoFill4AArgs struct {
	q, src  *float32 // the 24 planes, the map
	lp      int      // the planes' stride, bytes
	tw      int      // tiles across
	h, w    int      // the map
	gf, rem int      // a row's whole groups of four from column 3, floats of the partial one after
}

// winoFill4a is winoFill4x in AVX2 (CPUs without AVX-512): one map's
// planes Q and shifted planes Q' of winoGather4 straight from the map's
// rows, one call a map instead of winoFillPlanes' four winoDeint4a calls
// and Go loop a row and winoShiftPlanes' copies: the same elements
// written with the same values (copies), in assembly for speed.
//
//go:noescape
func winoFill4a(a *winoFill4AArgs)
