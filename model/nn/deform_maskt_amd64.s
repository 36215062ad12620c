//go:build amd64

#include "textflag.h"

// func dcnMaskT8(dy *float32, y *float32, lds int, dst *float32, ldd int, blocks int, sums *float32)
// The ReLU's output gradient of 8 channels transposed to pixel-major, blocks of 8 pixels at a time:
// dst[q·ldd+r] = dy[r·lds+q] where 0 < y[r·lds+q] (ordered: NaN gives 0), else +0, for r < 8 and
// q < 8·blocks; sums[j·8+r] (in/out, 64 values) adds, in pixel order, the values stored for the
// q with q%8 == j. packTranspose8's shuffles on the masked rows (AVX, registers Y0–Y15); the 8
// sums in Y16–Y23 (AVX-512VL), one for each pixel of a block.
TEXT ·dcnMaskT8(SB), NOSPLIT, $0-56
	MOVQ    dy+0(FP), SI
	MOVQ    y+8(FP), BX
	MOVQ    lds+16(FP), R8
	MOVQ    dst+24(FP), DI
	MOVQ    ldd+32(FP), R12
	MOVQ    blocks+40(FP), CX
	MOVQ    sums+48(FP), AX
	VMOVUPS (AX), Y16
	VMOVUPS 32(AX), Y17
	VMOVUPS 64(AX), Y18
	VMOVUPS 96(AX), Y19
	VMOVUPS 128(AX), Y20
	VMOVUPS 160(AX), Y21
	VMOVUPS 192(AX), Y22
	VMOVUPS 224(AX), Y23
	SHLQ    $2, R8
	SHLQ    $2, R12
	LEAQ    (R8)(R8*2), R10        // 3·lds
	LEAQ    (SI)(R8*4), R11        // dy's row 4
	LEAQ    (BX)(R8*4), R9         // y's row 4
	LEAQ    (R12)(R12*2), R13      // 3·ldd
	TESTQ   CX, CX
	JZ      mt8done

mt8loop:
	VXORPS Y15, Y15, Y15
	VCMPPS $0x11, (BX), Y15, Y8       // 0 < y, ordered
	VANDPS (SI), Y8, Y0
	VCMPPS $0x11, (BX)(R8*1), Y15, Y9
	VANDPS (SI)(R8*1), Y9, Y1
	VCMPPS $0x11, (BX)(R8*2), Y15, Y10
	VANDPS (SI)(R8*2), Y10, Y2
	VCMPPS $0x11, (BX)(R10*1), Y15, Y11
	VANDPS (SI)(R10*1), Y11, Y3
	VCMPPS $0x11, (R9), Y15, Y12
	VANDPS (R11), Y12, Y4
	VCMPPS $0x11, (R9)(R8*1), Y15, Y13
	VANDPS (R11)(R8*1), Y13, Y5
	VCMPPS $0x11, (R9)(R8*2), Y15, Y14
	VANDPS (R11)(R8*2), Y14, Y6
	VCMPPS $0x11, (R9)(R10*1), Y15, Y14
	VANDPS (R11)(R10*1), Y14, Y7

	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7

	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15

	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(R12*1)
	VMOVUPS Y10, (DI)(R12*2)
	VMOVUPS Y11, (DI)(R13*1)
	LEAQ    (DI)(R12*4), DI
	VMOVUPS Y12, (DI)
	VMOVUPS Y13, (DI)(R12*1)
	VMOVUPS Y14, (DI)(R12*2)
	VMOVUPS Y15, (DI)(R13*1)

	VADDPS Y8, Y16, Y16
	VADDPS Y9, Y17, Y17
	VADDPS Y10, Y18, Y18
	VADDPS Y11, Y19, Y19
	VADDPS Y12, Y20, Y20
	VADDPS Y13, Y21, Y21
	VADDPS Y14, Y22, Y22
	VADDPS Y15, Y23, Y23

	DECQ CX
	JZ   mt8done
	LEAQ (DI)(R12*4), DI
	ADDQ $32, SI
	ADDQ $32, R11
	ADDQ $32, BX
	ADDQ $32, R9
	JMP  mt8loop

mt8done:
	VMOVUPS Y16, (AX)
	VMOVUPS Y17, 32(AX)
	VMOVUPS Y18, 64(AX)
	VMOVUPS Y19, 96(AX)
	VMOVUPS Y20, 128(AX)
	VMOVUPS Y21, 160(AX)
	VMOVUPS Y22, 192(AX)
	VMOVUPS Y23, 224(AX)
	VZEROUPPER
	RET

