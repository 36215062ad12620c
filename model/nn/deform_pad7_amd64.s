//go:build amd64

#include "textflag.h"

// func dcnPad7AVX(x *float32, h, c int, pad *float32)
// padRows7's work in one call (see gemm_amd64.go): image x (c channels, a
// multiple of 8, of h ≥ 2 rows of 7 pixels) into pad (pixel-major, c
// values a pixel, 9 pixels a padded row): for each block of 8 channels,
// each row's 7 pixels and the next row's first by one 8×8 transpose
// (packTranspose8's shuffles) to the row's pixels 0..6 and its right
// ring, the last row's block from the row before's last pixel to its
// left ring; then the right ring of rows 1..h−1 and the left ring after
// each cleared (zero, as the ring is). Moves only: the image's values.
// Assembly for speed: one call where padImage transposed the image into a
// flat buffer and copied its rows (and a first version made 28
// packTranspose8 calls of one block at 7×7, 32 channels).
TEXT ·dcnPad7AVX(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ h+8(FP), R9
	MOVQ c+16(FP), CX
	MOVQ pad+24(FP), DI
	LEAQ 0(R9*8), R8
	SUBQ R9, R8                  // hw = 7·h
	SHLQ $2, R8                  // lds, bytes
	LEAQ (R8)(R8*2), R10         // 3·lds
	LEAQ 0(CX*4), R12            // ldd, bytes (c values)
	LEAQ (R12)(R12*2), R13       // 3·ldd
	LEAQ (R12)(R12*8), R14       // a padded row, bytes
	SHRQ $3, CX                  // channel blocks

p7block:
	MOVQ SI, AX
	LEAQ (DI)(R14*1), BX
	ADDQ R12, BX                 // padded row 1, pixel 1 (the image's 0, 0)
	MOVQ R9, DX
	DECQ DX

p7row:
	VMOVUPS (AX), Y0
	VMOVUPS (AX)(R8*1), Y1
	VMOVUPS (AX)(R8*2), Y2
	VMOVUPS (AX)(R10*1), Y3
	LEAQ    (AX)(R8*4), R11
	VMOVUPS (R11), Y4
	VMOVUPS (R11)(R8*1), Y5
	VMOVUPS (R11)(R8*2), Y6
	VMOVUPS (R11)(R10*1), Y7
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
	VMOVUPS Y8, (BX)
	VMOVUPS Y9, (BX)(R12*1)
	VMOVUPS Y10, (BX)(R12*2)
	VMOVUPS Y11, (BX)(R13*1)
	LEAQ    (BX)(R12*4), R11
	VMOVUPS Y12, (R11)
	VMOVUPS Y13, (R11)(R12*1)
	VMOVUPS Y14, (R11)(R12*2)
	VMOVUPS Y15, (R11)(R13*1)
	ADDQ $28, AX
	ADDQ R14, BX
	DECQ DX
	JNZ  p7row

	LEAQ -32(SI)(R8*1), AX       // pixel hw−8
	SUBQ R12, BX                 // row h's left ring
	VMOVUPS (AX), Y0
	VMOVUPS (AX)(R8*1), Y1
	VMOVUPS (AX)(R8*2), Y2
	VMOVUPS (AX)(R10*1), Y3
	LEAQ    (AX)(R8*4), R11
	VMOVUPS (R11), Y4
	VMOVUPS (R11)(R8*1), Y5
	VMOVUPS (R11)(R8*2), Y6
	VMOVUPS (R11)(R10*1), Y7
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
	VMOVUPS Y8, (BX)
	VMOVUPS Y9, (BX)(R12*1)
	VMOVUPS Y10, (BX)(R12*2)
	VMOVUPS Y11, (BX)(R13*1)
	LEAQ    (BX)(R12*4), R11
	VMOVUPS Y12, (R11)
	VMOVUPS Y13, (R11)(R12*1)
	VMOVUPS Y14, (R11)(R12*2)
	VMOVUPS Y15, (R11)(R13*1)
	LEAQ (SI)(R8*8), SI
	ADDQ $32, DI
	DECQ CX
	JNZ  p7block

	// The rings written above: rows 1..h−1's right ring and the left
	// ring that follows it (2c values from pixel 8 of each row).
	MOVQ   pad+24(FP), DI
	MOVQ   c+16(FP), CX
	SHRQ   $2, CX                // 2c/8 stores a row
	VXORPS Y0, Y0, Y0
	LEAQ   (DI)(R14*1), BX
	LEAQ   (BX)(R12*8), BX       // row 1's right ring
	MOVQ   R9, DX
	DECQ   DX

p7ring:
	MOVQ BX, AX
	MOVQ CX, R11

p7zero:
	VMOVUPS Y0, (AX)
	ADDQ    $32, AX
	DECQ    R11
	JNZ     p7zero
	ADDQ    R14, BX
	DECQ    DX
	JNZ     p7ring
	VZEROUPPER
	RET
