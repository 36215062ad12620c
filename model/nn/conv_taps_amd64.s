#include "textflag.h"

// func stackRows512(dst *float32, dr, di int, src *float32, sr, si int, w, pw, rows, nb int)
//
// stackRows512 copies rows·nb runs of w ≤ 16 values (AVX-512F masked moves):
// run (y, i) from src + y·sr + i·si to dst + pw + y·dr + i·di, each after
// pw ≤ 16 zeros written from dst + y·dr + i·di (strides in elements; pw
// may be 0). The tap-sum route's side-by-side stacking (the images' rows
// into the planes) and its way back (the input gradient's rows into dx).
// Only the w values of a run are read and only the pw + w values written:
// the masked-off lanes neither fault nor store. Addresses are formed as a
// base plus an offset, so that no pointer is moved past its slice.
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
	MOVQ w+48(FP), CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1 // the w pixels
	MOVQ pw+56(FP), CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K2 // the pw zeros
	LEAQ (DI)(CX*4), BX // the first run's first pixel
	MOVQ rows+64(FP), DX
	VPXORD Z1, Z1, Z1
	XORQ R14, R14 // the row's offset in dst
	XORQ R12, R12 // and in src
	TESTQ DX, DX
	JZ    done

row:
	MOVQ nb+72(FP), R13
	TESTQ R13, R13
	JZ   done
	MOVQ R14, AX
	MOVQ R12, CX

run:
	VMOVUPS   Z1, K2, (DI)(AX*1)
	VMOVUPS.Z (SI)(CX*1), K1, Z0
	VMOVUPS   Z0, K1, (BX)(AX*1)
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
