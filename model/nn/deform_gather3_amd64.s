//go:build amd64

#include "textflag.h"

// The lanes of four entries' 3 values, packed: lanes 0–2 of each 128-bit
// block.
DATA dg3idx<>+0(SB)/4, $0
DATA dg3idx<>+4(SB)/4, $1
DATA dg3idx<>+8(SB)/4, $2
DATA dg3idx<>+12(SB)/4, $4
DATA dg3idx<>+16(SB)/4, $5
DATA dg3idx<>+20(SB)/4, $6
DATA dg3idx<>+24(SB)/4, $8
DATA dg3idx<>+28(SB)/4, $9
DATA dg3idx<>+32(SB)/4, $10
DATA dg3idx<>+36(SB)/4, $12
DATA dg3idx<>+40(SB)/4, $13
DATA dg3idx<>+44(SB)/4, $14
DATA dg3idx<>+48(SB)/4, $0
DATA dg3idx<>+52(SB)/4, $0
DATA dg3idx<>+56(SB)/4, $0
DATA dg3idx<>+60(SB)/4, $0
GLOBL dg3idx<>(SB), RODATA|NOPTR, $64

// func dcnGather3x4(dst, img *float32, row int, base *int32, wts *float32, quads int)
// dcnGatherAVX for runs of 3 channels in pixels of 4 values (dcnn-first's conv1), four entries at a
// time in AVX-512: entry e's corner pixels (16 bytes each, all four values loaded) go to 128-bit
// block e%4 of Z0–Z3, its weights wts[4e:4e+4] are spread over its block (VSHUFPS), and each value
// is VMULPS by the first weight, then three fused multiply-adds in dcnGatherAVX's order (the same
// bits); lanes 0–2 of each block are packed (VPERMPS) and stored, 12 values, with a mask. row is
// in values; quads groups of 4 entries. img must hold the 4th value of every corner pixel.
TEXT ·dcnGather3x4(SB), NOSPLIT, $0-48
	MOVQ    dst+0(FP), DI
	MOVQ    img+8(FP), SI
	MOVQ    row+16(FP), R9
	MOVQ    base+24(FP), BX
	MOVQ    wts+32(FP), DX
	MOVQ    quads+40(FP), CX
	SHLQ    $2, R9
	VMOVUPS dg3idx<>(SB), Z20
	MOVL    $0x0fff, AX
	KMOVW   AX, K1
	TESTQ   CX, CX
	JZ      dg3done

dg3loop:
	MOVLQSX 0(BX), AX
	MOVLQSX 4(BX), R10
	MOVLQSX 8(BX), R11
	MOVLQSX 12(BX), R12
	SHLQ    $4, AX
	SHLQ    $4, R10
	SHLQ    $4, R11
	SHLQ    $4, R12
	ADDQ    SI, AX
	ADDQ    SI, R10
	ADDQ    SI, R11
	ADDQ    SI, R12

	VMOVUPS      (AX), X0
	VINSERTF32X4 $1, (R10), Z0, Z0
	VINSERTF32X4 $2, (R11), Z0, Z0
	VINSERTF32X4 $3, (R12), Z0, Z0
	VMOVUPS      16(AX), X1
	VINSERTF32X4 $1, 16(R10), Z1, Z1
	VINSERTF32X4 $2, 16(R11), Z1, Z1
	VINSERTF32X4 $3, 16(R12), Z1, Z1
	VMOVUPS      (AX)(R9*1), X2
	VINSERTF32X4 $1, (R10)(R9*1), Z2, Z2
	VINSERTF32X4 $2, (R11)(R9*1), Z2, Z2
	VINSERTF32X4 $3, (R12)(R9*1), Z2, Z2
	VMOVUPS      16(AX)(R9*1), X3
	VINSERTF32X4 $1, 16(R10)(R9*1), Z3, Z3
	VINSERTF32X4 $2, 16(R11)(R9*1), Z3, Z3
	VINSERTF32X4 $3, 16(R12)(R9*1), Z3, Z3

	VMOVUPS (DX), Z4
	VSHUFPS $0x00, Z4, Z4, Z5
	VSHUFPS $0x55, Z4, Z4, Z6
	VSHUFPS $0xaa, Z4, Z4, Z7
	VSHUFPS $0xff, Z4, Z4, Z8

	VMULPS      Z0, Z5, Z9
	VFMADD231PS Z1, Z6, Z9
	VFMADD231PS Z2, Z7, Z9
	VFMADD231PS Z3, Z8, Z9
	VPERMPS     Z9, Z20, Z10
	VMOVUPS     Z10, K1, (DI)

	DECQ CX
	JZ   dg3done
	ADDQ $16, BX
	ADDQ $64, DX
	ADDQ $48, DI
	JMP  dg3loop

dg3done:
	VZEROUPPER
	RET

