// The shared parts of the scatter kernels (dcnScatterAVX in vec_amd64.s,
// dcnScatter512, dcnScatterCols512 and dcnScatterColsAVX in
// deform_vec_amd64.s), whose arguments are (dimg, img *float32, pix, row
// int, base *int32, wts, gr, s *float32, count, n int): one definition of
// each, so that the four keep the same registers and the same reduction.

// SCATTER_ARGS loads R8 pix, R9 row, BX base, DX wts, DI gr, R10 count
// and R11 n.
#define SCATTER_ARGS \
	MOVQ pix+16(FP), R8; \
	MOVQ row+24(FP), R9; \
	MOVQ base+32(FP), BX; \
	MOVQ wts+40(FP), DX; \
	MOVQ gr+48(FP), DI; \
	MOVQ count+64(FP), R10; \
	MOVQ n+72(FP), R11

// SCATTER_SCALE turns pix and row into bytes and sets R14 to s − wts in
// bytes (R14 is free in ABI0), so that (DX)(R14*1) is an entry's sums.
#define SCATTER_SCALE \
	SHLQ $2, R8; \
	SHLQ $2, R9; \
	MOVQ s+56(FP), R14; \
	SUBQ DX, R14

// SCATTER_CORNERS points at the entry's corners: AX img's top-left, R12
// its bottom-left, R13 dimg's top-left and CX its bottom-left (the right
// ones are R8 further). Clobbers nothing else.
#define SCATTER_CORNERS \
	MOVLQSX (BX), R13; \
	IMULQ   R8, R13; \
	MOVQ    img+8(FP), AX; \
	ADDQ    R13, AX; \
	LEAQ    (AX)(R9*1), R12; \
	ADDQ    dimg+0(FP), R13; \
	LEAQ    (R13)(R9*1), CX

// SCATTER_SUM reduces the entry's corner sums Y4–Y7 (8 lanes each) to
// four values, stores them at (DX)(R14*1) and steps BX, DX and R10 to the
// next entry. Clobbers Y5 and Y6.
#define SCATTER_SUM \
	VHADDPS      Y5, Y4, Y4; \
	VHADDPS      Y7, Y6, Y6; \
	VHADDPS      Y6, Y4, Y4; \
	VEXTRACTF128 $1, Y4, X5; \
	VADDPS       X5, X4, X4; \
	VMOVUPS      X4, (DX)(R14*1); \
	ADDQ         $4, BX; \
	ADDQ         $16, DX; \
	DECQ         R10

// SCATTER_DIMG8 adds w_j·gr (gr's 8 values in Y0, w0–w3 in Y8–Y11) to the
// 8 channels of each corner of dimg, through the temporaries a, b, c, d.
#define SCATTER_DIMG8(a, b, c, d) \
	VMOVUPS     (R13), a; \
	VFMADD231PS Y0, Y8, a; \
	VMOVUPS     a, (R13); \
	VMOVUPS     (R13)(R8*1), b; \
	VFMADD231PS Y0, Y9, b; \
	VMOVUPS     b, (R13)(R8*1); \
	VMOVUPS     (CX), c; \
	VFMADD231PS Y0, Y10, c; \
	VMOVUPS     c, (CX); \
	VMOVUPS     (CX)(R8*1), d; \
	VFMADD231PS Y0, Y11, d; \
	VMOVUPS     d, (CX)(R8*1)

// SCATTER_STEP moves gr and the corners' pointers on by bytes.
#define SCATTER_STEP(bytes) \
	ADDQ $bytes, DI; \
	ADDQ $bytes, AX; \
	ADDQ $bytes, R12; \
	ADDQ $bytes, R13; \
	ADDQ $bytes, CX

// SCATTER_WEIGHTS8 broadcasts the entry's four weights (DX) to Y8–Y11.
#define SCATTER_WEIGHTS8 \
	VBROADCASTSS (DX), Y8; \
	VBROADCASTSS 4(DX), Y9; \
	VBROADCASTSS 8(DX), Y10; \
	VBROADCASTSS 12(DX), Y11

// SCATTER_ZERO clears the corner sums Y4–Y7 and sets SI to n, the
// channels left.
#define SCATTER_ZERO \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7; \
	MOVQ   R11, SI
