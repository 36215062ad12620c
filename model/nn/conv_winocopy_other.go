//go:build !amd64

package nn

// winoCopyOK is false: the Winograd route's copies run in Go off amd64.
var winoCopyOK = false

func winoDeint4x(l0, l1, l2, l3, src *float32, n int) {
	panic("nn: winoDeint4x without assembly")
}

func winoInt4x(dst, l0, l1, l2, l3 *float32, n int) { panic("nn: winoInt4x without assembly") }
