#include "textflag.h"

// AVX2 twins of conv_winocopy_amd64.s's winoDeint4x, winoInt4x and
// winoInt4Ax, for CPUs without AVX-512 (winoCopyAVX2): the 4-way
// deinterleave and interleave of the F(4×4, 3×3) Winograd route's copies
// in assembly for speed, 8 groups of four a step (then 4, then the last
// 3 or 2 through the same transpose, or 1). Copies (and in winoInt4Aa one addition an
// element, dst first): the bits of the Go loops. Every load and store is
// of whole groups or plane elements inside the rows' n groups: nothing
// past a slice's end is read or written.

// WA4T transposes the 4×4 blocks of the 128-bit lanes of r0–r3 into
// o0–o3 (element j of lane row i goes to element i of lane row j, in
// both lanes), through t0–t3. It is its own inverse: groups of four in,
// four plane vectors out, and back.
#define WA4T(r0, r1, r2, r3, t0, t1, t2, t3, o0, o1, o2, o3) \
	VUNPCKLPS r1, r0, t0 \
	VUNPCKHPS r1, r0, t1 \
	VUNPCKLPS r3, r2, t2 \
	VUNPCKHPS r3, r2, t3 \
	VUNPCKLPD t2, t0, o0 \
	VUNPCKHPD t2, t0, o1 \
	VUNPCKLPD t3, t1, o2 \
	VUNPCKHPD t3, t1, o3

// The kernels run rows × n groups: row k of the four planes at l0…l3 +
// k·ldl floats (DI, R8, R9, R10), of the groups at src (dst) + k·lds
// floats (SI). DX is a plane offset in bytes (four times that in the
// groups), R11 the offset after the row's blocks of 8 groups, R12 the
// row's end (4n bytes).

// func winoDeint4a(l0, l1, l2, l3 *float32, ldl int, src *float32, lds, rows, n int)
// l0[k·ldl+i], …, l3[k·ldl+i] = src[k·lds+4i], …, src[k·lds+4i+3] for
// k < rows, i < n (rows, n > 0).
TEXT ·winoDeint4a(SB), NOSPLIT, $0-72
	MOVQ l0+0(FP), DI
	MOVQ l1+8(FP), R8
	MOVQ l2+16(FP), R9
	MOVQ l3+24(FP), R10
	MOVQ ldl+32(FP), BX
	SHLQ $2, BX
	MOVQ src+40(FP), SI
	MOVQ lds+48(FP), AX
	SHLQ $2, AX
	MOVQ rows+56(FP), R13
	MOVQ n+64(FP), R12
	SHLQ $2, R12
	MOVQ R12, R11
	ANDQ $-32, R11

ad_row:
	XORQ DX, DX

ad_loop8:
	CMPQ        DX, R11
	JGE         ad_four
	VMOVUPS     (SI)(DX*4), X0
	VINSERTF128 $1, 64(SI)(DX*4), Y0, Y0
	VMOVUPS     16(SI)(DX*4), X1
	VINSERTF128 $1, 80(SI)(DX*4), Y1, Y1
	VMOVUPS     32(SI)(DX*4), X2
	VINSERTF128 $1, 96(SI)(DX*4), Y2, Y2
	VMOVUPS     48(SI)(DX*4), X3
	VINSERTF128 $1, 112(SI)(DX*4), Y3, Y3
	WA4T(Y0, Y1, Y2, Y3, Y8, Y9, Y10, Y11, Y4, Y5, Y6, Y7)
	VMOVUPS     Y4, (DI)(DX*1)
	VMOVUPS     Y5, (R8)(DX*1)
	VMOVUPS     Y6, (R9)(DX*1)
	VMOVUPS     Y7, (R10)(DX*1)
	ADDQ        $32, DX
	JMP         ad_loop8

ad_four:
	MOVQ    R12, R14
	SUBQ    DX, R14
	CMPQ    R14, $16
	JLT     ad_tail
	VMOVUPS (SI)(DX*4), X0
	VMOVUPS 16(SI)(DX*4), X1
	VMOVUPS 32(SI)(DX*4), X2
	VMOVUPS 48(SI)(DX*4), X3
	WA4T(X0, X1, X2, X3, X8, X9, X10, X11, X4, X5, X6, X7)
	VMOVUPS X4, (DI)(DX*1)
	VMOVUPS X5, (R8)(DX*1)
	VMOVUPS X6, (R9)(DX*1)
	VMOVUPS X7, (R10)(DX*1)
	ADDQ    $16, DX

