#include "textflag.h"

// AVX2 + FMA taps kernels for sgemmSumABRows (gemm_amd64.go) on CPUs
// without AVX-512: sgemmKernel8x32Taps's loop over the products in one
// call, at 6×16 and 4×16, A read in place (row stride lda) as the S
// kernels read it. Assembly for speed: one call sums all the products into
// a tile, where the tap-by-tap loop called a kernel per product and packed
// A per call; the same bits (each product summed from zero over its kc
// steps by the S kernels' FMA chain, then added to C, the first one
// stored: sgemmKernel6x16S with alpha = 1 and beta = 0, 1, 1, …).

// ADDY2D adds a tile row's two accumulators to C at DI (C + acc, one
// rounding: the bits of STOREY2_BETA with alpha = beta = 1); STOREY2D
// stores them (STOREY2 with alpha = 1). Both step DI to the next row.
#define ADDY2D(r0, r1) \
	VADDPS  (DI), r0, r0; \
	VADDPS  32(DI), r1, r1; \
	VMOVUPS r0, (DI); \
	VMOVUPS r1, 32(DI); \
	ADDQ    R8, DI
#define STOREY2D(r0, r1) \
	VMOVUPS r0, (DI); \
	VMOVUPS r1, 32(DI); \
	ADDQ    R8, DI

#define STEP_6x16S(ao) \
	VMOVUPS      (DI), Y0; \
	VMOVUPS      32(DI), Y1; \
	VBROADCASTSS ao(SI), Y2; \
	VFMADD231PS  Y0, Y2, Y4; \
	VFMADD231PS  Y1, Y2, Y5; \
	VBROADCASTSS ao(SI)(R10*1), Y3; \
	VFMADD231PS  Y0, Y3, Y6; \
	VFMADD231PS  Y1, Y3, Y7; \
	VBROADCASTSS ao(SI)(R10*2), Y2; \
	VFMADD231PS  Y0, Y2, Y8; \
	VFMADD231PS  Y1, Y2, Y9; \
	VBROADCASTSS ao(R12), Y3; \
	VFMADD231PS  Y0, Y3, Y10; \
	VFMADD231PS  Y1, Y3, Y11; \
	VBROADCASTSS ao(R12)(R10*1), Y2; \
	VFMADD231PS  Y0, Y2, Y12; \
	VFMADD231PS  Y1, Y2, Y13; \
	VBROADCASTSS ao(R12)(R10*2), Y3; \
	VFMADD231PS  Y0, Y3, Y14; \
	VFMADD231PS  Y1, Y3, Y15

// STEP_6x16S and STEP_4x16S are one step of a tile (gemm_amd64.s's
// STEP_6x16S): B's 16 values at DI, A's rows at SI, SI + lda, SI + 2·lda
// (R10 = lda in bytes) and R12 = SI + 3·lda onwards.
#define STEP_4x16S(ao) \
	VMOVUPS      (DI), Y0; \
	VMOVUPS      32(DI), Y1; \
	VBROADCASTSS ao(SI), Y2; \
	VFMADD231PS  Y0, Y2, Y4; \
	VFMADD231PS  Y1, Y2, Y5; \
	VBROADCASTSS ao(SI)(R10*1), Y3; \
	VFMADD231PS  Y0, Y3, Y6; \
	VFMADD231PS  Y1, Y3, Y7; \
	VBROADCASTSS ao(SI)(R10*2), Y2; \
	VFMADD231PS  Y0, Y2, Y8; \
	VFMADD231PS  Y1, Y2, Y9; \
	VBROADCASTSS ao(R12), Y3; \
	VFMADD231PS  Y0, Y3, Y10; \
	VFMADD231PS  Y1, Y3, Y11

// func sgemmKernel6x16TapsS(kc int, a *float32, as, lda int, b *float32, ldb int, boff *int, taps int, c *float32, ldc int)
//
// sgemmKernel6x16TapsS sets one full 6×16 tile of C to Σ_t A_t·B_t over
// taps ≥ 1 products: A_t is the 6×kc block at a + t·as (elements, row
// stride lda, read in place), B_t the kc×16 block at b + boff[t] (row
// stride ldb, read in place). kc ≥ 1.
TEXT ·sgemmKernel6x16TapsS(SB), NOSPLIT, $0-80
	MOVQ a+8(FP), R13
	MOVQ as+16(FP), R14
	SHLQ $2, R14
	MOVQ lda+24(FP), R10
	SHLQ $2, R10
	MOVQ b+32(FP), R11
	MOVQ ldb+40(FP), R9
	SHLQ $2, R9
	MOVQ boff+48(FP), AX
	MOVQ taps+56(FP), CX
	SHLQ $3, CX
	ADDQ AX, CX // the end of boff
	MOVQ c+64(FP), DX
	MOVQ ldc+72(FP), R8
	SHLQ $2, R8

	// Touch the tile's rows of C early.
	MOVQ DX, DI
	PREFETCHT0 (DI)
	PREFETCHT0 60(DI)
	ADDQ R8, DI
	PREFETCHT0 (DI)
	PREFETCHT0 60(DI)
	ADDQ R8, DI
	PREFETCHT0 (DI)
	PREFETCHT0 60(DI)
	ADDQ R8, DI
	PREFETCHT0 (DI)
	PREFETCHT0 60(DI)
	ADDQ R8, DI
	PREFETCHT0 (DI)
	PREFETCHT0 60(DI)
	ADDQ R8, DI
	PREFETCHT0 (DI)
	PREFETCHT0 60(DI)

