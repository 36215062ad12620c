package nn

import (
	"fmt"
	"testing"
)

// TestTranspose8 checks transpose8 (packTranspose8's 8×8 blocks and the
// scalar edges) against the definition, with strides wider than the
// matrices and sentinels around the destination; destination strides of
// planeAlias (8 destination rows at a time) with 8 and more columns and
// ragged edges.
func TestTranspose8(t *testing.T) {
	for _, s := range []struct{ rows, cols, lds, ldd int }{
		{8, 8, 8, 8}, {8, 16, 19, 11}, {16, 8, 8, 16}, {17, 23, 29, 31}, {3, 5, 5, 3}, {64, 40, 40, 70}, {9, 1, 1, 9},
		{64, 32, 32, planeAlias}, {13, 27, 30, planeAlias}, {8, 16, 16, 2 * planeAlias}, {7, 9, 9, planeAlias},
		{24, 8, 8, planeAlias}, {5, 20, 20, planeAlias}, {7, 16, 16, planeAlias}, {15, 17, 17, planeAlias},
	} {
		t.Run(fmt.Sprintf("%dx%d/lds=%d/ldd=%d", s.rows, s.cols, s.lds, s.ldd), func(t *testing.T) {
			src := make([]float32, (s.rows-1)*s.lds+s.cols)
			for i := range src {
				src[i] = float32(i + 1)
			}
			dst := make([]float32, (s.cols-1)*s.ldd+s.rows+8)
			for i := range dst {
				dst[i] = -1
			}
			transpose8(src, s.lds, dst, s.ldd, s.rows, s.cols)
			for q := range s.cols {
				for r := range s.ldd {
					i := q*s.ldd + r
					if i >= len(dst) {
						break
					}
					want := float32(-1)
					if r < s.rows {
						want = src[r*s.lds+q]
					}
					if dst[i] != want {
						t.Fatalf("dst[%d·ldd+%d] = %v, want %v", q, r, dst[i], want)
					}
				}
			}
		})
	}
}

// BenchmarkTranspose8 times the transposed pack of the Winograd weight
// gradient's V (128 channels × 256 tiles) in CPU time.
func BenchmarkTranspose8(b *testing.B) {
	const rows, cols = 128, 256
	src := make([]float32, rows*cols)
	dst := make([]float32, rows*cols)
	cpuLoop(b, 0, func() { transpose8(src, cols, dst, rows, rows, cols) })
}
