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

// DG_TAP0 points both kernels' registers at tap 0 of the group whose first
// pixel is BX/4 (bytes into a plane): R10 the tap (0), R11 the y offsets,
// R12 the mask, R13 the offset gradient (y), DX the mask gradient, CX the
// column gradient's row of the group's first pixel (channel 0).
#define DG_TAP0 \
	XORQ  R10, R10; \
	MOVQ  0(DI), R11; \
	ADDQ  BX, R11; \
	MOVQ  8(DI), R12; \
	ADDQ  BX, R12; \
	MOVQ  16(DI), R13; \
	ADDQ  BX, R13; \
	MOVQ  24(DI), DX; \
	ADDQ  BX, DX; \
	MOVQ  BX, CX; \
	SHRQ  $2, CX; \
	IMULQ 88(DI), CX; \
	ADDQ  32(DI), CX

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
	DG_TAP0

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

// DV_LO and DV_HI load the four corners of one entry of dcnDotsGradAVX's
// group (its byte offset in AX) into the lower halves of Y1, Y2, Y3 and Y8
// (DV_LO) or their upper halves (DV_HI); DV_SUM(out) then forms the two
// entries' corner sums in out, the first's in the lower half, with
// dcnDots4AVX's pair loop's operations (their column gradients at R14 and
// R14+R9; R14 moves on by two rows). Y9 is zero, X15 the lane mask.
// DV_SUM clobbers Y0 and Y4–Y7.
#define DV_LO \
	VMOVUPS     (SI)(AX*1), X1; \
	VMOVUPS     16(SI)(AX*1), X2; \
	VMOVUPS     (R8)(AX*1), X3; \
	VMOVUPS     16(R8)(AX*1), X8

#define DV_HI \
	VINSERTF128 $1, (SI)(AX*1), Y1, Y1; \
	VINSERTF128 $1, 16(SI)(AX*1), Y2, Y2; \
	VINSERTF128 $1, (R8)(AX*1), Y3, Y3; \
	VINSERTF128 $1, 16(R8)(AX*1), Y8, Y8

#define DV_SUM(out) \
	VMASKMOVPS  (R14), X15, X0; \
	ADDQ        R9, R14; \
	VMASKMOVPS  (R14), X15, X4; \
	ADDQ        R9, R14; \
	VINSERTF128 $1, X4, Y0, Y0; \
	VXORPS      Y4, Y4, Y4; \
	VXORPS      Y5, Y5, Y5; \
	VXORPS      Y6, Y6, Y6; \
	VXORPS      Y7, Y7, Y7; \
	VFMADD231PS Y1, Y0, Y4; \
	VFMADD231PS Y2, Y0, Y5; \
	VFMADD231PS Y3, Y0, Y6; \
	VFMADD231PS Y8, Y0, Y7; \
	VHADDPS     Y5, Y4, Y4; \
	VHADDPS     Y7, Y6, Y6; \
	VHADDPS     Y6, Y4, out; \
	VADDPS      Y9, out, out

// DV_POINT computes the sample point of 8 pixels at one tap for
// dcnDotsGradAVX with FILLT_HALF's operations (DCN_POINT8; no weights):
// their rows and
// columns at posoff(AX) and posoff+32(AX), the tap's y offsets and mask at
// off(R11) and off(R12) (x offsets 80(DI) bytes after the y). It keeps
// the 8 corner byte offsets (the table's base, 0 outside, times 16) at
// fr(SP) and fy, fx, md and vv as the table holds them at fr+32(SP),
// fr+64(SP), fr+96(SP) and fr+128(SP). Clobbers R14, Y0–Y14.
#define DV_POINT(posoff, off, fr) \
	MOVQ         56(DI), R14; \
	VPBROADCASTD (R14)(R10*4), Y7; \
	MOVQ         64(DI), R14; \
	VPBROADCASTD (R14)(R10*4), Y8; \
	VPBROADCASTD 112(DI), Y10; \
	VBROADCASTSS 120(DI), Y14; \
	VBROADCASTSS 124(DI), Y13; \
	VBROADCASTSS dg512one<>(SB), Y11; \
	VXORPS       Y12, Y12, Y12; \
	VSUBPS       Y11, Y12, Y12; \
	VPCMPEQD     Y9, Y9, Y9; \
	VPSRLD       $31, Y9, Y9; \
	MOVQ         80(DI), R14; \
	DCN_POINT8(posoff, off, R14); \
	VPSLLD       $4, Y4, Y4; \
	VMOVDQU      Y4, fr(SP); \
	VMOVUPS      off(R12), Y6; \
	VANDPS       Y2, Y0, Y5; \
	VMOVUPS      Y5, fr+32(SP); \
	VANDPS       Y2, Y1, Y5; \
	VMOVUPS      Y5, fr+64(SP); \
	VANDPS       Y2, Y6, Y5; \
	VMOVUPS      Y5, fr+96(SP); \
	VANDPS       Y3, Y11, Y5; \
	VMOVUPS      Y5, fr+128(SP)

