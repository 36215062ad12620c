//go:build amd64

#include "textflag.h"
#include "deform_point_amd64.h"

DATA dg512iota<>+0(SB)/4, $0
DATA dg512iota<>+4(SB)/4, $1
DATA dg512iota<>+8(SB)/4, $2
DATA dg512iota<>+12(SB)/4, $3
DATA dg512iota<>+16(SB)/4, $4
DATA dg512iota<>+20(SB)/4, $5
DATA dg512iota<>+24(SB)/4, $6
DATA dg512iota<>+28(SB)/4, $7
DATA dg512iota<>+32(SB)/4, $8
DATA dg512iota<>+36(SB)/4, $9
DATA dg512iota<>+40(SB)/4, $10
DATA dg512iota<>+44(SB)/4, $11
DATA dg512iota<>+48(SB)/4, $12
DATA dg512iota<>+52(SB)/4, $13
DATA dg512iota<>+56(SB)/4, $14
DATA dg512iota<>+60(SB)/4, $15
GLOBL dg512iota<>(SB), RODATA|NOPTR, $64

DATA dg512one<>+0(SB)/4, $0x3f800000
GLOBL dg512one<>(SB), RODATA|NOPTR, $4

// func dcnDotsGrad512(a *dcnDotsGradArgs)
// The sampling gradient of a layer with at most 3 input channels (pixels of 4 values), one offset
// group and no input gradient, for 16 pixels of one tap at a time, without a table: the sample
// point (dcnFill512T's operations), the corner sums (dcnDots4AVX's, gathered 16 entries wide) and
// the offset and mask gradients (dcnOffGradAVX's) in one pass, each lane the same bits as the
// table's path. Field offsets follow dcnDotsGradArgs.
TEXT ·dcnDotsGrad512(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), DI
	VPBROADCASTD 112(DI), Z10          // wp
	VBROADCASTSS 120(DI), Z14          // H
	VBROADCASTSS 124(DI), Z13          // W
	VBROADCASTSS dg512one<>(SB), Z11   // 1.0
	VPXORD       Z31, Z31, Z31         // +0
	VSUBPS       Z11, Z31, Z12         // −1.0
	VPTERNLOGD   $0xff, Z9, Z9, Z9
	VPSRLD       $31, Z9, Z9           // int32 1
	VPBROADCASTD 88(DI), Z7
	VPMULLD      dg512iota<>(SB), Z7, Z7 // the column gradient's rows: lane·rstride bytes
	MOVQ         104(DI), SI           // padded image: corners 0 and 1
	MOVQ         112(DI), R8
	SHLQ         $4, R8
	ADDQ         SI, R8                // corners 2 and 3 (one padded row on)
	MOVQ         96(DI), R9            // channels
	XORQ         BX, BX                // the group's first pixel ·4 (bytes into a plane)
	CMPQ         48(DI), $0
	JEQ          dgdone

	// Each group's bases are a's (which the kernel leaves as they are) plus BX-derived offsets,
	// formed in registers: no pointer field of a moves past its allocation.
dggroup:
	MOVQ         40(DI), AX
	LEAQ         (AX)(BX*2), AX        // pos: 32 values a group
	VMOVDQU32    (AX), Y16
	VINSERTI64X4 $1, 64(AX), Z16, Z16  // rows oy·SH − PH
	VMOVDQU32    32(AX), Y17
	VINSERTI64X4 $1, 96(AX), Z17, Z17  // columns ox·SW − PW
	XORQ         R10, R10              // tap
	MOVQ         0(DI), R11
	ADDQ         BX, R11               // offsets (y), tap 0
	MOVQ         8(DI), R12
	ADDQ         BX, R12               // mask, tap 0
	MOVQ         16(DI), R13
	ADDQ         BX, R13               // offset gradient (y), tap 0
	MOVQ         24(DI), DX
	ADDQ         BX, DX                // mask gradient, tap 0
	MOVQ         BX, CX
	SHRQ         $2, CX                // the group's first pixel
	IMULQ        88(DI), CX
	ADDQ         32(DI), CX            // column gradient, tap 0's channel 0

dgtap:
	DCN_POINT16
	VPSLLD       $4, Z4, Z4            // bytes: 16 a pixel (int32: dotsGradMaxPixels)
	VMOVAPS.Z    Z0, K2, Z0            // fy as the table holds it
	VMOVAPS.Z    Z1, K2, Z1            // fx
	VMOVUPS      (R12), Z6
	VMOVAPS.Z    Z6, K2, Z6            // md
	VMOVAPS.Z    Z11, K3, Z2           // vv

	// The column gradient of this tap: channel c of the 16 pixels, rstride bytes apart.
	KXNORW      K5, K5, K5
	VGATHERDPS  (CX)(Z7*1), K5, Z21
	VMOVAPS     Z31, Z22
	VMOVAPS     Z31, Z23
	CMPQ        R9, $2
	JLT         dgg1
	KXNORW      K5, K5, K5
	VGATHERDPS  4(CX)(Z7*1), K5, Z22
	CMPQ        R9, $3
	JLT         dgg1
	KXNORW      K5, K5, K5
	VGATHERDPS  8(CX)(Z7*1), K5, Z23

