//go:build amd64

#include "textflag.h"

// dcnGemm8x32 computes an 8×32 tile of C = A·B for the deformable layer's
// forward: A is the pixel-major column matrix read in place (8 rows of
// pixels, lda bytes apart, kc values each), B the weight packed as kc rows
// of 32 output channels (128 bytes a row). Each C value is one chain of
// fused multiply-adds over k in order from 0, as in sgemmKernel8x32; with
// add set the tile is added to C (one rounding), else stored.
//
// func dcnGemm8x32(kc int, a *float32, lda int, b *float32, c *float32, ldc int, add int)
TEXT ·dcnGemm8x32(SB), NOSPLIT, $0-56
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R9
	MOVQ b+24(FP), DI
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R9                      // lda, bytes
	SHLQ $2, R8                      // ldc, bytes
	LEAQ (R9)(R9*2), R10             // 3·lda
	LEAQ (SI)(R9*4), R11             // rows 4..7

	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	VPXORD Z24, Z24, Z24
	VPXORD Z25, Z25, Z25
	VPXORD Z26, Z26, Z26
	VPXORD Z27, Z27, Z27
	VPXORD Z28, Z28, Z28
	VPXORD Z29, Z29, Z29
	VPXORD Z30, Z30, Z30
	VPXORD Z31, Z31, Z31

	TESTQ CX, CX
	JZ    dg8store

dg8loop:
	VMOVUPS      (DI), Z0
	VMOVUPS      64(DI), Z1
	VBROADCASTSS (SI), Z2
	VFMADD231PS  Z0, Z2, Z16
	VFMADD231PS  Z1, Z2, Z17
	VBROADCASTSS (SI)(R9*1), Z3
	VFMADD231PS  Z0, Z3, Z18
	VFMADD231PS  Z1, Z3, Z19
	VBROADCASTSS (SI)(R9*2), Z4
	VFMADD231PS  Z0, Z4, Z20
	VFMADD231PS  Z1, Z4, Z21
	VBROADCASTSS (SI)(R10*1), Z5
	VFMADD231PS  Z0, Z5, Z22
	VFMADD231PS  Z1, Z5, Z23
	VBROADCASTSS (R11), Z2
	VFMADD231PS  Z0, Z2, Z24
	VFMADD231PS  Z1, Z2, Z25
	VBROADCASTSS (R11)(R9*1), Z3
	VFMADD231PS  Z0, Z3, Z26
	VFMADD231PS  Z1, Z3, Z27
	VBROADCASTSS (R11)(R9*2), Z4
	VFMADD231PS  Z0, Z4, Z28
	VFMADD231PS  Z1, Z4, Z29
	VBROADCASTSS (R11)(R10*1), Z5
	VFMADD231PS  Z0, Z5, Z30
	VFMADD231PS  Z1, Z5, Z31
	ADDQ         $128, DI
	ADDQ         $4, SI
	ADDQ         $4, R11
	DECQ         CX
	JNZ          dg8loop

dg8store:
	MOVQ add+48(FP), AX
	TESTQ AX, AX
	JZ   dg8put
	VADDPS (DX), Z16, Z16
	VADDPS 64(DX), Z17, Z17
	VMOVUPS Z16, (DX)
	VMOVUPS Z17, 64(DX)
	ADDQ R8, DX
	VADDPS (DX), Z18, Z18
	VADDPS 64(DX), Z19, Z19
	VMOVUPS Z18, (DX)
	VMOVUPS Z19, 64(DX)
	ADDQ R8, DX
	VADDPS (DX), Z20, Z20
	VADDPS 64(DX), Z21, Z21
	VMOVUPS Z20, (DX)
	VMOVUPS Z21, 64(DX)
	ADDQ R8, DX
	VADDPS (DX), Z22, Z22
	VADDPS 64(DX), Z23, Z23
	VMOVUPS Z22, (DX)
	VMOVUPS Z23, 64(DX)
	ADDQ R8, DX
	VADDPS (DX), Z24, Z24
	VADDPS 64(DX), Z25, Z25
	VMOVUPS Z24, (DX)
	VMOVUPS Z25, 64(DX)
	ADDQ R8, DX
	VADDPS (DX), Z26, Z26
	VADDPS 64(DX), Z27, Z27
	VMOVUPS Z26, (DX)
	VMOVUPS Z27, 64(DX)
	ADDQ R8, DX
	VADDPS (DX), Z28, Z28
	VADDPS 64(DX), Z29, Z29
	VMOVUPS Z28, (DX)
	VMOVUPS Z29, 64(DX)
	ADDQ R8, DX
	VADDPS (DX), Z30, Z30
	VADDPS 64(DX), Z31, Z31
	VMOVUPS Z30, (DX)
	VMOVUPS Z31, 64(DX)
	VZEROUPPER
	RET

dg8put:
	VMOVUPS Z16, (DX)
	VMOVUPS Z17, 64(DX)
	ADDQ R8, DX
	VMOVUPS Z18, (DX)
	VMOVUPS Z19, 64(DX)
	ADDQ R8, DX
	VMOVUPS Z20, (DX)
	VMOVUPS Z21, 64(DX)
	ADDQ R8, DX
	VMOVUPS Z22, (DX)
	VMOVUPS Z23, 64(DX)
	ADDQ R8, DX
	VMOVUPS Z24, (DX)
	VMOVUPS Z25, 64(DX)
	ADDQ R8, DX
	VMOVUPS Z26, (DX)
	VMOVUPS Z27, 64(DX)
	ADDQ R8, DX
	VMOVUPS Z28, (DX)
	VMOVUPS Z29, 64(DX)
	ADDQ R8, DX
	VMOVUPS Z30, (DX)
	VMOVUPS Z31, 64(DX)
	VZEROUPPER
	RET

