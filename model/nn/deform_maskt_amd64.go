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

// dcnMaskT8a is deform_maskt_amd64.s's dcnMaskT8 for CPUs without
// AVX-512 (its sums in memory, the same additions; see there).
//
//go:noescape
func dcnMaskT8a(dy, y *float32, lds int, dst *float32, ldd, blocks int, sums *float32)

// maskT8aOK reports whether dcnMaskT8a runs here: AVX2 (its forms are
// AVX's) where dcnMaskT8 does not.
var maskT8aOK = cpu.X86.HasAVX2 && !maskT8OK

// maskT8 runs dcnMaskT8 where it runs, else dcnMaskT8a.
func maskT8(dy, y *float32, lds int, dst *float32, ldd, blocks int, sums *float32) {
	if maskT8OK {
		dcnMaskT8(dy, y, lds, dst, ldd, blocks, sums)
		return
	}
	dcnMaskT8a(dy, y, lds, dst, ldd, blocks, sums)
}
