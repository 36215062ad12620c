//go:build !amd64

package nn

var maskT8OK = false

func dcnMaskT8(dy, y *float32, lds int, dst *float32, ldd, blocks int, sums *float32) {
	panic("nn: dcnMaskT8 without assembly")
}
