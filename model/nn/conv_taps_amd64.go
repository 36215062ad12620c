package nn

import "golang.org/x/sys/cpu"

// stackRowsOK reports whether stackRows512 (conv_taps_amd64.s) runs here.
var stackRowsOK = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL

// stackRows512 copies rows·nb runs of w values, each after pw zeros, pw +
// w ≤ 16 (see conv_taps_amd64.s).
//
//go:noescape
func stackRows512(dst *float32, dr, di int, src *float32, sr, si int, w, pw, rows, nb int)

// stackBias512 copies rows·nb runs of w ≤ 16 values as stackRows512 does
// (no zeros), each value v written as max(v + b, floor) (see
// conv_taps_amd64.s).
//
//go:noescape
func stackBias512(dst *float32, dr, di int, src *float32, sr, si int, w, rows, nb int, b, floor float32)
