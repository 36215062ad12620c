#include "textflag.h"

// AVX2 twins of conv_taps_amd64.s's AVX-512 moves (stackRows512,
// stackBias512), for CPUs without AVX-512: the same elements written with
// the same values, in assembly for speed (the Go loops' copy and clear
// calls of 7 values took a tenth of the 7×7 forward on AMD Zen 3).
//
// The masks m (stackRowsY, stackBiasY) are four YMM masks of 8 lanes
// each, as laneMasks builds them: the loads' lanes [0, 8) and [8, 16) of
// a run, then the stores' ones. VMASKMOVPS neither reads nor writes a
// masked-off lane, nor can one fault; a store whose lanes are all on is a
// plain VMOVUPS.

// func stackRowsY(dst *float32, dr, di int, src *float32, sr, si int, w, pw, rows, nb, sw int, m *[32]int32)
//
// stackRowsY is stackRows512 on AVX2 (pw + w ≤ 16): run (y, i) from src +
// y·sr + i·si to dst + pw + y·dr + i·di, after pw zeros from dst + y·dr +
// i·di (strides in elements), each run's store sw ≥ pw + w lanes wide
// (see stackRowsY in conv_taps_avx2_amd64.go). The loads start pw values
// before the run
// (lanes below pw masked off, so zero); addresses are a base plus an
// offset, so that no pointer is moved outside its slice.
TEXT ·stackRowsY(SB), NOSPLIT, $0-96
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
	MOVQ m+88(FP), AX
	VMOVDQU (AX), Y4   // the load's lanes [0, 8)
	VMOVDQU 32(AX), Y5 // [8, 16)
	VMOVDQU 64(AX), Y6 // the store's lanes [0, 8)
	VMOVDQU 96(AX), Y7 // [8, 16)
	MOVQ pw+56(FP), BX
	SHLQ $2, BX
	XORQ R12, R12
	SUBQ BX, R12 // the row's offset in src, less pw values
	XORQ R14, R14 // the row's offset in dst
	MOVQ rows+64(FP), DX
	TESTQ DX, DX
	JZ    ydone
	MOVQ nb+72(FP), BX
	TESTQ BX, BX
	JZ    ydone
	MOVQ sw+80(FP), AX
	CMPQ AX, $8
	JEQ  yrow8f
	JGT  yrow16

	// Stores of fewer than 8 lanes: one masked load and one masked store.
yrow8m:
	MOVQ BX, R13
	MOVQ R14, AX
	MOVQ R12, CX

yrun8m:
	VMASKMOVPS (SI)(CX*1), Y4, Y0
	VMASKMOVPS Y0, Y6, (DI)(AX*1)
	ADDQ       R9, AX
	ADDQ       R11, CX
	DECQ       R13
	JNZ        yrun8m

	ADDQ R8, R14
	ADDQ R10, R12
	DECQ DX
	JNZ  yrow8m
	JMP  ydone

	// Stores of exactly 8 lanes (7×7: one zero and 7 pixels): whole.
yrow8f:
	MOVQ BX, R13
	MOVQ R14, AX
	MOVQ R12, CX

yrun8f:
	VMASKMOVPS (SI)(CX*1), Y4, Y0
	VMOVUPS    Y0, (DI)(AX*1)
	ADDQ       R9, AX
	ADDQ       R11, CX
	DECQ       R13
	JNZ        yrun8f

	ADDQ R8, R14
	ADDQ R10, R12
	DECQ DX
	JNZ  yrow8f
	JMP  ydone

	// Stores of 9 to 16 lanes: the first 8 whole, the rest masked.
yrow16:
	MOVQ BX, R13
	MOVQ R14, AX
	MOVQ R12, CX

yrun16:
	VMASKMOVPS (SI)(CX*1), Y4, Y0
	VMASKMOVPS 32(SI)(CX*1), Y5, Y1
	VMOVUPS    Y0, (DI)(AX*1)
	VMASKMOVPS Y1, Y7, 32(DI)(AX*1)
	ADDQ       R9, AX
	ADDQ       R11, CX
	DECQ       R13
	JNZ        yrun16

	ADDQ R8, R14
	ADDQ R10, R12
	DECQ DX
	JNZ  yrow16

ydone:
	VZEROUPPER
	RET

// func stackBiasY(dst *float32, dr, di int, src *float32, sr, si int, w, rows, nb int, b, floor float32, sw int, m *[32]int32)
//
// stackBiasY is stackBias512 on AVX2 (w ≤ 16): stackRowsY without zeros
// (pw = 0; stores sw lanes wide, as stackRowsY's), each value v written
// as max(v + b, floor) with vbias's arithmetic (VADDPS, then VMAXPS with
// the sum as its second operand, so that a NaN sum and −0 stay).
TEXT ·stackBiasY(SB), NOSPLIT, $0-96
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
	MOVQ m+88(FP), AX
	VMOVDQU (AX), Y4
	VMOVDQU 32(AX), Y5
	VMOVDQU 64(AX), Y6
	VMOVDQU 96(AX), Y7
	VBROADCASTSS b+72(FP), Y2
	VBROADCASTSS floor+76(FP), Y3
	XORQ R12, R12 // the row's offset in src
	XORQ R14, R14 // and in dst
	MOVQ rows+56(FP), DX
	TESTQ DX, DX
	JZ    bydone
	MOVQ nb+64(FP), BX
	TESTQ BX, BX
	JZ    bydone
	MOVQ sw+80(FP), AX
	CMPQ AX, $8
	JEQ  byrow8f
	JGT  byrow16

byrow8m:
	MOVQ BX, R13
	MOVQ R14, AX
	MOVQ R12, CX

byrun8m:
	VMASKMOVPS (SI)(CX*1), Y4, Y0
	VADDPS     Y0, Y2, Y0
	VMAXPS     Y0, Y3, Y0
	VMASKMOVPS Y0, Y6, (DI)(AX*1)
	ADDQ       R9, AX
	ADDQ       R11, CX
	DECQ       R13
	JNZ        byrun8m

	ADDQ R8, R14
	ADDQ R10, R12
	DECQ DX
	JNZ  byrow8m
	JMP  bydone

byrow8f:
	MOVQ BX, R13
	MOVQ R14, AX
	MOVQ R12, CX

byrun8f:
	VMASKMOVPS (SI)(CX*1), Y4, Y0
	VADDPS     Y0, Y2, Y0
	VMAXPS     Y0, Y3, Y0
	VMOVUPS    Y0, (DI)(AX*1)
	ADDQ       R9, AX
	ADDQ       R11, CX
	DECQ       R13
	JNZ        byrun8f

	ADDQ R8, R14
	ADDQ R10, R12
	DECQ DX
	JNZ  byrow8f
	JMP  bydone

byrow16:
	MOVQ BX, R13
	MOVQ R14, AX
	MOVQ R12, CX

byrun16:
	VMOVUPS    (SI)(CX*1), Y0
	VMASKMOVPS 32(SI)(CX*1), Y5, Y1
	VADDPS     Y0, Y2, Y0
	VADDPS     Y1, Y2, Y1
	VMAXPS     Y0, Y3, Y0
	VMAXPS     Y1, Y3, Y1
	VMOVUPS    Y0, (DI)(AX*1)
	VMASKMOVPS Y1, Y7, 32(DI)(AX*1)
	ADDQ       R9, AX
	ADDQ       R11, CX
	DECQ       R13
	JNZ        byrun16

	ADDQ R8, R14
	ADDQ R10, R12
	DECQ DX
	JNZ  byrow16

bydone:
	VZEROUPPER
	RET
