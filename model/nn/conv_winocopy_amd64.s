#include "textflag.h"

// The 4-way deinterleave and interleave of the F(4×4, 3×3) Winograd
// route's copies (winoGather, winoScatter, winoPick, winoPlace in
// conv_wino.go), 16 groups of four a step. Pure copies: the bits of the Go
// loops. The last n mod 16 groups go through masked loads and stores,
// which neither read nor write the lanes they mask off, and no pointer is
// advanced past the end of its slice.

// wcDeA picks elements 0 and 1 of each group of four from two vectors
// of four groups each: [4k for k < 8, 4k+1 for k < 8].
DATA wcDeA<>+0(SB)/4, $0
DATA wcDeA<>+4(SB)/4, $4
DATA wcDeA<>+8(SB)/4, $8
DATA wcDeA<>+12(SB)/4, $12
DATA wcDeA<>+16(SB)/4, $16
DATA wcDeA<>+20(SB)/4, $20
DATA wcDeA<>+24(SB)/4, $24
DATA wcDeA<>+28(SB)/4, $28
DATA wcDeA<>+32(SB)/4, $1
DATA wcDeA<>+36(SB)/4, $5
DATA wcDeA<>+40(SB)/4, $9
DATA wcDeA<>+44(SB)/4, $13
DATA wcDeA<>+48(SB)/4, $17
DATA wcDeA<>+52(SB)/4, $21
DATA wcDeA<>+56(SB)/4, $25
DATA wcDeA<>+60(SB)/4, $29
GLOBL wcDeA<>(SB), RODATA|NOPTR, $64

// wcDeB picks elements 2 and 3: [4k+2 for k < 8, 4k+3 for k < 8].
DATA wcDeB<>+0(SB)/4, $2
DATA wcDeB<>+4(SB)/4, $6
DATA wcDeB<>+8(SB)/4, $10
DATA wcDeB<>+12(SB)/4, $14
DATA wcDeB<>+16(SB)/4, $18
DATA wcDeB<>+20(SB)/4, $22
DATA wcDeB<>+24(SB)/4, $26
DATA wcDeB<>+28(SB)/4, $30
DATA wcDeB<>+32(SB)/4, $3
DATA wcDeB<>+36(SB)/4, $7
DATA wcDeB<>+40(SB)/4, $11
DATA wcDeB<>+44(SB)/4, $15
DATA wcDeB<>+48(SB)/4, $19
DATA wcDeB<>+52(SB)/4, $23
DATA wcDeB<>+56(SB)/4, $27
DATA wcDeB<>+60(SB)/4, $31
GLOBL wcDeB<>(SB), RODATA|NOPTR, $64

// wcInA builds groups 0–3 from [l0 0–7, l1 0–7] and [l2 0–7, l3 0–7]:
// element 4k+j is table entry k+8j.
DATA wcInA<>+0(SB)/4, $0
DATA wcInA<>+4(SB)/4, $8
DATA wcInA<>+8(SB)/4, $16
DATA wcInA<>+12(SB)/4, $24
DATA wcInA<>+16(SB)/4, $1
DATA wcInA<>+20(SB)/4, $9
DATA wcInA<>+24(SB)/4, $17
DATA wcInA<>+28(SB)/4, $25
DATA wcInA<>+32(SB)/4, $2
DATA wcInA<>+36(SB)/4, $10
DATA wcInA<>+40(SB)/4, $18
DATA wcInA<>+44(SB)/4, $26
DATA wcInA<>+48(SB)/4, $3
DATA wcInA<>+52(SB)/4, $11
DATA wcInA<>+56(SB)/4, $19
DATA wcInA<>+60(SB)/4, $27
GLOBL wcInA<>(SB), RODATA|NOPTR, $64

// wcInB builds groups 4–7 from the same tables: entry k+4+8j.
DATA wcInB<>+0(SB)/4, $4
DATA wcInB<>+4(SB)/4, $12
DATA wcInB<>+8(SB)/4, $20
DATA wcInB<>+12(SB)/4, $28
DATA wcInB<>+16(SB)/4, $5
DATA wcInB<>+20(SB)/4, $13
DATA wcInB<>+24(SB)/4, $21
DATA wcInB<>+28(SB)/4, $29
DATA wcInB<>+32(SB)/4, $6
DATA wcInB<>+36(SB)/4, $14
DATA wcInB<>+40(SB)/4, $22
DATA wcInB<>+44(SB)/4, $30
DATA wcInB<>+48(SB)/4, $7
DATA wcInB<>+52(SB)/4, $15
DATA wcInB<>+56(SB)/4, $23
DATA wcInB<>+60(SB)/4, $31
GLOBL wcInB<>(SB), RODATA|NOPTR, $64

// WCMASKS sets K1–K4 to the lanes of the four vectors that hold the first
// 4·CX floats and K5 to the first CX lanes (CX < 16); clobbers AX, BX, CX.
#define WCMASKS \
	MOVQ  CX, BX     \
	SHLQ  $2, CX     \
	MOVQ  $1, AX     \
	SHLQ  CX, AX     \
	DECQ  AX         \
	KMOVW AX, K1     \
	SHRQ  $16, AX    \
	KMOVW AX, K2     \
	SHRQ  $16, AX    \
	KMOVW AX, K3     \
	SHRQ  $16, AX    \
	KMOVW AX, K4     \
	MOVQ  BX, CX     \
	MOVQ  $1, AX     \
	SHLQ  CX, AX     \
	DECQ  AX         \
	KMOVW AX, K5

// DEINT4 deinterleaves the 16 groups of four in Z0–Z3 into Z4–Z7 (element
// j of group i goes to lane i of Z(4+j)); Z28, Z29 hold wcDeA, wcDeB.
#define DEINT4 \
	VMOVAPS    Z28, Z8            \
	VPERMI2PS  Z1, Z0, Z8         \
	VMOVAPS    Z29, Z9            \
	VPERMI2PS  Z1, Z0, Z9         \
	VMOVAPS    Z28, Z10           \
	VPERMI2PS  Z3, Z2, Z10        \
	VMOVAPS    Z29, Z11           \
	VPERMI2PS  Z3, Z2, Z11        \
	VSHUFF64X2 $0x44, Z10, Z8, Z4 \
	VSHUFF64X2 $0xee, Z10, Z8, Z5 \
	VSHUFF64X2 $0x44, Z11, Z9, Z6 \
	VSHUFF64X2 $0xee, Z11, Z9, Z7

