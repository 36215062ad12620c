#include "textflag.h"

// Offsets in taps (t []tap, inv float64) and tap (index int, weight float64).
#define TAPS_PTR 0
#define TAPS_LEN 8
#define TAPS_INV 24
#define TAPS_SIZE 32
#define TAP_WEIGHT 8
#define TAP_SIZE 16

DATA half<>+0(SB)/8, $0.5
GLOBL half<>(SB), RODATA|NOPTR, $8

// One row's product for a tap: Y5 = float64 of the 4 bytes at (base)(DX*1), times Y4, added to acc.
#define TAPROW(base, acc) \
	VPMOVZXBD (base)(DX*1), X5 \
	VCVTDQ2PD X5, Y5 \
	VMULPD    Y4, Y5, Y5 \
	VADDPD    Y5, acc, acc

// acc (Y) to 4 int32 in its X half: imaging's clamp before the saturating packs, int(x·inv + 0.5).
#define ROUND(acc, xacc) \
	VMULPD      Y7, acc, acc \
	VADDPD      Y6, acc, acc \
	VCVTTPD2DQY acc, xacc

// func hpass4(src *uint8, sstride int, dst *uint8, dstride int, w []taps)
TEXT ·hpass4(SB), NOSPLIT, $0-56
	MOVQ src+0(FP), SI
	MOVQ sstride+8(FP), DX
	MOVQ dst+16(FP), DI
	MOVQ dstride+24(FP), BX
	MOVQ w_base+32(FP), AX
	MOVQ w_len+40(FP), CX
	TESTQ CX, CX
	JZ    done
	LEAQ (SI)(DX*1), R8
	LEAQ (R8)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	LEAQ (DI)(BX*2), R11
	VBROADCASTSD half<>(SB), Y6

pixel:
	MOVQ   TAPS_PTR(AX), R12
	MOVQ   TAPS_LEN(AX), R13
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	TESTQ  R13, R13
	JZ     store

tap:
	MOVQ         (R12), DX
	LEAQ         (DX)(DX*2), DX
	VBROADCASTSD TAP_WEIGHT(R12), Y4
	TAPROW(SI, Y0)
	TAPROW(R8, Y1)
	TAPROW(R9, Y2)
	TAPROW(R10, Y3)
	ADDQ         $TAP_SIZE, R12
	DECQ         R13
	JNZ          tap

store:
	VBROADCASTSD TAPS_INV(AX), Y7
	ROUND(Y0, X0)
	ROUND(Y1, X1)
	ROUND(Y2, X2)
	ROUND(Y3, X3)
	VPACKSSDW X1, X0, X0
	VPACKSSDW X3, X2, X2
	VPACKUSWB X2, X0, X0

	// X0 holds rows 0-3's r g b and an unused byte each; store 3 bytes a row.
	VMOVQ   X0, DX
	MOVW    DX, (DI)
	SHRQ    $16, DX
	MOVB    DX, 2(DI)
	SHRQ    $16, DX
	MOVW    DX, (DI)(BX*1)
	SHRQ    $16, DX
	MOVB    DX, 2(DI)(BX*1)
	VPEXTRQ $1, X0, DX
	MOVW    DX, (R11)
	SHRQ    $16, DX
	MOVB    DX, 2(R11)
	SHRQ    $16, DX
	MOVW    DX, (R11)(BX*1)
	SHRQ    $16, DX
	MOVB    DX, 2(R11)(BX*1)

	ADDQ $3, DI
	ADDQ $3, R11
	ADDQ $TAPS_SIZE, AX
	DECQ CX
	JNZ  pixel
	VZEROUPPER

done:
	RET

// func vaxpy(acc *float64, src *uint8, n int, w float64)
TEXT ·vaxpy(SB), NOSPLIT, $0-32
	MOVQ         acc+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSD w+24(FP), Y4

loop16:
	CMPQ      CX, $16
	JLT       loop4
	VPMOVZXBD (SI), X0
	VPMOVZXBD 4(SI), X1
	VPMOVZXBD 8(SI), X2
	VPMOVZXBD 12(SI), X3
	VCVTDQ2PD X0, Y0
	VCVTDQ2PD X1, Y1
	VCVTDQ2PD X2, Y2
	VCVTDQ2PD X3, Y3
	VMULPD    Y4, Y0, Y0
	VMULPD    Y4, Y1, Y1
	VMULPD    Y4, Y2, Y2
	VMULPD    Y4, Y3, Y3
	VADDPD    (DI), Y0, Y0
	VADDPD    32(DI), Y1, Y1
	VADDPD    64(DI), Y2, Y2
	VADDPD    96(DI), Y3, Y3
	VMOVUPD   Y0, (DI)
	VMOVUPD   Y1, 32(DI)
	VMOVUPD   Y2, 64(DI)
	VMOVUPD   Y3, 96(DI)
	ADDQ      $16, SI
	ADDQ      $128, DI
	SUBQ      $16, CX
	JMP       loop16