ad_tail:
	// The last 0 to 3 groups (R14 bytes of a plane): 2 or 3 through the
	// transpose (lane 3, and lane 2 for 2, not stored), 1 on its own.
	MOVQ       R12, R14
	SUBQ       DX, R14
	JZ         ad_next
	CMPQ       R14, $4
	JEQ        ad_one
	VMOVUPS    (SI)(DX*4), X0
	VMOVUPS    16(SI)(DX*4), X1
	VMOVAPS    X1, X2
	CMPQ       R14, $8
	JEQ        ad_two
	VMOVUPS    32(SI)(DX*4), X2

ad_two:
	WA4T(X0, X1, X2, X2, X8, X9, X10, X11, X4, X5, X6, X7)
	VMOVSD     X4, (DI)(DX*1)
	VMOVSD     X5, (R8)(DX*1)
	VMOVSD     X6, (R9)(DX*1)
	VMOVSD     X7, (R10)(DX*1)
	CMPQ       R14, $8
	JEQ        ad_next
	VEXTRACTPS $2, X4, 8(DI)(DX*1)
	VEXTRACTPS $2, X5, 8(R8)(DX*1)
	VEXTRACTPS $2, X6, 8(R9)(DX*1)
	VEXTRACTPS $2, X7, 8(R10)(DX*1)
	JMP        ad_next

ad_one:
	VMOVUPS    (SI)(DX*4), X0
	VMOVSS     X0, (DI)(DX*1)
	VEXTRACTPS $1, X0, (R8)(DX*1)
	VEXTRACTPS $2, X0, (R9)(DX*1)
	VEXTRACTPS $3, X0, (R10)(DX*1)

ad_next:
	DECQ R13
	JZ   ad_done
	ADDQ AX, SI
	ADDQ BX, DI
	ADDQ BX, R8
	ADDQ BX, R9
	ADDQ BX, R10
	JMP  ad_row

ad_done:
	VZEROUPPER
	RET

// func winoInt4a(dst *float32, ldd int, l0, l1, l2, l3 *float32, ldl, rows, n int)
// dst[k·ldd+4i], …, dst[k·ldd+4i+3] = l0[k·ldl+i], …, l3[k·ldl+i] for
// k < rows, i < n (rows, n > 0).
TEXT ·winoInt4a(SB), NOSPLIT, $0-72
	MOVQ dst+0(FP), SI
	MOVQ ldd+8(FP), AX
	SHLQ $2, AX
	MOVQ l0+16(FP), DI
	MOVQ l1+24(FP), R8
	MOVQ l2+32(FP), R9
	MOVQ l3+40(FP), R10
	MOVQ ldl+48(FP), BX
	SHLQ $2, BX
	MOVQ rows+56(FP), R13
	MOVQ n+64(FP), R12
	SHLQ $2, R12
	MOVQ R12, R11
	ANDQ $-32, R11

ai_row:
	XORQ DX, DX

ai_loop8:
	CMPQ         DX, R11
	JGE          ai_four
	VMOVUPS      (DI)(DX*1), Y4
	VMOVUPS      (R8)(DX*1), Y5
	VMOVUPS      (R9)(DX*1), Y6
	VMOVUPS      (R10)(DX*1), Y7
	WA4T(Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y0, Y1, Y2, Y3)
	VMOVUPS      X0, (SI)(DX*4)
	VMOVUPS      X1, 16(SI)(DX*4)
	VMOVUPS      X2, 32(SI)(DX*4)
	VMOVUPS      X3, 48(SI)(DX*4)
	VEXTRACTF128 $1, Y0, 64(SI)(DX*4)
	VEXTRACTF128 $1, Y1, 80(SI)(DX*4)
	VEXTRACTF128 $1, Y2, 96(SI)(DX*4)
	VEXTRACTF128 $1, Y3, 112(SI)(DX*4)
	ADDQ         $32, DX
	JMP          ai_loop8

ai_four:
	MOVQ    R12, R14
	SUBQ    DX, R14
	CMPQ    R14, $16
	JLT     ai_tail
	VMOVUPS (DI)(DX*1), X4
	VMOVUPS (R8)(DX*1), X5
	VMOVUPS (R9)(DX*1), X6
	VMOVUPS (R10)(DX*1), X7
	WA4T(X4, X5, X6, X7, X8, X9, X10, X11, X0, X1, X2, X3)
	VMOVUPS X0, (SI)(DX*4)
	VMOVUPS X1, 16(SI)(DX*4)
	VMOVUPS X2, 32(SI)(DX*4)
	VMOVUPS X3, 48(SI)(DX*4)
	ADDQ    $16, DX