// INT4 interleaves Z4–Z7 (lane i of Z(4+j) is element j of group i) into
// the 16 groups of four in Z0–Z3; Z30, Z31 hold wcInA, wcInB.
#define INT4 \
	VSHUFF64X2 $0x44, Z5, Z4, Z8  \
	VSHUFF64X2 $0xee, Z5, Z4, Z10 \
	VSHUFF64X2 $0x44, Z7, Z6, Z9  \
	VSHUFF64X2 $0xee, Z7, Z6, Z11 \
	VMOVAPS    Z30, Z0            \
	VPERMI2PS  Z9, Z8, Z0         \
	VMOVAPS    Z31, Z1            \
	VPERMI2PS  Z9, Z8, Z1         \
	VMOVAPS    Z30, Z2            \
	VPERMI2PS  Z11, Z10, Z2       \
	VMOVAPS    Z31, Z3            \
	VPERMI2PS  Z11, Z10, Z3

// Both kernels run rows × n groups: row k of the four planes at
// l0…l3 + k·ldl floats, of the groups at src (dst) + k·lds floats. The
// groups of a row are addressed by an offset (DX, in bytes of a plane;
// four times that in the groups), and the row pointers advance only while
// rows remain. R11 is the offset after the row's whole blocks of 16
// groups, R12 the groups left (the tail, through K1–K5).

// func winoDeint4x(l0, l1, l2, l3 *float32, ldl int, src *float32, lds, rows, n int)
// l0[k·ldl+i], …, l3[k·ldl+i] = src[k·lds+4i], …, src[k·lds+4i+3] for
// k < rows, i < n (rows, n > 0).
TEXT ·winoDeint4x(SB), NOSPLIT, $0-72
	MOVQ    n+64(FP), CX
	MOVQ    CX, R11
	ANDQ    $-16, R11
	SHLQ    $2, R11
	MOVQ    CX, R12
	ANDQ    $15, R12
	MOVQ    R12, CX
	WCMASKS
	MOVQ    l0+0(FP), DI
	MOVQ    l1+8(FP), R8
	MOVQ    l2+16(FP), R9
	MOVQ    l3+24(FP), R10
	MOVQ    ldl+32(FP), BX
	SHLQ    $2, BX
	MOVQ    src+40(FP), SI
	MOVQ    lds+48(FP), AX
	SHLQ    $2, AX
	MOVQ    rows+56(FP), R13
	VMOVUPS wcDeA<>(SB), Z28
	VMOVUPS wcDeB<>(SB), Z29

deint_row:
	XORQ DX, DX

deint_loop:
	CMPQ    DX, R11
	JGE     deint_tail
	VMOVUPS (SI)(DX*4), Z0
	VMOVUPS 64(SI)(DX*4), Z1
	VMOVUPS 128(SI)(DX*4), Z2
	VMOVUPS 192(SI)(DX*4), Z3
	DEINT4
	VMOVUPS Z4, (DI)(DX*1)
	VMOVUPS Z5, (R8)(DX*1)
	VMOVUPS Z6, (R9)(DX*1)
	VMOVUPS Z7, (R10)(DX*1)
	ADDQ    $64, DX
	JMP     deint_loop

deint_tail:
	TESTQ     R12, R12
	JZ        deint_next
	VMOVUPS.Z (SI)(DX*4), K1, Z0
	VMOVUPS.Z 64(SI)(DX*4), K2, Z1
	VMOVUPS.Z 128(SI)(DX*4), K3, Z2
	VMOVUPS.Z 192(SI)(DX*4), K4, Z3
	DEINT4
	VMOVUPS   Z4, K5, (DI)(DX*1)
	VMOVUPS   Z5, K5, (R8)(DX*1)
	VMOVUPS   Z6, K5, (R9)(DX*1)
	VMOVUPS   Z7, K5, (R10)(DX*1)

deint_next:
	DECQ R13
	JZ   deint_done
	ADDQ AX, SI
	ADDQ BX, DI
	ADDQ BX, R8
	ADDQ BX, R9
	ADDQ BX, R10
	JMP  deint_row

deint_done:
	VZEROUPPER
	RET

// func winoInt4x(dst *float32, ldd int, l0, l1, l2, l3 *float32, ldl, rows, n int)
// dst[k·ldd+4i], …, dst[k·ldd+4i+3] = l0[k·ldl+i], …, l3[k·ldl+i] for
// k < rows, i < n (rows, n > 0).
TEXT ·winoInt4x(SB), NOSPLIT, $0-72
	MOVQ    n+64(FP), CX
	MOVQ    CX, R11
	ANDQ    $-16, R11
	SHLQ    $2, R11
	MOVQ    CX, R12
	ANDQ    $15, R12
	MOVQ    R12, CX
	WCMASKS
	MOVQ    dst+0(FP), SI
	MOVQ    ldd+8(FP), AX
	SHLQ    $2, AX
	MOVQ    l0+16(FP), DI
	MOVQ    l1+24(FP), R8
	MOVQ    l2+32(FP), R9
	MOVQ    l3+40(FP), R10
	MOVQ    ldl+48(FP), BX
	SHLQ    $2, BX
	MOVQ    rows+56(FP), R13
	VMOVUPS wcInA<>(SB), Z30
	VMOVUPS wcInB<>(SB), Z31

int_row:
	XORQ DX, DX

int_loop:
	CMPQ    DX, R11
	JGE     int_tail
	VMOVUPS (DI)(DX*1), Z4
	VMOVUPS (R8)(DX*1), Z5
	VMOVUPS (R9)(DX*1), Z6
	VMOVUPS (R10)(DX*1), Z7
	INT4
	VMOVUPS Z0, (SI)(DX*4)
	VMOVUPS Z1, 64(SI)(DX*4)
	VMOVUPS Z2, 128(SI)(DX*4)
	VMOVUPS Z3, 192(SI)(DX*4)
	ADDQ    $64, DX
	JMP     int_loop

int_tail:
	TESTQ     R12, R12
	JZ        int_next
	VMOVUPS.Z (DI)(DX*1), K5, Z4
	VMOVUPS.Z (R8)(DX*1), K5, Z5
	VMOVUPS.Z (R9)(DX*1), K5, Z6
	VMOVUPS.Z (R10)(DX*1), K5, Z7
	INT4
	VMOVUPS   Z0, K1, (SI)(DX*4)
	VMOVUPS   Z1, K2, 64(SI)(DX*4)
	VMOVUPS   Z2, K3, 128(SI)(DX*4)
	VMOVUPS   Z3, K4, 192(SI)(DX*4)

int_next:
	DECQ R13
	JZ   int_done
	ADDQ AX, SI
	ADDQ BX, DI
	ADDQ BX, R8
	ADDQ BX, R9
	ADDQ BX, R10
	JMP  int_row

int_done:
	VZEROUPPER
	RET

// func winoInt4Ax(dst *float32, ldd int, l0, l1, l2, l3 *float32, ldl, rows, n int)
// dst[k·ldd+4i], …, dst[k·ldd+4i+3] += l0[k·ldl+i], …, l3[k·ldl+i] for
// k < rows, i < n (rows, n > 0): winoInt4x with each element added to
// dst's (dst + l, one rounding, dst the first operand as in vadd, so that
// of two NaNs dst's comes through: the same bits as addTo after
// winoInt4x).
TEXT ·winoInt4Ax(SB), NOSPLIT, $0-72
	MOVQ    n+64(FP), CX
	MOVQ    CX, R11
	ANDQ    $-16, R11
	SHLQ    $2, R11
	MOVQ    CX, R12
	ANDQ    $15, R12
	MOVQ    R12, CX
	WCMASKS
	MOVQ    dst+0(FP), SI
	MOVQ    ldd+8(FP), AX
	SHLQ    $2, AX
	MOVQ    l0+16(FP), DI
	MOVQ    l1+24(FP), R8
	MOVQ    l2+32(FP), R9
	MOVQ    l3+40(FP), R10
	MOVQ    ldl+48(FP), BX
	SHLQ    $2, BX
	MOVQ    rows+56(FP), R13
	VMOVUPS wcInA<>(SB), Z30
	VMOVUPS wcInB<>(SB), Z31

inta_row:
	XORQ DX, DX

inta_loop:
	CMPQ    DX, R11
	JGE     inta_tail
	VMOVUPS (DI)(DX*1), Z4
	VMOVUPS (R8)(DX*1), Z5
	VMOVUPS (R9)(DX*1), Z6
	VMOVUPS (R10)(DX*1), Z7
	INT4
	VMOVUPS (SI)(DX*4), Z8
	VMOVUPS 64(SI)(DX*4), Z9
	VMOVUPS 128(SI)(DX*4), Z10
	VMOVUPS 192(SI)(DX*4), Z11
	VADDPS  Z0, Z8, Z0
	VADDPS  Z1, Z9, Z1
	VADDPS  Z2, Z10, Z2
	VADDPS  Z3, Z11, Z3
	VMOVUPS Z0, (SI)(DX*4)
	VMOVUPS Z1, 64(SI)(DX*4)
	VMOVUPS Z2, 128(SI)(DX*4)
	VMOVUPS Z3, 192(SI)(DX*4)
	ADDQ    $64, DX
	JMP     inta_loop

inta_tail:
	TESTQ     R12, R12
	JZ        inta_next
	VMOVUPS.Z (DI)(DX*1), K5, Z4
	VMOVUPS.Z (R8)(DX*1), K5, Z5
	VMOVUPS.Z (R9)(DX*1), K5, Z6
	VMOVUPS.Z (R10)(DX*1), K5, Z7
	INT4
	VMOVUPS.Z (SI)(DX*4), K1, Z8
	VMOVUPS.Z 64(SI)(DX*4), K2, Z9
	VMOVUPS.Z 128(SI)(DX*4), K3, Z10
	VMOVUPS.Z 192(SI)(DX*4), K4, Z11
	VADDPS    Z0, Z8, Z0
	VADDPS    Z1, Z9, Z1
	VADDPS    Z2, Z10, Z2
	VADDPS    Z3, Z11, Z3
	VMOVUPS   Z0, K1, (SI)(DX*4)
	VMOVUPS   Z1, K2, 64(SI)(DX*4)
	VMOVUPS   Z2, K3, 128(SI)(DX*4)
	VMOVUPS   Z3, K4, 192(SI)(DX*4)

inta_next:
	DECQ R13
	JZ   inta_done
	ADDQ AX, SI
	ADDQ BX, DI
	ADDQ BX, R8
	ADDQ BX, R9
	ADDQ BX, R10
	JMP  inta_row

inta_done:
	VZEROUPPER
	RET

// PICKLOAD loads the 4 tiles of a group's output row from R12 at the
// offsets the table AX holds (in floats) into Z0–Z3 and deinterleaves them
// into Z4–Z7 (winoPickMx).
#define PICKLOAD \
	MOVLQSX 0(AX), DX         \
	VMOVUPS (R12)(DX*4), Z0   \
	MOVLQSX 4(AX), DX         \
	VMOVUPS (R12)(DX*4), Z1   \
	MOVLQSX 8(AX), DX         \
	VMOVUPS (R12)(DX*4), Z2   \
	MOVLQSX 12(AX), DX        \
	VMOVUPS (R12)(DX*4), Z3   \
	DEINT4

