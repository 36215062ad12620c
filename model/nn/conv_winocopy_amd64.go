package nn

import "golang.org/x/sys/cpu"

// winoCopyOK reports whether the AVX-512 copies of conv_winocopy_amd64.s
// run here (winoDeint4x, winoInt4x, winoInt4Ax, winoPickMx, winoScat4x,
// winoFill4x, winoFillV).
var winoCopyOK = cpu.X86.HasAVX512F

// winoDeint4x sets l0[k·ldl+i], …, l3[k·ldl+i] to src[k·lds+4i], …,
// src[k·lds+4i+3] for k < rows, i < n (rows, n > 0; strides in floats).
//
//go:noescape
func winoDeint4x(l0, l1, l2, l3 *float32, ldl int, src *float32, lds, rows, n int)

// winoInt4x sets dst[k·ldd+4i], …, dst[k·ldd+4i+3] to l0[k·ldl+i], …,
// l3[k·ldl+i] for k < rows, i < n (rows, n > 0; strides in floats).
//
//go:noescape
func winoInt4x(dst *float32, ldd int, l0, l1, l2, l3 *float32, ldl, rows, n int)

// winoInt4Ax is winoInt4x adding into dst: dst[k·ldd+4i+j] +=
// lj[k·ldl+i] (rows, n > 0; strides in floats).
//
//go:noescape
func winoInt4Ax(dst *float32, ldd int, l0, l1, l2, l3 *float32, ldl, rows, n int)

// winoPickMx deinterleaves one output gradient map dy (Wo = wo4/4 wide)
// into the 16 rows of gm (ld bytes apart) for n tiles (a multiple of 16),
// the 4 tiles of group g, side by side in one row of tiles, from
// dy + 4·tab[g] bytes (winoPlaceTab), masked
// with the ReLU's bits where mrow > 0 (row r's bits of a block of 16 tiles
// at mk + r·mrow, 2 bytes on per block): winoPick's deinterleave and
// vmaskM in one pass (the same bits).
//
//go:noescape
func winoPickMx(gm *float32, ld int, dy *float32, tab *int32, wo4 int, mk *uint8, mrow, n int)

// winoScat4x is one map's scatter after wino4BP (winoScatter4x): it
// clears the planes' last rows and the columns apart, runs the 20 adds of
// a.tab, then writes (a.add: adds) the planes into the map a.dst.
//
//go:noescape
func winoScat4x(a *winoScat4Args)

// winoFill4x is one map's planes of winoGather4 (winoGather4x): the
// planes Q and the shifted planes Q' straight from the map's rows.
//
//go:noescape
func winoFill4x(a *winoFill4Args)

// winoFillV is winoFill4x for maps 16, 32 or 64 wide (winoFillVArgs):
// the 24 planes from the map, a vector of 16 plane elements a step (16/tw
// plane rows) instead of one map row a step (the same bits: the same
// elements written, with the same values).
//
//go:noescape
func winoFillV(a *winoFillVArgs)
