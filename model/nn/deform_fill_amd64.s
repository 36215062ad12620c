#include "textflag.h"
#include "deform_point_amd64.h"

DATA fill512iota<>+0(SB)/4, $0
DATA fill512iota<>+4(SB)/4, $1
DATA fill512iota<>+8(SB)/4, $2
DATA fill512iota<>+12(SB)/4, $3
DATA fill512iota<>+16(SB)/4, $4
DATA fill512iota<>+20(SB)/4, $5
DATA fill512iota<>+24(SB)/4, $6
DATA fill512iota<>+28(SB)/4, $7
DATA fill512iota<>+32(SB)/4, $8
DATA fill512iota<>+36(SB)/4, $9
DATA fill512iota<>+40(SB)/4, $10
DATA fill512iota<>+44(SB)/4, $11
DATA fill512iota<>+48(SB)/4, $12
DATA fill512iota<>+52(SB)/4, $13
DATA fill512iota<>+56(SB)/4, $14
DATA fill512iota<>+60(SB)/4, $15
GLOBL fill512iota<>(SB), RODATA|NOPTR, $64

DATA fill512one<>+0(SB)/4, $0x3f800000
GLOBL fill512one<>(SB), RODATA|NOPTR, $4

// func dcnFill512T(a *dcnFillTArgs)
// The sampling table of a run of a.groups·16 pixels for every tap: dcnFillAVX's operations 16 lanes wide (the
// compares into mask registers, zeroing where it ands; no fused
// multiply-adds: the same bits), the 16 sample points stored with one
// scatter, and all GK taps of 16 pixels before the next 16, so that the
// entries (pixel-major: GK a pixel) are written to one small region at a
// time instead of one entry in every GK across the whole run (about 40 %
// of the fill's time at 9 taps). Field offsets follow dcnFillTArgs; fx,
// md and vv lie a.fdelta bytes after fy, fx and md.
TEXT ·dcnFill512T(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), DI
	VPBROADCASTD 120(DI), Z10          // wp
	VBROADCASTSS 128(DI), Z14          // H
	VBROADCASTSS 132(DI), Z13          // W
	VBROADCASTSS fill512one<>(SB), Z11 // 1.0
	VPXORD       Z12, Z12, Z12
	VSUBPS       Z11, Z12, Z12         // −1.0
	VPTERNLOGD   $0xff, Z9, Z9, Z9
	VPSRLD       $31, Z9, Z9           // int32 1
	MOVQ         72(DI), R14           // GK
	SHLQ         $2, R14
	VPBROADCASTD R14, Z7
	VPMULLD      fill512iota<>(SB), Z7, Z7 // scatter offsets: lane·4·GK bytes
	MOVQ         0(DI), SI             // offY, tap 0
	MOVQ         8(DI), R8             // mask, tap 0 (ones for none)
	MOVQ         16(DI), BX            // base
	MOVQ         24(DI), DX            // wts
	MOVQ         32(DI), R9            // fy, tap 0
	MOVQ         40(DI), AX            // pos
	MOVQ         104(DI), CX           // fy → fx → md → vv, bytes
	MOVQ         48(DI), R14           // groups of 16 pixels
	TESTQ        R14, R14
	JZ           ftdone

ftgroup:
	VMOVDQU32    (AX), Y16
	VINSERTI64X4 $1, 64(AX), Z16, Z16  // rows oy·SH − PH
	VMOVDQU32    32(AX), Y17
	VINSERTI64X4 $1, 96(AX), Z17, Z17  // columns ox·SW − PW
	XORQ         R10, R10              // tap
	MOVQ         SI, R11
	MOVQ         R8, R12
	MOVQ         R9, R13

fttap:
	DCN_POINT16
	LEAQ         (BX)(R10*4), R14
	KXNORW       K4, K4, K4
	VPSCATTERDD  Z4, K4, (R14)(Z7*1)

	VMOVAPS.Z Z0, K2, Z5
	VMOVUPS   Z5, (R13)                // fy
	VMOVAPS.Z Z1, K2, Z5
	VMOVUPS   Z5, (R13)(CX*1)          // fx
	VMOVUPS   (R12), Z6                // m
	VMOVAPS.Z Z6, K2, Z5
	VMOVUPS   Z5, (R13)(CX*2)          // md
	LEAQ      (R13)(CX*2), R14
	VMOVAPS.Z Z11, K3, Z5
	VMOVUPS   Z5, (R14)(CX*1)          // vv
	VMOVAPS.Z Z6, K3, Z6               // mv
	VSUBPS    Z0, Z11, Z4              // a = 1 − fy
	VSUBPS    Z1, Z11, Z5              // c = 1 − fx
	VMULPS    Z4, Z6, Z4               // mv·a
	VMULPS    Z0, Z6, Z6               // mv·fy
	VMULPS    Z5, Z4, Z2               // w0 = mv·a·c
	VMULPS    Z1, Z4, Z4               // w1 = mv·a·fx
	VMULPS    Z5, Z6, Z5               // w2 = mv·fy·c
	VMULPS    Z1, Z6, Z6               // w3 = mv·fy·fx
	VMOVAPS.Z Z2, K3, Z2
	VMOVAPS.Z Z4, K3, Z4
	VMOVAPS.Z Z5, K3, Z5
	VMOVAPS.Z Z6, K3, Z6

	VUNPCKLPS Z4, Z2, Z0
	VUNPCKHPS Z4, Z2, Z1
	VUNPCKLPS Z6, Z5, Z3
	VUNPCKHPS Z6, Z5, Z4
	VSHUFPS   $0x44, Z3, Z0, Z2        // entries 0, 4, 8, 12
	VSHUFPS   $0xee, Z3, Z0, Z5        // 1, 5, 9, 13
	VSHUFPS   $0x44, Z4, Z1, Z6        // 2, 6, 10, 14
	VSHUFPS   $0xee, Z4, Z1, Z0        // 3, 7, 11, 15
	MOVQ      R10, R15
	SHLQ      $4, R15
	ADDQ      DX, R15                  // this tap's entry of pixel 0
	MOVQ      112(DI), R14             // bytes between pixels' entries
	VMOVUPS   X2, (R15)
	ADDQ      R14, R15
	VMOVUPS   X5, (R15)
	ADDQ      R14, R15
	VMOVUPS   X6, (R15)
	ADDQ      R14, R15
	VMOVUPS   X0, (R15)
	ADDQ      R14, R15
	VEXTRACTF32X4 $1, Z2, (R15)
	ADDQ      R14, R15
	VEXTRACTF32X4 $1, Z5, (R15)
	ADDQ      R14, R15
	VEXTRACTF32X4 $1, Z6, (R15)
	ADDQ      R14, R15
	VEXTRACTF32X4 $1, Z0, (R15)
	ADDQ      R14, R15
	VEXTRACTF32X4 $2, Z2, (R15)
	ADDQ      R14, R15
	VEXTRACTF32X4 $2, Z5, (R15)
	ADDQ      R14, R15
	VEXTRACTF32X4 $2, Z6, (R15)
	ADDQ      R14, R15
	VEXTRACTF32X4 $2, Z0, (R15)
	ADDQ      R14, R15
	VEXTRACTF32X4 $3, Z2, (R15)
	ADDQ      R14, R15
	VEXTRACTF32X4 $3, Z5, (R15)
	ADDQ      R14, R15
	VEXTRACTF32X4 $3, Z6, (R15)
	ADDQ      R14, R15
	VEXTRACTF32X4 $3, Z0, (R15)

	MOVQ 80(DI), R14
	LEAQ (R11)(R14*2), R11             // next tap's offsets
	ADDQ 88(DI), R12                   // mask
	ADDQ 96(DI), R13                   // fy
	INCQ R10
	CMPQ R10, 72(DI)
	JLT  fttap

	ADDQ $128, AX
	ADDQ $64, SI
	ADDQ $64, R8
	ADDQ $64, R9
	MOVQ 72(DI), R14
	SHLQ $6, R14
	ADDQ R14, BX                       // 16·GK entries
	SHLQ $2, R14
	ADDQ R14, DX
	DECQ 48(DI)                        // a.groups counts down
	JNZ  ftgroup

ftdone:
	VZEROUPPER
	RET