ai_tail:
	// The last 0 to 3 groups (R14 bytes of a plane): 2 or 3 through the
	// transpose from the planes' 2 or 3 elements, 1 on its own.
	MOVQ      R12, R14
	SUBQ      DX, R14
	JZ        ai_next
	CMPQ      R14, $4
	JEQ       ai_one
	VMOVSD    (DI)(DX*1), X4
	VMOVSD    (R8)(DX*1), X5
	VMOVSD    (R9)(DX*1), X6
	VMOVSD    (R10)(DX*1), X7
	CMPQ      R14, $8
	JEQ       ai_two
	VINSERTPS $0x20, 8(DI)(DX*1), X4, X4
	VINSERTPS $0x20, 8(R8)(DX*1), X5, X5
	VINSERTPS $0x20, 8(R9)(DX*1), X6, X6
	VINSERTPS $0x20, 8(R10)(DX*1), X7, X7

ai_two:
	WA4T(X4, X5, X6, X7, X8, X9, X10, X11, X0, X1, X2, X3)
	VMOVUPS   X0, (SI)(DX*4)
	VMOVUPS   X1, 16(SI)(DX*4)
	CMPQ      R14, $8
	JEQ       ai_next
	VMOVUPS   X2, 32(SI)(DX*4)
	JMP       ai_next

ai_one:
	VMOVSS    (DI)(DX*1), X0
	VINSERTPS $0x10, (R8)(DX*1), X0, X0
	VINSERTPS $0x20, (R9)(DX*1), X0, X0
	VINSERTPS $0x30, (R10)(DX*1), X0, X0
	VMOVUPS   X0, (SI)(DX*4)

ai_next:
	DECQ R13
	JZ   ai_done
	ADDQ AX, SI
	ADDQ BX, DI
	ADDQ BX, R8
	ADDQ BX, R9
	ADDQ BX, R10
	JMP  ai_row

ai_done:
	VZEROUPPER
	RET

// func winoInt4Aa(dst *float32, ldd int, l0, l1, l2, l3 *float32, ldl, rows, n int)
// dst[k·ldd+4i], …, dst[k·ldd+4i+3] += l0[k·ldl+i], …, l3[k·ldl+i] for
// k < rows, i < n (rows, n > 0): winoInt4a with each element added to
// dst's (dst + l, one rounding, dst the first operand as in vadd, so that
// of two NaNs dst's comes through: the bits of addTo after winoInt4a).
TEXT ·winoInt4Aa(SB), NOSPLIT, $0-72
	MOVQ dst+0(FP), SI
	MOVQ ldd+8(FP), AX
	SHLQ $2, AX
	MOVQ l0+16(FP), DI
	MOVQ l1+24(FP), R8
	MOVQ l2+32(FP), R9
	MOVQ l3+40(FP), R10
	MOVQ ldl+48(FP), BX
	SHLQ $2, BX
	MOVQ rows+56(FP), R13
	MOVQ n+64(FP), R12
	SHLQ $2, R12
	MOVQ R12, R11
	ANDQ $-32, R11

aa_row:
	XORQ DX, DX

aa_loop8:
	CMPQ         DX, R11
	JGE          aa_four
	VMOVUPS      (DI)(DX*1), Y4
	VMOVUPS      (R8)(DX*1), Y5
	VMOVUPS      (R9)(DX*1), Y6
	VMOVUPS      (R10)(DX*1), Y7
	WA4T(Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y0, Y1, Y2, Y3)
	VMOVUPS      (SI)(DX*4), X12
	VINSERTF128  $1, 64(SI)(DX*4), Y12, Y12
	VMOVUPS      16(SI)(DX*4), X13
	VINSERTF128  $1, 80(SI)(DX*4), Y13, Y13
	VMOVUPS      32(SI)(DX*4), X14
	VINSERTF128  $1, 96(SI)(DX*4), Y14, Y14
	VMOVUPS      48(SI)(DX*4), X15
	VINSERTF128  $1, 112(SI)(DX*4), Y15, Y15
	VADDPS       Y0, Y12, Y0
	VADDPS       Y1, Y13, Y1
	VADDPS       Y2, Y14, Y2
	VADDPS       Y3, Y15, Y3
	VMOVUPS      X0, (SI)(DX*4)
	VMOVUPS      X1, 16(SI)(DX*4)
	VMOVUPS      X2, 32(SI)(DX*4)
	VMOVUPS      X3, 48(SI)(DX*4)
	VEXTRACTF128 $1, Y0, 64(SI)(DX*4)
	VEXTRACTF128 $1, Y1, 80(SI)(DX*4)
	VEXTRACTF128 $1, Y2, 96(SI)(DX*4)
	VEXTRACTF128 $1, Y3, 112(SI)(DX*4)
	ADDQ         $32, DX
	JMP          aa_loop8

