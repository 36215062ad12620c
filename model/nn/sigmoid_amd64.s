#include "textflag.h"

// twoSigC holds twoSigmoid32's constants, one float32 (or int32) each.
DATA twoSigC<>+0(SB)/4, $0x80000000  // sign bit
DATA twoSigC<>+4(SB)/4, $0xc2b00000  // -88
DATA twoSigC<>+8(SB)/4, $0x42d00000  // 104
DATA twoSigC<>+12(SB)/4, $0x3fb8aa3b // log2(e)
DATA twoSigC<>+16(SB)/4, $0x4b400000 // 0x1.8p23 (as a float and as the int subtracted)
DATA twoSigC<>+20(SB)/4, $0x3f318000 // 0.693359375
DATA twoSigC<>+24(SB)/4, $0xb95e8083 // -2.12194440e-4
DATA twoSigC<>+28(SB)/4, $0x39506967 // polynomial, highest degree first
DATA twoSigC<>+32(SB)/4, $0x3ab743ce
DATA twoSigC<>+36(SB)/4, $0x3c088908
DATA twoSigC<>+40(SB)/4, $0x3d2aa9c1
DATA twoSigC<>+44(SB)/4, $0x3e2aaaaa
DATA twoSigC<>+48(SB)/4, $0x3f000000
DATA twoSigC<>+52(SB)/4, $0x3f800000 // 1
DATA twoSigC<>+56(SB)/4, $0x40000000 // 2
DATA twoSigC<>+60(SB)/4, $127
GLOBL twoSigC<>(SB), RODATA|NOPTR, $64

#define POLY(off) \
	VMULPS       Y0, Y1, Y1 \
	VBROADCASTSS twoSigC<>+off(SB), Y2 \
	VADDPS       Y2, Y1, Y1

