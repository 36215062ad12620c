// The arithmetic of idctStoreAVX2 is that of idct.go and storeBlock (scan.go), from the Go
// image/jpeg package: Copyright 2025 The Go Authors, BSD-style licence in LICENSE.

#include "textflag.h"

// Offsets in idctK (32 bytes a constant): dctBox factors kcos, ksin−kcos, kcos+ksin.
#define KROW 0    // rows: c(sqrt2inv_cos6, 18), −c(sqrt2inv_sin6, 18)
#define K3 96     // both passes: c(cos3, 12), −c(sin3, 12)
#define K1 192    // both passes: c(cos1, 12), −c(sin1, 12)
#define KR2 288   // rows: c(sqrt2inv, 8)
#define KCOL 320  // columns: c(sqrt2inv_cos6, 12), −c(sqrt2inv_sin6, 12)
#define KC2 416   // columns: c(sqrt2inv, 14)
#define KHALF 448 // 1<<19
#define K128 480  // 128
#define KPERM 512 // dword order of a store's packed rows

// a, b = a+b, a−b (t scratch).
#define BFLY(a, b, t) \
	VPADDD    b, a, t \
	VPSUBD    b, a, b \
	VMOVDQU   t, a

// x0, x1 = dctBox(x0, x1, kcos, ksin) with its factors at off(DX): ksum = kcos·(x0+x1),
// y0 = ksum + (ksin−kcos)·x1, y1 = ksum − (kcos+ksin)·x0 (t0, t1 scratch).
#define DCTBOX(x0, x1, off, t0, t1) \
	VPADDD    x1, x0, t0 \
	VPMULLD   off(DX), t0, t0 \
	VPMULLD   off+32(DX), x1, t1 \
	VPADDD    t1, t0, t1 \
	VPMULLD   off+64(DX), x0, x0 \
	VPSUBD    x0, t0, x1 \
	VMOVDQU   t1, x0

// Transposes the 8×8 int32 in r0-r7 (rows) into s0-s7 (s_j holds column j); r0-r7 are lost.
#define TRANSPOSE(r0, r1, r2, r3, r4, r5, r6, r7, s0, s1, s2, s3, s4, s5, s6, s7) \
	VPUNPCKLDQ  r1, r0, s0 \
	VPUNPCKHDQ  r1, r0, s1 \
	VPUNPCKLDQ  r3, r2, s2 \
	VPUNPCKHDQ  r3, r2, s3 \
	VPUNPCKLDQ  r5, r4, s4 \
	VPUNPCKHDQ  r5, r4, s5 \
	VPUNPCKLDQ  r7, r6, s6 \
	VPUNPCKHDQ  r7, r6, s7 \
	VPUNPCKLQDQ s2, s0, r0 \
	VPUNPCKHQDQ s2, s0, r1 \
	VPUNPCKLQDQ s3, s1, r2 \
	VPUNPCKHQDQ s3, s1, r3 \
	VPUNPCKLQDQ s6, s4, r4 \
	VPUNPCKHQDQ s6, s4, r5 \
	VPUNPCKLQDQ s7, s5, r6 \
	VPUNPCKHQDQ s7, s5, r7 \
	VPERM2I128  $0x20, r4, r0, s0 \
	VPERM2I128  $0x20, r5, r1, s1 \
	VPERM2I128  $0x20, r6, r2, s2 \
	VPERM2I128  $0x20, r7, r3, s3 \
	VPERM2I128  $0x31, r4, r0, s4 \
	VPERM2I128  $0x31, r5, r1, s5 \
	VPERM2I128  $0x31, r6, r2, s6 \
	VPERM2I128  $0x31, r7, r3, s7

// 4 rows (int32, level-shifted) to bytes, clipped by the saturating packs as storeBlock clips,
// stored at (dst), (dst)(BX*1), (dst)(BX*2), (t)(BX*1) with t = dst + 2·stride.
#define STORE4(a, ax, b, c, cx, d, dst, t) \
	VPACKSSDW    b, a, a \
	VPACKSSDW    d, c, c \
	VPACKUSWB    c, a, a \
	VPERMD       a, Y15, a \
	VMOVQ        ax, (dst) \
	VPEXTRQ      $1, ax, (dst)(BX*1) \
	VEXTRACTI128 $1, a, cx \
	LEAQ         (dst)(BX*2), t \
	VMOVQ        cx, (t) \
	VPEXTRQ      $1, cx, (t)(BX*1)