aa_four:
	MOVQ    R12, R14
	SUBQ    DX, R14
	CMPQ    R14, $16
	JLT     aa_tail
	VMOVUPS (DI)(DX*1), X4
	VMOVUPS (R8)(DX*1), X5
	VMOVUPS (R9)(DX*1), X6
	VMOVUPS (R10)(DX*1), X7
	WA4T(X4, X5, X6, X7, X8, X9, X10, X11, X0, X1, X2, X3)
	VMOVUPS (SI)(DX*4), X12
	VMOVUPS 16(SI)(DX*4), X13
	VMOVUPS 32(SI)(DX*4), X14
	VMOVUPS 48(SI)(DX*4), X15
	VADDPS  X0, X12, X0
	VADDPS  X1, X13, X1
	VADDPS  X2, X14, X2
	VADDPS  X3, X15, X3
	VMOVUPS X0, (SI)(DX*4)
	VMOVUPS X1, 16(SI)(DX*4)
	VMOVUPS X2, 32(SI)(DX*4)
	VMOVUPS X3, 48(SI)(DX*4)
	ADDQ    $16, DX

aa_tail:
	// The last 0 to 3 groups (R14 bytes of a plane), as in winoInt4a.
	MOVQ      R12, R14
	SUBQ      DX, R14
	JZ        aa_next
	CMPQ      R14, $4
	JEQ       aa_one
	VMOVSD    (DI)(DX*1), X4
	VMOVSD    (R8)(DX*1), X5
	VMOVSD    (R9)(DX*1), X6
	VMOVSD    (R10)(DX*1), X7
	CMPQ      R14, $8
	JEQ       aa_two
	VINSERTPS $0x20, 8(DI)(DX*1), X4, X4
	VINSERTPS $0x20, 8(R8)(DX*1), X5, X5
	VINSERTPS $0x20, 8(R9)(DX*1), X6, X6
	VINSERTPS $0x20, 8(R10)(DX*1), X7, X7

aa_two:
	WA4T(X4, X5, X6, X7, X8, X9, X10, X11, X0, X1, X2, X3)
	VMOVUPS   (SI)(DX*4), X12
	VMOVUPS   16(SI)(DX*4), X13
	VADDPS    X0, X12, X0
	VADDPS    X1, X13, X1
	VMOVUPS   X0, (SI)(DX*4)
	VMOVUPS   X1, 16(SI)(DX*4)
	CMPQ      R14, $8
	JEQ       aa_next
	VMOVUPS   32(SI)(DX*4), X14
	VADDPS    X2, X14, X2
	VMOVUPS   X2, 32(SI)(DX*4)
	JMP       aa_next

aa_one:
	VMOVSS    (DI)(DX*1), X0
	VINSERTPS $0x10, (R8)(DX*1), X0, X0
	VINSERTPS $0x20, (R9)(DX*1), X0, X0
	VINSERTPS $0x30, (R10)(DX*1), X0, X0
	VMOVUPS   (SI)(DX*4), X12
	VADDPS    X0, X12, X0
	VMOVUPS   X0, (SI)(DX*4)

aa_next:
	DECQ R13
	JZ   aa_done
	ADDQ AX, SI
	ADDQ BX, DI
	ADDQ BX, R8
	ADDQ BX, R9
	ADDQ BX, R10
	JMP  aa_row

aa_done:
	VZEROUPPER
	RET

