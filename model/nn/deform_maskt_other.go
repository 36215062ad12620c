//go:build !amd64

package nn

var maskT8OK = false

var maskT8aOK = false

func maskT8(dy, y *float32, lds int, dst *float32, ldd, blocks int, sums *float32) {
	panic("nn: maskT8 without assembly")
}