// dcnGemm6x32AVX2 is dcnGemm8x32 for AVX2 (sixteen 8-wide registers): a
// 6×32 tile of C = A·B, A 6 pixel rows read in place (lda bytes apart), B
// the same packed weight (kc rows of 32 output channels). It runs as two
// 6×16 halves (channels 0..15, then 16..31), each over k from 0: each C
// value is one chain of fused multiply-adds over k in order from 0, as in
// sgemmKernel6x16, which the AVX2 GEMM runs; with add's bit 0 set the
// tile is added to C (one rounding, the GEMM's beta = 1 store), else
// stored. With add's bit 1 set the halves run the other way round
// (channels 16..31 first: narrowDcol's rows of ck < 32 values, where a
// row's 32−ck extra values spill onto the following rows' first ones,
// which their lower halves, all stored after the upper ones, write over).
// Assembly for speed: the GEMM's own kernel shape without packing A or
// transposing the columns.
//
// func dcnGemm6x32AVX2(kc int, a *float32, lda int, b *float32, c *float32, ldc int, add int)
TEXT ·dcnGemm6x32AVX2(SB), NOSPLIT, $0-56
	MOVQ kc+0(FP), CX
	MOVQ lda+16(FP), R9
	MOVQ b+24(FP), DI
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R9                      // lda, bytes
	SHLQ $2, R8                      // ldc, bytes
	LEAQ (R9)(R9*2), R10             // 3·lda
	MOVQ $2, BX                      // halves left
	MOVQ add+48(FP), AX
	TESTQ $2, AX
	JZ    d6half
	ADDQ $64, DI                     // the upper half first
	ADDQ $64, DX

d6half:
	MOVQ a+8(FP), SI
	LEAQ (SI)(R10*1), R11            // rows 3..5
	MOVQ DI, R12
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15
	MOVQ CX, AX
	TESTQ AX, AX
	JZ    d6store

d6loop:
	VMOVUPS      (R12), Y0
	VMOVUPS      32(R12), Y1
	VBROADCASTSS (SI), Y2
	VFMADD231PS  Y0, Y2, Y4
	VFMADD231PS  Y1, Y2, Y5
	VBROADCASTSS (SI)(R9*1), Y3
	VFMADD231PS  Y0, Y3, Y6
	VFMADD231PS  Y1, Y3, Y7
	VBROADCASTSS (SI)(R9*2), Y2
	VFMADD231PS  Y0, Y2, Y8
	VFMADD231PS  Y1, Y2, Y9
	VBROADCASTSS (R11), Y3
	VFMADD231PS  Y0, Y3, Y10
	VFMADD231PS  Y1, Y3, Y11
	VBROADCASTSS (R11)(R9*1), Y2
	VFMADD231PS  Y0, Y2, Y12
	VFMADD231PS  Y1, Y2, Y13
	VBROADCASTSS (R11)(R9*2), Y3
	VFMADD231PS  Y0, Y3, Y14
	VFMADD231PS  Y1, Y3, Y15
	ADDQ         $128, R12
	ADDQ         $4, SI
	ADDQ         $4, R11
	DECQ         AX
	JNZ          d6loop

d6store:
	MOVQ  DX, R13
	MOVQ  add+48(FP), AX
	TESTQ $1, AX
	JZ    d6put
	VADDPS (R13), Y4, Y4
	VADDPS 32(R13), Y5, Y5
	ADDQ   R8, R13
	VADDPS (R13), Y6, Y6
	VADDPS 32(R13), Y7, Y7
	ADDQ   R8, R13
	VADDPS (R13), Y8, Y8
	VADDPS 32(R13), Y9, Y9
	ADDQ   R8, R13
	VADDPS (R13), Y10, Y10
	VADDPS 32(R13), Y11, Y11
	ADDQ   R8, R13
	VADDPS (R13), Y12, Y12
	VADDPS 32(R13), Y13, Y13
	ADDQ   R8, R13
	VADDPS (R13), Y14, Y14
	VADDPS 32(R13), Y15, Y15
	MOVQ   DX, R13

d6put:
	VMOVUPS Y4, (R13)
	VMOVUPS Y5, 32(R13)
	ADDQ    R8, R13
	VMOVUPS Y6, (R13)
	VMOVUPS Y7, 32(R13)
	ADDQ    R8, R13
	VMOVUPS Y8, (R13)
	VMOVUPS Y9, 32(R13)
	ADDQ    R8, R13
	VMOVUPS Y10, (R13)
	VMOVUPS Y11, 32(R13)
	ADDQ    R8, R13
	VMOVUPS Y12, (R13)
	VMOVUPS Y13, 32(R13)
	ADDQ    R8, R13
	VMOVUPS Y14, (R13)
	VMOVUPS Y15, 32(R13)
	MOVQ    add+48(FP), AX
	TESTQ   $2, AX
	JNZ     d6back
	ADDQ    $64, DI                  // the next 16 channels of B and C
	ADDQ    $64, DX
	DECQ    BX
	JNZ     d6half
	VZEROUPPER
	RET

d6back:
	SUBQ    $64, DI                  // the lower 16 channels of B and C
	SUBQ    $64, DX
	DECQ    BX
	JNZ     d6half
	VZEROUPPER
	RET
