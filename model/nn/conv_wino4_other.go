//go:build !amd64

package nn

// wino4XformOK is false: off amd64 the F(4×4, 3×3) transforms run as
// their Go versions (wino4BTGo and so on).
var wino4XformOK = false

func wino4BT(dst, src *float32, ld, n int) { panic("nn: wino4BT without assembly") }
func wino4B(dst, src *float32, ld, n int)  { panic("nn: wino4B without assembly") }
func wino4AT(dst, src *float32, ld, n int) { panic("nn: wino4AT without assembly") }
func wino4A(dst, src *float32, ld, n int)  { panic("nn: wino4A without assembly") }

func wino4BTP(dst, src *float32, ld, lp, sh, n int) { panic("nn: wino4BTP without assembly") }

func wino4BP(dst, src *float32, ld int, pl *float32, lp, n int) {
	panic("nn: wino4BP without assembly")
}

func wino4ATY(y, src *float32, ld int, tab *int32, wo4 int, b, floor float32, mk *uint8, mrow, n int) {
	panic("nn: wino4ATY without assembly")
}

// wino4XformAVX2 is false: off amd64 no AVX2 kernels.
var wino4XformAVX2 = false

func wino4BT2(dst, src *float32, ld, n int) { panic("nn: wino4BT2 without assembly") }
func wino4B2(dst, src *float32, ld, n int)  { panic("nn: wino4B2 without assembly") }
func wino4AT2(dst, src *float32, ld, n int) { panic("nn: wino4AT2 without assembly") }
func wino4A2(dst, src *float32, ld, n int)  { panic("nn: wino4A2 without assembly") }

func wino4BTP2(dst, src *float32, ld, lp, sh, n int) { panic("nn: wino4BTP2 without assembly") }

func wino4BP2(dst, src *float32, ld int, pl *float32, lp, n int) {
	panic("nn: wino4BP2 without assembly")
}

func wino4ATY2(y, src *float32, ld int, tab *int32, wo4 int, b, floor float32, mk *uint8, mrow, n int) {
	panic("nn: wino4ATY2 without assembly")
}

func winoPickMx2(gm *float32, ld int, dy *float32, tab *int32, wo4 int, mk *uint8, mrow, n int) {
	panic("nn: winoPickMx2 without assembly")
}