// DV_DOTS forms the corner sums of the 8 entries whose corner offsets
// DV_POINT kept at fr(SP), two to a register (DV_LO, DV_HI, DV_SUM): Y10
// entries 0 and 1, Y11 2 and 3, Y12 4 and 5, Y13 6 and 7. Their column
// gradients start at R14, R9 bytes apart; Y9 is zero, X15 the lane mask.
// Clobbers AX, R14, Y0–Y8.
#define DV_DOTS(fr) \
	DV_PAIR(fr, Y10); \
	DV_PAIR(fr+8, Y11); \
	DV_PAIR(fr+16, Y12); \
	DV_PAIR(fr+24, Y13)

// DV_PAIR is DV_DOTS's work for the two entries whose corner offsets lie
// at at(SP) and at+4(SP): their sums in out.
#define DV_PAIR(at, out) \
	MOVLQSX at(SP), AX; \
	DV_LO; \
	MOVLQSX at+4(SP), AX; \
	DV_HI; \
	DV_SUM(out)

// DV_GRAD transposes DV_DOTS's sums to s0..s3 of the 8 pixels and sets
// their offset gradients (y at off(R13), x R14 bytes on) and mask gradient
// (off(DX)) with dcnOffGradAVX's operations, from the fy, fx, md and vv
// DV_POINT kept at fr+32(SP)…fr+128(SP). Clobbers Y0–Y13.
#define DV_GRAD(fr, off) \
	VPERM2F128 $0x20, Y12, Y10, Y0; \
	VPERM2F128 $0x31, Y12, Y10, Y1; \
	VPERM2F128 $0x20, Y13, Y11, Y2; \
	VPERM2F128 $0x31, Y13, Y11, Y3; \
	VUNPCKLPS  Y1, Y0, Y4; \
	VUNPCKHPS  Y1, Y0, Y5; \
	VUNPCKLPS  Y3, Y2, Y6; \
	VUNPCKHPS  Y3, Y2, Y7; \
	VSHUFPS    $0x44, Y6, Y4, Y0; \
	VSHUFPS    $0xee, Y6, Y4, Y1; \
	VSHUFPS    $0x44, Y7, Y5, Y2; \
	VSHUFPS    $0xee, Y7, Y5, Y3; \
	VBROADCASTSS dg512one<>(SB), Y12; \
	VMOVUPS    fr+32(SP), Y4; \
	VMOVUPS    fr+64(SP), Y5; \
	VSUBPS     Y4, Y12, Y6; \
	VSUBPS     Y5, Y12, Y7; \
	VMOVUPS    fr+96(SP), Y8; \
	VSUBPS     Y0, Y2, Y9; \
	VMULPS     Y9, Y7, Y9; \
	VSUBPS     Y1, Y3, Y10; \
	VMULPS     Y10, Y5, Y10; \
	VADDPS     Y10, Y9, Y9; \
	VMULPS     Y9, Y8, Y9; \
	VMOVUPS    Y9, off(R13); \
	VSUBPS     Y0, Y1, Y9; \
	VMULPS     Y9, Y6, Y9; \
	VSUBPS     Y2, Y3, Y10; \
	VMULPS     Y10, Y4, Y10; \
	VADDPS     Y10, Y9, Y9; \
	VMULPS     Y9, Y8, Y9; \
	VMOVUPS    Y9, off(R13)(R14*1); \
	VMULPS     Y0, Y7, Y9; \
	VMULPS     Y1, Y5, Y10; \
	VADDPS     Y10, Y9, Y9; \
	VMULPS     Y9, Y6, Y9; \
	VMULPS     Y2, Y7, Y10; \
	VMULPS     Y3, Y5, Y11; \
	VADDPS     Y11, Y10, Y10; \
	VMULPS     Y10, Y4, Y10; \
	VADDPS     Y10, Y9, Y9; \
	VMULPS     fr+128(SP), Y9, Y9; \
	VMOVUPS    Y9, off(DX)

