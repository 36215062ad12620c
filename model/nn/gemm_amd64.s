#include "textflag.h"

// Micro-kernels for sgemmWith (gemm_amd64.go). Each computes one MR×NR
// tile of C = alpha·A·B + beta·C. a is a packed panel: kc steps of MR
// values of A (one column of the tile's rows per step). b holds kc steps of
// NR values of B (one row of the tile's columns per step), ldb elements
// apart: NR for a packed panel, or B's own row stride when the kernel reads
// an unpacked B in place. ldc is C's row stride in elements. beta == 0
// (either sign) never reads C, so that NaN in uninitialised memory does not
// leak through 0·NaN. kc must be at least 1.
//
// Each instruction set has a full kernel and three narrower ones for the
// last row and column panels, so that a ragged edge wastes at most half of a
// tile's work: MR/2 rows, NR/2 columns, or both. The kernels differ only in
// their tile; they were written out from one template.

// STORE<reg><n>[_BETA] writes one row of a tile from n accumulators:
// C = alpha·acc (+ beta·C), with alpha in Y0/Z0 and beta in Y1/Z1, then
// steps DX to the next row.

#define STOREY1_BETA(r0) \
	VMULPS      Y0, r0, r0; \
	VFMADD231PS (DX), Y1, r0; \
	VMOVUPS     r0, (DX); \
	ADDQ        R8, DX

#define STOREY1(r0) \
	VMULPS      Y0, r0, r0; \
	VMOVUPS     r0, (DX); \
	ADDQ        R8, DX

#define STOREY2_BETA(r0, r1) \
	VMULPS      Y0, r0, r0; \
	VMULPS      Y0, r1, r1; \
	VFMADD231PS (DX), Y1, r0; \
	VFMADD231PS 32(DX), Y1, r1; \
	VMOVUPS     r0, (DX); \
	VMOVUPS     r1, 32(DX); \
	ADDQ        R8, DX

#define STOREY2(r0, r1) \
	VMULPS      Y0, r0, r0; \
	VMULPS      Y0, r1, r1; \
	VMOVUPS     r0, (DX); \
	VMOVUPS     r1, 32(DX); \
	ADDQ        R8, DX

#define STOREZ1_BETA(r0) \
	VMULPS      Z0, r0, r0; \
	VFMADD231PS (DX), Z1, r0; \
	VMOVUPS     r0, (DX); \
	ADDQ        R8, DX

#define STOREZ1(r0) \
	VMULPS      Z0, r0, r0; \
	VMOVUPS     r0, (DX); \
	ADDQ        R8, DX

#define STOREZ2_BETA(r0, r1) \
	VMULPS      Z0, r0, r0; \
	VMULPS      Z0, r1, r1; \
	VFMADD231PS (DX), Z1, r0; \
	VFMADD231PS 64(DX), Z1, r1; \
	VMOVUPS     r0, (DX); \
	VMOVUPS     r1, 64(DX); \
	ADDQ        R8, DX

#define STOREZ2(r0, r1) \
	VMULPS      Z0, r0, r0; \
	VMULPS      Z0, r1, r1; \
	VMOVUPS     r0, (DX); \
	VMOVUPS     r1, 64(DX); \
	ADDQ        R8, DX

// AVX2 + FMA, 6×16: twelve YMM accumulators (Y4..Y15); per step two loads
// of B, six broadcasts of A, twelve FMAs.

#define STEP_6x16(ao) \
	VMOVUPS      (DI), Y0; \
	VMOVUPS      32(DI), Y1; \
	VBROADCASTSS ao(SI), Y2; \
	VFMADD231PS  Y0, Y2, Y4; \
	VFMADD231PS  Y1, Y2, Y5; \
	VBROADCASTSS ao+4(SI), Y3; \
	VFMADD231PS  Y0, Y3, Y6; \
	VFMADD231PS  Y1, Y3, Y7; \
	VBROADCASTSS ao+8(SI), Y2; \
	VFMADD231PS  Y0, Y2, Y8; \
	VFMADD231PS  Y1, Y2, Y9; \
	VBROADCASTSS ao+12(SI), Y3; \
	VFMADD231PS  Y0, Y3, Y10; \
	VFMADD231PS  Y1, Y3, Y11; \
	VBROADCASTSS ao+16(SI), Y2; \
	VFMADD231PS  Y0, Y2, Y12; \
	VFMADD231PS  Y1, Y2, Y13; \
	VBROADCASTSS ao+20(SI), Y3; \
	VFMADD231PS  Y0, Y3, Y14; \
	VFMADD231PS  Y1, Y3, Y15

