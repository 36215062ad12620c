#include "textflag.h"
#include "deform_scatter_amd64.h"

// Element-wise float32 kernels (AVX): eight lanes at a time, the last
// 1–7 elements of a run through VMASKMOVPS, which neither reads nor writes
// the lanes it masks off.

// vecTail: eight all-ones lanes, then eight zero lanes; the eight lanes
// starting r lanes before the middle have their first r set.
DATA vecTail<>+0(SB)/8, $0xffffffffffffffff
DATA vecTail<>+8(SB)/8, $0xffffffffffffffff
DATA vecTail<>+16(SB)/8, $0xffffffffffffffff
DATA vecTail<>+24(SB)/8, $0xffffffffffffffff
DATA vecTail<>+32(SB)/8, $0
DATA vecTail<>+40(SB)/8, $0
DATA vecTail<>+48(SB)/8, $0
DATA vecTail<>+56(SB)/8, $0
GLOBL vecTail<>(SB), RODATA|NOPTR, $64

// TAILMASK sets mask to the lane mask of the first (n mod 8) lanes,
// using tmp and cnt (cnt is clobbered).
#define TAILMASK(n, cnt, tmp, mask) \
	MOVQ n, cnt                   \
	ANDQ $7, cnt                  \
	SHLQ $2, cnt                  \
	LEAQ vecTail<>+32(SB), tmp    \
	SUBQ cnt, tmp                 \
	VMOVDQU (tmp), mask

