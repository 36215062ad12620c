//go:build amd64

package nn

import "golang.org/x/sys/cpu"

// dcnMaskT8 is deform_maskt_amd64.s's masked transpose of 8 channels with
// their sums (see there and maskTranspose).
//
//go:noescape
func dcnMaskT8(dy, y *float32, lds int, dst *float32, ldd, blocks int, sums *float32)

// maskT8OK reports whether dcnMaskT8 runs here: AVX for its compares and
// shuffles (all AVX1 forms), AVX-512VL for its sums in Y16–Y23.
var maskT8OK = cpu.X86.HasAVX && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL
