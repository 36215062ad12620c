//go:build !amd64

package nn

// stackRowsOK is false: stackRows runs its Go loops off amd64.
var stackRowsOK = false

// stackRowsAVX2 is false: stackRows runs its Go loops off amd64.
var stackRowsAVX2 = false

func stackRowsY(dst *float32, dr, di int, src *float32, sr, si int, w, pw, rows, nb, sw int, m *[32]int32) {
	panic("nn: stackRowsY without assembly")
}

func stackBiasY(dst *float32, dr, di int, src *float32, sr, si int, w, rows, nb int, b, floor float32, sw int, m *[32]int32) {
	panic("nn: stackBiasY without assembly")
}

func stackRows512(dst *float32, dr, di int, src *float32, sr, si int, w, pw, rows, nb int) {
	panic("nn: stackRows512 without assembly")
}

func stackBias512(dst *float32, dr, di int, src *float32, sr, si int, w, rows, nb int, b, floor float32) {
	panic("nn: stackBias512 without assembly")
}

// tapPack packs nothing off amd64: there is no taps kernel.
func tapPack(buf *[]float32, m, k, taps int, a []float32) []float32 { return nil }

func tapSumPacked(m, n, k int, pa, a, b []float32, ldb int, boff []int, c []float32, ldc int) bool {
	return false
}

// noTapPack turns tapPack off (tests).
var noTapPack = false