// func vadd(dst, src *float32, n int)
// dst[i] += src[i] for i < n.
TEXT ·vadd(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	TAILMASK(CX, DX, AX, Y7)

vadd32:
	CMPQ    CX, $32
	JLT     vadd8
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VADDPS  (SI), Y0, Y0
	VADDPS  32(SI), Y1, Y1
	VADDPS  64(SI), Y2, Y2
	VADDPS  96(SI), Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, DI
	ADDQ    $128, SI
	SUBQ    $32, CX
	JMP     vadd32

vadd8:
	CMPQ    CX, $8
	JLT     vaddtail
	VMOVUPS (DI), Y0
	VADDPS  (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	SUBQ    $8, CX
	JMP     vadd8

vaddtail:
	TESTQ      CX, CX
	JZ         vadddone
	VMASKMOVPS (DI), Y7, Y0
	VMASKMOVPS (SI), Y7, Y1
	VADDPS     Y1, Y0, Y0
	VMASKMOVPS Y0, Y7, (DI)

vadddone:
	VZEROUPPER
	RET

// func vbias(dst *float32, ldd int, src *float32, lds int, rows, cols int, b, floor float32)
// dst[r·ldd+c] = max(src[r·lds+c] + b, floor) for r < rows, c < cols, where
// max keeps a NaN sum (MAXPS returns its second operand when either is
// NaN). floor is 0 for a fused ReLU and −Inf for none.
TEXT ·vbias(SB), NOSPLIT, $0-56
	MOVQ         dst+0(FP), DI
	MOVQ         ldd+8(FP), R8
	MOVQ         src+16(FP), SI
	MOVQ         lds+24(FP), R9
	MOVQ         rows+32(FP), R10
	MOVQ         cols+40(FP), R11
	VBROADCASTSS b+48(FP), Y5
	VBROADCASTSS floor+52(FP), Y6
	TAILMASK(R11, DX, AX, Y7)
	SHLQ         $2, R8
	SHLQ         $2, R9

vbiasrow:
	TESTQ R10, R10
	JZ    vbiasdone
	MOVQ  DI, R12
	MOVQ  SI, R13
	MOVQ  R11, CX

vbias8:
	CMPQ    CX, $8
	JLT     vbiastail
	VADDPS  (R13), Y5, Y0
	VMAXPS  Y0, Y6, Y0
	VMOVUPS Y0, (R12)
	ADDQ    $32, R12
	ADDQ    $32, R13
	SUBQ    $8, CX
	JMP     vbias8

vbiastail:
	TESTQ      CX, CX
	JZ         vbiasnext
	VMASKMOVPS (R13), Y7, Y0
	VADDPS     Y0, Y5, Y0
	VMAXPS     Y0, Y6, Y0
	VMASKMOVPS Y0, Y7, (R12)

vbiasnext:
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ R10
	JMP  vbiasrow

vbiasdone:
	VZEROUPPER
	RET

// func vmask(dst *float32, ldd int, src *float32, lds int, y *float32, rows, cols int)
// dst[r·ldd+c] = src[r·lds+c] where y[r·lds+c] > 0, else 0, for c < cols,
// and dst[r·ldd+c] = 0 for cols ≤ c < ldd: the output gradient of a fused
// ReLU, laid out in rows of a column matrix.
TEXT ·vmask(SB), NOSPLIT, $0-56
	MOVQ   dst+0(FP), DI
	MOVQ   ldd+8(FP), R8
	MOVQ   src+16(FP), SI
	MOVQ   lds+24(FP), R9
	MOVQ   y+32(FP), BX
	MOVQ   rows+40(FP), R10
	MOVQ   cols+48(FP), R11
	VXORPS Y6, Y6, Y6
	TAILMASK(R11, DX, AX, Y7)
	MOVQ   R8, AX
	SUBQ   R11, AX            // unused columns per row
	SHLQ   $2, R8
	SHLQ   $2, R9

vmaskrow:
	TESTQ R10, R10
	JZ    vmaskdone
	MOVQ  DI, R12
	MOVQ  SI, R13
	MOVQ  BX, DX
	MOVQ  R11, CX

vmask8:
	CMPQ    CX, $8
	JLT     vmasktail
	VMOVUPS (DX), Y1
	VCMPPS  $0x1e, Y6, Y1, Y2 // y > 0, ordered: NaN gives 0
	VANDPS  (R13), Y2, Y0
	VMOVUPS Y0, (R12)
	ADDQ    $32, R12
	ADDQ    $32, R13
	ADDQ    $32, DX
	SUBQ    $8, CX
	JMP     vmask8

vmasktail:
	TESTQ      CX, CX
	JZ         vmaskpad
	VMASKMOVPS (DX), Y7, Y1
	VMASKMOVPS (R13), Y7, Y0
	VCMPPS     $0x1e, Y6, Y1, Y2
	VANDPS     Y0, Y2, Y0
	VMASKMOVPS Y0, Y7, (R12)
	LEAQ       (R12)(CX*4), R12

vmaskpad:
	MOVQ AX, CX

vmaskzero:
	TESTQ CX, CX
	JZ    vmasknext
	MOVL  $0, (R12)
	ADDQ  $4, R12
	DECQ  CX
	JMP   vmaskzero

vmasknext:
	DECQ R10
	JZ   vmaskdone // no pointer steps past the last row
	ADDQ R8, DI
	ADDQ R9, SI
	ADDQ R9, BX
	JMP  vmaskrow

vmaskdone:
	VZEROUPPER
	RET

// Lane offsets of the 2×2 pooling windows after the even/odd split below
// (VSHUFPS keeps 128-bit halves apart: windows 0 1 4 5 2 3 6 7), times two.
DATA pool2Lanes<>+0(SB)/4, $0
DATA pool2Lanes<>+4(SB)/4, $2
DATA pool2Lanes<>+8(SB)/4, $8
DATA pool2Lanes<>+12(SB)/4, $10
DATA pool2Lanes<>+16(SB)/4, $4
DATA pool2Lanes<>+20(SB)/4, $6
DATA pool2Lanes<>+24(SB)/4, $12
DATA pool2Lanes<>+28(SB)/4, $14
GLOBL pool2Lanes<>(SB), RODATA|NOPTR, $32

DATA pool2Step<>+0(SB)/4, $16
DATA pool2Step<>+4(SB)/4, $16
DATA pool2Step<>+8(SB)/4, $16
DATA pool2Step<>+12(SB)/4, $16
DATA pool2Step<>+16(SB)/4, $16
DATA pool2Step<>+20(SB)/4, $16
DATA pool2Step<>+24(SB)/4, $16
DATA pool2Step<>+28(SB)/4, $16
GLOBL pool2Step<>(SB), RODATA|NOPTR, $32

// LANEMASK sets mask to the first n lanes (0 ≤ n ≤ 8); n is clobbered.
#define LANEMASK(n, tmp, mask) \
	SHLQ $2, n                 \
	LEAQ vecTail<>+32(SB), tmp \
	SUBQ n, tmp                \
	VMOVDQU (tmp), mask

// POOL2TAKE makes candidate v the best where v > best or v is NaN (the
// later NaN wins, as in the scalar loop), with offset off.
#define POOL2TAKE(v, off) \
	VCMPPS    $0x1e, Y4, v, Y1 \
	VCMPPS    $3, v, v, Y2     \
	VORPS     Y2, Y1, Y1       \
	VBLENDVPS Y1, v, Y4, Y4    \
	VBLENDVPS Y1, off, Y0, Y0

// POOL2CORE takes eight windows from the top row (Y0, Y1: 16 values) and
// the bottom row (Y2, Y3) and leaves their maxima in Y4 and the indices of
// the maxima in Y3, in window order.
#define POOL2CORE \
	VSHUFPS   $0x88, Y1, Y0, Y4 \
	VSHUFPS   $0xdd, Y1, Y0, Y5 \
	VSHUFPS   $0x88, Y3, Y2, Y6 \
	VSHUFPS   $0xdd, Y3, Y2, Y7 \
	VPXOR     Y0, Y0, Y0        \
	POOL2TAKE(Y5, Y8)           \
	POOL2TAKE(Y6, Y9)           \
	POOL2TAKE(Y7, Y10)          \
	VPADDD    Y11, Y15, Y3      \
	VPADDD    Y0, Y3, Y3        \
	VPERMPD   $0xd8, Y4, Y4     \
	VPERMQ    $0xd8, Y3, Y3

// func vpool2(img *float32, w int, out *float32, arg *int32, ho, wo int)
// The 2×2, stride 2 max pool of one w-wide plane into ho×wo outputs, with
// the index in img of each maximum (the first of equal ones, the last
// NaN), as the scalar pool2 does.
TEXT ·vpool2(SB), NOSPLIT, $0-48
	MOVQ         img+0(FP), SI
	MOVQ         w+8(FP), R8
	MOVQ         out+16(FP), DI
	MOVQ         arg+24(FP), BX
	MOVQ         ho+32(FP), R10
	MOVQ         wo+40(FP), R11
	MOVL         $1, AX
	VMOVQ        AX, X8
	VPBROADCASTD X8, Y8                 // offset of the top-right value
	VMOVQ        R8, X9
	VPBROADCASTD X9, Y9                 // bottom-left
	LEAQ         1(R8), AX
	VMOVQ        AX, X10
	VPBROADCASTD X10, Y10               // bottom-right
	VMOVDQU      pool2Lanes<>(SB), Y11
	XORQ         R9, R9                 // index of the row pair's first value
	SHLQ         $2, R8                 // w in bytes

p2row:
	TESTQ        R10, R10
	JZ           p2done
	MOVQ         SI, R13
	VMOVQ        R9, X15
	VPBROADCASTD X15, Y15
	MOVQ         R11, CX

p2col:
	CMPQ    CX, $8
	JLT     p2tail
	VMOVUPS (R13), Y0
	VMOVUPS 32(R13), Y1
	VMOVUPS (R13)(R8*1), Y2
	VMOVUPS 32(R13)(R8*1), Y3
	POOL2CORE
	VMOVUPS Y4, (DI)
	VMOVDQU Y3, (BX)
	VPADDD  pool2Step<>(SB), Y15, Y15
	ADDQ    $64, R13
	ADDQ    $32, DI
	ADDQ    $32, BX
	SUBQ    $8, CX
	JMP     p2col

p2tail:
	TESTQ      CX, CX
	JZ         p2next
	LEAQ       (CX)(CX*1), AX       // 2·CX values per row
	MOVQ       AX, R12
	MOVQ       $8, DX
	CMPQ       R12, DX
	CMOVQGT    DX, R12              // lanes of the first half
	SUBQ       R12, AX              // lanes of the second
	LANEMASK(R12, DX, Y12)
	LANEMASK(AX, DX, Y13)
	MOVQ       CX, R12
	LANEMASK(R12, DX, Y14)
	VMASKMOVPS (R13), Y12, Y0
	VMASKMOVPS 32(R13), Y13, Y1
	VMASKMOVPS (R13)(R8*1), Y12, Y2
	VMASKMOVPS 32(R13)(R8*1), Y13, Y3
	POOL2CORE
	VMASKMOVPS Y4, Y14, (DI)
	VMASKMOVPS Y3, Y14, (BX)
	LEAQ       (DI)(CX*4), DI
	LEAQ       (BX)(CX*4), BX

p2next:
	LEAQ (SI)(R8*2), SI
	MOVQ R8, AX
	SHRQ $1, AX                     // 2·w elements
	ADDQ AX, R9
	DECQ R10
	JMP  p2row

p2done:
	VZEROUPPER
	RET

// func vsum(x *float32, n int) float32
// The sum of x[0:n], in 32 lanes (four accumulators of eight) added
// pairwise at the end.
TEXT ·vsum(SB), NOSPLIT, $0-20
	MOVQ   x+0(FP), SI
	MOVQ   n+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	TAILMASK(CX, DX, AX, Y7)

vsum32:
	CMPQ   CX, $32
	JLT    vsum8
	VADDPS (SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	VADDPS 64(SI), Y2, Y2
	VADDPS 96(SI), Y3, Y3
	ADDQ   $128, SI
	SUBQ   $32, CX
	JMP    vsum32

vsum8:
	CMPQ   CX, $8
	JLT    vsumtail
	VADDPS (SI), Y0, Y0
	ADDQ   $32, SI
	SUBQ   $8, CX
	JMP    vsum8

vsumtail:
	TESTQ      CX, CX
	JZ         vsumdone
	VMASKMOVPS (SI), Y7, Y4
	VADDPS     Y4, Y1, Y1

vsumdone:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VZEROUPPER
	MOVSS        X0, ret+16(FP)
	RET

// UNPOOL2CORE spreads eight output gradients (Y0) over their windows by
// the indices of the maxima (Y1, relative to Y15 + lane offsets): the top
// row's 16 values in Y4, Y5, the bottom row's in Y6, Y7.
#define UNPOOL2CORE \
	VPSUBD     Y15, Y1, Y1       \
	VPSUBD     Y11, Y1, Y1       \
	VPXOR      Y2, Y2, Y2        \
	VPCMPEQD   Y2, Y1, Y2        \
	VANDPS     Y0, Y2, Y4        \
	VPCMPEQD   Y8, Y1, Y2        \
	VANDPS     Y0, Y2, Y5        \
	VPCMPEQD   Y9, Y1, Y2        \
	VANDPS     Y0, Y2, Y6        \
	VPCMPEQD   Y10, Y1, Y2       \
	VANDPS     Y0, Y2, Y7        \
	VUNPCKLPS  Y5, Y4, Y2        \
	VUNPCKHPS  Y5, Y4, Y3        \
	VPERM2F128 $0x20, Y3, Y2, Y4 \
	VPERM2F128 $0x31, Y3, Y2, Y5 \
	VUNPCKLPS  Y7, Y6, Y2        \
	VUNPCKHPS  Y7, Y6, Y3        \
	VPERM2F128 $0x20, Y3, Y2, Y6 \
	VPERM2F128 $0x31, Y3, Y2, Y7

// Lane offsets of eight consecutive windows, times two.
DATA unpool2Lanes<>+0(SB)/4, $0
DATA unpool2Lanes<>+4(SB)/4, $2
DATA unpool2Lanes<>+8(SB)/4, $4
DATA unpool2Lanes<>+12(SB)/4, $6
DATA unpool2Lanes<>+16(SB)/4, $8
DATA unpool2Lanes<>+20(SB)/4, $10
DATA unpool2Lanes<>+24(SB)/4, $12
DATA unpool2Lanes<>+28(SB)/4, $14
GLOBL unpool2Lanes<>(SB), RODATA|NOPTR, $32

// func vunpool2(dx *float32, w int, dy *float32, arg *int32, ho, wo int)
// The backward pass of vpool2: each window of dx (w-wide plane) gets its
// output's gradient at the index of its maximum and 0 elsewhere. Columns
// from 2·wo and rows from 2·ho on are not written.
TEXT ·vunpool2(SB), NOSPLIT, $0-48
	MOVQ         dx+0(FP), SI
	MOVQ         w+8(FP), R8
	MOVQ         dy+16(FP), DI
	MOVQ         arg+24(FP), BX
	MOVQ         ho+32(FP), R10
	MOVQ         wo+40(FP), R11
	MOVL         $1, AX
	VMOVQ        AX, X8
	VPBROADCASTD X8, Y8
	VMOVQ        R8, X9
	VPBROADCASTD X9, Y9
	LEAQ         1(R8), AX
	VMOVQ        AX, X10
	VPBROADCASTD X10, Y10
	VMOVDQU      unpool2Lanes<>(SB), Y11
	XORQ         R9, R9
	SHLQ         $2, R8

u2row:
	TESTQ        R10, R10
	JZ           u2done
	MOVQ         SI, R13
	VMOVQ        R9, X15
	VPBROADCASTD X15, Y15
	MOVQ         R11, CX

u2col:
	CMPQ    CX, $8
	JLT     u2tail
	VMOVUPS (DI), Y0
	VMOVDQU (BX), Y1
	UNPOOL2CORE
	VMOVUPS Y4, (R13)
	VMOVUPS Y5, 32(R13)
	VMOVUPS Y6, (R13)(R8*1)
	VMOVUPS Y7, 32(R13)(R8*1)
	VPADDD  pool2Step<>(SB), Y15, Y15
	ADDQ    $64, R13
	ADDQ    $32, DI
	ADDQ    $32, BX
	SUBQ    $8, CX
	JMP     u2col

u2tail:
	TESTQ      CX, CX
	JZ         u2next
	MOVQ       CX, R12
	LANEMASK(R12, DX, Y14)
	VMASKMOVPS (DI), Y14, Y0
	VMASKMOVPS (BX), Y14, Y1
	UNPOOL2CORE
	LEAQ       (CX)(CX*1), AX
	MOVQ       AX, R12
	MOVQ       $8, DX
	CMPQ       R12, DX
	CMOVQGT    DX, R12
	SUBQ       R12, AX
	LANEMASK(R12, DX, Y12)
	LANEMASK(AX, DX, Y13)
	VMASKMOVPS Y4, Y12, (R13)
	VMASKMOVPS Y5, Y13, 32(R13)
	VMASKMOVPS Y6, Y12, (R13)(R8*1)
	VMASKMOVPS Y7, Y13, 32(R13)(R8*1)
	LEAQ       (DI)(CX*4), DI
	LEAQ       (BX)(CX*4), BX

u2next:
	LEAQ (SI)(R8*2), SI
	MOVQ R8, AX
	SHRQ $1, AX
	ADDQ AX, R9
	DECQ R10
	JMP  u2row

u2done:
	VZEROUPPER
	RET

// func dcnGatherAVX(dst, img *float32, pix, row int, base *int32, wts *float32, count, n int)
// For each of count entries e: the corners of the sample point start at
// q = img + base[e]·pix, q+pix, q+row and q+row+pix (elements); dst[e·n+i]
// = Σ wts[4e+j]·corner_j[i] for i < n. See dcnGather.
TEXT ·dcnGatherAVX(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), DI
	MOVQ img+8(FP), SI
	MOVQ pix+16(FP), R8
	MOVQ row+24(FP), R9
	MOVQ base+32(FP), BX
	MOVQ wts+40(FP), DX
	MOVQ count+48(FP), R10
	MOVQ n+56(FP), R11
	TAILMASK(R11, CX, AX, Y15)
	SHLQ $2, R8
	SHLQ $2, R9

dgentry:
	TESTQ        R10, R10
	JZ           dgdone
	MOVLQSX      (BX), AX
	IMULQ        R8, AX
	ADDQ         SI, AX              // top-left corner
	LEAQ         (AX)(R9*1), R12     // bottom-left
	VBROADCASTSS (DX), Y8
	VBROADCASTSS 4(DX), Y9
	VBROADCASTSS 8(DX), Y10
	VBROADCASTSS 12(DX), Y11
	MOVQ         R11, CX

dgvec:
	CMPQ        CX, $8
	JLT         dgtail
	VMULPS      (AX), Y8, Y0
	VFMADD231PS (AX)(R8*1), Y9, Y0
	VFMADD231PS (R12), Y10, Y0
	VFMADD231PS (R12)(R8*1), Y11, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, AX
	ADDQ        $32, R12
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         dgvec

dgtail:
	TESTQ       CX, CX
	JZ          dgnext
	VMASKMOVPS  (AX), Y15, Y1
	VMULPS      Y1, Y8, Y0
	VMASKMOVPS  (AX)(R8*1), Y15, Y1
	VFMADD231PS Y1, Y9, Y0
	VMASKMOVPS  (R12), Y15, Y1
	VFMADD231PS Y1, Y10, Y0
	VMASKMOVPS  (R12)(R8*1), Y15, Y1
	VFMADD231PS Y1, Y11, Y0
	VMASKMOVPS  Y0, Y15, (DI)
	LEAQ        (DI)(CX*4), DI

dgnext:
	ADDQ $4, BX
	ADDQ $16, DX
	DECQ R10
	JMP  dgentry

dgdone:
	VZEROUPPER
	RET

// func dcnScatterAVX(dimg, img *float32, pix, row int, base *int32, wts, gr, s *float32, count, n int)
// The transpose of dcnGatherAVX: for each entry e, the corners of dimg at
// the sample point get wts[4e+j]·gr[e·n+i] added, and s[4e+j] = Σ_i
// gr[e·n+i]·corner_j of img[i]. See dcnScatter.
TEXT ·dcnScatterAVX(SB), NOSPLIT, $0-80
	SCATTER_ARGS
	TAILMASK(R11, CX, AX, Y15)
	SCATTER_SCALE

dsentry:
	TESTQ        R10, R10
	JZ           dsdone
	SCATTER_CORNERS
	SCATTER_WEIGHTS8
	SCATTER_ZERO

dsvec:
	CMPQ        SI, $8
	JLT         dstail
	VMOVUPS     (DI), Y0
	VFMADD231PS (AX), Y0, Y4
	VFMADD231PS (AX)(R8*1), Y0, Y5
	VFMADD231PS (R12), Y0, Y6
	VFMADD231PS (R12)(R8*1), Y0, Y7
	SCATTER_DIMG8(Y1, Y2, Y3, Y12)
	SCATTER_STEP(32)
	SUBQ        $8, SI
	JMP         dsvec

dstail:
	TESTQ       SI, SI
	JZ          dssum
	VMASKMOVPS  (DI), Y15, Y0
	VMASKMOVPS  (AX), Y15, Y1
	VFMADD231PS Y1, Y0, Y4
	VMASKMOVPS  (AX)(R8*1), Y15, Y1
	VFMADD231PS Y1, Y0, Y5
	VMASKMOVPS  (R12), Y15, Y1
	VFMADD231PS Y1, Y0, Y6
	VMASKMOVPS  (R12)(R8*1), Y15, Y1
	VFMADD231PS Y1, Y0, Y7
	VMASKMOVPS  (R13), Y15, Y1
	VFMADD231PS Y0, Y8, Y1
	VMASKMOVPS  Y1, Y15, (R13)
	VMASKMOVPS  (R13)(R8*1), Y15, Y1
	VFMADD231PS Y0, Y9, Y1
	VMASKMOVPS  Y1, Y15, (R13)(R8*1)
	VMASKMOVPS  (CX), Y15, Y1
	VFMADD231PS Y0, Y10, Y1
	VMASKMOVPS  Y1, Y15, (CX)
	VMASKMOVPS  (CX)(R8*1), Y15, Y1
	VFMADD231PS Y0, Y11, Y1
	VMASKMOVPS  Y1, Y15, (CX)(R8*1)
	LEAQ        (DI)(SI*4), DI

dssum:
	SCATTER_SUM
	JMP          dsentry

dsdone:
	VZEROUPPER
	RET

// func dcnScatter4AVX(dimg, img *float32, pix, row int, base *int32, wts, gr, s *float32, count, n int)
// dcnScatterAVX for n ≤ 4 channels where the 4 lanes from each corner may
// be read and written whole: lanes n..3 of img are 0 (or n = 4) and those
// of dimg are scratch. The gradient's lanes n..3 are loaded as 0, so lanes
// < n get exactly dcnScatterAVX's values and lanes n..3 of dimg gain ±0.
// Whole 16-byte loads and stores of the same addresses let consecutive
// entries that share a corner forward their stores (masked ones do not).
TEXT ·dcnScatter4AVX(SB), NOSPLIT, $0-80
	MOVQ pix+16(FP), R8
	MOVQ row+24(FP), R9
	MOVQ base+32(FP), BX
	MOVQ wts+40(FP), DX
	MOVQ gr+48(FP), DI
	MOVQ count+64(FP), R10
	MOVQ n+72(FP), R11
	TAILMASK(R11, CX, AX, Y15)
	CMPQ R11, $4
	JNE  ds4mask
	VPCMPEQD X15, X15, X15           // n = 4: all four lanes
ds4mask:
	SHLQ $2, R8
	SHLQ $2, R9
	SHLQ $2, R11                     // gradient bytes per entry
	MOVQ s+56(FP), R14
	SUBQ DX, R14

ds4entry:
	TESTQ        R10, R10
	JZ           ds4done
	MOVLQSX      (BX), R13
	IMULQ        R8, R13
	MOVQ         img+8(FP), AX
	ADDQ         R13, AX
	LEAQ         (AX)(R9*1), R12
	ADDQ         dimg+0(FP), R13
	LEAQ         (R13)(R9*1), CX
	VBROADCASTSS (DX), X8
	VBROADCASTSS 4(DX), X9
	VBROADCASTSS 8(DX), X10
	VBROADCASTSS 12(DX), X11
	VXORPS       Y4, Y4, Y4
	VXORPS       Y5, Y5, Y5
	VXORPS       Y6, Y6, Y6
	VXORPS       Y7, Y7, Y7
	VMASKMOVPS   (DI), X15, X0
	VFMADD231PS  (AX), X0, X4
	VFMADD231PS  (AX)(R8*1), X0, X5
	VFMADD231PS  (R12), X0, X6
	VFMADD231PS  (R12)(R8*1), X0, X7
	VMOVUPS      (R13), X1
	VFMADD231PS  X0, X8, X1
	VMOVUPS      X1, (R13)
	VMOVUPS      (R13)(R8*1), X2
	VFMADD231PS  X0, X9, X2
	VMOVUPS      X2, (R13)(R8*1)
	VMOVUPS      (CX), X3
	VFMADD231PS  X0, X10, X3
	VMOVUPS      X3, (CX)
	VMOVUPS      (CX)(R8*1), X12
	VFMADD231PS  X0, X11, X12
	VMOVUPS      X12, (CX)(R8*1)
	ADDQ         R11, DI
	VHADDPS      Y5, Y4, Y4
	VHADDPS      Y7, Y6, Y6
	VHADDPS      Y6, Y4, Y4
	VEXTRACTF128 $1, Y4, X5
	VADDPS       X5, X4, X4
	VMOVUPS      X4, (DX)(R14*1)
	ADDQ         $4, BX
	ADDQ         $16, DX
	DECQ         R10
	JMP          ds4entry

ds4done:
	VZEROUPPER
	RET

DATA fillOnes<>+0(SB)/4, $0x3f800000
DATA fillOnes<>+4(SB)/4, $0x3f800000
DATA fillOnes<>+8(SB)/4, $0x3f800000
DATA fillOnes<>+12(SB)/4, $0x3f800000
DATA fillOnes<>+16(SB)/4, $0x3f800000
DATA fillOnes<>+20(SB)/4, $0x3f800000
DATA fillOnes<>+24(SB)/4, $0x3f800000
DATA fillOnes<>+28(SB)/4, $0x3f800000
GLOBL fillOnes<>(SB), RODATA|NOPTR, $32

// func dcnFillAVX(a *dcnFillArgs)
// The sampling table of a.n pixels (a multiple of 8) of one tap, eight at
// a time: fillRange's loop body with the same operations in the same
// order (no fused multiply-adds), so the same bits. Field offsets follow
// dcnFillArgs; pos holds, per group of 8 pixels, their 8 rows oy·SH − PH
// and then their 8 columns ox·SW − PW.
TEXT ·dcnFillAVX(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), AX
	MOVQ 0(AX), SI                   // offY
	MOVQ 8(AX), DI                   // offX
	MOVQ 16(AX), R8                  // mask (ones for none)
	MOVQ 24(AX), BX                  // base
	MOVQ 32(AX), DX                  // wts
	MOVQ 40(AX), R9                  // fy
	MOVQ 48(AX), R10                 // fx
	MOVQ 56(AX), R11                 // md
	MOVQ 64(AX), R12                 // vv
	MOVQ 80(AX), CX                  // n
	MOVQ 88(AX), R13                 // stride (entries)
	SHRQ $3, CX
	JZ   fldone
	MOVQ R13, R14
	SHLQ $2, R13                     // base stride, bytes
	SHLQ $4, R14                     // wts stride, bytes

	VPBROADCASTD 96(AX), Y15         // i·DH
	VPBROADCASTD 104(AX), Y8         // j·DW
	VPBROADCASTD 112(AX), Y10        // wp
	VBROADCASTSS 120(AX), Y14        // H
	VBROADCASTSS 124(AX), Y13        // W
	VMOVUPS      fillOnes<>(SB), Y11 // 1.0
	VXORPS       Y12, Y12, Y12
	VSUBPS       Y11, Y12, Y12       // −1.0
	VPCMPEQD     Y9, Y9, Y9
	VPSRLD       $31, Y9, Y9         // int32 1
	MOVQ         72(AX), AX          // pos

flloop:
	VPADDD    (AX), Y15, Y0
	VCVTDQ2PS Y0, Y0
	VADDPS    (SI), Y0, Y0           // y
	VPADDD    32(AX), Y8, Y1
	VCVTDQ2PS Y1, Y1
	VADDPS    (DI), Y1, Y1           // x
	VCMPPS    $0x1d, Y12, Y0, Y2     // y ≥ −1
	VCMPPS    $0x11, Y14, Y0, Y3     // y < H
	VANDPS    Y3, Y2, Y2
	VCMPPS    $0x1d, Y12, Y1, Y3     // x ≥ −1
	VANDPS    Y3, Y2, Y2
	VCMPPS    $0x11, Y13, Y1, Y3     // x < W
	VANDPS    Y3, Y2, Y2             // inside
	VCMPPS    $0x1e, Y12, Y0, Y3     // y > −1
	VCMPPS    $0x1e, Y12, Y1, Y4     // x > −1
	VANDPS    Y4, Y3, Y3
	VANDPS    Y2, Y3, Y3             // the value counts (vv)
	VROUNDPS  $1, Y0, Y4             // floor y
	VSUBPS    Y4, Y0, Y0             // fy
	VCVTTPS2DQ Y4, Y4
	VPADDD    Y9, Y4, Y4
	VPMULLD   Y10, Y4, Y4            // (yl+1)·wp
	VROUNDPS  $1, Y1, Y5             // floor x
	VSUBPS    Y5, Y1, Y1             // fx
	VCVTTPS2DQ Y5, Y5
	VPADDD    Y5, Y4, Y4
	VPADDD    Y9, Y4, Y4             // + xl + 1
	VPAND     Y2, Y4, Y4             // base, 0 outside

	MOVQ    BX, R15
	VMOVD   X4, (R15)
	ADDQ    R13, R15
	VPEXTRD $1, X4, (R15)
	ADDQ    R13, R15
	VPEXTRD $2, X4, (R15)
	ADDQ    R13, R15
	VPEXTRD $3, X4, (R15)
	VEXTRACTI128 $1, Y4, X4
	ADDQ    R13, R15
	VMOVD   X4, (R15)
	ADDQ    R13, R15
	VPEXTRD $1, X4, (R15)
	ADDQ    R13, R15
	VPEXTRD $2, X4, (R15)
	ADDQ    R13, R15
	VPEXTRD $3, X4, (R15)
	ADDQ    R13, R15
	MOVQ    R15, BX

	VANDPS  Y2, Y0, Y5
	VMOVUPS Y5, (R9)                 // fy
	VANDPS  Y2, Y1, Y5
	VMOVUPS Y5, (R10)                // fx
	VMOVUPS (R8), Y6                 // m
	VANDPS  Y2, Y6, Y5
	VMOVUPS Y5, (R11)                // md
	VANDPS  Y3, Y11, Y5
	VMOVUPS Y5, (R12)                // vv
	VANDPS  Y3, Y6, Y6               // mv
	VSUBPS  Y0, Y11, Y4              // a = 1 − fy
	VSUBPS  Y1, Y11, Y5              // c = 1 − fx
	VMULPS  Y4, Y6, Y4               // mv·a
	VMULPS  Y0, Y6, Y6               // mv·fy
	VMULPS  Y5, Y4, Y2               // w0 = mv·a·c
	VMULPS  Y1, Y4, Y4               // w1 = mv·a·fx
	VMULPS  Y5, Y6, Y5               // w2 = mv·fy·c
	VMULPS  Y1, Y6, Y6               // w3 = mv·fy·fx
	VANDPS  Y3, Y2, Y2
	VANDPS  Y3, Y4, Y4
	VANDPS  Y3, Y5, Y5
	VANDPS  Y3, Y6, Y6

	VUNPCKLPS Y4, Y2, Y0
	VUNPCKHPS Y4, Y2, Y1
	VUNPCKLPS Y6, Y5, Y3
	VUNPCKHPS Y6, Y5, Y4
	VSHUFPS   $0x44, Y3, Y0, Y2      // entries 0 and 4
	VSHUFPS   $0xee, Y3, Y0, Y5      // 1 and 5
	VSHUFPS   $0x44, Y4, Y1, Y6      // 2 and 6
	VSHUFPS   $0xee, Y4, Y1, Y0      // 3 and 7
	MOVQ      DX, R15
	VMOVUPS   X2, (R15)
	ADDQ      R14, R15
	VMOVUPS   X5, (R15)
	ADDQ      R14, R15
	VMOVUPS   X6, (R15)
	ADDQ      R14, R15
	VMOVUPS   X0, (R15)
	ADDQ      R14, R15
	VEXTRACTF128 $1, Y2, (R15)
	ADDQ      R14, R15
	VEXTRACTF128 $1, Y5, (R15)
	ADDQ      R14, R15
	VEXTRACTF128 $1, Y6, (R15)
	ADDQ      R14, R15
	VEXTRACTF128 $1, Y0, (R15)
	ADDQ      R14, R15
	MOVQ      R15, DX

	ADDQ   $64, AX
	ADDQ   $32, SI
	ADDQ   $32, DI
	ADDQ   $32, R8
	ADDQ   $32, R9
	ADDQ   $32, R10
	ADDQ   $32, R11
	ADDQ   $32, R12
	DECQ   CX
	JNZ    flloop

fldone:
	VZEROUPPER
	RET

// func dcnOffGradAVX(a *dcnOffGradArgs)
// The offset and mask gradients of a.n pixels (a multiple of 8) of one tap
// from the corner sums s (4 a pixel, a.sstride bytes apart), eight at a
// time: finishGrads' loop body with the same operations in the same order
// (no fused multiply-adds), so the same bits. Field offsets follow
// dcnOffGradArgs; dm may be nil.
TEXT ·dcnOffGradAVX(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), AX
	MOVQ 0(AX), SI                   // s
	MOVQ 8(AX), R9                   // fy
	MOVQ 16(AX), R10                 // fx
	MOVQ 24(AX), R11                 // md
	MOVQ 32(AX), R12                 // vv
	MOVQ 40(AX), R13                 // doffset y
	MOVQ 48(AX), R14                 // doffset x
	MOVQ 56(AX), DI                  // dmask, or nil
	MOVQ 64(AX), CX                  // n
	MOVQ 72(AX), R8                  // s stride, bytes
	SHRQ $3, CX
	JZ   ogdone
	VMOVUPS fillOnes<>(SB), Y15

ogloop:
	MOVQ         SI, DX
	VMOVUPS      (DX), X0            // pixel 0
	ADDQ         R8, DX
	VMOVUPS      (DX), X1
	ADDQ         R8, DX
	VMOVUPS      (DX), X2
	ADDQ         R8, DX
	VMOVUPS      (DX), X3
	ADDQ         R8, DX
	VINSERTF128  $1, (DX), Y0, Y0    // pixel 4
	ADDQ         R8, DX
	VINSERTF128  $1, (DX), Y1, Y1
	ADDQ         R8, DX
	VINSERTF128  $1, (DX), Y2, Y2
	ADDQ         R8, DX
	VINSERTF128  $1, (DX), Y3, Y3
	ADDQ         R8, DX
	MOVQ         DX, SI
	VUNPCKLPS    Y1, Y0, Y4
	VUNPCKHPS    Y1, Y0, Y5
	VUNPCKLPS    Y3, Y2, Y6
	VUNPCKHPS    Y3, Y2, Y7
	VSHUFPS      $0x44, Y6, Y4, Y0   // s0 of the 8 pixels
	VSHUFPS      $0xee, Y6, Y4, Y1   // s1
	VSHUFPS      $0x44, Y7, Y5, Y2   // s2
	VSHUFPS      $0xee, Y7, Y5, Y3   // s3

	VMOVUPS (R9), Y4                 // fy
	VMOVUPS (R10), Y5                // fx
	VSUBPS  Y4, Y15, Y6              // a = 1 − fy
	VSUBPS  Y5, Y15, Y7              // c = 1 − fx
	VMOVUPS (R11), Y8                // md

	VSUBPS  Y0, Y2, Y9               // s2 − s0
	VMULPS  Y9, Y7, Y9               // c·(s2 − s0)
	VSUBPS  Y1, Y3, Y10              // s3 − s1
	VMULPS  Y10, Y5, Y10             // fx·(s3 − s1)
	VADDPS  Y10, Y9, Y9
	VMULPS  Y9, Y8, Y9               // md·(…)
	VMOVUPS Y9, (R13)

	VSUBPS  Y0, Y1, Y9               // s1 − s0
	VMULPS  Y9, Y6, Y9               // a·(s1 − s0)
	VSUBPS  Y2, Y3, Y10              // s3 − s2
	VMULPS  Y10, Y4, Y10             // fy·(s3 − s2)
	VADDPS  Y10, Y9, Y9
	VMULPS  Y9, Y8, Y9
	VMOVUPS Y9, (R14)

	TESTQ   DI, DI
	JZ      ognext
	VMULPS  Y0, Y7, Y9               // c·s0
	VMULPS  Y1, Y5, Y10              // fx·s1
	VADDPS  Y10, Y9, Y9
	VMULPS  Y9, Y6, Y9               // a·(c·s0 + fx·s1)
	VMULPS  Y2, Y7, Y10              // c·s2
	VMULPS  Y3, Y5, Y11              // fx·s3
	VADDPS  Y11, Y10, Y10
	VMULPS  Y10, Y4, Y10             // fy·(c·s2 + fx·s3)
	VADDPS  Y10, Y9, Y9
	VMULPS  (R12), Y9, Y9            // vv·(…)
	VMOVUPS Y9, (DI)
	ADDQ    $32, DI

ognext:
	ADDQ $32, R9
	ADDQ $32, R10
	ADDQ $32, R11
	ADDQ $32, R12
	ADDQ $32, R13
	ADDQ $32, R14
	DECQ CX
	JNZ  ogloop

ogdone:
	VZEROUPPER
	RET
