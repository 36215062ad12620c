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

// FILLT_FIELDS stores a whole fill's fy, fx, md and vv of one tap of 8
// pixels for FILLT_HALF (fy, fx and the mask in Y0, Y1 and Y6, the masks
// of the sample points in range and of the ones past −1 in Y2 and Y3),
// as dcnFill512T does: fy, fx and md zeroed out of range, vv 1 or 0. The
// tap's fy lies at a.fy + tap·a.fstride + the group's 64·g bytes (SI −
// a.offY) + off, fx, md and vv a.fdelta bytes apart. Clobbers R14, Y15.
#define FILLT_FIELDS(off) \
	MOVQ       R10, R14; \
	IMULQ      96(DI), R14; \
	ADDQ       SI, R14; \
	SUBQ       0(DI), R14; \
	ADDQ       32(DI), R14; \
	VANDPS     Y2, Y0, Y15; \
	VMOVUPS    Y15, off(R14); \
	ADDQ       104(DI), R14; \
	VANDPS     Y2, Y1, Y15; \
	VMOVUPS    Y15, off(R14); \
	ADDQ       104(DI), R14; \
	VANDPS     Y2, Y6, Y15; \
	VMOVUPS    Y15, off(R14); \
	ADDQ       104(DI), R14; \
	VANDPS     Y3, Y11, Y15; \
	VMOVUPS    Y15, off(R14)

// FILLT_HALF fills one tap of 8 pixels for dcnFillTAVX: dcnFillAVX's
// operations in the same order (no fused multiply-adds; the point by
// DCN_POINT8, x offsets CX bytes after the y), with the pixels'
// rows and columns at posoff(AX) and posoff+32(AX), the tap's y offsets
// and mask at off(R11) and off(R12) (x offsets CX bytes after the y),
// i·DH and j·DW broadcast in Y7 and Y8; the 8 bases go to scr(R13), the
// weights to R15, R15+R9, …, R15+7·R9 (R15 ends on the next pixel's);
// in a whole fill (a.fdelta ≠ 0) the 8 fy, fx, md and vv too (FILLT_FIELDS;
// skip: the label past it).
#define FILLT_HALF(posoff, off, scr, skip) \
	DCN_POINT8(posoff, off, CX); \
	VMOVDQU    Y4, scr(R13); \
	VMOVUPS    off(R12), Y6; \
	CMPQ       104(DI), $0; \
	JEQ        skip; \
	FILLT_FIELDS(off); \
skip: \
	VANDPS     Y3, Y6, Y6; \
	VSUBPS     Y0, Y11, Y4; \
	VSUBPS     Y1, Y11, Y5; \
	VMULPS     Y4, Y6, Y4; \
	VMULPS     Y0, Y6, Y6; \
	VMULPS     Y5, Y4, Y2; \
	VMULPS     Y1, Y4, Y4; \
	VMULPS     Y5, Y6, Y5; \
	VMULPS     Y1, Y6, Y6; \
	VANDPS     Y3, Y2, Y2; \
	VANDPS     Y3, Y4, Y4; \
	VANDPS     Y3, Y5, Y5; \
	VANDPS     Y3, Y6, Y6; \
	VUNPCKLPS  Y4, Y2, Y0; \
	VUNPCKHPS  Y4, Y2, Y1; \
	VUNPCKLPS  Y6, Y5, Y3; \
	VUNPCKHPS  Y6, Y5, Y4; \
	VSHUFPS    $0x44, Y3, Y0, Y2; \
	VSHUFPS    $0xee, Y3, Y0, Y5; \
	VSHUFPS    $0x44, Y4, Y1, Y6; \
	VSHUFPS    $0xee, Y4, Y1, Y0; \
	VMOVUPS    X2, (R15); \
	ADDQ       R9, R15; \
	VMOVUPS    X5, (R15); \
	ADDQ       R9, R15; \
	VMOVUPS    X6, (R15); \
	ADDQ       R9, R15; \
	VMOVUPS    X0, (R15); \
	ADDQ       R9, R15; \
	VEXTRACTF128 $1, Y2, (R15); \
	ADDQ       R9, R15; \
	VEXTRACTF128 $1, Y5, (R15); \
	ADDQ       R9, R15; \
	VEXTRACTF128 $1, Y6, (R15); \
	ADDQ       R9, R15; \
	VEXTRACTF128 $1, Y0, (R15); \
	ADDQ       R9, R15

