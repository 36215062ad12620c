package cropset

import "golang.org/x/sys/cpu"

// resizeAVX2 reports whether resize runs its passes with the AVX2 kernels of resize_amd64.s. They
// are assembly for speed (the horizontal pass does 4 source rows at once, one float64 lane a
// channel, where the Go loop does one sum at a time) and give the Go loops' bits: each sum adds
// the same products in the same order, unfused. A build that fuses the Go loops' products into
// their sums (GOAMD64=v3 and up, see goFuses) keeps the Go loops, so that the crops stay those of
// imaging built the same way.
var resizeAVX2 = cpu.X86.HasAVX2 && !goFuses()

// hpass4 resamples 4 source rows of RGB triples to len(w) pixels each: row j (j < 4) starts at
// src + j·sstride and its output at dst + j·dstride, and output pixel x of a row is
// clamp(Σ row[3·t.index+c]·t.weight · w[x].inv) over w[x]'s taps in order, for c = 0, 1, 2 (the Go
// loop of resize). It reads 4 bytes at each tap (the 4th is unused), so each row needs one byte
// past its last triple. sstride = dstride = 0 does one row.
//
//go:noescape
func hpass4(src *uint8, sstride int, dst *uint8, dstride int, w []taps)

// vaxpy adds float64(src[k])·w to acc[k] for k < n, product then sum (resize's vertical pass).
//
//go:noescape
func vaxpy(acc *float64, src *uint8, n int, w float64)

// ycbcr16 converts blocks·16 pixels of 4:2:0 or 4:2:2 YCbCr to RGB triples in row: lum holds their
// luma samples, cb and cr their chroma samples, one for each pair of pixels (the first pixel is the
// first of its pair). It is ycbcrRowHalf's arithmetic (color.YCbCrToRGB's), 16 pixels at a time.
//
//go:noescape
func ycbcr16(lum, cb, cr *uint8, blocks int, row *uint8)

// yccAVX2 reports whether ycbcrRowHalf converts 16 pixels at a time with ycbcr16 (integer
// arithmetic: the same bits in every build).
var yccAVX2 = cpu.X86.HasAVX2

// ycbcr16full is ycbcr16 for 4:4:4 and 4:4:0: one chroma sample a pixel.
//
//go:noescape
func ycbcr16full(lum, cb, cr *uint8, blocks int, row *uint8)