// PICKMASK zeroes the elements of Z4–Z7 whose ReLU bits are clear: the
// bits of each row at BX, BX stepping by R10 a row (winoPickMx).
#define PICKMASK \
	KMOVW     (BX), K1        \
	ADDQ      R10, BX         \
	VMOVUPS.Z Z4, K1, Z4      \
	KMOVW     (BX), K1        \
	ADDQ      R10, BX         \
	VMOVUPS.Z Z5, K1, Z5      \
	KMOVW     (BX), K1        \
	ADDQ      R10, BX         \
	VMOVUPS.Z Z6, K1, Z6      \
	KMOVW     (BX), K1        \
	ADDQ      R10, BX         \
	VMOVUPS.Z Z7, K1, Z7

// PICKSTORE stores Z4–Z7 to the rows R13, +R8, +2·R8, +R11 (= 3·R8).
#define PICKSTORE \
	VMOVUPS Z4, (R13)         \
	VMOVUPS Z5, (R13)(R8*1)   \
	VMOVUPS Z6, (R13)(R8*2)   \
	VMOVUPS Z7, (R13)(R11*1)

// func winoPickMx(gm *float32, ld int, dy *float32, tab *int32, wo4 int, mk *uint8, mrow, n int)
// The pick of one map of the output gradient dy (Wo = wo4/4 floats wide)
// into the 16 rows of gm (row 4a+b at gm + (4a+b)·ld bytes) for n tiles
// (n a multiple of 16), masked with the ReLU's bits where mrow > 0 (row
// r's 16 bits of a block at mk + r·mrow, 2 bytes on per block; a clear
// bit gives +0, vmaskM's result): per block of 16 tiles and output row a,
// the four groups of four tiles at dy + 4·tab[g] + a·wo4 bytes are
// deinterleaved (DEINT4), masked and stored. AX the table, BX the mask
// row, CX the tiles left, DX a group's offset, R12 dy's row, R13 gm's row.
TEXT ·winoPickMx(SB), NOSPLIT, $0-64
	MOVQ    gm+0(FP), DI
	MOVQ    ld+8(FP), R8
	MOVQ    dy+16(FP), SI
	MOVQ    tab+24(FP), AX
	MOVQ    wo4+32(FP), R9
	MOVQ    mrow+48(FP), R10
	MOVQ    n+56(FP), CX
	LEAQ    (R8)(R8*2), R11
	VMOVUPS wcDeA<>(SB), Z28
	VMOVUPS wcDeB<>(SB), Z29
	JMP     pick_check

pick_loop:
	MOVQ SI, R12
	MOVQ DI, R13
	MOVQ mk+40(FP), BX
	PICKLOAD
	TESTQ   R10, R10
	JZ      pick_nomask0
	PICKMASK

pick_nomask0:
	PICKSTORE
	LEAQ    (R13)(R8*4), R13
	ADDQ    R9, R12
	PICKLOAD
	TESTQ   R10, R10
	JZ      pick_nomask1
	PICKMASK

pick_nomask1:
	PICKSTORE
	LEAQ    (R13)(R8*4), R13
	ADDQ    R9, R12
	PICKLOAD
	TESTQ   R10, R10
	JZ      pick_nomask2
	PICKMASK

pick_nomask2:
	PICKSTORE
	LEAQ    (R13)(R8*4), R13
	ADDQ    R9, R12
	PICKLOAD
	TESTQ   R10, R10
	JZ      pick_nomask3
	PICKMASK

pick_nomask3:
	PICKSTORE
	ADDQ $16, AX
	ADDQ $2, mk+40(FP)
	ADDQ $64, DI
	SUBQ $16, CX

pick_check:
	CMPQ CX, $16
	JGE  pick_loop
	VZEROUPPER
	RET

// winoScat4Args' offsets (conv_wino.go).
#define SA_Q 0
#define SA_DD 8
#define SA_DST 16
#define SA_TAB 24
#define SA_LP 32
#define SA_N 40
#define SA_TW 48
#define SA_TH 56
#define SA_H 64
#define SA_W 72
#define SA_F 80
#define SA_ADD 88
#define SA_CA 96
#define SA_NL 104
#define SA_WV 112
#define SA_OFF 120
#define SA_U1 152
#define SA_RSTEP 160
#define SA_BLOCKS 168
#define SA_KR 176
#define SA_AP 184

// SAPLANES sets DI, R8, R9, R10 to planes 4a, …, 4a+3 at plane row u,
// a = R13 mod 4, u = R13/4 (R13 = y+1 for map row y); clobbers AX, CX.
#define SAPLANES \
	MOVQ  R13, AX          \
	ANDQ  $3, AX           \
	SHLQ  $2, AX           \
	MOVQ  SA_LP(BX), CX    \
	IMULQ CX, AX           \
	MOVQ  R13, DI          \
	SHRQ  $2, DI           \
	IMULQ SA_TW(BX), DI    \
	LEAQ  (AX)(DI*4), DI   \
	ADDQ  SA_Q(BX), DI     \
	LEAQ  (DI)(CX*1), R8   \
	LEAQ  (DI)(CX*2), R9   \
	LEAQ  (R8)(CX*2), R10

// SALOADG loads the groups of plane columns v = 1 + DX/4 … (16 of them)
// of the four planes into Z4–Z7 and interleaves them into Z0–Z3.
#define SALOADG \
	VMOVUPS 4(DI)(DX*1), Z4  \
	VMOVUPS 4(R8)(DX*1), Z5  \
	VMOVUPS 4(R9)(DX*1), Z6  \
	VMOVUPS 4(R10)(DX*1), Z7 \
	INT4

// SALOADT is SALOADG for the row's last, partial block (K5's groups).
#define SALOADT \
	VMOVUPS.Z 4(DI)(DX*1), K5, Z4  \
	VMOVUPS.Z 4(R8)(DX*1), K5, Z5  \
	VMOVUPS.Z 4(R9)(DX*1), K5, Z6  \
	VMOVUPS.Z 4(R10)(DX*1), K5, Z7 \
	INT4

