// DCN_POINT16 computes the sampling point of 16 output pixels at one tap of
// a deformable convolution, for deform_fill_amd64.s's table fill and
// deform_dotsgrad_amd64.s's offset gradient (one definition, so both take
// the same bits). In: DI the kernels' argument struct (56: the taps' i·DH,
// 64: their j·DW, 80: the byte distance from a tap's y offsets to its x
// offsets), R10 the tap, R11 the tap's y offsets, Z16/Z17 the pixels'
// oy·SH − PH and ox·SW − PW, Z9 int32 ones, Z10 the padded row width wp,
// Z12 −1.0, Z13 W and Z14 H (float32). Out: Z0 fy and Z1 fx (the
// fractions), Z4 the top-left corner's index (yl+1)·wp + xl + 1 in the
// padded image, 0 outside; K2 inside (−1 ≤ y < H and −1 ≤ x < W), K3 inside
// with y > −1 and x > −1 (the point's value counts). Clobbers R14, Z5, Z8,
// Z15 and K1.
#define DCN_POINT16 \
	MOVQ 56(DI), R14; \
	VPBROADCASTD (R14)(R10*4), Z15; \
	MOVQ 64(DI), R14; \
	VPBROADCASTD (R14)(R10*4), Z8; \
	VPADDD Z16, Z15, Z0; \
	VCVTDQ2PS Z0, Z0; \
	VADDPS (R11), Z0, Z0; \
	MOVQ 80(DI), R14; \
	VPADDD Z17, Z8, Z1; \
	VCVTDQ2PS Z1, Z1; \
	VADDPS (R11)(R14*1), Z1, Z1; \
	VCMPPS $0x1d, Z12, Z0, K1; \
	VCMPPS $0x11, Z14, Z0, K1, K1; \
	VCMPPS $0x1d, Z12, Z1, K1, K1; \
	VCMPPS $0x11, Z13, Z1, K1, K2; \
	VCMPPS $0x1e, Z12, Z0, K2, K3; \
	VCMPPS $0x1e, Z12, Z1, K3, K3; \
	VRNDSCALEPS $1, Z0, Z4; \
	VSUBPS Z4, Z0, Z0; \
	VCVTTPS2DQ Z4, Z4; \
	VPADDD Z9, Z4, Z4; \
	VPMULLD Z10, Z4, Z4; \
	VRNDSCALEPS $1, Z1, Z5; \
	VSUBPS Z5, Z1, Z1; \
	VCVTTPS2DQ Z5, Z5; \
	VPADDD Z5, Z4, Z4; \
	VPADDD Z9, Z4, Z4; \
	VMOVDQA32.Z Z4, K2, Z4

// DCN_POINT8 computes the sampling point of 8 output pixels at one tap in
// AVX2, for deform_fill_amd64.s's dcnFillTAVX (FILLT_HALF) and
// deform_dotsgrad_amd64.s's dcnDotsGradAVX (DV_POINT): dcnFillAVX's
// operations in the same order (one definition, so both take the same
// bits). In: the pixels' oy·SH − PH and ox·SW − PW at posoff(AX) and
// posoff+32(AX), the tap's y offsets at off(R11) and its x offsets xd
// bytes after them, i·DH and j·DW broadcast in Y7 and Y8, Y9 int32 ones,
// Y10 the padded row width wp, Y12 −1.0, Y13 W and Y14 H (float32). Out: Y0
// fy and Y1 fx (the fractions), Y4 the top-left corner's index (yl+1)·wp +
// xl + 1 in the padded image, 0 outside; Y2 all ones inside (−1 ≤ y < H and
// −1 ≤ x < W), Y3 inside with y > −1 and x > −1. Clobbers Y5.
#define DCN_POINT8(posoff, off, xd) \
	VPADDD     posoff(AX), Y7, Y0; \
	VCVTDQ2PS  Y0, Y0; \
	VADDPS     off(R11), Y0, Y0; \
	VPADDD     posoff+32(AX), Y8, Y1; \
	VCVTDQ2PS  Y1, Y1; \
	VADDPS     off(R11)(xd*1), Y1, Y1; \
	VCMPPS     $0x1d, Y12, Y0, Y2; \
	VCMPPS     $0x11, Y14, Y0, Y3; \
	VANDPS     Y3, Y2, Y2; \
	VCMPPS     $0x1d, Y12, Y1, Y3; \
	VANDPS     Y3, Y2, Y2; \
	VCMPPS     $0x11, Y13, Y1, Y3; \
	VANDPS     Y3, Y2, Y2; \
	VCMPPS     $0x1e, Y12, Y0, Y3; \
	VCMPPS     $0x1e, Y12, Y1, Y4; \
	VANDPS     Y4, Y3, Y3; \
	VANDPS     Y2, Y3, Y3; \
	VROUNDPS   $1, Y0, Y4; \
	VSUBPS     Y4, Y0, Y0; \
	VCVTTPS2DQ Y4, Y4; \
	VPADDD     Y9, Y4, Y4; \
	VPMULLD    Y10, Y4, Y4; \
	VROUNDPS   $1, Y1, Y5; \
	VSUBPS     Y5, Y1, Y1; \
	VCVTTPS2DQ Y5, Y5; \
	VPADDD     Y5, Y4, Y4; \
	VPADDD     Y9, Y4, Y4; \
	VPAND      Y2, Y4, Y4