loop4:
	CMPQ      CX, $4
	JLT       tail
	VPMOVZXBD (SI), X0
	VCVTDQ2PD X0, Y0
	VMULPD    Y4, Y0, Y0
	VADDPD    (DI), Y0, Y0
	VMOVUPD   Y0, (DI)
	ADDQ      $4, SI
	ADDQ      $32, DI
	SUBQ      $4, CX
	JMP       loop4

tail:
	TESTQ    CX, CX
	JZ       end
	MOVBLZX    (SI), AX
	VCVTSI2SDL AX, X0, X0
	VMULSD     X4, X0, X0
	VADDSD     (DI), X0, X0
	VMOVSD     X0, (DI)
	INCQ     SI
	ADDQ     $8, DI
	DECQ     CX
	JMP      tail

end:
	VZEROUPPER
	RET

// Constants of ycbcr16: color.YCbCrToRGB's factors, as 8 int32 each.
DATA ycc<>+0(SB)/4, $128
DATA ycc<>+4(SB)/4, $91881
DATA ycc<>+8(SB)/4, $22554
DATA ycc<>+12(SB)/4, $46802
DATA ycc<>+16(SB)/4, $116130
DATA ycc<>+20(SB)/4, $0x10101
GLOBL ycc<>(SB), RODATA|NOPTR, $24

// VPERMD indices: chroma samples 0-3 and 4-7, each twice (two pixels a sample).
DATA yccdup<>+0(SB)/8, $0x0000000000000000
DATA yccdup<>+8(SB)/8, $0x0000000100000001
DATA yccdup<>+16(SB)/8, $0x0000000200000002
DATA yccdup<>+24(SB)/8, $0x0000000300000003
DATA yccdup<>+32(SB)/8, $0x0000000400000004
DATA yccdup<>+40(SB)/8, $0x0000000500000005
DATA yccdup<>+48(SB)/8, $0x0000000600000006
DATA yccdup<>+56(SB)/8, $0x0000000700000007
GLOBL yccdup<>(SB), RODATA|NOPTR, $64

// VPSHUFB masks that interleave a lane's 8 pixels, [R0-7 G0-7] and [B0-7 B0-7], into RGB triples:
// bytes 0-15 of the triples from each, then bytes 16-23 (the rest of the lane unused). 0x80 picks
// zero.
DATA yccshuf<>+0(SB)/8, $0x0a02800901800800
DATA yccshuf<>+8(SB)/8, $0x05800c04800b0380
DATA yccshuf<>+16(SB)/8, $0x0a02800901800800
DATA yccshuf<>+24(SB)/8, $0x05800c04800b0380
DATA yccshuf<>+32(SB)/8, $0x8080018080008080
DATA yccshuf<>+40(SB)/8, $0x8004808003808002
DATA yccshuf<>+48(SB)/8, $0x8080018080008080
DATA yccshuf<>+56(SB)/8, $0x8004808003808002
DATA yccshuf<>+64(SB)/8, $0x800f07800e06800d
DATA yccshuf<>+72(SB)/8, $0x8080808080808080
DATA yccshuf<>+80(SB)/8, $0x800f07800e06800d
DATA yccshuf<>+88(SB)/8, $0x8080808080808080
DATA yccshuf<>+96(SB)/8, $0x0780800680800580
DATA yccshuf<>+104(SB)/8, $0x8080808080808080
DATA yccshuf<>+112(SB)/8, $0x0780800680800580
DATA yccshuf<>+120(SB)/8, $0x8080808080808080
GLOBL yccshuf<>(SB), RODATA|NOPTR, $128

// Channel c's 16 sums (chroma terms in ch, duplicated by the indices in Y9 and Y8, plus the luma
// terms in Y0 and Y1) to 16 int16 in order in dst: clip16's shift; the packs saturate as it clamps.
#define YCCCHAN(ch, dst, tmp) \
	VPERMD    ch, Y9, dst \
	VPERMD    ch, Y8, tmp \
	VPADDD    dst, Y0, dst \
	VPADDD    tmp, Y1, tmp \
	VPSRAD    $16, dst, dst \
	VPSRAD    $16, tmp, tmp \
	VPACKSSDW tmp, dst, dst \
	VPERMQ    $0xD8, dst, dst

// Y15-Y10: 128 and the factors, in every lane.
#define YCCCONSTS \
	VPBROADCASTD ycc<>+0(SB), Y15 \
	VPBROADCASTD ycc<>+4(SB), Y14 \
	VPBROADCASTD ycc<>+8(SB), Y13 \
	VPBROADCASTD ycc<>+12(SB), Y12 \
	VPBROADCASTD ycc<>+16(SB), Y11 \
	VPBROADCASTD ycc<>+20(SB), Y10