// func winoScatAdd(a *winoScatAArgs)
// winoScatter's adds of one map's patch gradient rows into its planes
// (a.ne entries of a.tab, in winoScatter's order): for an entry with a
// column apart (offset ≥ 0) first rc[ty] += row[ty·tw+tw−1] and that
// element of the row set to +0 for ty < th, then plane[k] += row[k] for
// k < n, or n−1 with a column apart. Each add takes the plane's (or column
// apart's) element first, as vadd (addTo) does; VADDPS and VADDSS round
// once: the bits of winoScatter's Go loops and addTo.
TEXT ·winoScatAdd(SB), NOSPLIT, $0-8
	MOVQ  a+0(FP), AX
	MOVQ  0(AX), DI   // the planes
	MOVQ  8(AX), SI   // the map's row 0 of dd
	MOVQ  16(AX), BX  // the table
	MOVQ  24(AX), R10 // entries
	MOVQ  32(AX), CX  // n
	SHLQ  $2, CX
	MOVQ  40(AX), R8  // tw
	SHLQ  $2, R8
	MOVQ  48(AX), R9  // th
	VXORPS X1, X1, X1

sa_entry:
	MOVQ  0(BX), R11
	ADDQ  DI, R11     // the plane's first element added to
	MOVQ  8(BX), R12
	ADDQ  SI, R12     // the row
	MOVQ  CX, R14     // bytes to add
	MOVQ  16(BX), R13
	TESTQ R13, R13
	JS    sa_add
	ADDQ  DI, R13     // the column apart's first element added to
	SUBQ  $4, R14
	LEAQ  -4(R12)(R8*1), DX
	MOVQ  R9, R15

sa_ca:
	VMOVSS (R13), X0
	VADDSS (DX), X0, X0
	VMOVSS X0, (R13)
	VMOVSS X1, (DX)
	ADDQ   $4, R13
	ADDQ   R8, DX
	DECQ   R15
	JNZ    sa_ca

sa_add:
	XORQ DX, DX

sa_loop8:
	LEAQ    32(DX), R15
	CMPQ    R15, R14
	JGT     sa_four
	VMOVUPS (R11)(DX*1), Y0
	VADDPS  (R12)(DX*1), Y0, Y0
	VMOVUPS Y0, (R11)(DX*1)
	MOVQ    R15, DX
	JMP     sa_loop8

sa_four:
	LEAQ    16(DX), R15
	CMPQ    R15, R14
	JGT     sa_one
	VMOVUPS (R11)(DX*1), X0
	VADDPS  (R12)(DX*1), X0, X0
	VMOVUPS X0, (R11)(DX*1)
	MOVQ    R15, DX

sa_one:
	CMPQ   DX, R14
	JGE    sa_next
	VMOVSS (R11)(DX*1), X0
	VADDSS (R12)(DX*1), X0, X0
	VMOVSS X0, (R11)(DX*1)
	ADDQ   $4, DX
	JMP    sa_one

sa_next:
	ADDQ $24, BX
	DECQ R10
	JNZ  sa_entry
	VZEROUPPER
	RET

// func winoFill4a(a *winoFill4AArgs)
// winoFill4x in AVX2: one map's planes of winoGather4 (winoFillPlanes and
// the shifted planes Q' in one pass). For each map row y (P row r = y+1,
// a = r mod 4, u = r/4; planes Q_{a,b} at (6a+b)·lp bytes, Q'_{a,k} at
// (6a+4+k)·lp, plane row u at u·tw floats on): columns 0–2 into
// Q_{a,1…3}'s column 0; the a.gf whole groups of four from column 3
// deinterleaved (element j of group g into Q_{a,j}'s column g+1 and, for
// j < 2, into Q'_{a,j}'s column g), 8 groups a step, then 4, then one;
// then the a.rem floats of the last, partial group one by one (into
// Q'_{a,j}'s column gf for j < 2, and Q_{a,j}'s column gf+1 where
// gf < tw−1). Only elements inside the row are read; the rest of the
// planes stays as winoGather4's clear left it. Pure copies.
TEXT ·winoFill4a(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), BX
	MOVQ 8(BX), SI    // the map's row 0
	MOVQ 48(BX), R14  // gf
	SHLQ $2, R14      // a plane's bytes of the whole groups
	MOVQ $1, R13

fa_row:
	MOVQ  R13, AX
	ANDQ  $3, AX
	LEAQ  (AX)(AX*2), AX
	SHLQ  $1, AX
	MOVQ  16(BX), CX     // lp, bytes
	IMULQ CX, AX
	MOVQ  R13, DI
	SHRQ  $2, DI
	IMULQ 24(BX), DI
	LEAQ  (AX)(DI*4), DI
	ADDQ  0(BX), DI      // Q_{a,0} row u
	LEAQ  (DI)(CX*1), R8 // Q_{a,1}
	LEAQ  (DI)(CX*2), R9 // Q_{a,2}
	LEAQ  (R8)(CX*2), R10 // Q_{a,3}
	LEAQ  (R9)(CX*2), R11 // Q'_{a,0}
	LEAQ  (R10)(CX*2), R12 // Q'_{a,1}
	MOVL  (SI), AX
	MOVL  AX, (R8)
	MOVL  4(SI), AX
	MOVL  AX, (R9)
	MOVL  8(SI), AX
	MOVL  AX, (R10)
	MOVQ  R14, R15
	ANDQ  $-32, R15
	XORQ  DX, DX

