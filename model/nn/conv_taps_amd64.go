package nn

import "golang.org/x/sys/cpu"

// stackRowsOK reports whether stackRows512 (conv_taps_amd64.s) runs here.
var stackRowsOK = cpu.X86.HasAVX512F

// stackRows512 copies rows·nb runs of w ≤ 16 values, each after pw ≤ 16
// zeros (see conv_taps_amd64.s).
//
//go:noescape
func stackRows512(dst *float32, dr, di int, src *float32, sr, si int, w, pw, rows, nb int)