// The triples of 16 pixels to (DI) from their channels as 16 int16 in order, r, g and b: the packs
// to bytes give lane 0 [R0-7 G0-7] and [B0-7 B0-7], lane 1 pixels 8-15, which the shuffles
// interleave.
#define YCCSTORE(r, g, b) \
	VPACKUSWB    g, r, r \
	VPACKUSWB    b, b, b \
	VPSHUFB      yccshuf<>+0(SB), r, Y0 \
	VPSHUFB      yccshuf<>+32(SB), b, Y1 \
	VPOR         Y1, Y0, Y0 \
	VPSHUFB      yccshuf<>+64(SB), r, Y2 \
	VPSHUFB      yccshuf<>+96(SB), b, Y3 \
	VPOR         Y3, Y2, Y2 \
	VMOVDQU      X0, (DI) \
	VMOVQ        X2, 16(DI) \
	VEXTRACTI128 $1, Y0, X0 \
	VEXTRACTI128 $1, Y2, X2 \
	VMOVDQU      X0, 24(DI) \
	VMOVQ        X2, 40(DI)

// The chroma terms of 8 pixels from the Cb and Cr bytes at cbm and crm: r, g and b (Y0 and Y1
// scratch).
#define YCCCHROMA(cbm, crm, r, g, b) \
	VPMOVZXBD cbm, Y0 \
	VPMOVZXBD crm, Y1 \
	VPSUBD    Y15, Y0, Y0 \
	VPSUBD    Y15, Y1, Y1 \
	VPMULLD   Y14, Y1, r \
	VPMULLD   Y13, Y0, g \
	VPMULLD   Y12, Y1, Y1 \
	VPADDD    Y1, g, g \
	VPXOR     Y1, Y1, Y1 \
	VPSUBD    g, Y1, g \
	VPMULLD   Y11, Y0, b

// A channel's 16 sums, chroma terms lo (pixels 0-7) and hi (8-15) plus the luma terms in Y0 and
// Y1, to 16 int16 in order in lo: clip16's shift; the packs saturate as it clamps.
#define YCCSUM(lo, hi) \
	VPADDD    lo, Y0, lo \
	VPADDD    hi, Y1, hi \
	VPSRAD    $16, lo, lo \
	VPSRAD    $16, hi, hi \
	VPACKSSDW hi, lo, lo \
	VPERMQ    $0xD8, lo, lo

// func ycbcr16(lum, cb, cr *uint8, blocks int, row *uint8)
TEXT ·ycbcr16(SB), NOSPLIT, $0-40
	MOVQ  lum+0(FP), SI
	MOVQ  cb+8(FP), R8
	MOVQ  cr+16(FP), R9
	MOVQ  blocks+24(FP), CX
	MOVQ  row+32(FP), DI
	TESTQ CX, CX
	JZ    ydone
	YCCCONSTS
	VMOVDQU      yccdup<>+0(SB), Y9
	VMOVDQU      yccdup<>+32(SB), Y8

yblock:
	// Chroma terms of 8 samples: Y2 red, Y3 green, Y4 blue.
	YCCCHROMA((R8), (R9), Y2, Y3, Y4)

	// Luma terms of 16 pixels: Y0 pixels 0-7, Y1 8-15.
	VPMOVZXBD (SI), Y0
	VPMOVZXBD 8(SI), Y1
	VPMULLD   Y10, Y0, Y0
	VPMULLD   Y10, Y1, Y1

	YCCCHAN(Y2, Y5, Y6)
	YCCCHAN(Y3, Y6, Y7)
	YCCCHAN(Y4, Y7, Y2)

	YCCSTORE(Y5, Y6, Y7)

	ADDQ $16, SI
	ADDQ $8, R8
	ADDQ $8, R9
	ADDQ $48, DI
	DECQ CX
	JNZ  yblock
	VZEROUPPER

ydone:
	RET

// func ycbcr16full(lum, cb, cr *uint8, blocks int, row *uint8)
TEXT ·ycbcr16full(SB), NOSPLIT, $0-40
	MOVQ  lum+0(FP), SI
	MOVQ  cb+8(FP), R8
	MOVQ  cr+16(FP), R9
	MOVQ  blocks+24(FP), CX
	MOVQ  row+32(FP), DI
	TESTQ CX, CX
	JZ    fdone
	YCCCONSTS

fblock:
	// Chroma terms: pixels 0-7 in Y2-Y4, 8-15 in Y5-Y7 (red, green, blue).
	YCCCHROMA((R8), (R9), Y2, Y3, Y4)
	YCCCHROMA(8(R8), 8(R9), Y5, Y6, Y7)

	// Luma terms of 16 pixels: Y0 pixels 0-7, Y1 8-15.
	VPMOVZXBD (SI), Y0
	VPMOVZXBD 8(SI), Y1
	VPMULLD   Y10, Y0, Y0
	VPMULLD   Y10, Y1, Y1

	YCCSUM(Y2, Y5)
	YCCSUM(Y3, Y6)
	YCCSUM(Y4, Y7)
	YCCSTORE(Y2, Y3, Y4)

	ADDQ $16, SI
	ADDQ $16, R8
	ADDQ $16, R9
	ADDQ $48, DI
	DECQ CX
	JNZ  fblock
	VZEROUPPER

fdone:
	RET