// SAAPART loads the column apart of plane 4a at plane row u (a, u as in
// SAPLANES) into X12; clobbers AX, CX.
#define SAAPART \
	MOVQ   SA_TH(BX), AX  \
	INCQ   AX             \
	MOVQ   R13, CX        \
	ANDQ   $3, CX         \
	IMULQ  CX, AX         \
	SHLQ   $2, AX         \
	MOVQ   R13, CX        \
	SHRQ   $2, CX         \
	ADDQ   CX, AX         \
	MOVQ   SA_LP(BX), CX  \
	SHLQ   $4, CX         \
	ADDQ   SA_Q(BX), CX   \
	VMOVSS (CX)(AX*4), X12

// func winoScat4x(a *winoScat4Args)
// One map of winoScatter4 after wino4BP: (1) zero the planes' last rows
// (a.tw floats at a.n in each) and the 16 columns apart (th+1 floats each,
// after the planes); (2) the 20 adds of a.tab in order: where the entry
// has a column apart (dj = 1), rc[ty] += row[ty·tw + tw−1] for ty < th,
// then plane[k] += row[k] for k < n−1 with those elements taken as +0
// (the block masks at a.nl: bit j of block k clear where 16k+j is the last
// tile of a row), else plane[k] += row[k] for k < n (the plane the first
// operand, vadd's operation; n a multiple of 16); (3) for each map row y
// (a = (y+1) mod 4, u = (y+1)/4): the groups v ≥ 1 of planes 4a…4a+3 at
// plane row u interleaved into the row from column 3 (a.f floats: K1–K4
// mask the last block, K5 its groups), columns 0–2 from planes
// 4a+1…4a+3's column 0, and where a.ca ≥ 0 the column apart rs[4a][u] at
// byte a.ca; written, or with a.add added (row + plane, the row the first
// operand). Where a.wv is set (maps 16, 32 or 64 wide, whole blocks),
// sa_outv does (3) instead, a vector of 16 plane elements a step (see
// there). Pointers step only while elements remain; no operand is read or
// written past its end (TestWinoScat4GuardPages).
TEXT ·winoScat4x(SB), NOSPLIT, $0-8
	MOVQ   a+0(FP), BX
	VPXORD Z16, Z16, Z16

	// (1) The clears.
	MOVQ SA_Q(BX), DI
	MOVQ SA_N(BX), AX
	LEAQ (DI)(AX*4), DI
	MOVQ SA_TW(BX), R8
	MOVQ SA_LP(BX), R9
	MOVQ $16, R10

sa_clr_plane:
	MOVQ DI, SI
	MOVQ R8, CX

sa_clr_loop:
	CMPQ    CX, $16
	JLT     sa_clr_tail
	VMOVUPS Z16, (SI)
	SUBQ    $16, CX
	JZ      sa_clr_next
	ADDQ    $64, SI
	JMP     sa_clr_loop

sa_clr_tail:
	MOVQ    $1, AX
	SHLQ    CX, AX
	DECQ    AX
	KMOVW   AX, K7
	VMOVUPS Z16, K7, (SI)

sa_clr_next:
	DECQ R10
	JZ   sa_clr_apart
	ADDQ R9, DI
	JMP  sa_clr_plane

sa_clr_apart:
	MOVQ SA_Q(BX), SI
	SHLQ $4, R9
	ADDQ R9, SI
	MOVQ SA_TH(BX), CX
	INCQ CX
	SHLQ $4, CX

sa_clra_loop:
	CMPQ    CX, $16
	JLT     sa_clra_tail
	VMOVUPS Z16, (SI)
	SUBQ    $16, CX
	JZ      sa_adds
	ADDQ    $64, SI
	JMP     sa_clra_loop

sa_clra_tail:
	MOVQ    $1, AX
	SHLQ    CX, AX
	DECQ    AX
	KMOVW   AX, K7
	VMOVUPS Z16, K7, (SI)

	// (2) The 20 adds.
sa_adds:
	MOVQ  SA_TAB(BX), R13
	MOVQ  $20, R12
	MOVQ  $0x7fff, AX
	KMOVW AX, K6

sa_entry:
	MOVQ  SA_Q(BX), DI
	ADDQ  0(R13), DI
	MOVQ  SA_DD(BX), SI
	ADDQ  8(R13), SI
	MOVQ  SA_N(BX), CX
	SHRQ  $4, CX
	MOVQ  16(R13), R8
	TESTQ R8, R8
	JNS   sa_col0

sa_add_loop:
	VMOVUPS (DI), Z0
	VADDPS  (SI), Z0, Z0
	VMOVUPS Z0, (DI)
	DECQ    CX
	JZ      sa_next
	ADDQ    $64, DI
	ADDQ    $64, SI
	JMP     sa_add_loop

sa_col0:
	ADDQ SA_Q(BX), R8
	MOVQ SA_TW(BX), R9
	SHLQ $2, R9
	LEAQ -4(SI)(R9*1), R10
	MOVQ SA_TH(BX), AX

sa_col:
	VMOVSS (R8), X0
	VADDSS (R10), X0, X0
	VMOVSS X0, (R8)
	DECQ   AX
	JZ     sa_shift
	ADDQ   $4, R8
	ADDQ   R9, R10
	JMP    sa_col

sa_shift:
	MOVQ SA_NL(BX), R8

sa_shift_loop:
	KMOVW     (R8), K7
	VMOVUPS.Z (SI), K7, Z1
	DECQ      CX
	JZ        sa_shift_last
	VMOVUPS   (DI), Z0
	VADDPS    Z1, Z0, Z0
	VMOVUPS   Z0, (DI)
	ADDQ      $2, R8
	ADDQ      $64, DI
	ADDQ      $64, SI
	JMP       sa_shift_loop

sa_shift_last:
	VMOVUPS.Z (DI), K6, Z0
	VADDPS    Z1, Z0, Z0
	VMOVUPS   Z0, K6, (DI)

sa_next:
	DECQ R12
	JZ   sa_out
	ADDQ $24, R13
	JMP  sa_entry

	// (3) The map's rows.
