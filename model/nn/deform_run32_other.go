//go:build !amd64

package nn

// noRun32 turns gather32 off (tests; it never runs off amd64).
var noRun32 bool

// gather32 reports false: the 32-channel AVX2 gather is amd64 only.
func gather32(dst, img []float32, pix, row int, base []int32, wts []float32, n int) bool {
	return false
}