k6x16ytap:
	MOVQ (AX), DI
	SHLQ $2, DI
	ADDQ R11, DI
	MOVQ R13, SI
	LEAQ (SI)(R10*2), R12
	ADDQ R10, R12 // row 3
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

	MOVQ kc+0(FP), BX
	SHRQ $2, BX
	JZ   k6x16ytail

k6x16yloop4:
	STEP_6x16S(0)
	ADDQ R9, DI
	STEP_6x16S(4)
	ADDQ R9, DI
	STEP_6x16S(8)
	ADDQ R9, DI
	STEP_6x16S(12)
	ADDQ R9, DI
	ADDQ $16, SI
	ADDQ $16, R12
	DECQ BX
	JNZ  k6x16yloop4

k6x16ytail:
	MOVQ kc+0(FP), BX
	ANDQ $3, BX
	JZ   k6x16ystore

k6x16yloop1:
	STEP_6x16S(0)
	ADDQ $4, SI
	ADDQ $4, R12
	ADDQ R9, DI
	DECQ BX
	JNZ  k6x16yloop1

k6x16ystore:
	MOVQ DX, DI
	CMPQ AX, boff+48(FP)
	JEQ  k6x16yfirst
	ADDY2D(Y4, Y5)
	ADDY2D(Y6, Y7)
	ADDY2D(Y8, Y9)
	ADDY2D(Y10, Y11)
	ADDY2D(Y12, Y13)
	ADDY2D(Y14, Y15)
	JMP  k6x16ynext

k6x16yfirst:
	STOREY2D(Y4, Y5)
	STOREY2D(Y6, Y7)
	STOREY2D(Y8, Y9)
	STOREY2D(Y10, Y11)
	STOREY2D(Y12, Y13)
	STOREY2D(Y14, Y15)

k6x16ynext:
	ADDQ R14, R13
	ADDQ $8, AX
	CMPQ AX, CX
	JNE  k6x16ytap
	VZEROUPPER
	RET

// func sgemmKernel4x16TapsS(kc int, a *float32, as, lda int, b *float32, ldb int, boff *int, taps int, c *float32, ldc int)
//
// sgemmKernel4x16TapsS sets one full 4×16 tile of C to Σ_t A_t·B_t over
// taps ≥ 1 products: A_t is the 4×kc block at a + t·as (elements, row
// stride lda, read in place), B_t the kc×16 block at b + boff[t] (row
// stride ldb, read in place). kc ≥ 1.
TEXT ·sgemmKernel4x16TapsS(SB), NOSPLIT, $0-80
	MOVQ a+8(FP), R13
	MOVQ as+16(FP), R14
	SHLQ $2, R14
	MOVQ lda+24(FP), R10
	SHLQ $2, R10
	MOVQ b+32(FP), R11
	MOVQ ldb+40(FP), R9
	SHLQ $2, R9
	MOVQ boff+48(FP), AX
	MOVQ taps+56(FP), CX
	SHLQ $3, CX
	ADDQ AX, CX // the end of boff
	MOVQ c+64(FP), DX
	MOVQ ldc+72(FP), R8
	SHLQ $2, R8

	// Touch the tile's rows of C early.
	MOVQ DX, DI
	PREFETCHT0 (DI)
	PREFETCHT0 60(DI)
	ADDQ R8, DI
	PREFETCHT0 (DI)
	PREFETCHT0 60(DI)
	ADDQ R8, DI
	PREFETCHT0 (DI)
	PREFETCHT0 60(DI)
	ADDQ R8, DI
	PREFETCHT0 (DI)
	PREFETCHT0 60(DI)

k4x16ytap:
	MOVQ (AX), DI
	SHLQ $2, DI
	ADDQ R11, DI
	MOVQ R13, SI
	LEAQ (SI)(R10*2), R12
	ADDQ R10, R12 // row 3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	MOVQ kc+0(FP), BX
	SHRQ $2, BX
	JZ   k4x16ytail

k4x16yloop4:
	STEP_4x16S(0)
	ADDQ R9, DI
	STEP_4x16S(4)
	ADDQ R9, DI
	STEP_4x16S(8)
	ADDQ R9, DI
	STEP_4x16S(12)
	ADDQ R9, DI
	ADDQ $16, SI
	ADDQ $16, R12
	DECQ BX
	JNZ  k4x16yloop4

k4x16ytail:
	MOVQ kc+0(FP), BX
	ANDQ $3, BX
	JZ   k4x16ystore

k4x16yloop1:
	STEP_4x16S(0)
	ADDQ $4, SI
	ADDQ $4, R12
	ADDQ R9, DI
	DECQ BX
	JNZ  k4x16yloop1

k4x16ystore:
	MOVQ DX, DI
	CMPQ AX, boff+48(FP)
	JEQ  k4x16yfirst
	ADDY2D(Y4, Y5)
	ADDY2D(Y6, Y7)
	ADDY2D(Y8, Y9)
	ADDY2D(Y10, Y11)
	JMP  k4x16ynext

k4x16yfirst:
	STOREY2D(Y4, Y5)
	STOREY2D(Y6, Y7)
	STOREY2D(Y8, Y9)
	STOREY2D(Y10, Y11)

k4x16ynext:
	ADDQ R14, R13
	ADDQ $8, AX
	CMPQ AX, CX
	JNE  k4x16ytap
	VZEROUPPER
	RET