sa_out:
	CMPQ    SA_WV(BX), $0
	JNE     sa_outv
	MOVQ    SA_F(BX), CX
	MOVQ    CX, R11
	ANDQ    $-64, R11
	ANDQ    $63, CX
	MOVQ    CX, R12
	MOVQ    $1, AX
	SHLQ    CX, AX
	DECQ    AX
	KMOVW   AX, K1
	SHRQ    $16, AX
	KMOVW   AX, K2
	SHRQ    $16, AX
	KMOVW   AX, K3
	SHRQ    $16, AX
	KMOVW   AX, K4
	ADDQ    $3, CX
	SHRQ    $2, CX
	MOVQ    $1, AX
	SHLQ    CX, AX
	DECQ    AX
	KMOVW   AX, K5
	VMOVUPS wcInA<>(SB), Z30
	VMOVUPS wcInB<>(SB), Z31
	MOVQ    SA_DST(BX), SI
	MOVQ    $1, R13
	CMPQ    SA_ADD(BX), $0
	JNE     sa_arow

sa_wrow:
	SAPLANES
	XORQ DX, DX

sa_wloop:
	CMPQ    DX, R11
	JGE     sa_wtail
	SALOADG
	VMOVUPS Z0, 12(SI)(DX*4)
	VMOVUPS Z1, 76(SI)(DX*4)
	VMOVUPS Z2, 140(SI)(DX*4)
	VMOVUPS Z3, 204(SI)(DX*4)
	ADDQ    $64, DX
	JMP     sa_wloop

sa_wtail:
	TESTQ   R12, R12
	JZ      sa_wcols
	SALOADT
	VMOVUPS Z0, K1, 12(SI)(DX*4)
	VMOVUPS Z1, K2, 76(SI)(DX*4)
	VMOVUPS Z2, K3, 140(SI)(DX*4)
	VMOVUPS Z3, K4, 204(SI)(DX*4)

sa_wcols:
	VMOVSS (R8), X13
	VMOVSS X13, (SI)
	VMOVSS (R9), X13
	VMOVSS X13, 4(SI)
	VMOVSS (R10), X13
	VMOVSS X13, 8(SI)
	MOVQ   SA_CA(BX), DX
	TESTQ  DX, DX
	JS     sa_wnext
	SAAPART
	VMOVSS X12, (SI)(DX*1)

sa_wnext:
	INCQ R13
	CMPQ R13, SA_H(BX)
	JGT  sa_done
	MOVQ SA_W(BX), AX
	LEAQ (SI)(AX*4), SI
	JMP  sa_wrow

sa_arow:
	SAPLANES
	XORQ DX, DX

sa_aloop:
	CMPQ    DX, R11
	JGE     sa_atail
	SALOADG
	VMOVUPS 12(SI)(DX*4), Z8
	VMOVUPS 76(SI)(DX*4), Z9
	VMOVUPS 140(SI)(DX*4), Z10
	VMOVUPS 204(SI)(DX*4), Z11
	VADDPS  Z0, Z8, Z0
	VADDPS  Z1, Z9, Z1
	VADDPS  Z2, Z10, Z2
	VADDPS  Z3, Z11, Z3
	VMOVUPS Z0, 12(SI)(DX*4)
	VMOVUPS Z1, 76(SI)(DX*4)
	VMOVUPS Z2, 140(SI)(DX*4)
	VMOVUPS Z3, 204(SI)(DX*4)
	ADDQ    $64, DX
	JMP     sa_aloop

sa_atail:
	TESTQ     R12, R12
	JZ        sa_acols
	SALOADT
	VMOVUPS.Z 12(SI)(DX*4), K1, Z8
	VMOVUPS.Z 76(SI)(DX*4), K2, Z9
	VMOVUPS.Z 140(SI)(DX*4), K3, Z10
	VMOVUPS.Z 204(SI)(DX*4), K4, Z11
	VADDPS    Z0, Z8, Z0
	VADDPS    Z1, Z9, Z1
	VADDPS    Z2, Z10, Z2
	VADDPS    Z3, Z11, Z3
	VMOVUPS   Z0, K1, 12(SI)(DX*4)
	VMOVUPS   Z1, K2, 76(SI)(DX*4)
	VMOVUPS   Z2, K3, 140(SI)(DX*4)
	VMOVUPS   Z3, K4, 204(SI)(DX*4)

sa_acols:
	VMOVSS (SI), X13
	VADDSS (R8), X13, X13
	VMOVSS X13, (SI)
	VMOVSS 4(SI), X13
	VADDSS (R9), X13, X13
	VMOVSS X13, 4(SI)
	VMOVSS 8(SI), X13
	VADDSS (R10), X13, X13
	VMOVSS X13, 8(SI)
	MOVQ   SA_CA(BX), DX
	TESTQ  DX, DX
	JS     sa_anext
	SAAPART
	VMOVSS (SI)(DX*1), X13
	VADDSS X12, X13, X13
	VMOVSS X13, (SI)(DX*1)

sa_anext:
	INCQ R13
	CMPQ R13, SA_H(BX)
	JGT  sa_done
	MOVQ SA_W(BX), AX
	LEAQ (SI)(AX*4), SI
	JMP  sa_arow

	// (3) at maps 16, 32 or 64 wide (a.wv; tw = w/4, th = h/4, h·w a
	// multiple of 256): winoFillV's mirror, a vector of plane elements (16/tw
	// plane rows) a step. Rows y ≡ t (mod 4), a = (t+1) mod 4, plane rows
	// u = (y+1)/4 (from 1 for t = 3), a block of 64 floats of those rows at
	// a.off (1024 bytes a block): E_j = Q_{a,j+1} for j < 3 (lane tw·u+v:
	// row u's column 4v+j, columns 0–2 at v = 0), E_3 = Q_{a,0} one lane on
	// in each plane row with the column apart rs[4a][u] in its last (a.ap,
	// the column apart 16/tw floats under a.kr), then INT4 gives the block
	// whole, written or added (row + plane, the row the first operand).
	// Each element written or added once with the value of the loop above.
	// R10 plane 4a at the block's plane row, R11 rs[4a] there, SI the
	// block's first vector, CX lp, R12 3·lp, DX blocks left, R8 t, R13,
	// R14, DI a.off[1..3].
