//go:build !amd64

package nn

// winoCopyOK is false: the Winograd route's copies run in Go off amd64.
var winoCopyOK = false

func winoDeint4x(l0, l1, l2, l3 *float32, ldl int, src *float32, lds, rows, n int) {
	panic("nn: winoDeint4x without assembly")
}

func winoInt4x(dst *float32, ldd int, l0, l1, l2, l3 *float32, ldl, rows, n int) {
	panic("nn: winoInt4x without assembly")
}

func winoInt4Ax(dst *float32, ldd int, l0, l1, l2, l3 *float32, ldl, rows, n int) {
	panic("nn: winoInt4Ax without assembly")
}

func winoPickMx(gm *float32, ld int, dy *float32, tab *int32, wo4 int, mk *uint8, mrow, n int) {
	panic("nn: winoPickMx without assembly")
}

func winoScat4x(a *winoScat4Args) { panic("nn: winoScat4x without assembly") }

func winoFill4x(a *winoFill4Args) { panic("nn: winoFill4x without assembly") }

func winoFillV(a *winoFillVArgs) { panic("nn: winoFillV without assembly") }

// winoCopyAVX2 is false: the Winograd route's copies run in Go off amd64.
var winoCopyAVX2 = false

func winoDeint4a(l0, l1, l2, l3 *float32, ldl int, src *float32, lds, rows, n int) {
	panic("nn: winoDeint4a without assembly")
}

func winoInt4a(dst *float32, ldd int, l0, l1, l2, l3 *float32, ldl, rows, n int) {
	panic("nn: winoInt4a without assembly")
}

func winoInt4Aa(dst *float32, ldd int, l0, l1, l2, l3 *float32, ldl, rows, n int) {
	panic("nn: winoInt4Aa without assembly")
}

// winoScatAArgs is winoScatAdd's arguments (amd64 only).
type winoScatAArgs struct {
	q, dd  *float32
	tab    *[108]int
	ne     int
	n      int
	tw, th int
}

func winoScatAdd(a *winoScatAArgs) { panic("nn: winoScatAdd without assembly") }

// winoFill4AArgs is winoFill4a's arguments (amd64 only).
type winoFill4AArgs struct {
	q, src  *float32
	lp      int
	tw      int
	h, w    int
	gf, rem int
}

func winoFill4a(a *winoFill4AArgs) { panic("nn: winoFill4a without assembly") }