// func dcnDotsGradAVX(a *dcnDotsGradArgs)
// dcnDotsGrad512 in AVX2, 16 pixels of one tap at a time as two halves of
// 8 (a.groups counts groups of 16), each value the same bits as the
// table's path (fill, dots4, offGrads; TestDotsGradSameBits): the sample
// points with dcnFillTAVX's operations (DV_POINT), their fy, fx, md, vv
// and corner offsets kept in the frame; the corner sums with dcnDots4AVX's
// operations, two entries to a register (DV_DOTS); the sums transposed and
// the offset and mask gradients with dcnOffGradAVX's (DV_GRAD). Both
// halves' points come before either's sums, so that the core has the
// second's work to do while the first's loads and sums wait; and each
// offset, mask and gradient plane (P·4 bytes apart: at 64×64 all on one
// L1 set) is used 64 bytes at once. Nothing is stored but the gradients;
// the masked loads read the column gradient's c values an entry only.
// Frame: 0–159 the first half's corner offsets, fy, fx, md and vv; 160–319
// the second's.
TEXT ·dcnDotsGradAVX(SB), NOSPLIT, $320-8
	MOVQ         a+0(FP), DI
	VMOVDQU      dg512iota<>(SB), X14
	VPBROADCASTD 96(DI), X13
	VPCMPGTD     X14, X13, X15         // lanes < c: the column gradient's
	MOVQ         104(DI), SI           // padded image: corners 0 and 1
	MOVQ         112(DI), R8
	SHLQ         $4, R8
	ADDQ         SI, R8                // corners 2 and 3 (one padded row on)
	XORQ         BX, BX                // the group's first pixel ·4 (bytes into a plane)
	CMPQ         48(DI), $0
	JEQ          dvdone

dvgroup:
	DG_TAP0

dvtap:
	MOVQ     40(DI), AX
	LEAQ     (AX)(BX*2), AX            // pos: 32 values a group
	DV_POINT(0, 0, 0)
	DV_POINT(64, 32, 160)
	MOVQ     88(DI), R9                // bytes between pixels' column gradient rows
	MOVQ     CX, R14
	VXORPS   Y9, Y9, Y9
	DV_DOTS(0)
	MOVQ     80(DI), R14
	DV_GRAD(0, 0)
	LEAQ     (CX)(R9*8), R14           // pixel 8's column gradient
	VXORPS   Y9, Y9, Y9
	DV_DOTS(160)
	MOVQ     80(DI), R14
	DV_GRAD(160, 32)

	ADDQ R14, DX                       // next tap's mask gradient
	LEAQ (R11)(R14*2), R11             // next tap's offsets
	ADDQ R14, R12                      // mask
	LEAQ (R13)(R14*2), R13             // offset gradient
	MOVQ 96(DI), R14
	SHLQ $2, R14
	ADDQ R14, CX                       // column gradient: c values a tap
	INCQ R10
	CMPQ R10, 72(DI)
	JLT  dvtap

	ADDQ $64, BX                       // next group: 16 pixels on
	MOVQ 48(DI), AX
	SHLQ $6, AX
	CMPQ BX, AX
	JLT  dvgroup

dvdone:
	VZEROUPPER
	RET
