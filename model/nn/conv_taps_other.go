//go:build !amd64

package nn

// stackRowsOK is false: stackRows runs its Go loops off amd64.
var stackRowsOK = false

func stackRows512(dst *float32, dr, di int, src *float32, sr, si int, w, pw, rows, nb int) {
	panic("nn: stackRows512 without assembly")
}

func stackBias512(dst *float32, dr, di int, src *float32, sr, si int, w, rows, nb int, b, floor float32) {
	panic("nn: stackBias512 without assembly")
}