// func dcnMaskT8a(dy *float32, y *float32, lds int, dst *float32, ldd int, blocks int, sums *float32)
// dcnMaskT8 for CPUs without AVX-512: the same masked transpose (the same compares and shuffles,
// registers Y0–Y15), the 8 sums kept in sums itself instead of Y16–Y23: after a block's 8 rows
// of dst are stored, each sum is loaded, added the row (sum + row, the sum the first operand as
// in dcnMaskT8 and the Go loop) and stored back, in pixel order: the same additions, the same
// bits. Assembly for speed (the Go loop costs conv1's narrow backward more than it saves).
TEXT ·dcnMaskT8a(SB), NOSPLIT, $0-56
	MOVQ  dy+0(FP), SI
	MOVQ  y+8(FP), BX
	MOVQ  lds+16(FP), R8
	MOVQ  dst+24(FP), DI
	MOVQ  ldd+32(FP), R12
	MOVQ  blocks+40(FP), CX
	MOVQ  sums+48(FP), AX
	SHLQ  $2, R8
	SHLQ  $2, R12
	LEAQ  (R8)(R8*2), R10          // 3·lds
	LEAQ  (SI)(R8*4), R11          // dy's row 4
	LEAQ  (BX)(R8*4), R9           // y's row 4
	LEAQ  (R12)(R12*2), R13        // 3·ldd
	TESTQ CX, CX
	JZ    mtadone

mtaloop:
	VXORPS Y15, Y15, Y15
	VCMPPS $0x11, (BX), Y15, Y8       // 0 < y, ordered
	VANDPS (SI), Y8, Y0
	VCMPPS $0x11, (BX)(R8*1), Y15, Y9
	VANDPS (SI)(R8*1), Y9, Y1
	VCMPPS $0x11, (BX)(R8*2), Y15, Y10
	VANDPS (SI)(R8*2), Y10, Y2
	VCMPPS $0x11, (BX)(R10*1), Y15, Y11
	VANDPS (SI)(R10*1), Y11, Y3
	VCMPPS $0x11, (R9), Y15, Y12
	VANDPS (R11), Y12, Y4
	VCMPPS $0x11, (R9)(R8*1), Y15, Y13
	VANDPS (R11)(R8*1), Y13, Y5
	VCMPPS $0x11, (R9)(R8*2), Y15, Y14
	VANDPS (R11)(R8*2), Y14, Y6
	VCMPPS $0x11, (R9)(R10*1), Y15, Y14
	VANDPS (R11)(R10*1), Y14, Y7

	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7

	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15

	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(R12*1)
	VMOVUPS Y10, (DI)(R12*2)
	VMOVUPS Y11, (DI)(R13*1)
	LEAQ    (DI)(R12*4), DI
	VMOVUPS Y12, (DI)
	VMOVUPS Y13, (DI)(R12*1)
	VMOVUPS Y14, (DI)(R12*2)
	VMOVUPS Y15, (DI)(R13*1)

	VMOVUPS (AX), Y0
	VMOVUPS 32(AX), Y1
	VMOVUPS 64(AX), Y2
	VMOVUPS 96(AX), Y3
	VMOVUPS 128(AX), Y4
	VMOVUPS 160(AX), Y5
	VMOVUPS 192(AX), Y6
	VMOVUPS 224(AX), Y7
	VADDPS  Y8, Y0, Y0
	VADDPS  Y9, Y1, Y1
	VADDPS  Y10, Y2, Y2
	VADDPS  Y11, Y3, Y3
	VADDPS  Y12, Y4, Y4
	VADDPS  Y13, Y5, Y5
	VADDPS  Y14, Y6, Y6
	VADDPS  Y15, Y7, Y7
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, 32(AX)
	VMOVUPS Y2, 64(AX)
	VMOVUPS Y3, 96(AX)
	VMOVUPS Y4, 128(AX)
	VMOVUPS Y5, 160(AX)
	VMOVUPS Y6, 192(AX)
	VMOVUPS Y7, 224(AX)

	DECQ CX
	JZ   mtadone
	LEAQ (DI)(R12*4), DI
	ADDQ $32, SI
	ADDQ $32, R11
	ADDQ $32, BX
	ADDQ $32, R9
	JMP  mtaloop

mtadone:
	VZEROUPPER
	RET
