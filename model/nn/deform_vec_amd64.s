//go:build amd64

#include "textflag.h"
#include "deform_scatter_amd64.h"

// func dcnGather512(dst, img *float32, pix, row int, base *int32, wts *float32, count, n int)
// dcnGatherAVX for n a multiple of 16, in AVX-512: for each of count
// entries e, the corners of the sample point start at q = img +
// base[e]·pix, q+pix, q+row and q+row+pix (elements); dst[e·n+i] =
// w0·c0[i], then + w1·c1[i], + w2·c2[i], + w3·c3[i] as fused multiply-adds
// in that order (dcnGatherAVX's operations: the same bits).
TEXT ·dcnGather512(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), DI
	MOVQ img+8(FP), SI
	MOVQ pix+16(FP), R8
	MOVQ row+24(FP), R9
	MOVQ base+32(FP), BX
	MOVQ wts+40(FP), DX
	MOVQ count+48(FP), R10
	MOVQ n+56(FP), R11
	SHLQ $2, R8
	SHLQ $2, R9

g5entry:
	TESTQ        R10, R10
	JZ           g5done
	MOVLQSX      (BX), AX
	IMULQ        R8, AX
	ADDQ         SI, AX              // top-left corner
	LEAQ         (AX)(R9*1), R12     // bottom-left
	VBROADCASTSS (DX), Z8
	VBROADCASTSS 4(DX), Z9
	VBROADCASTSS 8(DX), Z10
	VBROADCASTSS 12(DX), Z11
	MOVQ         R11, CX

g5vec32:
	CMPQ        CX, $32
	JLT         g5vec16
	VMULPS      (AX), Z8, Z0
	VMULPS      64(AX), Z8, Z1
	VFMADD231PS (AX)(R8*1), Z9, Z0
	VFMADD231PS 64(AX)(R8*1), Z9, Z1
	VFMADD231PS (R12), Z10, Z0
	VFMADD231PS 64(R12), Z10, Z1
	VFMADD231PS (R12)(R8*1), Z11, Z0
	VFMADD231PS 64(R12)(R8*1), Z11, Z1
	VMOVUPS     Z0, (DI)
	VMOVUPS     Z1, 64(DI)
	ADDQ        $128, AX
	ADDQ        $128, R12
	ADDQ        $128, DI
	SUBQ        $32, CX
	JMP         g5vec32

g5vec16:
	TESTQ       CX, CX
	JZ          g5next
	VMULPS      (AX), Z8, Z0
	VFMADD231PS (AX)(R8*1), Z9, Z0
	VFMADD231PS (R12), Z10, Z0
	VFMADD231PS (R12)(R8*1), Z11, Z0
	VMOVUPS     Z0, (DI)
	ADDQ        $64, DI

g5next:
	ADDQ $4, BX
	ADDQ $16, DX
	DECQ R10
	JMP  g5entry

g5done:
	VZEROUPPER
	RET

// func dcnScatter512(dimg, img *float32, pix, row int, base *int32, wts, gr, s *float32, count, n int)
// dcnScatterAVX for n a multiple of 16: the corners of dimg are updated 16
// channels at a time in AVX-512 (each value gets the one fused
// multiply-add it gets there), and the corner sums s are accumulated in
// the 8-lane order of dcnScatterAVX and reduced as it does: the same bits.
TEXT ·dcnScatter512(SB), NOSPLIT, $0-80
	SCATTER_ARGS
	SCATTER_SCALE

s5entry:
	TESTQ        R10, R10
	JZ           s5done
	SCATTER_CORNERS
	VBROADCASTSS (DX), Z8
	VBROADCASTSS 4(DX), Z9
	VBROADCASTSS 8(DX), Z10
	VBROADCASTSS 12(DX), Z11
	SCATTER_ZERO

s5vec:
	TESTQ       SI, SI
	JZ          s5sum
	VMOVUPS     (DI), Y0
	VFMADD231PS (AX), Y0, Y4
	VFMADD231PS (AX)(R8*1), Y0, Y5
	VFMADD231PS (R12), Y0, Y6
	VFMADD231PS (R12)(R8*1), Y0, Y7
	VMOVUPS     32(DI), Y0
	VFMADD231PS 32(AX), Y0, Y4
	VFMADD231PS 32(AX)(R8*1), Y0, Y5
	VFMADD231PS 32(R12), Y0, Y6
	VFMADD231PS 32(R12)(R8*1), Y0, Y7
	VMOVUPS     (DI), Z0
	VMOVUPS     (R13), Z1
	VFMADD231PS Z0, Z8, Z1
	VMOVUPS     Z1, (R13)
	VMOVUPS     (R13)(R8*1), Z2
	VFMADD231PS Z0, Z9, Z2
	VMOVUPS     Z2, (R13)(R8*1)
	VMOVUPS     (CX), Z3
	VFMADD231PS Z0, Z10, Z3
	VMOVUPS     Z3, (CX)
	VMOVUPS     (CX)(R8*1), Z12
	VFMADD231PS Z0, Z11, Z12
	VMOVUPS     Z12, (CX)(R8*1)
	SCATTER_STEP(64)
	SUBQ        $16, SI
	JMP         s5vec

s5sum:
	SCATTER_SUM
	JMP          s5entry

s5done:
	VZEROUPPER
	RET

// func dcnScatterCols512(dimg, img *float32, pix, row int, base *int32, wts, gr, s *float32, count, n int)
// dcnScatter512 that also writes the columns dcnGather512 would write, in
// place of the column gradient it reads: for each 16 channels of an entry
// it loads gr's values (as dcnScatter512 does, the same corner sums and
// input gradient to the bit), then stores over them w0·c0, + w1·c1, +
// w2·c2, + w3·c3 as dcnGather512 computes them (VMULPS, then fused
// multiply-adds in that order: the same bits). The banded backward's
// columns then come out of the scatter's reads of the four corners, not
// a second gather.
TEXT ·dcnScatterCols512(SB), NOSPLIT, $0-80
	SCATTER_ARGS
	SCATTER_SCALE

sc5entry:
	TESTQ        R10, R10
	JZ           sc5done
	SCATTER_CORNERS
	VBROADCASTSS (DX), Z8
	VBROADCASTSS 4(DX), Z9
	VBROADCASTSS 8(DX), Z10
	VBROADCASTSS 12(DX), Z11
	SCATTER_ZERO

sc5vec:
	TESTQ         SI, SI
	JZ            sc5sum
	VMOVUPS       (DI), Z0             // 16 values of the column gradient
	VMOVUPS       (AX), Z14            // the four corners' 16 channels,
	VMOVUPS       (AX)(R8*1), Z15      // each loaded once
	VMOVUPS       (R12), Z16
	VMOVUPS       (R12)(R8*1), Z17
	VFMADD231PS   Y14, Y0, Y4          // the corner sums, lanes 0–7 ...
	VFMADD231PS   Y15, Y0, Y5
	VFMADD231PS   Y16, Y0, Y6
	VFMADD231PS   Y17, Y0, Y7
	VEXTRACTF64X4 $1, Z0, Y1           // ... then 8–15, as dcnScatter512
	VEXTRACTF64X4 $1, Z14, Y18
	VEXTRACTF64X4 $1, Z15, Y19
	VEXTRACTF64X4 $1, Z16, Y20
	VEXTRACTF64X4 $1, Z17, Y21
	VFMADD231PS   Y18, Y1, Y4
	VFMADD231PS   Y19, Y1, Y5
	VFMADD231PS   Y20, Y1, Y6
	VFMADD231PS   Y21, Y1, Y7
	VMULPS        Z14, Z8, Z13         // the column, as dcnGather512
	VFMADD231PS   Z15, Z9, Z13
	VFMADD231PS   Z16, Z10, Z13
	VFMADD231PS   Z17, Z11, Z13
	VMOVUPS       Z13, (DI)            // over its gradient, now read
	VMOVUPS     (R13), Z1
	VFMADD231PS Z0, Z8, Z1
	VMOVUPS     Z1, (R13)
	VMOVUPS     (R13)(R8*1), Z2
	VFMADD231PS Z0, Z9, Z2
	VMOVUPS     Z2, (R13)(R8*1)
	VMOVUPS     (CX), Z3
	VFMADD231PS Z0, Z10, Z3
	VMOVUPS     Z3, (CX)
	VMOVUPS     (CX)(R8*1), Z12
	VFMADD231PS Z0, Z11, Z12
	VMOVUPS     Z12, (CX)(R8*1)
	SCATTER_STEP(64)
	SUBQ        $16, SI
	JMP         sc5vec

sc5sum:
	SCATTER_SUM
	JMP          sc5entry

sc5done:
	VZEROUPPER
	RET

// func dcnScatterColsAVX(dimg, img *float32, pix, row int, base *int32, wts, gr, s *float32, count, n int)
// dcnScatterCols512 in AVX2, for n a multiple of 8: for each 8 channels
// of an entry it loads gr's values and the four corners once, adds to the
// corner sums as dcnScatterAVX does (the same fused multiply-adds in the
// same order, reduced as it reduces them), stores over gr's values w0·c0,
// + w1·c1, + w2·c2, + w3·c3 as the AVX2 gathers compute them (VMULPS, then
// fused multiply-adds in that order), and adds to the four corners of dimg
// as dcnScatterAVX does: the bits of the gather and the scatter it
// replaces, in one pass over the corners.
TEXT ·dcnScatterColsAVX(SB), NOSPLIT, $0-80
	SCATTER_ARGS
	SCATTER_SCALE

scaentry:
	TESTQ        R10, R10
	JZ           scadone
	SCATTER_CORNERS
	SCATTER_WEIGHTS8
	SCATTER_ZERO

scavec:
	TESTQ       SI, SI
	JZ          scasum
	VMOVUPS     (DI), Y0             // 8 values of the column gradient
	VMOVUPS     (AX), Y1             // the four corners' 8 channels,
	VMOVUPS     (AX)(R8*1), Y2       // each loaded once
	VMOVUPS     (R12), Y3
	VMOVUPS     (R12)(R8*1), Y12
	VFMADD231PS Y1, Y0, Y4           // the corner sums
	VFMADD231PS Y2, Y0, Y5
	VFMADD231PS Y3, Y0, Y6
	VFMADD231PS Y12, Y0, Y7
	VMULPS      Y1, Y8, Y13          // the column, as the gathers
	VFMADD231PS Y2, Y9, Y13
	VFMADD231PS Y3, Y10, Y13
	VFMADD231PS Y12, Y11, Y13
	VMOVUPS     Y13, (DI)            // over its gradient, now read
	SCATTER_DIMG8(Y14, Y15, Y14, Y15)
	SCATTER_STEP(32)
	SUBQ        $8, SI
	JMP         scavec

scasum:
	SCATTER_SUM
	JMP          scaentry

scadone:
	VZEROUPPER
	RET

// func dcnDots4AVX(img *float32, pix, row int, base *int32, gr, s *float32, count, n int)
// The corner sums of dcnScatter4AVX alone, for a layer whose input
// gradient is not wanted: s[4e+j] = Σ_i gr[e·n+i]·corner_j[i] with the
// same loads and operations in the same order (the same bits), and no
// writes to the input gradient. Pixels of 4 values, n ≤ 4. Entries go two
// at a time, one in each 128-bit half of the registers: the horizontal
// adds work within each half, so each entry gets the one-entry loop's
// sums, and its final add of the zero upper half becomes an add of zero
// to both (x + 0: the same bits, −0 made +0 alike); the two entries' sums
// are one 32-byte store. On Zen 3 the three VHADDPS an entry were most of
// the kernel's time (10.7 cycles an entry in conv1's Backward). An odd
// last entry takes the one-entry loop.
TEXT ·dcnDots4AVX(SB), NOSPLIT, $0-64
	MOVQ img+0(FP), SI
	MOVQ pix+8(FP), R8
	MOVQ row+16(FP), R9
	MOVQ base+24(FP), BX
	MOVQ gr+32(FP), DI
	MOVQ s+40(FP), DX
	MOVQ count+48(FP), R10
	MOVQ n+56(FP), R11
	MOVQ R11, CX
	ANDQ $7, CX
	SHLQ $2, CX
	LEAQ d4tail<>+32(SB), AX
	SUBQ CX, AX
	VMOVDQU (AX), Y15                // lanes < n
	CMPQ R11, $4
	JNE  d4mask
	VPCMPEQD X15, X15, X15           // n = 4: all four lanes
d4mask:
	SHLQ $2, R8
	SHLQ $2, R9
	SHLQ $2, R11                     // gradient bytes per entry
	VXORPS Y9, Y9, Y9                // zero

d4pair:
	CMPQ         R10, $2
	JLT          d4entry
	MOVLQSX      (BX), AX
	IMULQ        R8, AX
	ADDQ         SI, AX              // entry e's top-left corner
	LEAQ         (AX)(R9*1), R12     // its bottom-left
	MOVLQSX      4(BX), CX
	IMULQ        R8, CX
	ADDQ         SI, CX              // entry e+1's top-left corner
	LEAQ         (CX)(R9*1), R13     // its bottom-left
	VMASKMOVPS   (DI), X15, X0
	VMASKMOVPS   (DI)(R11*1), X15, X1
	VINSERTF128  $1, X1, Y0, Y0      // gradients: e | e+1
	VMOVUPS      (AX), X1
	VINSERTF128  $1, (CX), Y1, Y1
	VMOVUPS      (AX)(R8*1), X2
	VINSERTF128  $1, (CX)(R8*1), Y2, Y2
	VMOVUPS      (R12), X3
	VINSERTF128  $1, (R13), Y3, Y3
	VMOVUPS      (R12)(R8*1), X8
	VINSERTF128  $1, (R13)(R8*1), Y8, Y8
	VXORPS       Y4, Y4, Y4
	VXORPS       Y5, Y5, Y5
	VXORPS       Y6, Y6, Y6
	VXORPS       Y7, Y7, Y7
	VFMADD231PS  Y1, Y0, Y4
	VFMADD231PS  Y2, Y0, Y5
	VFMADD231PS  Y3, Y0, Y6
	VFMADD231PS  Y8, Y0, Y7
	VHADDPS      Y5, Y4, Y4
	VHADDPS      Y7, Y6, Y6
	VHADDPS      Y6, Y4, Y4
	VADDPS       Y9, Y4, Y4          // + 0, as the one-entry loop's upper half
	VMOVUPS      Y4, (DX)
	LEAQ         (DI)(R11*2), DI
	ADDQ         $8, BX
	ADDQ         $32, DX
	SUBQ         $2, R10
	JMP          d4pair

d4entry:
	TESTQ        R10, R10
	JZ           d4done
	MOVLQSX      (BX), AX
	IMULQ        R8, AX
	ADDQ         SI, AX
	LEAQ         (AX)(R9*1), R12
	VXORPS       Y4, Y4, Y4
	VXORPS       Y5, Y5, Y5
	VXORPS       Y6, Y6, Y6
	VXORPS       Y7, Y7, Y7
	VMASKMOVPS   (DI), X15, X0
	VFMADD231PS  (AX), X0, X4
	VFMADD231PS  (AX)(R8*1), X0, X5
	VFMADD231PS  (R12), X0, X6
	VFMADD231PS  (R12)(R8*1), X0, X7
	ADDQ         R11, DI
	VHADDPS      Y5, Y4, Y4
	VHADDPS      Y7, Y6, Y6
	VHADDPS      Y6, Y4, Y4
	VEXTRACTF128 $1, Y4, X5
	VADDPS       X5, X4, X4
	VMOVUPS      X4, (DX)
	ADDQ         $4, BX
	ADDQ         $16, DX
	DECQ         R10
	JMP          d4entry

d4done:
	VZEROUPPER
	RET

// d4tail: 8 all-ones lanes then 8 zero lanes; the 32 bytes ending k lanes
// before the zeros have their first k lanes set (as vec_amd64.s's vecTail).
DATA d4tail<>+0(SB)/8, $0xffffffffffffffff
DATA d4tail<>+8(SB)/8, $0xffffffffffffffff
DATA d4tail<>+16(SB)/8, $0xffffffffffffffff
DATA d4tail<>+24(SB)/8, $0xffffffffffffffff
DATA d4tail<>+32(SB)/8, $0
DATA d4tail<>+40(SB)/8, $0
DATA d4tail<>+48(SB)/8, $0
DATA d4tail<>+56(SB)/8, $0
GLOBL d4tail<>(SB), RODATA|NOPTR, $64

// func dcnOutT8(src *float32, lds int, dst *float32, ldd int, blocks int, bias *float32, floor float32, sstep, bstep, dstep int)
// The deformable forward's output from its pixel-major product: reads 8
// pixel rows of 8 output channels (row stride lds elements) and writes,
// for each channel c, dst[c·ldd : c·ldd+8] = max(src[·][c] + bias[c],
// floor) — packTranspose8's transpose followed by vbias's add and max
// (operands in vbias's order: the same bits, NaN passing the max). It
// does this for blocks blocks of 8×8: after each, src and bias move on by
// sstep and bstep bytes and dst by dstep bytes past the block's 8 rows
// (the next 8 channels: 32, 32, 0; the next 8 pixels: 32·lds, 0,
// 32 − 32·ldd).
TEXT ·dcnOutT8(SB), NOSPLIT, $0-80
	MOVQ src+0(FP), SI
	MOVQ lds+8(FP), R8
	MOVQ dst+16(FP), DI
	MOVQ ldd+24(FP), R12
	MOVQ blocks+32(FP), CX
	MOVQ bias+40(FP), DX
	MOVQ sstep+56(FP), AX
	MOVQ bstep+64(FP), BX
	MOVQ dstep+72(FP), R9
	SHLQ $2, R8
	SHLQ $2, R12
	LEAQ (R8)(R8*2), R10   // 3·lds
	LEAQ (SI)(R8*4), R11   // row 4
	LEAQ (R12)(R12*2), R13 // 3·ldd
	TESTQ CX, CX
	JZ    ot8done

ot8loop:
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

	VBROADCASTSS floor+48(FP), Y0
	VBROADCASTSS (DX), Y1
	VADDPS       Y8, Y1, Y8
	VMAXPS       Y8, Y0, Y8
	VMOVUPS      Y8, (DI)
	VBROADCASTSS 4(DX), Y1
	VADDPS       Y9, Y1, Y9
	VMAXPS       Y9, Y0, Y9
	VMOVUPS      Y9, (DI)(R12*1)
	VBROADCASTSS 8(DX), Y1
	VADDPS       Y10, Y1, Y10
	VMAXPS       Y10, Y0, Y10
	VMOVUPS      Y10, (DI)(R12*2)
	VBROADCASTSS 12(DX), Y1
	VADDPS       Y11, Y1, Y11
	VMAXPS       Y11, Y0, Y11
	VMOVUPS      Y11, (DI)(R13*1)
	LEAQ         (DI)(R12*4), DI
	VBROADCASTSS 16(DX), Y1
	VADDPS       Y12, Y1, Y12
	VMAXPS       Y12, Y0, Y12
	VMOVUPS      Y12, (DI)
	VBROADCASTSS 20(DX), Y1
	VADDPS       Y13, Y1, Y13
	VMAXPS       Y13, Y0, Y13
	VMOVUPS      Y13, (DI)(R12*1)
	VBROADCASTSS 24(DX), Y1
	VADDPS       Y14, Y1, Y14
	VMAXPS       Y14, Y0, Y14
	VMOVUPS      Y14, (DI)(R12*2)
	VBROADCASTSS 28(DX), Y1
	VADDPS       Y15, Y1, Y15
	VMAXPS       Y15, Y0, Y15
	VMOVUPS      Y15, (DI)(R13*1)
	LEAQ         (DI)(R12*4), DI

	ADDQ AX, SI
	ADDQ AX, R11
	ADDQ BX, DX
	ADDQ R9, DI
	DECQ CX
	JNZ  ot8loop
	VZEROUPPER

ot8done:
	RET
