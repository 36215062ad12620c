package nn

import "golang.org/x/sys/cpu"

// stackRowsOK reports whether stackRows512 (conv_taps_amd64.s) runs here.
var stackRowsOK = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL

// stackRowsAVX2 reports whether stackRowsY and stackBiasY
// (conv_taps_avx2_amd64.s) run here: CPUs with AVX2 where the AVX-512
// moves (stackRowsOK) do not run.
var stackRowsAVX2 = cpu.X86.HasAVX2 && !stackRowsOK

// stackRowsY is stackRows512 on AVX2, pw + w ≤ 16, each run's store sw
// lanes wide (pw + w, or 8 where the lanes past the run are written again
// later: stackRowsAVX2Go), with the masks laneMasks(pw, pw+w, sw) (see
// conv_taps_avx2_amd64.s).
//
//go:noescape
func stackRowsY(dst *float32, dr, di int, src *float32, sr, si int, w, pw, rows, nb, sw int, m *[32]int32)

// stackBiasY is stackBias512 on AVX2, w ≤ 16, stores sw lanes wide as
// stackRowsY's, with the masks laneMasks(0, w, sw) (see
// conv_taps_avx2_amd64.s).
//
//go:noescape
func stackBiasY(dst *float32, dr, di int, src *float32, sr, si int, w, rows, nb int, b, floor float32, sw int, m *[32]int32)

// stackRows512 copies rows·nb runs of w values, each after pw zeros, pw +
// w ≤ 16 (see conv_taps_amd64.s).
//
//go:noescape
func stackRows512(dst *float32, dr, di int, src *float32, sr, si int, w, pw, rows, nb int)

// stackBias512 copies rows·nb runs of w ≤ 16 values as stackRows512 does
// (no zeros), each value v written as max(v + b, floor) (see
// conv_taps_amd64.s).
//
//go:noescape
func stackBias512(dst *float32, dr, di int, src *float32, sr, si int, w, rows, nb int, b, floor float32)

// tapPack packs the taps' A matrices (taps matrices of m×k, one after
// another at a[t·m·k:], row stride k) into *buf as sgemmSumABRows packs
// them in each call: each into panels of 8 rows (mp = m rounded up to 8
// rows, zero-filled), tap t's at t·mp·k. It returns nil where
// tapSumPacked does not run (not the AVX-512 kernels, fewer than 8 rows,
// or k past the kernels' block depth). The tap-sum route packs its weight
// once per Forward or Backward instead of once per chunk.
func tapPack(buf *[]float32, m, k, taps int, a []float32) []float32 {
	kn := sgemmKern
	if kn == nil || !kn.taps || kn.mr != 8 || kn.nr != 32 || m < 8 || k == 0 || k > kn.kc || noTapPack {
		return nil
	}
	mp := (m + 7) / 8 * 8
	pa := aligned(buf, taps*mp*k)
	for t := range taps {
		packA(false, a[t*m*k:], k, 0, 0, m, k, 8, pa[t*mp*k:])
	}
	return pa
}

// tapSumPacked is sgemmSumAB(m, n, k, a, m·k, k, b, ldb, boff, c, ldc)
// with a packed by tapPack into pa: the full 8×32 tiles through
// sgemmKernel8x32Taps from pa, the last m mod 8 rows and n mod 32 columns
// through sgemmSumAB itself, so that each element of C has the bits
// sgemmSumAB gives it. It reports false, writing nothing, where pa is nil,
// there is no full tile, or B's row stride is a multiple of 1024 (where
// sgemmSumAB packs B).
func tapSumPacked(m, n, k int, pa, a, b []float32, ldb int, boff []int, c []float32, ldc int) bool {
	m8, n32 := m/8*8, n/32*32
	if pa == nil || m8 == 0 || n32 == 0 || ldb%1024 == 0 || len(boff) == 0 {
		return false
	}
	mp := (m + 7) / 8 * 8
	_ = pa[len(boff)*mp*k-1]
	for _, o := range boff {
		if o < 0 {
			panic("nn: tapSumPacked: negative tap offset")
		}
		_ = b[o+(k-1)*ldb+n-1]
	}
	_ = c[(m-1)*ldc+n-1]
	for x := 0; x < n32; x += 32 {
		for ir := 0; ir < m8; ir += 8 {
			sgemmKernel8x32Taps(k, &pa[ir*k], mp*k, &b[x], ldb, &boff[0], len(boff), &c[ir*ldc+x], ldc)
		}
	}
	if m8 < m && !sgemmSumAB(m-m8, n32, k, a[m8*k:], m*k, k, b, ldb, boff, c[m8*ldc:], ldc) {
		panic("nn: tapSumPacked: sgemmSumAB declined the last rows")
	}
	if n32 < n && !sgemmSumAB(m, n-n32, k, a, m*k, k, b[n32:], ldb, boff, c[n32:], ldc) {
		panic("nn: tapSumPacked: sgemmSumAB declined the last columns")
	}
	return true
}

// noTapPack turns tapPack off (tests).
var noTapPack = false
