package nn

import "golang.org/x/sys/cpu"

// wino4XformOK reports whether the AVX-512 transforms of F(4×4, 3×3) in
// conv_wino4_amd64.s run here.
var wino4XformOK = cpu.X86.HasAVX512F

// The kernels below run over the first n columns of a block (n a multiple
// of 16; columns past the last whole 16 are left alone), rows at stride ld
// BYTES, unless a kernel's comment says otherwise (wino4BTP reads its rows
// from planes lp apart; wino4BP and wino4ATY write into planes or a map);
// source and destination must not overlap. Each gives the bits of its Go
// version (wino4BTGo and so on, same sums in the same order, no fused
// multiply-add).

// wino4BT writes the 36 rows of V = (Bᵀ⊗Bᵀ)·D (V = Bᵀ d B per column)
// from D's 36 rows.
//
//go:noescape
func wino4BT(dst, src *float32, ld, n int)

// wino4B writes the 36 rows of dD = (Bᵀ⊗Bᵀ)ᵀ·dV (dd = B dV Bᵀ per
// column) from dV's 36 rows.
//
//go:noescape
func wino4B(dst, src *float32, ld, n int)

// wino4AT writes the 16 rows of Y = (Aᵀ⊗Aᵀ)·M (Y = Aᵀ M A per column)
// from M's 36 rows.
//
//go:noescape
func wino4AT(dst, src *float32, ld, n int)

// wino4A writes the 36 rows of dM = (Aᵀ⊗Aᵀ)ᵀ·dY (dM = A dY Aᵀ per
// column) from dY's 16 rows.
//
//go:noescape
func wino4A(dst, src *float32, ld, n int)

// wino4BTP is wino4BT whose source rows are the gather's planes
// (winoGather4): row 6i+j of D is the plane at src + ((i mod 4)·6 + j)·lp
// bytes, (i/4)·sh bytes on; ld, lp and sh in bytes.
//
//go:noescape
func wino4BTP(dst, src *float32, ld, lp, sh, n int)

// wino4BP is wino4B that writes the 16 rows 6i+j, i, j < 4, as 0 + x
// into the scatter's planes (winoScatter4), plane 4i+j at pl + (4i+j)·lp
// bytes, and the other 20 into dst; ld and lp in bytes.
//
//go:noescape
func wino4BP(dst, src *float32, ld int, pl *float32, lp, n int)

// wino4ATY is wino4AT whose 16 output rows are not stored but biased
// (max(x + b, floor), vbiasM's operations), recorded as mask bits where
// mrow > 0 (bit set where the value is > 0; row r's 16 bits of a block at
// mk + r·mrow, 2 bytes on per block) and interleaved into one output map y
// (Wo = wo4/4 wide): the 4 tiles of group g (n/4 groups; tab[g] the
// offset in y of their first output, in floats), side by side in one row
// of tiles, at output row a, wo4 bytes on per a (winoPlaceAT, whose
// winoPlaceTab holds only where a row of tiles is a multiple of 4). ld in
// bytes.
//
//go:noescape
func wino4ATY(y, src *float32, ld int, tab *int32, wo4 int, b, floor float32, mk *uint8, mrow, n int)

// wino4XformAVX2 reports whether the AVX2 transforms of F(4×4, 3×3) in
// conv_wino4_avx2_amd64.s run here: on CPUs with AVX2 and without AVX-512
// (where wino4XformOK's kernels run instead).
var wino4XformAVX2 = cpu.X86.HasAVX2 && !cpu.X86.HasAVX512F

// The AVX2 kernels below are those above on 8 columns a step (n a
// multiple of 8; columns past the last whole 8 are left alone), generated
// from the same Go loop bodies: assembly for speed (7–14× less CPU time a
// column than the Go versions on an AMD Zen 3, BenchmarkWino4Xform), the
// Go versions' bits.

// wino4BT2 is wino4BT in AVX2.
//
//go:noescape
func wino4BT2(dst, src *float32, ld, n int)

// wino4B2 is wino4B in AVX2.
//
//go:noescape
func wino4B2(dst, src *float32, ld, n int)

// wino4AT2 is wino4AT in AVX2.
//
//go:noescape
func wino4AT2(dst, src *float32, ld, n int)

// wino4A2 is wino4A in AVX2.
//
//go:noescape
func wino4A2(dst, src *float32, ld, n int)

// wino4BTP2 is wino4BTP in AVX2.
//
//go:noescape
func wino4BTP2(dst, src *float32, ld, lp, sh, n int)

// wino4BP2 is wino4BP in AVX2.
//
//go:noescape
func wino4BP2(dst, src *float32, ld int, pl *float32, lp, n int)

// wino4ATY2 is wino4ATY in AVX2: blocks of 8 tiles (two groups of four),
// one byte of mask bits a row for each (the same bits at the same places).
//
//go:noescape
func wino4ATY2(y, src *float32, ld int, tab *int32, wo4 int, b, floor float32, mk *uint8, mrow, n int)

// winoPickMx2 is winoPickMx in AVX2 (copies and a mask: the same bits):
// blocks of 8 tiles (two groups of four), one byte of mask bits a row for
// each, rows mrow bytes apart.
//
//go:noescape
func winoPickMx2(gm *float32, ld int, dy *float32, tab *int32, wo4 int, mk *uint8, mrow, n int)
