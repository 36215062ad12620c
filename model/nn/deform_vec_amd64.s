//go:build amd64

#include "textflag.h"

// func dcnGather512(dst, img *float32, pix, row int, base *int32, wts *float32, count, n int)
// dcnGatherAVX for n a multiple of 16, in AVX-512: for each of count
// entries e, the corners of the sample point start at q = img +
// base[e]·pix, q+pix, q+row and q+row+pix (elements); dst[e·n+i] =
// w0·c0[i], then + w1·c1[i], + w2·c2[i], + w3·c3[i] as fused multiply-adds
// in that order (dcnGatherAVX's operations: the same bits).
TEXT ·dcnGather512(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), DI
	MOVQ img+8(FP), SI
	MOVQ pix+16(FP), R8
	MOVQ row+24(FP), R9
	MOVQ base+32(FP), BX
	MOVQ wts+40(FP), DX
	MOVQ count+48(FP), R10
	MOVQ n+56(FP), R11
	SHLQ $2, R8
	SHLQ $2, R9

g5entry:
	TESTQ        R10, R10
	JZ           g5done
	MOVLQSX      (BX), AX
	IMULQ        R8, AX
	ADDQ         SI, AX              // top-left corner
	LEAQ         (AX)(R9*1), R12     // bottom-left
	VBROADCASTSS (DX), Z8
	VBROADCASTSS 4(DX), Z9
	VBROADCASTSS 8(DX), Z10
	VBROADCASTSS 12(DX), Z11
	MOVQ         R11, CX

g5vec32:
	CMPQ        CX, $32
	JLT         g5vec16
	VMULPS      (AX), Z8, Z0
	VMULPS      64(AX), Z8, Z1
	VFMADD231PS (AX)(R8*1), Z9, Z0
	VFMADD231PS 64(AX)(R8*1), Z9, Z1
	VFMADD231PS (R12), Z10, Z0
	VFMADD231PS 64(R12), Z10, Z1
	VFMADD231PS (R12)(R8*1), Z11, Z0
	VFMADD231PS 64(R12)(R8*1), Z11, Z1
	VMOVUPS     Z0, (DI)
	VMOVUPS     Z1, 64(DI)
	ADDQ        $128, AX
	ADDQ        $128, R12
	ADDQ        $128, DI
	SUBQ        $32, CX
	JMP         g5vec32

g5vec16:
	TESTQ       CX, CX
	JZ          g5next
	VMULPS      (AX), Z8, Z0
	VFMADD231PS (AX)(R8*1), Z9, Z0
	VFMADD231PS (R12), Z10, Z0
	VFMADD231PS (R12)(R8*1), Z11, Z0
	VMOVUPS     Z0, (DI)
	ADDQ        $64, DI

g5next:
	ADDQ $4, BX
	ADDQ $16, DX
	DECQ R10
	JMP  g5entry

g5done:
	VZEROUPPER
	RET
