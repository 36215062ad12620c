//go:build amd64

package nn

// dcnGather32AVX2 is deform_run32_amd64.s's dcnGatherAVX for runs of
// 32·blocks channels (see there): the same bits, faster.
//
//go:noescape
func dcnGather32AVX2(dst, img *float32, pix, row int, base *int32, wts *float32, count, blocks int)

// dcnGather32x2AVX2 is dcnGather32AVX2 for runs of exactly 32 channels,
// two entries at a time (2·pairs entries; see deform_run32_amd64.s).
//
//go:noescape
func dcnGather32x2AVX2(dst, img *float32, pix, row int, base *int32, wts *float32, pairs int)

// noRun32 turns gather32 off (tests).
var noRun32 bool

// gather32 runs dcnGather32AVX2 (dcnGather32x2AVX2 for runs of 32) where
// it applies (AVX2 + FMA, runs of a multiple of 32 channels; dcnGather has
// checked the operands' lengths) and reports whether it did.
func gather32(dst, img []float32, pix, row int, base []int32, wts []float32, n int) bool {
	if n%32 != 0 || n == 0 || !vecOK || noRun32 {
		return false
	}
	if n > 32 {
		dcnGather32AVX2(&dst[0], &img[0], pix, row, &base[0], &wts[0], len(base), n/32)
		return true
	}
	// Runs of 32: pairs of entries, then the odd one.
	if pairs := len(base) / 2; pairs > 0 {
		dcnGather32x2AVX2(&dst[0], &img[0], pix, row, &base[0], &wts[0], pairs)
	}
	if e := len(base) - 1; e%2 == 0 {
		dcnGather32AVX2(&dst[e*32], &img[0], pix, row, &base[e], &wts[4*e], 1, 1)
	}
	return true
}
