//go:build !amd64

package nn

var gather3OK, gather3AVX2 = false, false

func gather3(dst, img []float32, pix, row int, base []int32, wts []float32, n, last int) int {
	return 0
}