// func sgemmKernel6x16(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemmKernel6x16(SB), NOSPLIT, $0-56
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ ldb+24(FP), R9
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R9
	SHLQ $2, R8

	// Touch the tile's rows of C early, so that they arrive during the loop.
	MOVQ DX, AX
	PREFETCHT0 (AX)
	PREFETCHT0 60(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 60(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 60(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 60(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 60(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 60(AX)

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

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   k6x16tail

k6x16loop4:
	STEP_6x16(0)
	ADDQ R9, DI
	STEP_6x16(24)
	ADDQ R9, DI
	STEP_6x16(48)
	ADDQ R9, DI
	STEP_6x16(72)
	ADDQ R9, DI
	ADDQ $96, SI
	DECQ BX
	JNZ  k6x16loop4

k6x16tail:
	ANDQ $3, CX
	JZ   k6x16store

k6x16loop1:
	STEP_6x16(0)
	ADDQ $24, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  k6x16loop1

k6x16store:
	VBROADCASTSS alpha+48(FP), Y0
	MOVL         beta+52(FP), AX
	ANDL         $0x7fffffff, AX
	JZ           k6x16nobeta
	VBROADCASTSS beta+52(FP), Y1
	STOREY2_BETA(Y4, Y5)
	STOREY2_BETA(Y6, Y7)
	STOREY2_BETA(Y8, Y9)
	STOREY2_BETA(Y10, Y11)
	STOREY2_BETA(Y12, Y13)
	STOREY2_BETA(Y14, Y15)
	VZEROUPPER
	RET

k6x16nobeta:
	STOREY2(Y4, Y5)
	STOREY2(Y6, Y7)
	STOREY2(Y8, Y9)
	STOREY2(Y10, Y11)
	STOREY2(Y12, Y13)
	STOREY2(Y14, Y15)
	VZEROUPPER
	RET

// AVX2 + FMA, 6×8: for a last column panel of at most 8 columns.

#define STEP_6x8(ao) \
	VMOVUPS      (DI), Y0; \
	VBROADCASTSS ao(SI), Y2; \
	VFMADD231PS  Y0, Y2, Y4; \
	VBROADCASTSS ao+4(SI), Y3; \
	VFMADD231PS  Y0, Y3, Y5; \
	VBROADCASTSS ao+8(SI), Y2; \
	VFMADD231PS  Y0, Y2, Y6; \
	VBROADCASTSS ao+12(SI), Y3; \
	VFMADD231PS  Y0, Y3, Y7; \
	VBROADCASTSS ao+16(SI), Y2; \
	VFMADD231PS  Y0, Y2, Y8; \
	VBROADCASTSS ao+20(SI), Y3; \
	VFMADD231PS  Y0, Y3, Y9

// func sgemmKernel6x8(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemmKernel6x8(SB), NOSPLIT, $0-56
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ ldb+24(FP), R9
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R9
	SHLQ $2, R8

	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   k6x8tail

k6x8loop4:
	STEP_6x8(0)
	ADDQ R9, DI
	STEP_6x8(24)
	ADDQ R9, DI
	STEP_6x8(48)
	ADDQ R9, DI
	STEP_6x8(72)
	ADDQ R9, DI
	ADDQ $96, SI
	DECQ BX
	JNZ  k6x8loop4

k6x8tail:
	ANDQ $3, CX
	JZ   k6x8store

k6x8loop1:
	STEP_6x8(0)
	ADDQ $24, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  k6x8loop1

k6x8store:
	VBROADCASTSS alpha+48(FP), Y0
	MOVL         beta+52(FP), AX
	ANDL         $0x7fffffff, AX
	JZ           k6x8nobeta
	VBROADCASTSS beta+52(FP), Y1
	STOREY1_BETA(Y4)
	STOREY1_BETA(Y5)
	STOREY1_BETA(Y6)
	STOREY1_BETA(Y7)
	STOREY1_BETA(Y8)
	STOREY1_BETA(Y9)
	VZEROUPPER
	RET

k6x8nobeta:
	STOREY1(Y4)
	STOREY1(Y5)
	STOREY1(Y6)
	STOREY1(Y7)
	STOREY1(Y8)
	STOREY1(Y9)
	VZEROUPPER
	RET

// AVX2 + FMA, 3×16: for a last row panel of at most 3 rows.

#define STEP_3x16(ao) \
	VMOVUPS      (DI), Y0; \
	VMOVUPS      32(DI), Y1; \
	VBROADCASTSS ao(SI), Y2; \
	VFMADD231PS  Y0, Y2, Y4; \
	VFMADD231PS  Y1, Y2, Y5; \
	VBROADCASTSS ao+4(SI), Y3; \
	VFMADD231PS  Y0, Y3, Y6; \
	VFMADD231PS  Y1, Y3, Y7; \
	VBROADCASTSS ao+8(SI), Y2; \
	VFMADD231PS  Y0, Y2, Y8; \
	VFMADD231PS  Y1, Y2, Y9

// func sgemmKernel3x16(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemmKernel3x16(SB), NOSPLIT, $0-56
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ ldb+24(FP), R9
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R9
	SHLQ $2, R8

	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   k3x16tail

k3x16loop4:
	STEP_3x16(0)
	ADDQ R9, DI
	STEP_3x16(12)
	ADDQ R9, DI
	STEP_3x16(24)
	ADDQ R9, DI
	STEP_3x16(36)
	ADDQ R9, DI
	ADDQ $48, SI
	DECQ BX
	JNZ  k3x16loop4

k3x16tail:
	ANDQ $3, CX
	JZ   k3x16store

k3x16loop1:
	STEP_3x16(0)
	ADDQ $12, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  k3x16loop1

k3x16store:
	VBROADCASTSS alpha+48(FP), Y0
	MOVL         beta+52(FP), AX
	ANDL         $0x7fffffff, AX
	JZ           k3x16nobeta
	VBROADCASTSS beta+52(FP), Y1
	STOREY2_BETA(Y4, Y5)
	STOREY2_BETA(Y6, Y7)
	STOREY2_BETA(Y8, Y9)
	VZEROUPPER
	RET

k3x16nobeta:
	STOREY2(Y4, Y5)
	STOREY2(Y6, Y7)
	STOREY2(Y8, Y9)
	VZEROUPPER
	RET

// AVX2 + FMA, 3×8: the corner, at most 3 rows and 8 columns.

#define STEP_3x8(ao) \
	VMOVUPS      (DI), Y0; \
	VBROADCASTSS ao(SI), Y2; \
	VFMADD231PS  Y0, Y2, Y4; \
	VBROADCASTSS ao+4(SI), Y3; \
	VFMADD231PS  Y0, Y3, Y5; \
	VBROADCASTSS ao+8(SI), Y2; \
	VFMADD231PS  Y0, Y2, Y6

// func sgemmKernel3x8(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemmKernel3x8(SB), NOSPLIT, $0-56
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ ldb+24(FP), R9
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R9
	SHLQ $2, R8

	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   k3x8tail

k3x8loop4:
	STEP_3x8(0)
	ADDQ R9, DI
	STEP_3x8(12)
	ADDQ R9, DI
	STEP_3x8(24)
	ADDQ R9, DI
	STEP_3x8(36)
	ADDQ R9, DI
	ADDQ $48, SI
	DECQ BX
	JNZ  k3x8loop4

k3x8tail:
	ANDQ $3, CX
	JZ   k3x8store

k3x8loop1:
	STEP_3x8(0)
	ADDQ $12, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  k3x8loop1

k3x8store:
	VBROADCASTSS alpha+48(FP), Y0
	MOVL         beta+52(FP), AX
	ANDL         $0x7fffffff, AX
	JZ           k3x8nobeta
	VBROADCASTSS beta+52(FP), Y1
	STOREY1_BETA(Y4)
	STOREY1_BETA(Y5)
	STOREY1_BETA(Y6)
	VZEROUPPER
	RET

k3x8nobeta:
	STOREY1(Y4)
	STOREY1(Y5)
	STOREY1(Y6)
	VZEROUPPER
	RET

// AVX-512F, 8×32: sixteen ZMM accumulators (Z16..Z31); per step two loads
// of B, eight broadcasts of A, sixteen FMAs.

#define STEP_8x32(ao) \
	VMOVUPS      (DI), Z0; \
	VMOVUPS      64(DI), Z1; \
	VBROADCASTSS ao(SI), Z2; \
	VFMADD231PS  Z0, Z2, Z16; \
	VFMADD231PS  Z1, Z2, Z17; \
	VBROADCASTSS ao+4(SI), Z3; \
	VFMADD231PS  Z0, Z3, Z18; \
	VFMADD231PS  Z1, Z3, Z19; \
	VBROADCASTSS ao+8(SI), Z4; \
	VFMADD231PS  Z0, Z4, Z20; \
	VFMADD231PS  Z1, Z4, Z21; \
	VBROADCASTSS ao+12(SI), Z5; \
	VFMADD231PS  Z0, Z5, Z22; \
	VFMADD231PS  Z1, Z5, Z23; \
	VBROADCASTSS ao+16(SI), Z2; \
	VFMADD231PS  Z0, Z2, Z24; \
	VFMADD231PS  Z1, Z2, Z25; \
	VBROADCASTSS ao+20(SI), Z3; \
	VFMADD231PS  Z0, Z3, Z26; \
	VFMADD231PS  Z1, Z3, Z27; \
	VBROADCASTSS ao+24(SI), Z4; \
	VFMADD231PS  Z0, Z4, Z28; \
	VFMADD231PS  Z1, Z4, Z29; \
	VBROADCASTSS ao+28(SI), Z5; \
	VFMADD231PS  Z0, Z5, Z30; \
	VFMADD231PS  Z1, Z5, Z31

// func sgemmKernel8x32(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemmKernel8x32(SB), NOSPLIT, $0-56
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ ldb+24(FP), R9
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R9
	SHLQ $2, R8

	// Touch the tile's rows of C early, so that they arrive during the loop.
	MOVQ DX, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)

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

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   k8x32tail

k8x32loop4:
	STEP_8x32(0)
	ADDQ R9, DI
	STEP_8x32(32)
	ADDQ R9, DI
	STEP_8x32(64)
	ADDQ R9, DI
	STEP_8x32(96)
	ADDQ R9, DI
	ADDQ $128, SI
	DECQ BX
	JNZ  k8x32loop4

k8x32tail:
	ANDQ $3, CX
	JZ   k8x32store

k8x32loop1:
	STEP_8x32(0)
	ADDQ $32, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  k8x32loop1

k8x32store:
	VBROADCASTSS alpha+48(FP), Z0
	MOVL         beta+52(FP), AX
	ANDL         $0x7fffffff, AX
	JZ           k8x32nobeta
	VBROADCASTSS beta+52(FP), Z1
	STOREZ2_BETA(Z16, Z17)
	STOREZ2_BETA(Z18, Z19)
	STOREZ2_BETA(Z20, Z21)
	STOREZ2_BETA(Z22, Z23)
	STOREZ2_BETA(Z24, Z25)
	STOREZ2_BETA(Z26, Z27)
	STOREZ2_BETA(Z28, Z29)
	STOREZ2_BETA(Z30, Z31)
	VZEROUPPER
	RET

k8x32nobeta:
	STOREZ2(Z16, Z17)
	STOREZ2(Z18, Z19)
	STOREZ2(Z20, Z21)
	STOREZ2(Z22, Z23)
	STOREZ2(Z24, Z25)
	STOREZ2(Z26, Z27)
	STOREZ2(Z28, Z29)
	STOREZ2(Z30, Z31)
	VZEROUPPER
	RET

// ADDZ2 adds a tile row's two accumulators to C (C + acc, one rounding:
// the same bits as STOREZ2_BETA with alpha = beta = 1); STOREZ2_PLAIN
// stores them (STOREZ2 with alpha = 1). Both step DX to the next row.
#define ADDZ2(r0, r1) \
	VADDPS  (DX), r0, r0; \
	VADDPS  64(DX), r1, r1; \
	VMOVUPS r0, (DX); \
	VMOVUPS r1, 64(DX); \
	ADDQ    R8, DX
#define STOREZ2_PLAIN(r0, r1) \
	VMOVUPS r0, (DX); \
	VMOVUPS r1, 64(DX); \
	ADDQ    R8, DX

// func sgemmKernel8x32Taps(kc int, a *float32, as int, b *float32, ldb int, boff *int, taps int, c *float32, ldc int)
//
// sgemmKernel8x32Taps sets one full 8×32 tile of C to Σ_t A_t·B_t over
// taps ≥ 1 products in one call: A_t is the packed panel at a + t·as
// (elements), B_t the kc×32 block at b + boff[t] read in place (row stride
// ldb). Each product is summed from zero over its kc steps and then added
// to C (the first one stored), exactly as sgemmKernel8x32 with alpha = 1
// and beta = 0, 1, 1, … called once per product: the same bits, without a
// call, a prologue and a prefetch of C per product.
TEXT ·sgemmKernel8x32Taps(SB), NOSPLIT, $0-72
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), R13
	MOVQ as+16(FP), R12
	SHLQ $2, R12
	MOVQ b+24(FP), R11
	MOVQ ldb+32(FP), R9
	SHLQ $2, R9
	MOVQ boff+40(FP), R10
	MOVQ ldc+64(FP), R8
	SHLQ $2, R8

	MOVQ c+56(FP), AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)

	// AX: the end of boff.
	MOVQ taps+48(FP), AX
	SHLQ $3, AX
	ADDQ R10, AX

k8x32ttap:
	MOVQ (R10), DI
	SHLQ $2, DI
	ADDQ R11, DI
	MOVQ R13, SI
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

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   k8x32ttail

k8x32tloop4:
	STEP_8x32(0)
	ADDQ R9, DI
	STEP_8x32(32)
	ADDQ R9, DI
	STEP_8x32(64)
	ADDQ R9, DI
	STEP_8x32(96)
	ADDQ R9, DI
	ADDQ $128, SI
	DECQ BX
	JNZ  k8x32tloop4

k8x32ttail:
	MOVQ CX, BX
	ANDQ $3, BX
	JZ   k8x32tstore

k8x32tloop1:
	STEP_8x32(0)
	ADDQ $32, SI
	ADDQ R9, DI
	DECQ BX
	JNZ  k8x32tloop1

k8x32tstore:
	MOVQ c+56(FP), DX
	MOVQ boff+40(FP), BX
	CMPQ R10, BX
	JEQ  k8x32tfirst
	ADDZ2(Z16, Z17)
	ADDZ2(Z18, Z19)
	ADDZ2(Z20, Z21)
	ADDZ2(Z22, Z23)
	ADDZ2(Z24, Z25)
	ADDZ2(Z26, Z27)
	ADDZ2(Z28, Z29)
	ADDZ2(Z30, Z31)
	JMP  k8x32tnext

k8x32tfirst:
	STOREZ2_PLAIN(Z16, Z17)
	STOREZ2_PLAIN(Z18, Z19)
	STOREZ2_PLAIN(Z20, Z21)
	STOREZ2_PLAIN(Z22, Z23)
	STOREZ2_PLAIN(Z24, Z25)
	STOREZ2_PLAIN(Z26, Z27)
	STOREZ2_PLAIN(Z28, Z29)
	STOREZ2_PLAIN(Z30, Z31)

k8x32tnext:
	ADDQ R12, R13
	ADDQ $8, R10
	CMPQ R10, AX
	JNE  k8x32ttap
	VZEROUPPER
	RET

// AVX-512F, 8×16: for a last column panel of at most 16 columns.

#define STEP_8x16(ao) \
	VMOVUPS      (DI), Z0; \
	VBROADCASTSS ao(SI), Z2; \
	VFMADD231PS  Z0, Z2, Z16; \
	VBROADCASTSS ao+4(SI), Z3; \
	VFMADD231PS  Z0, Z3, Z17; \
	VBROADCASTSS ao+8(SI), Z4; \
	VFMADD231PS  Z0, Z4, Z18; \
	VBROADCASTSS ao+12(SI), Z5; \
	VFMADD231PS  Z0, Z5, Z19; \
	VBROADCASTSS ao+16(SI), Z2; \
	VFMADD231PS  Z0, Z2, Z20; \
	VBROADCASTSS ao+20(SI), Z3; \
	VFMADD231PS  Z0, Z3, Z21; \
	VBROADCASTSS ao+24(SI), Z4; \
	VFMADD231PS  Z0, Z4, Z22; \
	VBROADCASTSS ao+28(SI), Z5; \
	VFMADD231PS  Z0, Z5, Z23

// func sgemmKernel8x16(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemmKernel8x16(SB), NOSPLIT, $0-56
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ ldb+24(FP), R9
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R9
	SHLQ $2, R8

	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   k8x16tail

k8x16loop4:
	STEP_8x16(0)
	ADDQ R9, DI
	STEP_8x16(32)
	ADDQ R9, DI
	STEP_8x16(64)
	ADDQ R9, DI
	STEP_8x16(96)
	ADDQ R9, DI
	ADDQ $128, SI
	DECQ BX
	JNZ  k8x16loop4

k8x16tail:
	ANDQ $3, CX
	JZ   k8x16store

k8x16loop1:
	STEP_8x16(0)
	ADDQ $32, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  k8x16loop1

k8x16store:
	VBROADCASTSS alpha+48(FP), Z0
	MOVL         beta+52(FP), AX
	ANDL         $0x7fffffff, AX
	JZ           k8x16nobeta
	VBROADCASTSS beta+52(FP), Z1
	STOREZ1_BETA(Z16)
	STOREZ1_BETA(Z17)
	STOREZ1_BETA(Z18)
	STOREZ1_BETA(Z19)
	STOREZ1_BETA(Z20)
	STOREZ1_BETA(Z21)
	STOREZ1_BETA(Z22)
	STOREZ1_BETA(Z23)
	VZEROUPPER
	RET

k8x16nobeta:
	STOREZ1(Z16)
	STOREZ1(Z17)
	STOREZ1(Z18)
	STOREZ1(Z19)
	STOREZ1(Z20)
	STOREZ1(Z21)
	STOREZ1(Z22)
	STOREZ1(Z23)
	VZEROUPPER
	RET

// AVX-512F, 4×32: for a last row panel of at most 4 rows.

#define STEP_4x32(ao) \
	VMOVUPS      (DI), Z0; \
	VMOVUPS      64(DI), Z1; \
	VBROADCASTSS ao(SI), Z2; \
	VFMADD231PS  Z0, Z2, Z16; \
	VFMADD231PS  Z1, Z2, Z17; \
	VBROADCASTSS ao+4(SI), Z3; \
	VFMADD231PS  Z0, Z3, Z18; \
	VFMADD231PS  Z1, Z3, Z19; \
	VBROADCASTSS ao+8(SI), Z4; \
	VFMADD231PS  Z0, Z4, Z20; \
	VFMADD231PS  Z1, Z4, Z21; \
	VBROADCASTSS ao+12(SI), Z5; \
	VFMADD231PS  Z0, Z5, Z22; \
	VFMADD231PS  Z1, Z5, Z23

// func sgemmKernel4x32(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemmKernel4x32(SB), NOSPLIT, $0-56
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ ldb+24(FP), R9
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R9
	SHLQ $2, R8

	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   k4x32tail

k4x32loop4:
	STEP_4x32(0)
	ADDQ R9, DI
	STEP_4x32(16)
	ADDQ R9, DI
	STEP_4x32(32)
	ADDQ R9, DI
	STEP_4x32(48)
	ADDQ R9, DI
	ADDQ $64, SI
	DECQ BX
	JNZ  k4x32loop4

k4x32tail:
	ANDQ $3, CX
	JZ   k4x32store

k4x32loop1:
	STEP_4x32(0)
	ADDQ $16, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  k4x32loop1

k4x32store:
	VBROADCASTSS alpha+48(FP), Z0
	MOVL         beta+52(FP), AX
	ANDL         $0x7fffffff, AX
	JZ           k4x32nobeta
	VBROADCASTSS beta+52(FP), Z1
	STOREZ2_BETA(Z16, Z17)
	STOREZ2_BETA(Z18, Z19)
	STOREZ2_BETA(Z20, Z21)
	STOREZ2_BETA(Z22, Z23)
	VZEROUPPER
	RET

k4x32nobeta:
	STOREZ2(Z16, Z17)
	STOREZ2(Z18, Z19)
	STOREZ2(Z20, Z21)
	STOREZ2(Z22, Z23)
	VZEROUPPER
	RET

// AVX-512F, 4×16: the corner, at most 4 rows and 16 columns.

#define STEP_4x16(ao) \
	VMOVUPS      (DI), Z0; \
	VBROADCASTSS ao(SI), Z2; \
	VFMADD231PS  Z0, Z2, Z16; \
	VBROADCASTSS ao+4(SI), Z3; \
	VFMADD231PS  Z0, Z3, Z17; \
	VBROADCASTSS ao+8(SI), Z4; \
	VFMADD231PS  Z0, Z4, Z18; \
	VBROADCASTSS ao+12(SI), Z5; \
	VFMADD231PS  Z0, Z5, Z19

// func sgemmKernel4x16(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemmKernel4x16(SB), NOSPLIT, $0-56
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ ldb+24(FP), R9
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R9
	SHLQ $2, R8

	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   k4x16tail

k4x16loop4:
	STEP_4x16(0)
	ADDQ R9, DI
	STEP_4x16(16)
	ADDQ R9, DI
	STEP_4x16(32)
	ADDQ R9, DI
	STEP_4x16(48)
	ADDQ R9, DI
	ADDQ $64, SI
	DECQ BX
	JNZ  k4x16loop4

k4x16tail:
	ANDQ $3, CX
	JZ   k4x16store

k4x16loop1:
	STEP_4x16(0)
	ADDQ $16, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  k4x16loop1

k4x16store:
	VBROADCASTSS alpha+48(FP), Z0
	MOVL         beta+52(FP), AX
	ANDL         $0x7fffffff, AX
	JZ           k4x16nobeta
	VBROADCASTSS beta+52(FP), Z1
	STOREZ1_BETA(Z16)
	STOREZ1_BETA(Z17)
	STOREZ1_BETA(Z18)
	STOREZ1_BETA(Z19)
	VZEROUPPER
	RET

k4x16nobeta:
	STOREZ1(Z16)
	STOREZ1(Z17)
	STOREZ1(Z18)
	STOREZ1(Z19)
	VZEROUPPER
	RET

// Packing helpers (AVX).

// func packTranspose8(src *float32, lds int, dst *float32, ldd int, blocks int)
// Reads an 8×(8·blocks) block of src (row stride lds elements) and writes
// its transpose: column p of the block becomes the 8 elements at
// dst[p·ldd : p·ldd+8]. One 8×8 transpose per block.
TEXT ·packTranspose8(SB), NOSPLIT, $0-40
	MOVQ src+0(FP), SI
	MOVQ lds+8(FP), R8
	MOVQ dst+16(FP), DI
	MOVQ ldd+24(FP), R12
	MOVQ blocks+32(FP), CX
	SHLQ $2, R8
	SHLQ $2, R12
	LEAQ (R8)(R8*2), R10   // 3·lds
	LEAQ (SI)(R8*4), R11   // row 4
	LEAQ (R12)(R12*2), R13 // 3·ldd
	TESTQ CX, CX
	JZ    pt8done

pt8loop:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R8*1), Y1
	VMOVUPS (SI)(R8*2), Y2
	VMOVUPS (SI)(R10*1), Y3
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

	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(R12*1)
	VMOVUPS Y10, (DI)(R12*2)
	VMOVUPS Y11, (DI)(R13*1)
	LEAQ    (DI)(R12*4), DI
	VMOVUPS Y12, (DI)
	VMOVUPS Y13, (DI)(R12*1)
	VMOVUPS Y14, (DI)(R12*2)
	VMOVUPS Y15, (DI)(R13*1)
	LEAQ    (DI)(R12*4), DI

	ADDQ $32, SI
	ADDQ $32, R11
	DECQ CX
	JNZ  pt8loop
	VZEROUPPER

pt8done:
	RET

// func packCopy(src *float32, lds int, dst *float32, rows int, chunks int)
// Copies rows runs of 8·chunks contiguous elements, src row stride lds
// elements, into dst back to back. chunks is 1, 2 or 4 (a panel of 8, 16
// or 32 columns); anything else copies 4.
TEXT ·packCopy(SB), NOSPLIT, $0-40
	MOVQ  src+0(FP), SI
	MOVQ  lds+8(FP), R8
	MOVQ  dst+16(FP), DI
	MOVQ  rows+24(FP), CX
	MOVQ  chunks+32(FP), DX
	SHLQ  $2, R8
	TESTQ CX, CX
	JZ    pcdone
	CMPQ  DX, $1
	JEQ   pc1
	CMPQ  DX, $2
	JEQ   pc2
	JMP   pc4

pc1:
	VMOVUPS (SI), Y0
	VMOVUPS Y0, (DI)
	ADDQ    R8, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     pc1
	VZEROUPPER
	RET

pc2:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    R8, SI
	ADDQ    $64, DI
	DECQ    CX
	JNZ     pc2
	VZEROUPPER
	RET

pc4:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    R8, SI
	ADDQ    $128, DI
	DECQ    CX
	JNZ     pc4
	VZEROUPPER

pcdone:
	RET

// Kernels that read A in place (AVX-512F): a points at the tile's first
// row of an untransposed A with row stride lda elements, so that element
// (i, p) of the tile's rows is a[i·lda + p]. They are sgemmKernel8x32 and
// sgemmKernel8x16 with the eight broadcasts of a step taken from the eight
// rows instead of a packed panel: the same products in the same order, the
// same bits, without packA's transpose (sgemmWith, directA). SI walks row
// 0 and R12 row 4; R10 is lda and R11 3·lda in bytes. After the last step
// SI and R12 point one element past the tile's column kc−1 of rows 0 and
// 4, inside A (rows 1 and 5 follow). DI steps through B by ldb after every
// step, the last one included, as in the packed kernels: read in place
// (sgemmWith's direct B) it ends one row of B past the panel's last row,
// which may be past B's end; it is never read there, and a register of
// this leaf function is invisible to the garbage collector.
// TestSgemmGuardPages runs these kernels on operands that end on a
// PROT_NONE page.

#define STEP_8x32S(ao) \
	VMOVUPS      (DI), Z0; \
	VMOVUPS      64(DI), Z1; \
	VBROADCASTSS ao(SI), Z2; \
	VFMADD231PS  Z0, Z2, Z16; \
	VFMADD231PS  Z1, Z2, Z17; \
	VBROADCASTSS ao(SI)(R10*1), Z3; \
	VFMADD231PS  Z0, Z3, Z18; \
	VFMADD231PS  Z1, Z3, Z19; \
	VBROADCASTSS ao(SI)(R10*2), Z4; \
	VFMADD231PS  Z0, Z4, Z20; \
	VFMADD231PS  Z1, Z4, Z21; \
	VBROADCASTSS ao(SI)(R11*1), Z5; \
	VFMADD231PS  Z0, Z5, Z22; \
	VFMADD231PS  Z1, Z5, Z23; \
	VBROADCASTSS ao(R12), Z2; \
	VFMADD231PS  Z0, Z2, Z24; \
	VFMADD231PS  Z1, Z2, Z25; \
	VBROADCASTSS ao(R12)(R10*1), Z3; \
	VFMADD231PS  Z0, Z3, Z26; \
	VFMADD231PS  Z1, Z3, Z27; \
	VBROADCASTSS ao(R12)(R10*2), Z4; \
	VFMADD231PS  Z0, Z4, Z28; \
	VFMADD231PS  Z1, Z4, Z29; \
	VBROADCASTSS ao(R12)(R11*1), Z5; \
	VFMADD231PS  Z0, Z5, Z30; \
	VFMADD231PS  Z1, Z5, Z31

// func sgemmKernel8x32S(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemmKernel8x32S(SB), NOSPLIT, $0-64
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R10
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R9
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $2, R10
	SHLQ $2, R9
	SHLQ $2, R8
	LEAQ (R10)(R10*2), R11 // 3·lda
	LEAQ (SI)(R10*4), R12  // row 4

	// Touch the tile's rows of C early, so that they arrive during the loop.
	MOVQ DX, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)

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

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   k8x32Stail

k8x32Sloop4:
	STEP_8x32S(0)
	ADDQ R9, DI
	STEP_8x32S(4)
	ADDQ R9, DI
	STEP_8x32S(8)
	ADDQ R9, DI
	STEP_8x32S(12)
	ADDQ R9, DI
	ADDQ $16, SI
	ADDQ $16, R12
	DECQ BX
	JNZ  k8x32Sloop4

k8x32Stail:
	ANDQ $3, CX
	JZ   k8x32Sstore

k8x32Sloop1:
	STEP_8x32S(0)
	ADDQ $4, SI
	ADDQ $4, R12
	ADDQ R9, DI
	DECQ CX
	JNZ  k8x32Sloop1

k8x32Sstore:
	VBROADCASTSS alpha+56(FP), Z0
	MOVL         beta+60(FP), AX
	ANDL         $0x7fffffff, AX
	JZ           k8x32Snobeta
	VBROADCASTSS beta+60(FP), Z1
	STOREZ2_BETA(Z16, Z17)
	STOREZ2_BETA(Z18, Z19)
	STOREZ2_BETA(Z20, Z21)
	STOREZ2_BETA(Z22, Z23)
	STOREZ2_BETA(Z24, Z25)
	STOREZ2_BETA(Z26, Z27)
	STOREZ2_BETA(Z28, Z29)
	STOREZ2_BETA(Z30, Z31)
	VZEROUPPER
	RET

k8x32Snobeta:
	STOREZ2(Z16, Z17)
	STOREZ2(Z18, Z19)
	STOREZ2(Z20, Z21)
	STOREZ2(Z22, Z23)
	STOREZ2(Z24, Z25)
	STOREZ2(Z26, Z27)
	STOREZ2(Z28, Z29)
	STOREZ2(Z30, Z31)
	VZEROUPPER
	RET

#define STEP_8x16S(ao) \
	VMOVUPS      (DI), Z0; \
	VBROADCASTSS ao(SI), Z2; \
	VFMADD231PS  Z0, Z2, Z16; \
	VBROADCASTSS ao(SI)(R10*1), Z3; \
	VFMADD231PS  Z0, Z3, Z17; \
	VBROADCASTSS ao(SI)(R10*2), Z4; \
	VFMADD231PS  Z0, Z4, Z18; \
	VBROADCASTSS ao(SI)(R11*1), Z5; \
	VFMADD231PS  Z0, Z5, Z19; \
	VBROADCASTSS ao(R12), Z2; \
	VFMADD231PS  Z0, Z2, Z20; \
	VBROADCASTSS ao(R12)(R10*1), Z3; \
	VFMADD231PS  Z0, Z3, Z21; \
	VBROADCASTSS ao(R12)(R10*2), Z4; \
	VFMADD231PS  Z0, Z4, Z22; \
	VBROADCASTSS ao(R12)(R11*1), Z5; \
	VFMADD231PS  Z0, Z5, Z23

// func sgemmKernel8x16S(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemmKernel8x16S(SB), NOSPLIT, $0-64
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R10
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R9
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $2, R10
	SHLQ $2, R9
	SHLQ $2, R8
	LEAQ (R10)(R10*2), R11 // 3·lda
	LEAQ (SI)(R10*4), R12  // row 4

	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   k8x16Stail

k8x16Sloop4:
	STEP_8x16S(0)
	ADDQ R9, DI
	STEP_8x16S(4)
	ADDQ R9, DI
	STEP_8x16S(8)
	ADDQ R9, DI
	STEP_8x16S(12)
	ADDQ R9, DI
	ADDQ $16, SI
	ADDQ $16, R12
	DECQ BX
	JNZ  k8x16Sloop4

k8x16Stail:
	ANDQ $3, CX
	JZ   k8x16Sstore

k8x16Sloop1:
	STEP_8x16S(0)
	ADDQ $4, SI
	ADDQ $4, R12
	ADDQ R9, DI
	DECQ CX
	JNZ  k8x16Sloop1

k8x16Sstore:
	VBROADCASTSS alpha+56(FP), Z0
	MOVL         beta+60(FP), AX
	ANDL         $0x7fffffff, AX
	JZ           k8x16Snobeta
	VBROADCASTSS beta+60(FP), Z1
	STOREZ1_BETA(Z16)
	STOREZ1_BETA(Z17)
	STOREZ1_BETA(Z18)
	STOREZ1_BETA(Z19)
	STOREZ1_BETA(Z20)
	STOREZ1_BETA(Z21)
	STOREZ1_BETA(Z22)
	STOREZ1_BETA(Z23)
	VZEROUPPER
	RET

k8x16Snobeta:
	STOREZ1(Z16)
	STOREZ1(Z17)
	STOREZ1(Z18)
	STOREZ1(Z19)
	STOREZ1(Z20)
	STOREZ1(Z21)
	STOREZ1(Z22)
	STOREZ1(Z23)
	VZEROUPPER
	RET

// Kernels that read a transposed A in place (AVX-512F): a points at the
// tile's first row of op(A) = Aᵀ, stored with row stride lda elements, so
// that the step p's eight values are a[p·lda : p·lda+8] (what packA copies
// into a packed panel). They are sgemmKernel8x32 and sgemmKernel8x16 with
// the panel's steps lda apart instead of 8: the same bits. AX counts the
// bytes from a to the step, so that no pointer moves past A's last step
// (DI steps past B's panel as in the S kernels above).

#define STEP_8x32T \
	VMOVUPS      (DI), Z0; \
	VMOVUPS      64(DI), Z1; \
	VBROADCASTSS (SI)(AX*1), Z2; \
	VFMADD231PS  Z0, Z2, Z16; \
	VFMADD231PS  Z1, Z2, Z17; \
	VBROADCASTSS 4(SI)(AX*1), Z3; \
	VFMADD231PS  Z0, Z3, Z18; \
	VFMADD231PS  Z1, Z3, Z19; \
	VBROADCASTSS 8(SI)(AX*1), Z4; \
	VFMADD231PS  Z0, Z4, Z20; \
	VFMADD231PS  Z1, Z4, Z21; \
	VBROADCASTSS 12(SI)(AX*1), Z5; \
	VFMADD231PS  Z0, Z5, Z22; \
	VFMADD231PS  Z1, Z5, Z23; \
	VBROADCASTSS 16(SI)(AX*1), Z2; \
	VFMADD231PS  Z0, Z2, Z24; \
	VFMADD231PS  Z1, Z2, Z25; \
	VBROADCASTSS 20(SI)(AX*1), Z3; \
	VFMADD231PS  Z0, Z3, Z26; \
	VFMADD231PS  Z1, Z3, Z27; \
	VBROADCASTSS 24(SI)(AX*1), Z4; \
	VFMADD231PS  Z0, Z4, Z28; \
	VFMADD231PS  Z1, Z4, Z29; \
	VBROADCASTSS 28(SI)(AX*1), Z5; \
	VFMADD231PS  Z0, Z5, Z30; \
	VFMADD231PS  Z1, Z5, Z31; \
	ADDQ         R10, AX; \
	ADDQ         R9, DI

// func sgemmKernel8x32T(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemmKernel8x32T(SB), NOSPLIT, $0-64
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R10
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R9
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $2, R10
	SHLQ $2, R9
	SHLQ $2, R8

	// Touch the tile's rows of C early, so that they arrive during the loop.
	MOVQ DX, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 124(AX)
	XORQ AX, AX

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

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   k8x32Ttail

k8x32Tloop4:
	STEP_8x32T
	STEP_8x32T
	STEP_8x32T
	STEP_8x32T
	DECQ BX
	JNZ  k8x32Tloop4

k8x32Ttail:
	ANDQ $3, CX
	JZ   k8x32Tstore

k8x32Tloop1:
	STEP_8x32T
	DECQ CX
	JNZ  k8x32Tloop1

k8x32Tstore:
	VBROADCASTSS alpha+56(FP), Z0
	MOVL         beta+60(FP), AX
	ANDL         $0x7fffffff, AX
	JZ           k8x32Tnobeta
	VBROADCASTSS beta+60(FP), Z1
	STOREZ2_BETA(Z16, Z17)
	STOREZ2_BETA(Z18, Z19)
	STOREZ2_BETA(Z20, Z21)
	STOREZ2_BETA(Z22, Z23)
	STOREZ2_BETA(Z24, Z25)
	STOREZ2_BETA(Z26, Z27)
	STOREZ2_BETA(Z28, Z29)
	STOREZ2_BETA(Z30, Z31)
	VZEROUPPER
	RET

k8x32Tnobeta:
	STOREZ2(Z16, Z17)
	STOREZ2(Z18, Z19)
	STOREZ2(Z20, Z21)
	STOREZ2(Z22, Z23)
	STOREZ2(Z24, Z25)
	STOREZ2(Z26, Z27)
	STOREZ2(Z28, Z29)
	STOREZ2(Z30, Z31)
	VZEROUPPER
	RET

#define STEP_8x16T \
	VMOVUPS      (DI), Z0; \
	VBROADCASTSS (SI)(AX*1), Z2; \
	VFMADD231PS  Z0, Z2, Z16; \
	VBROADCASTSS 4(SI)(AX*1), Z3; \
	VFMADD231PS  Z0, Z3, Z17; \
	VBROADCASTSS 8(SI)(AX*1), Z4; \
	VFMADD231PS  Z0, Z4, Z18; \
	VBROADCASTSS 12(SI)(AX*1), Z5; \
	VFMADD231PS  Z0, Z5, Z19; \
	VBROADCASTSS 16(SI)(AX*1), Z2; \
	VFMADD231PS  Z0, Z2, Z20; \
	VBROADCASTSS 20(SI)(AX*1), Z3; \
	VFMADD231PS  Z0, Z3, Z21; \
	VBROADCASTSS 24(SI)(AX*1), Z4; \
	VFMADD231PS  Z0, Z4, Z22; \
	VBROADCASTSS 28(SI)(AX*1), Z5; \
	VFMADD231PS  Z0, Z5, Z23; \
	ADDQ         R10, AX; \
	ADDQ         R9, DI

// func sgemmKernel8x16T(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemmKernel8x16T(SB), NOSPLIT, $0-64
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R10
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R9
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $2, R10
	SHLQ $2, R9
	SHLQ $2, R8
	XORQ AX, AX

	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   k8x16Ttail

k8x16Tloop4:
	STEP_8x16T
	STEP_8x16T
	STEP_8x16T
	STEP_8x16T
	DECQ BX
	JNZ  k8x16Tloop4

k8x16Ttail:
	ANDQ $3, CX
	JZ   k8x16Tstore

k8x16Tloop1:
	STEP_8x16T
	DECQ CX
	JNZ  k8x16Tloop1

k8x16Tstore:
	VBROADCASTSS alpha+56(FP), Z0
	MOVL         beta+60(FP), AX
	ANDL         $0x7fffffff, AX
	JZ           k8x16Tnobeta
	VBROADCASTSS beta+60(FP), Z1
	STOREZ1_BETA(Z16)
	STOREZ1_BETA(Z17)
	STOREZ1_BETA(Z18)
	STOREZ1_BETA(Z19)
	STOREZ1_BETA(Z20)
	STOREZ1_BETA(Z21)
	STOREZ1_BETA(Z22)
	STOREZ1_BETA(Z23)
	VZEROUPPER
	RET

k8x16Tnobeta:
	STOREZ1(Z16)
	STOREZ1(Z17)
	STOREZ1(Z18)
	STOREZ1(Z19)
	STOREZ1(Z20)
	STOREZ1(Z21)
	STOREZ1(Z22)
	STOREZ1(Z23)
	VZEROUPPER
	RET

// Kernels that read A in place (AVX2 + FMA): sgemmKernel6x16 and
// sgemmKernel6x8 with the six broadcasts of a step taken from A as stored
// instead of a packed panel. They are in assembly for speed (they spare
// sgemmWith packA's transpose or copy, directA); each accumulator takes
// the same products in the same order as in the packed kernels, so C gets
// the same bits. The S kernels read an untransposed A: a points at the
// tile's first row, row stride lda elements; SI walks row 0 and R12 row 3,
// R10 is lda in bytes. After the last step SI and R12 point one element
// past the tile's column kc−1 of rows 0 and 3, inside A (rows 1 and 4
// follow). The T kernels read a transposed A (op(A) = Aᵀ): step p's six
// values are a[p·lda : p·lda+6]; AX counts the bytes from a to the step,
// so that no pointer moves past A's last step. DI steps through B by ldb
// after every step, the last one included, as in the packed kernels: read
// in place it may end one row past B's end; it is never read there, and a
// register of this leaf function is invisible to the garbage collector.
// TestSgemmGuardPages runs these kernels on operands that end on a
// PROT_NONE page.

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

// func sgemmKernel6x16S(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemmKernel6x16S(SB), NOSPLIT, $0-64
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R10
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R9
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $2, R10
	SHLQ $2, R9
	SHLQ $2, R8
	LEAQ (SI)(R10*2), R12
	ADDQ R10, R12 // row 3

	// Touch the tile's rows of C early, so that they arrive during the loop.
	MOVQ DX, AX
	PREFETCHT0 (AX)
	PREFETCHT0 60(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 60(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 60(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 60(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 60(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 60(AX)

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

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   k6x16Stail

k6x16Sloop4:
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
	JNZ  k6x16Sloop4

k6x16Stail:
	ANDQ $3, CX
	JZ   k6x16Sstore

k6x16Sloop1:
	STEP_6x16S(0)
	ADDQ $4, SI
	ADDQ $4, R12
	ADDQ R9, DI
	DECQ CX
	JNZ  k6x16Sloop1

k6x16Sstore:
	VBROADCASTSS alpha+56(FP), Y0
	MOVL         beta+60(FP), AX
	ANDL         $0x7fffffff, AX
	JZ           k6x16Snobeta
	VBROADCASTSS beta+60(FP), Y1
	STOREY2_BETA(Y4, Y5)
	STOREY2_BETA(Y6, Y7)
	STOREY2_BETA(Y8, Y9)
	STOREY2_BETA(Y10, Y11)
	STOREY2_BETA(Y12, Y13)
	STOREY2_BETA(Y14, Y15)
	VZEROUPPER
	RET

k6x16Snobeta:
	STOREY2(Y4, Y5)
	STOREY2(Y6, Y7)
	STOREY2(Y8, Y9)
	STOREY2(Y10, Y11)
	STOREY2(Y12, Y13)
	STOREY2(Y14, Y15)
	VZEROUPPER
	RET

#define STEP_6x8S(ao) \
	VMOVUPS      (DI), Y0; \
	VBROADCASTSS ao(SI), Y2; \
	VFMADD231PS  Y0, Y2, Y4; \
	VBROADCASTSS ao(SI)(R10*1), Y3; \
	VFMADD231PS  Y0, Y3, Y5; \
	VBROADCASTSS ao(SI)(R10*2), Y2; \
	VFMADD231PS  Y0, Y2, Y6; \
	VBROADCASTSS ao(R12), Y3; \
	VFMADD231PS  Y0, Y3, Y7; \
	VBROADCASTSS ao(R12)(R10*1), Y2; \
	VFMADD231PS  Y0, Y2, Y8; \
	VBROADCASTSS ao(R12)(R10*2), Y3; \
	VFMADD231PS  Y0, Y3, Y9

// func sgemmKernel6x8S(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemmKernel6x8S(SB), NOSPLIT, $0-64
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R10
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R9
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $2, R10
	SHLQ $2, R9
	SHLQ $2, R8
	LEAQ (SI)(R10*2), R12
	ADDQ R10, R12 // row 3

	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   k6x8Stail

k6x8Sloop4:
	STEP_6x8S(0)
	ADDQ R9, DI
	STEP_6x8S(4)
	ADDQ R9, DI
	STEP_6x8S(8)
	ADDQ R9, DI
	STEP_6x8S(12)
	ADDQ R9, DI
	ADDQ $16, SI
	ADDQ $16, R12
	DECQ BX
	JNZ  k6x8Sloop4

k6x8Stail:
	ANDQ $3, CX
	JZ   k6x8Sstore

k6x8Sloop1:
	STEP_6x8S(0)
	ADDQ $4, SI
	ADDQ $4, R12
	ADDQ R9, DI
	DECQ CX
	JNZ  k6x8Sloop1

k6x8Sstore:
	VBROADCASTSS alpha+56(FP), Y0
	MOVL         beta+60(FP), AX
	ANDL         $0x7fffffff, AX
	JZ           k6x8Snobeta
	VBROADCASTSS beta+60(FP), Y1
	STOREY1_BETA(Y4)
	STOREY1_BETA(Y5)
	STOREY1_BETA(Y6)
	STOREY1_BETA(Y7)
	STOREY1_BETA(Y8)
	STOREY1_BETA(Y9)
	VZEROUPPER
	RET

k6x8Snobeta:
	STOREY1(Y4)
	STOREY1(Y5)
	STOREY1(Y6)
	STOREY1(Y7)
	STOREY1(Y8)
	STOREY1(Y9)
	VZEROUPPER
	RET

#define STEP_6x16T \
	VMOVUPS      (DI), Y0; \
	VMOVUPS      32(DI), Y1; \
	VBROADCASTSS (SI)(AX*1), Y2; \
	VFMADD231PS  Y0, Y2, Y4; \
	VFMADD231PS  Y1, Y2, Y5; \
	VBROADCASTSS 4(SI)(AX*1), Y3; \
	VFMADD231PS  Y0, Y3, Y6; \
	VFMADD231PS  Y1, Y3, Y7; \
	VBROADCASTSS 8(SI)(AX*1), Y2; \
	VFMADD231PS  Y0, Y2, Y8; \
	VFMADD231PS  Y1, Y2, Y9; \
	VBROADCASTSS 12(SI)(AX*1), Y3; \
	VFMADD231PS  Y0, Y3, Y10; \
	VFMADD231PS  Y1, Y3, Y11; \
	VBROADCASTSS 16(SI)(AX*1), Y2; \
	VFMADD231PS  Y0, Y2, Y12; \
	VFMADD231PS  Y1, Y2, Y13; \
	VBROADCASTSS 20(SI)(AX*1), Y3; \
	VFMADD231PS  Y0, Y3, Y14; \
	VFMADD231PS  Y1, Y3, Y15; \
	ADDQ         R10, AX; \
	ADDQ         R9, DI

// func sgemmKernel6x16T(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemmKernel6x16T(SB), NOSPLIT, $0-64
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R10
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R9
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $2, R10
	SHLQ $2, R9
	SHLQ $2, R8

	// Touch the tile's rows of C early, so that they arrive during the loop.
	MOVQ DX, AX
	PREFETCHT0 (AX)
	PREFETCHT0 60(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 60(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 60(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 60(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 60(AX)
	ADDQ R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 60(AX)
	XORQ AX, AX

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

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   k6x16Ttail

k6x16Tloop4:
	STEP_6x16T
	STEP_6x16T
	STEP_6x16T
	STEP_6x16T
	DECQ BX
	JNZ  k6x16Tloop4

k6x16Ttail:
	ANDQ $3, CX
	JZ   k6x16Tstore

k6x16Tloop1:
	STEP_6x16T
	DECQ CX
	JNZ  k6x16Tloop1

k6x16Tstore:
	VBROADCASTSS alpha+56(FP), Y0
	MOVL         beta+60(FP), AX
	ANDL         $0x7fffffff, AX
	JZ           k6x16Tnobeta
	VBROADCASTSS beta+60(FP), Y1
	STOREY2_BETA(Y4, Y5)
	STOREY2_BETA(Y6, Y7)
	STOREY2_BETA(Y8, Y9)
	STOREY2_BETA(Y10, Y11)
	STOREY2_BETA(Y12, Y13)
	STOREY2_BETA(Y14, Y15)
	VZEROUPPER
	RET

k6x16Tnobeta:
	STOREY2(Y4, Y5)
	STOREY2(Y6, Y7)
	STOREY2(Y8, Y9)
	STOREY2(Y10, Y11)
	STOREY2(Y12, Y13)
	STOREY2(Y14, Y15)
	VZEROUPPER
	RET

#define STEP_6x8T \
	VMOVUPS      (DI), Y0; \
	VBROADCASTSS (SI)(AX*1), Y2; \
	VFMADD231PS  Y0, Y2, Y4; \
	VBROADCASTSS 4(SI)(AX*1), Y3; \
	VFMADD231PS  Y0, Y3, Y5; \
	VBROADCASTSS 8(SI)(AX*1), Y2; \
	VFMADD231PS  Y0, Y2, Y6; \
	VBROADCASTSS 12(SI)(AX*1), Y3; \
	VFMADD231PS  Y0, Y3, Y7; \
	VBROADCASTSS 16(SI)(AX*1), Y2; \
	VFMADD231PS  Y0, Y2, Y8; \
	VBROADCASTSS 20(SI)(AX*1), Y3; \
	VFMADD231PS  Y0, Y3, Y9; \
	ADDQ         R10, AX; \
	ADDQ         R9, DI

// func sgemmKernel6x8T(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemmKernel6x8T(SB), NOSPLIT, $0-64
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R10
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R9
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $2, R10
	SHLQ $2, R9
	SHLQ $2, R8
	XORQ AX, AX

	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9

	MOVQ CX, BX
	SHRQ $2, BX
	JZ   k6x8Ttail

k6x8Tloop4:
	STEP_6x8T
	STEP_6x8T
	STEP_6x8T
	STEP_6x8T
	DECQ BX
	JNZ  k6x8Tloop4

k6x8Ttail:
	ANDQ $3, CX
	JZ   k6x8Tstore

k6x8Tloop1:
	STEP_6x8T
	DECQ CX
	JNZ  k6x8Tloop1

k6x8Tstore:
	VBROADCASTSS alpha+56(FP), Y0
	MOVL         beta+60(FP), AX
	ANDL         $0x7fffffff, AX
	JZ           k6x8Tnobeta
	VBROADCASTSS beta+60(FP), Y1
	STOREY1_BETA(Y4)
	STOREY1_BETA(Y5)
	STOREY1_BETA(Y6)
	STOREY1_BETA(Y7)
	STOREY1_BETA(Y8)
	STOREY1_BETA(Y9)
	VZEROUPPER
	RET

k6x8Tnobeta:
	STOREY1(Y4)
	STOREY1(Y5)
	STOREY1(Y6)
	STOREY1(Y7)
	STOREY1(Y8)
	STOREY1(Y9)
	VZEROUPPER
	RET

