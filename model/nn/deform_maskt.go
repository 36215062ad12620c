package nn

import "fmt"

// The ReLU's output gradient of a layer with few input channels
// (backwardNarrow at dcnn-first's conv1): masked where the output is not
// positive, transposed to pixel-major for the two GEMMs, and summed per
// channel for the bias gradient, in one pass over dy and y instead of
// three (gradRows into gy, gy's transpose, gy's sums).

// maskTRun is how many pixels maskTranspose transposes across all its
// channels before the next pixels: a positive multiple of 8 (the kernel's
// blocks; maskTranspose panics otherwise rather than skip pixels).
var maskTRun = 256

// noMaskT8 turns dcnMaskT8 and dcnMaskT8a off (tests: the Go loop then
// gives the same bits).
var noMaskT8 bool

// maskTSumsLen is the length of maskTranspose's sums for rows channels:
// 8 accumulators (one per pixel of a block of 8) for each channel, in
// bands of 8 channels (a ragged last band takes a whole band's room).
func maskTSumsLen(rows int) int { return (rows + 7) / 8 * 64 }

// maskTSumAt is the index in maskTranspose's sums of channel r's
// accumulator j (the pixels q with q%8 == j): the band's 64 values hold
// accumulator j of its 8 channels at j·8.
func maskTSumAt(r, j int) int { return r/8*64 + j*8 + r%8 }

// maskTBias is channel r's bias gradient from maskTranspose's sums: its 8
// accumulators added as a tree, ((a0+a1)+(a2+a3))+((a4+a5)+(a6+a7)).
func maskTBias(sums []float32, r int) float32 {
	s := sums[r/8*64+r%8:]
	_ = s[56]
	return ((s[0] + s[8]) + (s[16] + s[24])) + ((s[32] + s[40]) + (s[48] + s[56]))
}

// maskTranspose sets dst[q·ldd+o] = dy[o·p+q] where 0 < y[o·p+q] (NaN
// gives 0), else +0, for o < rows, q < p, and adds each stored value to
// channel o's accumulator q%8 (sums[maskTSumAt(o, q%8)]) in increasing q:
// each accumulator takes an eighth of the pixels, so that at 64×64 it adds
// 512 values an image, not 2,048 (two accumulators) with 4 times the
// rounding error. The bias gradient is maskTBias once every image has
// been added. Blocks of 8 channels by 8 pixels go through dcnMaskT8 where
// it runs (AVX-512) or dcnMaskT8a (AVX2), the rest through the loop below,
// with the same sums in the same order. sums holds maskTSumsLen(rows) values.
func maskTranspose(dy, y []float32, p int, dst []float32, ldd, rows int, sums []float32) {
	maskTransposeRange(dy, y, p, 0, p, dst, ldd, rows, sums)
}

// maskTransposeRange is maskTranspose of the pixels [q0, q1) of planes p
// apart (q0 a multiple of 8), dst's rows from pixel q0 on: dst[(q−q0)·ldd+o].
// The pixels of successive ranges add to the sums in the order of one
// maskTranspose over them all where every range but the last holds a
// multiple of 8 pixels.
func maskTransposeRange(dy, y []float32, p, q0, q1 int, dst []float32, ldd, rows int, sums []float32) {
	if maskTRun <= 0 || maskTRun%8 != 0 {
		panic(fmt.Sprintf("nn: maskTRun %d is not a positive multiple of 8", maskTRun))
	}
	if q0%8 != 0 || q0 < 0 || q1 > p {
		panic(fmt.Sprintf("nn: maskTransposeRange [%d, %d) of %d pixels", q0, q1, p))
	}
	if rows == 0 || q1 <= q0 {
		return
	}
	_, _ = dy[rows*p-1], y[rows*p-1]
	_, _ = dst[(q1-q0-1)*ldd+rows-1], sums[maskTSumsLen(rows)-1]
	r8, q8 := 0, q0
	if (maskT8OK || maskT8aOK) && !noMaskT8 {
		r8, q8 = rows/8*8, q0+(q1-q0)/8*8
	}
	// Runs of maskTRun pixels, every band of 8 channels in turn: the
	// run's rows of dst (maskTRun·ldd values) are written whole while in
	// L1, not a quarter of each line at a time over the image.
	for qa := q0; qa < q8; qa += maskTRun {
		n := min(maskTRun, q8-qa)
		for r := 0; r < r8; r += 8 {
			maskT8(&dy[r*p+qa], &y[r*p+qa], p, &dst[(qa-q0)*ldd+r], ldd, n/8, &sums[r*8])
		}
	}
	for r := range rows {
		q := q0
		if r < r8 {
			q = q8
		}
		for ; q < q1; q++ {
			var v float32
			if y[r*p+q] > 0 {
				v = dy[r*p+q]
			}
			dst[(q-q0)*ldd+r] = v
			sums[maskTSumAt(r, q%8)] += v
		}
	}
}