sa_outv:
	VMOVUPS wcInA<>(SB), Z30
	VMOVUPS wcInB<>(SB), Z31
	VMOVUPS SA_AP(BX), Z29
	KMOVW   SA_KR(BX), K1
	MOVQ    SA_LP(BX), CX
	LEAQ    (CX)(CX*2), R12
	MOVQ    SA_OFF+8(BX), R13
	MOVQ    SA_OFF+16(BX), R14
	MOVQ    SA_OFF+24(BX), DI
	XORQ    R8, R8

sav_group:
	LEAQ  1(R8), R9
	ANDQ  $3, R9
	MOVQ  R9, R10
	SHLQ  $2, R10
	IMULQ CX, R10
	ADDQ  SA_Q(BX), R10
	MOVQ  SA_TH(BX), R11
	INCQ  R11
	IMULQ R9, R11
	SHLQ  $4, R11
	MOVQ  CX, AX
	SHLQ  $4, AX
	ADDQ  AX, R11
	ADDQ  SA_Q(BX), R11
	CMPQ  R8, $3
	JNE   sav_rows
	ADDQ  SA_U1(BX), R10
	ADDQ  $4, R11

sav_rows:
	MOVQ  R8, SI
	IMULQ SA_W(BX), SI
	SHLQ  $2, SI
	ADDQ  SA_DST(BX), SI
	MOVQ  SA_BLOCKS(BX), DX

sav_block:
	VMOVUPS   (R10), Z7
	VMOVUPS.Z (R11), K1, Z13
	VPERMT2PS Z13, Z29, Z7
	VMOVUPS   (R10)(CX*1), Z4
	VMOVUPS   (R10)(CX*2), Z5
	VMOVUPS   (R10)(R12*1), Z6
	INT4
	CMPQ      SA_ADD(BX), $0
	JNE       sav_add
	VMOVUPS   Z0, (SI)
	VMOVUPS   Z1, (SI)(R13*1)
	VMOVUPS   Z2, (SI)(R14*1)
	VMOVUPS   Z3, (SI)(DI*1)
	JMP       sav_step

sav_add:
	VMOVUPS (SI), Z8
	VMOVUPS (SI)(R13*1), Z9
	VMOVUPS (SI)(R14*1), Z10
	VMOVUPS (SI)(DI*1), Z11
	VADDPS  Z0, Z8, Z0
	VADDPS  Z1, Z9, Z1
	VADDPS  Z2, Z10, Z2
	VADDPS  Z3, Z11, Z3
	VMOVUPS Z0, (SI)
	VMOVUPS Z1, (SI)(R13*1)
	VMOVUPS Z2, (SI)(R14*1)
	VMOVUPS Z3, (SI)(DI*1)

sav_step:
	DECQ DX
	JZ   sav_next
	ADDQ $1024, SI
	ADDQ $64, R10
	ADDQ SA_RSTEP(BX), R11
	JMP  sav_block

sav_next:
	INCQ R8
	CMPQ R8, $4
	JLT  sav_group

sa_done:
	VZEROUPPER
	RET

// winoFill4Args' offsets (conv_wino.go).
#define FA_Q 0
#define FA_SRC 8
#define FA_LP 16
#define FA_TW 24
#define FA_H 32
#define FA_W 40
#define FA_F 48
#define FA_G 56
#define FA_GQ 64

// func winoFill4x(a *winoFill4Args)
// One map's planes of winoGather4 (winoFillPlanes and the shifted planes
// Q' in one pass): for each map row y (a = (y+1) mod 4, u = (y+1)/4,
// planes Q_{a,b} at (6a+b)·lp bytes, Q'_{a,k} at (6a+4+k)·lp, plane row u
// at u·tw floats on), columns 0–2 into Q_{a,1…3}'s column 0, and the
// groups of four from column 3 (a.f floats; K1–K4 mask the row's last
// block) deinterleaved: element j of group g into Q_{a,j}'s column g+1
// for g < a.gq (= tw−1 or fewer) and, for j < 2, into Q'_{a,j}'s column g
// for g < a.g (Q'_{a,0}[g] = Q_{a,0}[g+1], its last column the column
// apart; Q'_{a,1}[g] = Q_{a,1}[g+1], its last column past any row). The
// rest of the planes stays as winoGather4's clear left it. Pure copies;
// pointers step only while elements remain.
TEXT ·winoFill4x(SB), NOSPLIT, $0-8
	MOVQ    a+0(FP), BX
	VMOVUPS wcDeA<>(SB), Z28
	VMOVUPS wcDeB<>(SB), Z29
	MOVQ    FA_SRC(BX), SI
	MOVQ    $1, R13

fl_row:
	MOVQ   R13, AX
	ANDQ   $3, AX
	LEAQ   (AX)(AX*2), AX
	SHLQ   $1, AX
	MOVQ   FA_LP(BX), CX
	IMULQ  CX, AX
	MOVQ   R13, DI
	SHRQ   $2, DI
	IMULQ  FA_TW(BX), DI
	LEAQ   (AX)(DI*4), DI
	ADDQ   FA_Q(BX), DI
	LEAQ   (DI)(CX*1), R8
	LEAQ   (DI)(CX*2), R9
	LEAQ   (R8)(CX*2), R10
	LEAQ   (R9)(CX*2), R11
	LEAQ   (R10)(CX*2), R12
	VMOVSS (SI), X0
	VMOVSS X0, (R8)
	VMOVSS 4(SI), X0
	VMOVSS X0, (R9)
	VMOVSS 8(SI), X0
	VMOVSS X0, (R10)
	XORQ   DX, DX

fl_block:
	MOVQ FA_F(BX), CX
	SUBQ DX, CX
	JLE  fl_next
	MOVQ $-1, AX
	CMPQ CX, $64
	JGE  fl_full
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX

fl_full:
	KMOVW     AX, K1
	SHRQ      $16, AX
	KMOVW     AX, K2
	SHRQ      $16, AX
	KMOVW     AX, K3
	SHRQ      $16, AX
	KMOVW     AX, K4
	VMOVUPS.Z 12(SI)(DX*4), K1, Z0
	VMOVUPS.Z 76(SI)(DX*4), K2, Z1
	VMOVUPS.Z 140(SI)(DX*4), K3, Z2
	VMOVUPS.Z 204(SI)(DX*4), K4, Z3
	DEINT4
	MOVQ      DX, AX
	SHRQ      $2, AX
	MOVQ      FA_G(BX), CX
	SUBQ      AX, CX
	CMPQ      CX, $16
	JLE       fl_g
	MOVQ      $16, CX

fl_g:
	MOVQ    $1, AX
	SHLQ    CX, AX
	DECQ    AX
	KMOVW   AX, K5
	VMOVUPS Z4, K5, (R11)(DX*1)
	VMOVUPS Z5, K5, (R12)(DX*1)
	MOVQ    DX, AX
	SHRQ    $2, AX
	MOVQ    FA_GQ(BX), CX
	SUBQ    AX, CX
	JLE     fl_step
	CMPQ    CX, $16
	JLE     fl_gq
	MOVQ    $16, CX

fl_gq:
	MOVQ    $1, AX
	SHLQ    CX, AX
	DECQ    AX
	KMOVW   AX, K6
	VMOVUPS Z4, K6, 4(DI)(DX*1)
	VMOVUPS Z5, K6, 4(R8)(DX*1)
	VMOVUPS Z6, K6, 4(R9)(DX*1)
	VMOVUPS Z7, K6, 4(R10)(DX*1)

fl_step:
	ADDQ $64, DX
	JMP  fl_block

fl_next:
	INCQ R13
	CMPQ R13, FA_H(BX)
	JGT  fl_done
	MOVQ FA_W(BX), AX
	LEAQ (SI)(AX*4), SI
	JMP  fl_row

fl_done:
	VZEROUPPER
	RET

// winoFillVArgs' offsets (conv_wino.go).
#define FV_Q 0
#define FV_SRC 8
#define FV_LP 16
#define FV_OFF 24
#define FV_U1 56
#define FV_ROW 64
#define FV_BLOCKS 72
#define FV_K0 80
#define FV_K1 88
#define FV_SH0 96
#define FV_SH1 160

// func winoFillV(a *winoFillVArgs)
// winoFill4x for maps 16, 32 or 64 wide (w = 4·tw; th = h/4, h·w a
// multiple of 256): the rows y ≡ t (mod 4) of one plane group a =
// (t+1) mod 4 fill plane rows u = (y+1)/4, 16/tw of them (16 floats) a
// vector, so each block of 64 floats of those rows (a.off: the four
// vectors' byte offsets from the block's first, 1024 bytes a block) is one
// DEINT4 (E_j = Z(4+j), lane tw·u+v = element j of group v of row u):
// Q_{a,1..3} = E_0..E_2 (column 0 from map columns 0–2), Q'_{a,0} = E_3
// (its last column the column apart, w−1), Q_{a,0} = E_3 one lane on in
// each plane row with 0 in column 0 (the padding; a.sh0 under a.k0),
// Q'_{a,1} = E_0 one lane back with 0 in the last column (past the row;
// a.sh1 under a.k1). Every element these planes get is written, each with
// the value winoFill4x gives it (the padding as +0, as the clear left it).
// Registers: SI the block's first row, DI the group's planes at its plane
// row, CX lp, AX 3·lp, BX 5·lp, DX blocks left, R8 t, R9 the args, R10–R12
// a.off[1..3]. Pure copies; pointers step only while blocks remain.
TEXT ·winoFillV(SB), NOSPLIT, $0-8
	MOVQ    a+0(FP), R9
	VMOVUPS wcDeA<>(SB), Z28
	VMOVUPS wcDeB<>(SB), Z29
	VMOVUPS FV_SH0(R9), Z26
	VMOVUPS FV_SH1(R9), Z27
	KMOVW   FV_K0(R9), K1
	KMOVW   FV_K1(R9), K2
	MOVQ    FV_LP(R9), CX
	LEAQ    (CX)(CX*2), AX
	LEAQ    (CX)(CX*4), BX
	MOVQ    FV_OFF+8(R9), R10
	MOVQ    FV_OFF+16(R9), R11
	MOVQ    FV_OFF+24(R9), R12
	XORQ    R8, R8

fv_group:
	// a = (t+1) mod 4: planes from 6a·lp; rows t, t+4, …; plane row
	// 0 (t < 3) or 1 (t = 3: a = 0, whose plane row 0 is padding).
	LEAQ  1(R8), DI
	ANDQ  $3, DI
	LEAQ  (DI)(DI*2), DI
	SHLQ  $1, DI
	IMULQ CX, DI
	ADDQ  FV_Q(R9), DI
	CMPQ  R8, $3
	JNE   fv_rows
	ADDQ  FV_U1(R9), DI

fv_rows:
	MOVQ  R8, SI
	IMULQ FV_ROW(R9), SI
	ADDQ  FV_SRC(R9), SI
	MOVQ  FV_BLOCKS(R9), DX

fv_block:
	VMOVUPS     (SI), Z0
	VMOVUPS     (SI)(R10*1), Z1
	VMOVUPS     (SI)(R11*1), Z2
	VMOVUPS     (SI)(R12*1), Z3
	DEINT4
	VPERMPS.Z   Z7, Z26, K1, Z8
	VPERMPS.Z   Z4, Z27, K2, Z9
	VMOVUPS     Z8, (DI)
	VMOVUPS     Z4, (DI)(CX*1)
	VMOVUPS     Z5, (DI)(CX*2)
	VMOVUPS     Z6, (DI)(AX*1)
	VMOVUPS     Z7, (DI)(CX*4)
	VMOVUPS     Z9, (DI)(BX*1)
	DECQ        DX
	JZ          fv_next
	ADDQ        $1024, SI
	ADDQ        $64, DI
	JMP         fv_block

fv_next:
	INCQ R8
	CMPQ R8, $4
	JLT  fv_group
	VZEROUPPER
	RET