// FILLT_BASES stores the bases of 8 pixels from dcnFillTAVX's scratch at
// R12 (8 per tap, tap-major) to BX (GK a pixel, R14 bytes apart; R11 holds
// 3·R14): 8 taps at a time, transposed, each pixel's 8 with one store (the
// last block overlapping the one before where GK is not a multiple of 8).
// Clobbers R10, R13, R15, Y0-Y6, Y8 and Y15.
#define FILLT_BASES(label, full) \
	XORQ       R10, R10; \
label: \
	MOVQ       72(DI), R15; \
	SUBQ       $8, R15; \
	CMPQ       R10, R15; \
	JLE        full; \
	MOVQ       R15, R10; \
full: \
	MOVQ       R10, R13; \
	SHLQ       $5, R13; \
	ADDQ       R12, R13; \
	VMOVDQU    (R13), Y0; \
	VUNPCKHPS  32(R13), Y0, Y1; \
	VUNPCKLPS  32(R13), Y0, Y0; \
	VMOVDQU    64(R13), Y2; \
	VUNPCKHPS  96(R13), Y2, Y3; \
	VUNPCKLPS  96(R13), Y2, Y2; \
	VSHUFPS    $0x44, Y2, Y0, Y4; \
	VSHUFPS    $0xee, Y2, Y0, Y0; \
	VSHUFPS    $0x44, Y3, Y1, Y2; \
	VSHUFPS    $0xee, Y3, Y1, Y1; \
	VMOVDQU    128(R13), Y3; \
	VUNPCKHPS  160(R13), Y3, Y5; \
	VUNPCKLPS  160(R13), Y3, Y3; \
	VMOVDQU    192(R13), Y6; \
	VUNPCKHPS  224(R13), Y6, Y15; \
	VUNPCKLPS  224(R13), Y6, Y6; \
	VSHUFPS    $0x44, Y6, Y3, Y8; \
	VSHUFPS    $0xee, Y6, Y3, Y3; \
	VSHUFPS    $0x44, Y15, Y5, Y6; \
	VSHUFPS    $0xee, Y15, Y5, Y5; \
	LEAQ       (BX)(R10*4), R13; \
	LEAQ       (R13)(R14*4), R15; \
	VPERM2F128 $0x20, Y8, Y4, Y15; \
	VMOVDQU    Y15, (R13); \
	VPERM2F128 $0x31, Y8, Y4, Y15; \
	VMOVDQU    Y15, (R15); \
	VPERM2F128 $0x20, Y3, Y0, Y15; \
	VMOVDQU    Y15, (R13)(R14*1); \
	VPERM2F128 $0x31, Y3, Y0, Y15; \
	VMOVDQU    Y15, (R15)(R14*1); \
	VPERM2F128 $0x20, Y6, Y2, Y15; \
	VMOVDQU    Y15, (R13)(R14*2); \
	VPERM2F128 $0x31, Y6, Y2, Y15; \
	VMOVDQU    Y15, (R15)(R14*2); \
	VPERM2F128 $0x20, Y5, Y1, Y15; \
	VMOVDQU    Y15, (R13)(R11*1); \
	VPERM2F128 $0x31, Y5, Y1, Y15; \
	VMOVDQU    Y15, (R15)(R11*1); \
	ADDQ       $8, R10; \
	CMPQ       R10, 72(DI); \
	JLT        label

