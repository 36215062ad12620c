//go:build !amd64

package nn

// vecOK is false: the element-wise loops stay in Go off amd64.
var vecOK = false

func vadd(dst, src *float32, n int) { panic("nn: vadd without assembly") }

func vbias(dst *float32, ldd int, src *float32, lds int, rows, cols int, b, floor float32) {
	panic("nn: vbias without assembly")
}

func vmask(dst *float32, ldd int, src *float32, lds int, y *float32, rows, cols int) {
	panic("nn: vmask without assembly")
}

func vbiasM(dst *float32, ldd int, src *float32, lds int, rows, cols int, b, floor float32, m *uint8) {
	panic("nn: vbiasM without assembly")
}

func vmaskM(dst *float32, ldd int, src *float32, lds int, m *uint8, rows, cols int) {
	panic("nn: vmaskM without assembly")
}

func vpool2(img *float32, w int, out *float32, arg *int32, ho, wo int) {
	panic("nn: vpool2 without assembly")
}

func vsum(x *float32, n int) float32 { panic("nn: vsum without assembly") }

func vunpool2(dx *float32, w int, dy *float32, arg *int32, ho, wo int) {
	panic("nn: vunpool2 without assembly")
}

func dcnGatherAVX(dst, img *float32, pix, row int, base *int32, wts *float32, count, n int) {
	panic("nn: dcnGatherAVX without assembly")
}

func dcnScatterAVX(dimg, img *float32, pix, row int, base *int32, wts, gr, s *float32, count, n int) {
	panic("nn: dcnScatterAVX without assembly")
}

func dcnScatter4AVX(dimg, img *float32, pix, row int, base *int32, wts, gr, s *float32, count, n int) {
	panic("nn: dcnScatter4AVX without assembly")
}

func dcnFillAVX(a *dcnFillArgs) { panic("nn: dcnFillAVX without assembly") }

func dcnOffGradAVX(a *dcnOffGradArgs) { panic("nn: dcnOffGradAVX without assembly") }