fa_loop8:
	CMPQ        DX, R15
	JGE         fa_four
	VMOVUPS     12(SI)(DX*4), X0
	VINSERTF128 $1, 76(SI)(DX*4), Y0, Y0
	VMOVUPS     28(SI)(DX*4), X1
	VINSERTF128 $1, 92(SI)(DX*4), Y1, Y1
	VMOVUPS     44(SI)(DX*4), X2
	VINSERTF128 $1, 108(SI)(DX*4), Y2, Y2
	VMOVUPS     60(SI)(DX*4), X3
	VINSERTF128 $1, 124(SI)(DX*4), Y3, Y3
	WA4T(Y0, Y1, Y2, Y3, Y8, Y9, Y10, Y11, Y4, Y5, Y6, Y7)
	VMOVUPS     Y4, 4(DI)(DX*1)
	VMOVUPS     Y5, 4(R8)(DX*1)
	VMOVUPS     Y6, 4(R9)(DX*1)
	VMOVUPS     Y7, 4(R10)(DX*1)
	VMOVUPS     Y4, (R11)(DX*1)
	VMOVUPS     Y5, (R12)(DX*1)
	ADDQ        $32, DX
	JMP         fa_loop8

fa_four:
	MOVQ    R14, AX
	SUBQ    DX, AX
	CMPQ    AX, $16
	JLT     fa_one
	VMOVUPS 12(SI)(DX*4), X0
	VMOVUPS 28(SI)(DX*4), X1
	VMOVUPS 44(SI)(DX*4), X2
	VMOVUPS 60(SI)(DX*4), X3
	WA4T(X0, X1, X2, X3, X8, X9, X10, X11, X4, X5, X6, X7)
	VMOVUPS X4, 4(DI)(DX*1)
	VMOVUPS X5, 4(R8)(DX*1)
	VMOVUPS X6, 4(R9)(DX*1)
	VMOVUPS X7, 4(R10)(DX*1)
	VMOVUPS X4, (R11)(DX*1)
	VMOVUPS X5, (R12)(DX*1)
	ADDQ    $16, DX

fa_one:
	CMPQ       DX, R14
	JGE        fa_part
	VMOVUPS    12(SI)(DX*4), X0
	VMOVSS     X0, 4(DI)(DX*1)
	VMOVSS     X0, (R11)(DX*1)
	VEXTRACTPS $1, X0, 4(R8)(DX*1)
	VEXTRACTPS $1, X0, (R12)(DX*1)
	VEXTRACTPS $2, X0, 4(R9)(DX*1)
	VEXTRACTPS $3, X0, 4(R10)(DX*1)
	ADDQ       $4, DX
	JMP        fa_one

fa_part:
	// DX = 4·gf: the partial group's rem floats at column 3 + 4·gf.
	MOVQ  56(BX), CX
	TESTQ CX, CX
	JZ    fa_next
	MOVQ  24(BX), AX
	DECQ  AX
	SHLQ  $2, AX         // 4·(tw−1): Q takes the group where DX is below
	MOVL  12(SI)(DX*4), R15
	MOVL  R15, (R11)(DX*1)
	CMPQ  DX, AX
	JGE   fa_p0
	MOVL  R15, 4(DI)(DX*1)

fa_p0:
	CMPQ CX, $1
	JEQ  fa_next
	MOVL 16(SI)(DX*4), R15
	MOVL R15, (R12)(DX*1)
	CMPQ DX, AX
	JGE  fa_p1
	MOVL R15, 4(R8)(DX*1)

fa_p1:
	CMPQ CX, $2
	JEQ  fa_next
	CMPQ DX, AX
	JGE  fa_next
	MOVL 20(SI)(DX*4), R15
	MOVL R15, 4(R9)(DX*1)

fa_next:
	INCQ R13
	CMPQ R13, 32(BX)
	JGT  fa_done
	MOVQ 40(BX), AX
	LEAQ (SI)(AX*4), SI
	JMP  fa_row

fa_done:
	VZEROUPPER
	RET
