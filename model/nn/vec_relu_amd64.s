#include "textflag.h"

// The fused ReLU's mask as bits: the forward records one bit per output
// (y > 0) as it writes y, and the backward masks the output gradient with
// those bits instead of reading y again: an eighth of a byte per output
// instead of four bytes, where both passes are bound by memory traffic.

// reluBits: lane i holds 1 << i.
DATA reluBits<>+0(SB)/4, $1
DATA reluBits<>+4(SB)/4, $2
DATA reluBits<>+8(SB)/4, $4
DATA reluBits<>+12(SB)/4, $8
DATA reluBits<>+16(SB)/4, $16
DATA reluBits<>+20(SB)/4, $32
DATA reluBits<>+24(SB)/4, $64
DATA reluBits<>+28(SB)/4, $128
GLOBL reluBits<>(SB), RODATA|NOPTR, $32

// func vbiasM(dst *float32, ldd int, src *float32, lds int, rows, cols int, b, floor float32, m *uint8)
// vbias (dst[r·ldd+c] = max(src[r·lds+c] + b, floor)) for cols a multiple
// of 8, also setting bit c mod 8 of m[(r·cols+c)/8] where the stored value
// is > 0 (ordered: NaN gives 0), the comparison vmask makes on y.
TEXT ·vbiasM(SB), NOSPLIT, $0-64
	MOVQ         dst+0(FP), DI
	MOVQ         ldd+8(FP), R8
	MOVQ         src+16(FP), SI
	MOVQ         lds+24(FP), R9
	MOVQ         rows+32(FP), R10
	MOVQ         cols+40(FP), R11
	VBROADCASTSS b+48(FP), Y5
	VBROADCASTSS floor+52(FP), Y6
	MOVQ         m+56(FP), BX
	VXORPS       Y4, Y4, Y4
	SHLQ         $2, R8
	SHLQ         $2, R9

vbiasMrow:
	TESTQ R10, R10
	JZ    vbiasMdone
	MOVQ  DI, R12
	MOVQ  SI, R13
	MOVQ  R11, CX

	// Four vectors at a time, their 32 bits in one store: a byte store per
	// vector doubles the stores in flight while those of y wait on memory,
	// and halved the pass's speed.
vbiasM32:
	CMPQ      CX, $32
	JLT       vbiasM8
	VADDPS    (R13), Y5, Y0
	VADDPS    32(R13), Y5, Y1
	VADDPS    64(R13), Y5, Y2
	VADDPS    96(R13), Y5, Y3
	VMAXPS    Y0, Y6, Y0
	VMAXPS    Y1, Y6, Y1
	VMAXPS    Y2, Y6, Y2
	VMAXPS    Y3, Y6, Y3
	VMOVUPS   Y0, (R12)
	VMOVUPS   Y1, 32(R12)
	VMOVUPS   Y2, 64(R12)
	VMOVUPS   Y3, 96(R12)
	VCMPPS    $0x1e, Y4, Y0, Y0
	VCMPPS    $0x1e, Y4, Y1, Y1
	VCMPPS    $0x1e, Y4, Y2, Y2
	VCMPPS    $0x1e, Y4, Y3, Y3
	VMOVMSKPS Y0, AX
	VMOVMSKPS Y1, DX
	SHLL      $8, DX
	ORL       DX, AX
	VMOVMSKPS Y2, DX
	SHLL      $16, DX
	ORL       DX, AX
	VMOVMSKPS Y3, DX
	SHLL      $24, DX
	ORL       DX, AX
	MOVL      AX, (BX)
	ADDQ      $4, BX
	ADDQ      $128, R12
	ADDQ      $128, R13
	SUBQ      $32, CX
	JMP       vbiasM32

vbiasM8:
	CMPQ      CX, $8
	JLT       vbiasMnext
	VADDPS    (R13), Y5, Y0
	VMAXPS    Y0, Y6, Y0
	VMOVUPS   Y0, (R12)
	VCMPPS    $0x1e, Y4, Y0, Y1 // y > 0, ordered
	VMOVMSKPS Y1, AX
	MOVB      AX, (BX)
	INCQ      BX
	ADDQ      $32, R12
	ADDQ      $32, R13
	SUBQ      $8, CX
	JMP       vbiasM8

vbiasMnext:
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ R10
	JMP  vbiasMrow

vbiasMdone:
	VZEROUPPER
	RET

// func vmaskM(dst *float32, ldd int, src *float32, lds int, m *uint8, rows, cols int)
// vmask with the mask as vbiasM records it: dst[r·ldd+c] = src[r·lds+c]
// where bit c mod 8 of m[(r·cols+c)/8] is set, else 0, for c < cols (a
// multiple of 8), and dst[r·ldd+c] = 0 for cols ≤ c < ldd.
TEXT ·vmaskM(SB), NOSPLIT, $0-56
	MOVQ    dst+0(FP), DI
	MOVQ    ldd+8(FP), R8
	MOVQ    src+16(FP), SI
	MOVQ    lds+24(FP), R9
	MOVQ    m+32(FP), BX
	MOVQ    rows+40(FP), R10
	MOVQ    cols+48(FP), R11
	VMOVDQU reluBits<>(SB), Y7
	MOVQ    R8, DX
	SUBQ    R11, DX           // unused columns per row
	SHLQ    $2, R8
	SHLQ    $2, R9

vmaskMrow:
	TESTQ R10, R10
	JZ    vmaskMdone
	MOVQ  DI, R12
	MOVQ  SI, R13
	MOVQ  R11, CX

vmaskM8:
	CMPQ         CX, $8
	JLT          vmaskMpad
	MOVBLZX      (BX), AX
	VMOVD        AX, X1
	VPBROADCASTD X1, Y1
	VPAND        Y7, Y1, Y1
	VPCMPEQD     Y7, Y1, Y1
	VANDPS       (R13), Y1, Y0
	VMOVUPS      Y0, (R12)
	INCQ         BX
	ADDQ         $32, R12
	ADDQ         $32, R13
	SUBQ         $8, CX
	JMP          vmaskM8

vmaskMpad:
	MOVQ DX, CX

vmaskMzero:
	TESTQ CX, CX
	JZ    vmaskMnext
	MOVL  $0, (R12)
	ADDQ  $4, R12
	DECQ  CX
	JMP   vmaskMzero

vmaskMnext:
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ R10
	JMP  vmaskMrow

vmaskMdone:
	VZEROUPPER
	RET
