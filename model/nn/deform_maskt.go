package nn

// The ReLU's output gradient of a layer with few input channels
// (backwardNarrow at dcnn-first's conv1): masked where the output is not
// positive, transposed to pixel-major for the two GEMMs, and summed per
// channel for the bias gradient, in one pass over dy and y instead of
// three (gradRows into gy, gy's transpose, gy's sums).

// maskTRun is how many pixels maskTranspose transposes across all its
// channels before the next pixels (a multiple of 8).
var maskTRun = 256

// noMaskT8 turns dcnMaskT8 off (tests: the Go loop then gives the same
// bits).
var noMaskT8 bool

// maskTranspose sets dst[q·ldd+o] = dy[o·p+q] where 0 < y[o·p+q] (NaN
// gives 0), else +0, for o < rows, q < p, and adds each stored value to
// even[o] where q is even and to odd[o] where q is odd, in increasing q:
// the bias gradient is even[o] + odd[o] once every image has been added.
// Blocks of 8 channels by 8 pixels go through dcnMaskT8 where it runs, the
// rest through the loop below, with the same sums in the same order.
func maskTranspose(dy, y []float32, p int, dst []float32, ldd, rows int, even, odd []float32) {
	if rows == 0 || p == 0 {
		return
	}
	_, _ = dy[rows*p-1], y[rows*p-1]
	_, _, _ = dst[(p-1)*ldd+rows-1], even[rows-1], odd[rows-1]
	r8, q8 := 0, 0
	if maskT8OK && !noMaskT8 {
		r8, q8 = rows/8*8, p/8*8
	}
	// Runs of maskTRun pixels, every band of 8 channels in turn: the
	// run's rows of dst (maskTRun·ldd values) are written whole while in
	// L1, not a quarter of each line at a time over the image.
	for q0 := 0; q0 < q8; q0 += maskTRun {
		n := min(maskTRun, q8-q0)
		for r := 0; r < r8; r += 8 {
			dcnMaskT8(&dy[r*p+q0], &y[r*p+q0], p, &dst[q0*ldd+r], ldd, n/8, &even[r], &odd[r])
		}
	}
	for r := range rows {
		q := 0
		if r < r8 {
			q = q8
		}
		e, o := even[r], odd[r]
		for ; q < p; q++ {
			var v float32
			if y[r*p+q] > 0 {
				v = dy[r*p+q]
			}
			dst[q*ldd+r] = v
			if q%2 == 0 {
				e += v
			} else {
				o += v
			}
		}
		even[r], odd[r] = e, o
	}
}