// func dcnFillTAVX(a *dcnFillTArgs)
// The sampling table (bases and weights; fy, fx, md and vv too in whole
// fills) of a run of a.groups·16 pixels for every tap, in AVX2:
// dcnFillAVX's operations in the same order
// (no fused multiply-adds: the same bits, TestFillAVXMatchesGo), all GK
// taps (8 ≤ GK ≤ 64) of 16 pixels before the next 16 (each tap as two
// halves of 8, so that the 64 bytes of each offset and mask plane a group
// reads are used at once: the planes lie P·4 bytes apart, in the same few
// L1 sets). Each tap's bases go to a.scr (tap-major, 32 bytes a tap a
// half); after the last tap they are transposed and stored 8 entries of
// one pixel a store instead of 8 scalar stores a tap (FILLT_BASES). In a
// lean fill (Forward's, a.fdelta = 0) fy, fx, md and vv are not written;
// in a whole one each half stores its 8 of them too (FILLT_FIELDS), 64
// bytes of each of the 4·GK planes a group. The planes lie
// fieldStride(np) values apart: 16 more than np where np is a multiple of
// 256, since planes a multiple of 4 KB apart alias in the L1 cache (the
// kernel was then 1.65× slower than dcnFillAVX tap by tap on a 64×64 map,
// and Go ran whole fills here only below 1024 pixels; it is now 7–8 %
// faster there). Field offsets follow dcnFillTArgs.
TEXT ·dcnFillTAVX(SB), NOSPLIT, $0-8
	MOVQ         a+0(FP), DI
	VPBROADCASTD 120(DI), Y10          // wp
	VBROADCASTSS 128(DI), Y14          // H
	VBROADCASTSS 132(DI), Y13          // W
	VBROADCASTSS fill512one<>(SB), Y11 // 1.0
	VXORPS       Y12, Y12, Y12
	VSUBPS       Y11, Y12, Y12         // −1.0
	VPCMPEQD     Y9, Y9, Y9
	VPSRLD       $31, Y9, Y9           // int32 1
	MOVQ         0(DI), SI             // offY, tap 0
	MOVQ         8(DI), R8             // mask, tap 0 (ones for none)
	MOVQ         16(DI), BX            // base
	MOVQ         24(DI), DX            // wts
	MOVQ         40(DI), AX            // pos
	MOVQ         80(DI), CX            // y offsets → x offsets, bytes
	MOVQ         112(DI), R9           // bytes between pixels' weights
	MOVQ         48(DI), R14           // groups of 16 pixels
	TESTQ        R14, R14
	JZ           fvdone

fvgroup:
	XORQ R10, R10                      // tap
	MOVQ SI, R11
	MOVQ R8, R12

fvtap:
	MOVQ         56(DI), R14
	VPBROADCASTD (R14)(R10*4), Y7      // i·DH
	MOVQ         64(DI), R14
	VPBROADCASTD (R14)(R10*4), Y8      // j·DW
	MOVQ         R10, R13
	SHLQ         $5, R13
	ADDQ         136(DI), R13          // the tap's row of the scratch
	MOVQ         R10, R15
	SHLQ         $4, R15
	ADDQ         DX, R15               // this tap's entry of pixel 0
	FILLT_HALF(0, 0, 0, fvlo)
	FILLT_HALF(64, 32, 2048, fvhi)
	LEAQ (R11)(CX*2), R11              // next tap's offsets
	ADDQ 88(DI), R12                   // mask
	INCQ R10
	CMPQ R10, 72(DI)
	JLT  fvtap

	// The bases: 8 taps (rows of the scratch) by 8 pixels, transposed.
	MOVQ 72(DI), R14
	SHLQ $2, R14                       // bytes between pixels' bases
	LEAQ (R14)(R14*2), R11             // 3 of them
	MOVQ 136(DI), R12
	FILLT_BASES(fvblock0, fvfull0)
	LEAQ (BX)(R14*8), BX               // pixels 8-15
	ADDQ $2048, R12
	FILLT_BASES(fvblock1, fvfull1)
	LEAQ (BX)(R14*8), BX               // the next group

	ADDQ $128, AX
	ADDQ $64, SI
	ADDQ $64, R8
	MOVQ 72(DI), R14
	SHLQ $8, R14
	ADDQ R14, DX                       // 16·GK entries of 16 bytes
	DECQ 48(DI)                        // a.groups counts down
	JNZ  fvgroup

fvdone:
	VZEROUPPER
	RET