// func idctStoreAVX2(b *block, dst *byte, stride int, k *[17][8]int32)
TEXT ·idctStoreAVX2(SB), NOSPLIT, $0-32
	MOVQ b+0(FP), SI
	MOVQ dst+8(FP), DI
	MOVQ stride+16(FP), BX
	MOVQ k+24(FP), DX

	VMOVDQU 0(SI), Y0
	VMOVDQU 32(SI), Y1
	VMOVDQU 64(SI), Y2
	VMOVDQU 96(SI), Y3
	VMOVDQU 128(SI), Y4
	VMOVDQU 160(SI), Y5
	VMOVDQU 192(SI), Y6
	VMOVDQU 224(SI), Y7
	TRANSPOSE(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15)

	// idctRows, row i in lane i: x0 = Y8 (x[0]), x7 = Y9, x2 = Y10, x5 = Y11, x1 = Y12, x6 = Y13,
	// x3 = Y14, x4 = Y15; Y0, Y1 scratch.
	VPSLLD $17, Y8, Y8
	VPSLLD $17, Y12, Y12
	BFLY(Y8, Y12, Y0)
	DCTBOX(Y10, Y14, KROW, Y0, Y1)
	BFLY(Y12, Y10, Y0)
	BFLY(Y8, Y14, Y0)
	VPSLLD $7, Y15, Y15
	VPSLLD $7, Y9, Y9
	BFLY(Y9, Y15, Y0)
	VPMULLD KR2(DX), Y13, Y13
	VPMULLD KR2(DX), Y11, Y11
	BFLY(Y9, Y11, Y0)
	BFLY(Y15, Y13, Y0)
	VPSRAD $2, Y15, Y15
	VPSRAD $2, Y9, Y9
	DCTBOX(Y15, Y9, K3, Y0, Y1)
	VPSRAD $2, Y11, Y11
	VPSRAD $2, Y13, Y13
	DCTBOX(Y11, Y13, K1, Y0, Y1)
	BFLY(Y8, Y9, Y0)
	BFLY(Y12, Y13, Y0)
	BFLY(Y10, Y11, Y0)
	BFLY(Y14, Y15, Y0)

	// Columns x[0]-x[7] of the result: Y8, Y12, Y10, Y14, Y15, Y11, Y13, Y9; back to rows in Y0-Y7.
	TRANSPOSE(Y8, Y12, Y10, Y14, Y15, Y11, Y13, Y9, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)

	// idctCols, column i in lane i: x0 = Y0 (row 0), x7 = Y1, x2 = Y2, x5 = Y3, x1 = Y4, x6 = Y5,
	// x3 = Y6, x4 = Y7; Y8, Y9 scratch.
	VPADDD KHALF(DX), Y0, Y0
	BFLY(Y0, Y4, Y8)
	VPSRAD $2, Y0, Y0
	VPSRAD $2, Y4, Y4
	VPSRAD $13, Y2, Y2
	VPSRAD $13, Y6, Y6
	DCTBOX(Y2, Y6, KCOL, Y8, Y9)
	BFLY(Y4, Y2, Y8)
	BFLY(Y0, Y6, Y8)
	BFLY(Y1, Y7, Y8)
	VPSRAD  $13, Y3, Y3
	VPSRAD  $13, Y5, Y5
	VPMULLD KC2(DX), Y3, Y3
	VPMULLD KC2(DX), Y5, Y5
	BFLY(Y1, Y3, Y8)
	BFLY(Y7, Y5, Y8)
	VPSRAD $14, Y7, Y7
	VPSRAD $14, Y1, Y1
	DCTBOX(Y7, Y1, K3, Y8, Y9)
	VPSRAD $14, Y3, Y3
	VPSRAD $14, Y5, Y5
	DCTBOX(Y3, Y5, K1, Y8, Y9)
	BFLY(Y0, Y1, Y8)
	BFLY(Y4, Y5, Y8)
	BFLY(Y2, Y3, Y8)
	BFLY(Y6, Y7, Y8)
	VPSRAD $18, Y0, Y0
	VPSRAD $18, Y1, Y1
	VPSRAD $18, Y2, Y2
	VPSRAD $18, Y3, Y3
	VPSRAD $18, Y4, Y4
	VPSRAD $18, Y5, Y5
	VPSRAD $18, Y6, Y6
	VPSRAD $18, Y7, Y7

	// Rows 0-7 of the result: Y0, Y4, Y2, Y6, Y7, Y3, Y5, Y1.
	VMOVDQU Y0, 0(SI)
	VMOVDQU Y4, 32(SI)
	VMOVDQU Y2, 64(SI)
	VMOVDQU Y6, 96(SI)
	VMOVDQU Y7, 128(SI)
	VMOVDQU Y3, 160(SI)
	VMOVDQU Y5, 192(SI)
	VMOVDQU Y1, 224(SI)

	VMOVDQU KPERM(DX), Y15
	VPBROADCASTD K128(DX), Y14
	VPADDD Y14, Y0, Y0
	VPADDD Y14, Y1, Y1
	VPADDD Y14, Y2, Y2
	VPADDD Y14, Y3, Y3
	VPADDD Y14, Y4, Y4
	VPADDD Y14, Y5, Y5
	VPADDD Y14, Y6, Y6
	VPADDD Y14, Y7, Y7
	STORE4(Y0, X0, Y4, Y2, X2, Y6, DI, R8)
	LEAQ (DI)(BX*4), R9
	STORE4(Y7, X7, Y3, Y5, X5, Y1, R9, R8)
	VZEROUPPER
	RET