// func twoSigmoidAVX(dst, src *float32, n int)
// twoSigmoid32 on 8 values at a time (n a multiple of 8): the Go loop's
// operations in its order, no fused multiply-adds, the same bits.
TEXT ·twoSigmoidAVX(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

twosigloop:
	CMPQ CX, $8
	JLT  twosigdone
	VMOVUPS      (SI), Y0
	VBROADCASTSS twoSigC<>+0(SB), Y1
	VXORPS       Y1, Y0, Y0            // x = -v
	VBROADCASTSS twoSigC<>+4(SB), Y1
	VMAXPS       Y0, Y1, Y0            // max(x, -88); NaN in x passes
	VBROADCASTSS twoSigC<>+8(SB), Y1
	VMINPS       Y0, Y1, Y0            // min(x, 104); NaN in x passes
	VBROADCASTSS twoSigC<>+12(SB), Y1
	VMULPS       Y1, Y0, Y2
	VBROADCASTSS twoSigC<>+16(SB), Y3
	VADDPS       Y3, Y2, Y2            // t = x·log2e + shift
	VPSUBD       Y3, Y2, Y4            // n = bits(t) - 0x4b400000
	VSUBPS       Y3, Y2, Y2            // f = t - shift
	VBROADCASTSS twoSigC<>+20(SB), Y1
	VMULPS       Y1, Y2, Y1
	VSUBPS       Y1, Y0, Y0            // r = x - f·C1
	VBROADCASTSS twoSigC<>+24(SB), Y1
	VMULPS       Y1, Y2, Y1
	VSUBPS       Y1, Y0, Y0            // r -= f·C2
	VBROADCASTSS twoSigC<>+28(SB), Y1  // p
	POLY(32)
	POLY(36)
	POLY(40)
	POLY(44)
	POLY(48)
	VMULPS       Y0, Y1, Y1            // p·r
	VMULPS       Y0, Y1, Y1            // p·r·r
	VADDPS       Y0, Y1, Y1            // + r
	VBROADCASTSS twoSigC<>+52(SB), Y5
	VADDPS       Y5, Y1, Y1            // + 1
	VPSRAD       $1, Y4, Y3            // h = n >> 1
	VPSUBD       Y3, Y4, Y4            // n - h
	VPBROADCASTD twoSigC<>+60(SB), Y2
	VPADDD       Y2, Y3, Y3
	VPADDD       Y2, Y4, Y4
	VPSLLD       $23, Y3, Y3           // 2^h
	VPSLLD       $23, Y4, Y4           // 2^(n-h)
	VMULPS       Y3, Y1, Y1
	VMULPS       Y4, Y1, Y1            // e
	VADDPS       Y1, Y5, Y1            // 1 + e
	VBROADCASTSS twoSigC<>+56(SB), Y2
	VDIVPS       Y1, Y2, Y1            // 2 / (1 + e)
	VMOVUPS      Y1, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DI
	SUBQ         $8, CX
	JMP          twosigloop

twosigdone:
	VZEROUPPER
	RET

// func clampAVX(dst, src *float32, n int, lim float32)
// dst[i] = min(max(src[i], -lim), lim) for n a multiple of 8, as Go's min and
// max give it: a NaN passes, ±0 stays.
TEXT ·clampAVX(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS lim+24(FP), Y2        // lim
	VBROADCASTSS twoSigC<>+0(SB), Y1
	VXORPS       Y1, Y2, Y1            // -lim

clamploop:
	CMPQ    CX, $8
	JLT     clampdone
	VMOVUPS (SI), Y0
	VMAXPS  Y0, Y1, Y0                 // max(v, -lim); NaN in v passes
	VMINPS  Y0, Y2, Y0                 // min(., lim); NaN passes
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     clamploop

clampdone:
	VZEROUPPER
	RET

// func clampGradAVX(dst, gr, raw *float32, n int, lim float32)
// dst[i] = gr[i] where -lim <= raw[i] <= lim, else 0 (NaN: 0), n a multiple of 8.
TEXT ·clampGradAVX(SB), NOSPLIT, $0-36
	MOVQ         dst+0(FP), DI
	MOVQ         gr+8(FP), DX
	MOVQ         raw+16(FP), SI
	MOVQ         n+24(FP), CX
	VBROADCASTSS lim+32(FP), Y2        // lim
	VBROADCASTSS twoSigC<>+0(SB), Y1
	VXORPS       Y1, Y2, Y1            // -lim

cgradloop:
	CMPQ    CX, $8
	JLT     cgraddone
	VMOVUPS (SI), Y0
	VCMPPS  $0x1d, Y1, Y0, Y3          // raw >= -lim (ordered)
	VCMPPS  $0x12, Y2, Y0, Y4          // raw <= lim (ordered)
	VANDPS  Y4, Y3, Y3
	VANDPS  (DX), Y3, Y3
	VMOVUPS Y3, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     cgradloop

cgraddone:
	VZEROUPPER
	RET

// func maskGradAVX(dst, gr, m *float32, n int)
// dst[i] = gr[i]·m[i]·(1 − m[i]/2), in that order, n a multiple of 8.
TEXT ·maskGradAVX(SB), NOSPLIT, $0-32
	MOVQ         dst+0(FP), DI
	MOVQ         gr+8(FP), DX
	MOVQ         m+16(FP), SI
	MOVQ         n+24(FP), CX
	VBROADCASTSS twoSigC<>+52(SB), Y5  // 1
	VBROADCASTSS twoSigC<>+48(SB), Y6  // 0.5

mgradloop:
	CMPQ    CX, $8
	JLT     mgraddone
	VMOVUPS (SI), Y0
	VMULPS  (DX), Y0, Y1               // g·m
	VMULPS  Y6, Y0, Y2                 // m/2 (exact as a halving)
	VSUBPS  Y2, Y5, Y2                 // 1 − m/2
	VMULPS  Y2, Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     mgradloop

mgraddone:
	VZEROUPPER
	RET
