//go:build amd64

package nn

import "golang.org/x/sys/cpu"

// dcnGather3x4 is deform_gather3_amd64.s's gather of runs of 3 channels in
// pixels of 4 values, four entries at a time (see there).
//
//go:noescape
func dcnGather3x4(dst, img *float32, row int, base *int32, wts *float32, quads int)

// dcnGather3x4AVX2 is dcnGather3x4 in AVX2 (deform_gather3_amd64.s): the
// same entries, dcnGatherAVX's bits.
//
//go:noescape
func dcnGather3x4AVX2(dst, img *float32, row int, base *int32, wts *float32, quads int)

// gather3OK reports whether dcnGather3x4 runs here (AVX-512F).
var gather3OK = cpu.X86.HasAVX512F

// gather3AVX2 reports whether dcnGather3x4AVX2 runs here: AVX2 and FMA,
// where dcnGather3x4 does not (gather3OK false).
var gather3AVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// gather3 samples the whole groups of 4 entries with dcnGather3x4 (AVX-512)
// or else dcnGather3x4AVX2 (AVX2 and FMA) where it applies (runs of 3
// channels in pixels of 4 values, img holding every corner pixel's 4th
// value) and returns how many entries it did. Both give dcnGatherAVX's
// bits; they are assembly for speed (dcnGatherAVX's masked loads and
// stores of 3 values cost 5.9 ns an entry on Zen 3, 1.9 through
// dcnGather3x4AVX2: BenchmarkGather3).
func gather3(dst, img []float32, pix, row int, base []int32, wts []float32, n, last int) int {
	q := len(base) / 4
	if n != 3 || pix != 4 || !(gather3OK || gather3AVX2) || noGather3 || q == 0 || last*pix+row+pix+4 > len(img) {
		return 0
	}
	_, _ = dst[4*q*3-1], wts[16*q-1]
	if gather3OK {
		dcnGather3x4(&dst[0], &img[0], row, &base[0], &wts[0], q)
	} else {
		dcnGather3x4AVX2(&dst[0], &img[0], row, &base[0], &wts[0], q)
	}
	return 4 * q
}