dgg1:
	// Corner 0 (top-left) into Z18.
	MOVQ         SI, R14
	CALL         dgcorner<>(SB)
	VMOVAPS      Z28, Z18
	ADDQ         $16, R14              // corner 1 (top-right)
	CALL         dgcorner<>(SB)
	VMOVAPS      Z28, Z19
	MOVQ         R8, R14               // corner 2 (bottom-left)
	CALL         dgcorner<>(SB)
	VMOVAPS      Z28, Z20
	ADDQ         $16, R14              // corner 3
	CALL         dgcorner<>(SB)        // s3 in Z28

	// dcnOffGradAVX: s0..s3 = Z18, Z19, Z20, Z28; fy Z0, fx Z1, md Z6, vv Z2.
	VSUBPS  Z0, Z11, Z3                // a = 1 − fy
	VSUBPS  Z1, Z11, Z5                // c = 1 − fx
	VSUBPS  Z18, Z20, Z24              // s2 − s0
	VMULPS  Z24, Z5, Z24               // c·(s2 − s0)
	VSUBPS  Z19, Z28, Z25              // s3 − s1
	VMULPS  Z25, Z1, Z25               // fx·(s3 − s1)
	VADDPS  Z25, Z24, Z24
	VMULPS  Z24, Z6, Z24               // md·(…)
	VMOVUPS Z24, (R13)
	VSUBPS  Z18, Z19, Z24              // s1 − s0
	VMULPS  Z24, Z3, Z24               // a·(s1 − s0)
	VSUBPS  Z20, Z28, Z25              // s3 − s2
	VMULPS  Z25, Z0, Z25               // fy·(s3 − s2)
	VADDPS  Z25, Z24, Z24
	VMULPS  Z24, Z6, Z24
	MOVQ    80(DI), R14
	VMOVUPS Z24, (R13)(R14*1)
	VMULPS  Z18, Z5, Z24               // c·s0
	VMULPS  Z19, Z1, Z25               // fx·s1
	VADDPS  Z25, Z24, Z24
	VMULPS  Z24, Z3, Z24               // a·(c·s0 + fx·s1)
	VMULPS  Z20, Z5, Z25               // c·s2
	VMULPS  Z28, Z1, Z26               // fx·s3
	VADDPS  Z26, Z25, Z25
	VMULPS  Z25, Z0, Z25               // fy·(c·s2 + fx·s3)
	VADDPS  Z25, Z24, Z24
	VMULPS  Z2, Z24, Z24               // vv·(…)
	VMOVUPS Z24, (DX)
	ADDQ    R14, DX                    // next tap's mask gradient
	LEAQ (R11)(R14*2), R11             // next tap's offsets
	ADDQ R14, R12                      // mask
	LEAQ (R13)(R14*2), R13             // offset gradient
	MOVQ R9, R14
	SHLQ $2, R14
	ADDQ R14, CX                       // column gradient: C values a tap
	INCQ R10
	CMPQ R10, 72(DI)
	JLT  dgtap

	ADDQ $64, BX                       // next group: 16 pixels on
	MOVQ 48(DI), AX
	SHLQ $6, AX
	CMPQ BX, AX
	JLT  dggroup

dgdone:
	VZEROUPPER
	RET

// dgcorner: Z28 = the sums of the corner at R14 + Z4 (bytes) of the 16 entries with the column
// gradient's channels Z21, Z22, Z23 (R9 of them; the others +0), as dcnDots4AVX forms them:
// each channel's product a fused multiply-add into +0, then ((p0 + p1) + (p2 + p3)) + 0, p3 = +0.
TEXT dgcorner<>(SB), NOSPLIT|NOFRAME, $0-0
	KXNORW      K5, K5, K5
	VGATHERDPS  (R14)(Z4*1), K5, Z29
	VMOVAPS     Z31, Z24
	VFMADD231PS Z29, Z21, Z24          // p0
	VMOVAPS     Z31, Z25               // p1
	VMOVAPS     Z31, Z26               // p2
	CMPQ        R9, $2
	JLT         dgc1
	KXNORW      K5, K5, K5
	VGATHERDPS  4(R14)(Z4*1), K5, Z29
	VFMADD231PS Z29, Z22, Z25
	CMPQ        R9, $3
	JLT         dgc1
	KXNORW      K5, K5, K5
	VGATHERDPS  8(R14)(Z4*1), K5, Z29
	VFMADD231PS Z29, Z23, Z26

dgc1:
	VADDPS      Z25, Z24, Z24          // p0 + p1
	VADDPS      Z31, Z26, Z26          // p2 + p3
	VADDPS      Z26, Z24, Z28
	VADDPS      Z31, Z28, Z28          // + 0 (dcnDots4AVX's upper half)
	RET
