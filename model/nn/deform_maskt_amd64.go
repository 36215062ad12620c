//go:build amd64

package nn

import "golang.org/x/sys/cpu"

// dcnMaskT8 is deform_maskt_amd64.s's masked transpose of 8 channels with
// their sums (see there and maskTranspose).
//
//go:noescape
func dcnMaskT8(dy, y *float32, lds int, dst *float32, ldd, blocks int, even, odd *float32)

// maskT8OK reports whether dcnMaskT8 runs here: AVX2 for its shuffles and
// AVX-512VL for its sums in Y16 and Y17.
var maskT8OK = cpu.X86.HasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL
