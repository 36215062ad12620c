#include "textflag.h"

// The deformable layer's sampling (dcnGather) for runs of a multiple of 32
// channels with AVX2 + FMA: vec_amd64.s's dcnGatherAVX with each entry's
// 32 channels in four independent vectors and no per-vector loop, and for
// runs of exactly 32 two entries at a time: an image of the 7×7 layer (441
// entries of 32 channels) in 2.10 µs where dcnGatherAVX took 2.65 on Zen 3
// when written (session 12), 1.86 µs since each entry's weights are loaded
// once (session 13; BenchmarkGather32; issue 23, item 2). Assembly for speed; each value is
// the same chain of operations, in the same order, as dcnGatherAVX's: the
// same bits.

// func dcnGather32AVX2(dst, img *float32, pix, row int, base *int32, wts *float32, count, blocks int)
// dcnGatherAVX for n = 32·blocks: for each of count entries e, dst[e·n+i]
// = ((w0·c0[i] + w1·c1[i]) + w2·c2[i]) + w3·c3[i] (a product, then three
// fused multiply-adds), the corners c0..c3 at q = img + base[e]·pix,
// q+pix, q+row, q+row+pix (elements), the weights wts[4e:4e+4].
TEXT ·dcnGather32AVX2(SB), NOSPLIT, $0-64
	MOVQ  dst+0(FP), DI
	MOVQ  img+8(FP), SI
	MOVQ  pix+16(FP), R8
	MOVQ  row+24(FP), R9
	MOVQ  base+32(FP), BX
	MOVQ  wts+40(FP), DX
	MOVQ  count+48(FP), R10
	MOVQ  blocks+56(FP), R11
	SHLQ  $2, R8
	SHLQ  $2, R9
	TESTQ R10, R10
	JZ    g32done
	TESTQ R11, R11
	JZ    g32done

g32entry:
	MOVLQSX      (BX), AX
	IMULQ        R8, AX
	ADDQ         SI, AX              // top-left corner
	LEAQ         (AX)(R9*1), R12     // bottom-left
	VBROADCASTSS (DX), Y8
	VBROADCASTSS 4(DX), Y9
	VBROADCASTSS 8(DX), Y10
	VBROADCASTSS 12(DX), Y11
	MOVQ         R11, CX

g32block:
	VMULPS      (AX), Y8, Y0
	VMULPS      32(AX), Y8, Y1
	VMULPS      64(AX), Y8, Y2
	VMULPS      96(AX), Y8, Y3
	VFMADD231PS (AX)(R8*1), Y9, Y0
	VFMADD231PS 32(AX)(R8*1), Y9, Y1
	VFMADD231PS 64(AX)(R8*1), Y9, Y2
	VFMADD231PS 96(AX)(R8*1), Y9, Y3
	VFMADD231PS (R12), Y10, Y0
	VFMADD231PS 32(R12), Y10, Y1
	VFMADD231PS 64(R12), Y10, Y2
	VFMADD231PS 96(R12), Y10, Y3
	VFMADD231PS (R12)(R8*1), Y11, Y0
	VFMADD231PS 32(R12)(R8*1), Y11, Y1
	VFMADD231PS 64(R12)(R8*1), Y11, Y2
	VFMADD231PS 96(R12)(R8*1), Y11, Y3
	VMOVUPS     Y0, (DI)
	VMOVUPS     Y1, 32(DI)
	VMOVUPS     Y2, 64(DI)
	VMOVUPS     Y3, 96(DI)
	ADDQ        $128, AX
	ADDQ        $128, R12
	ADDQ        $128, DI
	DECQ        CX
	JNZ         g32block

	ADDQ $4, BX
	ADDQ $16, DX
	DECQ R10
	JNZ  g32entry

g32done:
	VZEROUPPER
	RET

// func dcnGather32x2AVX2(dst, img *float32, pix, row int, base *int32, wts *float32, pairs int)
// dcnGather32AVX2 for runs of exactly 32 channels, two entries at a time
// (2·pairs entries): eight independent chains in flight instead of four,
// about 15 % less time an entry than one at a time (each chain is a
// product and three fused multiply-adds, 15 cycles deep). The same
// operations on each value: the same bits.
TEXT ·dcnGather32x2AVX2(SB), NOSPLIT, $0-56
	MOVQ  dst+0(FP), DI
	MOVQ  img+8(FP), SI
	MOVQ  pix+16(FP), R8
	MOVQ  row+24(FP), R9
	MOVQ  base+32(FP), BX
	MOVQ  wts+40(FP), DX
	MOVQ  pairs+48(FP), R10
	SHLQ  $2, R8
	SHLQ  $2, R9
	TESTQ R10, R10
	JZ    x2done

x2entry:
	MOVLQSX      (BX), AX
	IMULQ        R8, AX
	ADDQ         SI, AX              // the first entry's top-left corner
	LEAQ         (AX)(R9*1), R12     // its bottom-left
	MOVLQSX      4(BX), R13
	IMULQ        R8, R13
	ADDQ         SI, R13             // the second entry's top-left corner
	LEAQ         (R13)(R9*1), R14    // its bottom-left
	// Each entry's four weights by one 16-byte load into both lanes and
	// four in-lane shuffles (VPERMILPS), not four broadcast loads: 17
	// loads an entry instead of 20, about 8 % less time an entry
	// (BenchmarkGather32, Zen 3), the same weights in every lane.
	VBROADCASTF128 (DX), Y11
	VBROADCASTF128 16(DX), Y15
	VPERMILPS      $0x00, Y11, Y8
	VPERMILPS      $0x00, Y15, Y12
	VPERMILPS      $0x55, Y11, Y9
	VPERMILPS      $0x55, Y15, Y13
	VPERMILPS      $0xaa, Y11, Y10
	VPERMILPS      $0xaa, Y15, Y14
	VPERMILPS      $0xff, Y11, Y11
	VPERMILPS      $0xff, Y15, Y15
	VMULPS      (AX), Y8, Y0
	VMULPS      32(AX), Y8, Y1
	VMULPS      64(AX), Y8, Y2
	VMULPS      96(AX), Y8, Y3
	VMULPS      (R13), Y12, Y4
	VMULPS      32(R13), Y12, Y5
	VMULPS      64(R13), Y12, Y6
	VMULPS      96(R13), Y12, Y7
	VFMADD231PS (AX)(R8*1), Y9, Y0
	VFMADD231PS 32(AX)(R8*1), Y9, Y1
	VFMADD231PS 64(AX)(R8*1), Y9, Y2
	VFMADD231PS 96(AX)(R8*1), Y9, Y3
	VFMADD231PS (R13)(R8*1), Y13, Y4
	VFMADD231PS 32(R13)(R8*1), Y13, Y5
	VFMADD231PS 64(R13)(R8*1), Y13, Y6
	VFMADD231PS 96(R13)(R8*1), Y13, Y7
	VFMADD231PS (R12), Y10, Y0
	VFMADD231PS 32(R12), Y10, Y1
	VFMADD231PS 64(R12), Y10, Y2
	VFMADD231PS 96(R12), Y10, Y3
	VFMADD231PS (R14), Y14, Y4
	VFMADD231PS 32(R14), Y14, Y5
	VFMADD231PS 64(R14), Y14, Y6
	VFMADD231PS 96(R14), Y14, Y7
	VFMADD231PS (R12)(R8*1), Y11, Y0
	VFMADD231PS 32(R12)(R8*1), Y11, Y1
	VFMADD231PS 64(R12)(R8*1), Y11, Y2
	VFMADD231PS 96(R12)(R8*1), Y11, Y3
	VFMADD231PS (R14)(R8*1), Y15, Y4
	VFMADD231PS 32(R14)(R8*1), Y15, Y5
	VFMADD231PS 64(R14)(R8*1), Y15, Y6
	VFMADD231PS 96(R14)(R8*1), Y15, Y7
	VMOVUPS     Y0, (DI)
	VMOVUPS     Y1, 32(DI)
	VMOVUPS     Y2, 64(DI)
	VMOVUPS     Y3, 96(DI)
	VMOVUPS     Y4, 128(DI)
	VMOVUPS     Y5, 160(DI)
	VMOVUPS     Y6, 192(DI)
	VMOVUPS     Y7, 224(DI)
	ADDQ $256, DI
	ADDQ $8, BX
	ADDQ $32, DX
	DECQ R10
	JNZ  x2entry

x2done:
	VZEROUPPER
	RET
