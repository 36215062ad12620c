#include "textflag.h"

// func stackRows512(dst *float32, dr, di int, src *float32, sr, si int, w, pw, rows, nb int)
//
// stackRows512 copies rows·nb runs of w values (AVX-512F and VL masked
// moves, pw + w ≤ 16): run (y, i) from src + y·sr + i·si to dst + pw + y·dr + i·di,
// after pw zeros from dst + y·dr + i·di (strides in elements; pw may be
// 0). The tap-sum route's side-by-side stacking (the images' rows into
// the planes) and its way back (the input gradient's rows into dx). Each
// run is one masked load into lanes [pw, pw+w) (lanes below pw zeroed) and
// one masked store of lanes [0, pw+w): the masked-off lanes are neither
// read nor written, nor can they fault. Addresses are a base plus an
// offset (the load's offset starts pw values before the run), so that no
// pointer is moved outside its slice.
TEXT ·stackRows512(SB), NOSPLIT, $0-80
	MOVQ dst+0(FP), DI
	MOVQ dr+8(FP), R8
	SHLQ $2, R8
	MOVQ di+16(FP), R9
	SHLQ $2, R9
	MOVQ src+24(FP), SI
	MOVQ sr+32(FP), R10
	SHLQ $2, R10
	MOVQ si+40(FP), R11
	SHLQ $2, R11
	MOVQ pw+56(FP), BX
	MOVQ w+48(FP), CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	MOVQ BX, CX
	SHLL CX, AX
	KMOVW AX, K1 // lanes [pw, pw+w): the pixels
	ADDQ w+48(FP), CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K2 // lanes [0, pw+w): the zeros and the pixels
	SHLQ $2, BX
	XORQ R12, R12
	SUBQ BX, R12 // the row's offset in src, less pw values
	XORQ R14, R14 // the row's offset in dst
	MOVQ rows+64(FP), DX
	TESTQ DX, DX
	JZ    done

	MOVQ w+48(FP), AX
	ADDQ pw+56(FP), AX
	CMPQ AX, $8
	JGT  row

	// Runs of at most 8 lanes: the same moves on Y registers (AVX-512VL),
	// measured faster than the Z ones at 7×7.
row8:
	MOVQ nb+72(FP), R13
	TESTQ R13, R13
	JZ   done
	MOVQ R14, AX
	MOVQ R12, CX

run8:
	VMOVUPS.Z (SI)(CX*1), K1, Y0
	VMOVUPS   Y0, K2, (DI)(AX*1)
	ADDQ      R9, AX
	ADDQ      R11, CX
	DECQ      R13
	JNZ       run8

	ADDQ R8, R14
	ADDQ R10, R12
	DECQ DX
	JNZ  row8
	JMP  done

row:
	MOVQ nb+72(FP), R13
	TESTQ R13, R13
	JZ   done
	MOVQ R14, AX
	MOVQ R12, CX

run:
	VMOVUPS.Z (SI)(CX*1), K1, Z0
	VMOVUPS   Z0, K2, (DI)(AX*1)
	ADDQ      R9, AX
	ADDQ      R11, CX
	DECQ      R13
	JNZ       run

	ADDQ R8, R14
	ADDQ R10, R12
	DECQ DX
	JNZ  row

done:
	VZEROUPPER
	RET

// func stackBias512(dst *float32, dr, di int, src *float32, sr, si int, w, rows, nb int, b, floor float32)
//
// stackBias512 is stackRows512 without zeros (pw = 0), each value plus b
// and then max(·, floor) on the way: the tap-sum forward's sums, laid side
// by side, into y with the bias and the fused ReLU, with vbias's
// arithmetic (VADDPS, then VMAXPS with the sum as its second operand, so
// that a NaN sum and −0 stay). w ≤ 16; Y registers where w ≤ 8.
TEXT ·stackBias512(SB), NOSPLIT, $0-80
	MOVQ dst+0(FP), DI
	MOVQ dr+8(FP), R8
	SHLQ $2, R8
	MOVQ di+16(FP), R9
	SHLQ $2, R9
	MOVQ src+24(FP), SI
	MOVQ sr+32(FP), R10
	SHLQ $2, R10
	MOVQ si+40(FP), R11
	SHLQ $2, R11
	MOVQ w+48(FP), CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1 // lanes [0, w)
	VBROADCASTSS b+72(FP), Z5
	VBROADCASTSS floor+76(FP), Z6
	XORQ R12, R12 // the row's offset in src
	XORQ R14, R14 // and in dst
	MOVQ rows+56(FP), DX
	TESTQ DX, DX
	JZ    bdone
	CMPQ CX, $8
	JGT  brow

brow8:
	MOVQ nb+64(FP), R13
	TESTQ R13, R13
	JZ   bdone
	MOVQ R14, AX
	MOVQ R12, CX

brun8:
	VMOVUPS.Z (SI)(CX*1), K1, Y0
	VADDPS    Y0, Y5, Y0
	VMAXPS    Y0, Y6, Y0
	VMOVUPS   Y0, K1, (DI)(AX*1)
	ADDQ      R9, AX
	ADDQ      R11, CX
	DECQ      R13
	JNZ       brun8

	ADDQ R8, R14
	ADDQ R10, R12
	DECQ DX
	JNZ  brow8
	JMP  bdone

brow:
	MOVQ nb+64(FP), R13
	TESTQ R13, R13
	JZ   bdone
	MOVQ R14, AX
	MOVQ R12, CX

brun:
	VMOVUPS.Z (SI)(CX*1), K1, Z0
	VADDPS    Z0, Z5, Z0
	VMAXPS    Z0, Z6, Z0
	VMOVUPS   Z0, K1, (DI)(AX*1)
	ADDQ      R9, AX
	ADDQ      R11, CX
	DECQ      R13
	JNZ       brun

	ADDQ R8, R14
	ADDQ R10, R12
	DECQ DX
	JNZ  brow

bdone:
	VZEROUPPER
	RET
