//go:build amd64

package nn

import "golang.org/x/sys/cpu"

// dcnGather3x4 is deform_gather3_amd64.s's gather of runs of 3 channels in
// pixels of 4 values, four entries at a time (see there).
//
//go:noescape
func dcnGather3x4(dst, img *float32, row int, base *int32, wts *float32, quads int)

// gather3OK reports whether dcnGather3x4 runs here (AVX-512F).
var gather3OK = cpu.X86.HasAVX512F

// gather3 samples the whole groups of 4 entries with dcnGather3x4 where it
// applies (runs of 3 channels in pixels of 4 values, AVX-512, img holding
// every corner pixel's 4th value) and returns how many entries it did.
func gather3(dst, img []float32, pix, row int, base []int32, wts []float32, n, last int) int {
	q := len(base) / 4
	if n != 3 || pix != 4 || !gather3OK || noGather3 || q == 0 || last*pix+row+pix+4 > len(img) {
		return 0
	}
	_, _ = dst[4*q*3-1], wts[16*q-1]
	dcnGather3x4(&dst[0], &img[0], row, &base[0], &wts[0], q)
	return 4 * q
}