// The lanes of two entries' 3 values, packed (VPERMPS): lanes 0–2 of each
// 128-bit half, then two lanes that the next store overwrites.
DATA dg3idx2<>+0(SB)/4, $0
DATA dg3idx2<>+4(SB)/4, $1
DATA dg3idx2<>+8(SB)/4, $2
DATA dg3idx2<>+12(SB)/4, $4
DATA dg3idx2<>+16(SB)/4, $5
DATA dg3idx2<>+20(SB)/4, $6
DATA dg3idx2<>+24(SB)/4, $7
DATA dg3idx2<>+28(SB)/4, $7
GLOBL dg3idx2<>(SB), RODATA|NOPTR, $32

// func dcnGather3x4AVX2(dst, img *float32, row int, base *int32, wts *float32, quads int)
// dcnGather3x4 in AVX2, written for speed: dcnGatherAVX takes each entry's 3 values with masked
// loads and a masked store, 5.9 ns an entry on Zen 3, where dcnGather through this kernel takes
// 1.9 (BenchmarkGather3). Four entries at a time, two to a Y register. Entry e's corner pixels
// (16 bytes each, all four values loaded) go to 128-bit half e%2 of Y0–Y3 (entries 0, 1) or Y4–Y7 (entries 2, 3), its weights wts[4e:4e+4] are spread over its
// half (VSHUFPS), and each value is VMULPS by the first weight, then three fused multiply-adds in
// dcnGatherAVX's order: dcnGatherAVX's bits. Lanes 0–2 of each half are packed (VPERMPS); the
// first pair's 6 values are stored with 2 lanes of scratch that the second pair's 6 (16 bytes,
// then 8) overwrite: nothing is written past the group's 12 values. row is in values; quads
// groups of 4 entries. img must hold the 4th value of every corner pixel.
TEXT ·dcnGather3x4AVX2(SB), NOSPLIT, $0-48
	MOVQ    dst+0(FP), DI
	MOVQ    img+8(FP), SI
	MOVQ    row+16(FP), R9
	MOVQ    base+24(FP), BX
	MOVQ    wts+32(FP), DX
	MOVQ    quads+40(FP), CX
	SHLQ    $2, R9
	VMOVUPS dg3idx2<>(SB), Y15
	TESTQ   CX, CX
	JZ      dg3adone

dg3aloop:
	MOVLQSX 0(BX), AX
	MOVLQSX 4(BX), R10
	MOVLQSX 8(BX), R11
	MOVLQSX 12(BX), R12
	SHLQ    $4, AX
	SHLQ    $4, R10
	SHLQ    $4, R11
	SHLQ    $4, R12
	ADDQ    SI, AX
	ADDQ    SI, R10
	ADDQ    SI, R11
	ADDQ    SI, R12

	VMOVUPS     (AX), X0
	VINSERTF128 $1, (R10), Y0, Y0
	VMOVUPS     16(AX), X1
	VINSERTF128 $1, 16(R10), Y1, Y1
	VMOVUPS     (AX)(R9*1), X2
	VINSERTF128 $1, (R10)(R9*1), Y2, Y2
	VMOVUPS     16(AX)(R9*1), X3
	VINSERTF128 $1, 16(R10)(R9*1), Y3, Y3
	VMOVUPS     (R11), X4
	VINSERTF128 $1, (R12), Y4, Y4
	VMOVUPS     16(R11), X5
	VINSERTF128 $1, 16(R12), Y5, Y5
	VMOVUPS     (R11)(R9*1), X6
	VINSERTF128 $1, (R12)(R9*1), Y6, Y6
	VMOVUPS     16(R11)(R9*1), X7
	VINSERTF128 $1, 16(R12)(R9*1), Y7, Y7

	VMOVUPS     (DX), Y8
	VMOVUPS     32(DX), Y9
	VSHUFPS     $0x00, Y8, Y8, Y10
	VSHUFPS     $0x00, Y9, Y9, Y11
	VMULPS      Y0, Y10, Y12
	VMULPS      Y4, Y11, Y13
	VSHUFPS     $0x55, Y8, Y8, Y10
	VSHUFPS     $0x55, Y9, Y9, Y11
	VFMADD231PS Y1, Y10, Y12
	VFMADD231PS Y5, Y11, Y13
	VSHUFPS     $0xaa, Y8, Y8, Y10
	VSHUFPS     $0xaa, Y9, Y9, Y11
	VFMADD231PS Y2, Y10, Y12
	VFMADD231PS Y6, Y11, Y13
	VSHUFPS     $0xff, Y8, Y8, Y10
	VSHUFPS     $0xff, Y9, Y9, Y11
	VFMADD231PS Y3, Y10, Y12
	VFMADD231PS Y7, Y11, Y13

	VPERMPS      Y12, Y15, Y12
	VPERMPS      Y13, Y15, Y13
	VMOVUPS      Y12, (DI)
	VMOVUPS      X13, 24(DI)
	VEXTRACTF128 $1, Y13, X14
	VMOVQ        X14, 40(DI)

	ADDQ $16, BX
	ADDQ $64, DX
	ADDQ $48, DI
	DECQ CX
	JNZ  dg3aloop

dg3adone:
	VZEROUPPER
	RET
