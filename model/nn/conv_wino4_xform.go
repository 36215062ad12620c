package nn

// The transforms of Winograd's F(4×4, 3×3) (Lavin and Gray, "Fast
// Algorithms for Convolutional Neural Networks", 2016) with the points 0,
// ±1, ±2: each 4×4 output tile of a channel reads the 6×6 patch d around
// it and
//
//	V = Bᵀ d B,   U = G w Gᵀ,   M[ξ] = U[ξ]·V[ξ] (36 positions ξ),   Y = Aᵀ M A,
//
// backward dM = A dY Aᵀ, dV[ξ] = U[ξ]ᵀ dM[ξ], dd = B dV Bᵀ, dU[ξ] =
// Σ dM[ξ] V[ξ]ᵀ, dw = Gᵀ dU G. 36 multiply-adds per 4×4 output tile and
// channel pair instead of the direct convolution's 16·9 = 144: 4× fewer.
//
// A transformed block is laid out as the F(2×2) route's (winoXform): R
// rows of n columns (a column is one channel's tile), row k = 6i+j holding
// the patch or transform element (i, j) (4i+j for the 4×4 output tiles),
// rows at stride ld. The four transforms below run over such blocks,
// separably: a 6-point (or 4-point) pass along j into a scratch of rows,
// then the same pass along i. Every output of a pass is the sum of
// coefficient × input over the nonzero coefficients of its row of the 1-D
// matrix in ascending input index, evaluated left to right from the first
// term (no zero start, no fused multiply-add; a coefficient ±1 is an add
// or a subtract, a negative coefficient after the first term is the
// subtraction of |c|·x, which is the same number). The AVX-512 kernels of
// conv_wino4_amd64.s run the same operations in the same order and give
// the same bits. Only 5x and its negative round among the products (2, 4
// and 8 are powers of two); no coefficient of Aᵀ rounds.

// wino4MatBT, wino4MatG and wino4MatAT are Bᵀ (6×6), G (6×3) and Aᵀ (4×6)
// of F(4×4, 3×3): V = Bᵀ d B, U = G w Gᵀ, Y = Aᵀ M A (wino4BT and wino4AT are
// the kernels).
var (
	wino4MatBT = [6][6]float64{
		{4, 0, -5, 0, 1, 0},
		{0, -4, -4, 1, 1, 0},
		{0, 4, -4, -1, 1, 0},
		{0, -2, -1, 2, 1, 0},
		{0, 2, -1, -2, 1, 0},
		{0, 4, 0, -5, 0, 1},
	}
	wino4MatG = [6][3]float64{
		{1.0 / 4, 0, 0},
		{-1.0 / 6, -1.0 / 6, -1.0 / 6},
		{-1.0 / 6, 1.0 / 6, -1.0 / 6},
		{1.0 / 24, 1.0 / 12, 1.0 / 6},
		{1.0 / 24, -1.0 / 12, 1.0 / 6},
		{0, 0, 1},
	}
	wino4MatAT = [4][6]float64{
		{1, 1, 1, 1, 1, 0},
		{0, 1, -1, 2, -2, 0},
		{0, 1, 1, 4, 4, 0},
		{0, 1, -1, 8, -8, 1},
	}
)

// The 1-D passes. The explicit conversions T(c*x) keep each product
// rounded on its own: the Go specification lets a compiler fuse x*y + z
// into one rounding (as on GOAMD64=v3) unless the product is converted.

// wino4BT6 returns Bᵀ·x.
func wino4BT6[T Float](x0, x1, x2, x3, x4, x5 T) (y0, y1, y2, y3, y4, y5 T) {
	y0 = T(4*x0) - T(5*x2) + x4
	y1 = T(-4*x1) - T(4*x2) + x3 + x4
	y2 = T(4*x1) - T(4*x2) - x3 + x4
	y3 = T(-2*x1) - x2 + T(2*x3) + x4
	y4 = T(2*x1) - x2 - T(2*x3) + x4
	y5 = T(4*x1) - T(5*x3) + x5
	return
}

// wino4B6 returns B·x (the transpose of wino4BT6).
func wino4B6[T Float](x0, x1, x2, x3, x4, x5 T) (y0, y1, y2, y3, y4, y5 T) {
	y0 = T(4 * x0)
	y1 = T(-4*x1) + T(4*x2) - T(2*x3) + T(2*x4) + T(4*x5)
	y2 = T(-5*x0) - T(4*x1) - T(4*x2) - x3 - x4
	y3 = x1 - x2 + T(2*x3) - T(2*x4) - T(5*x5)
	y4 = x0 + x1 + x2 + x3 + x4
	y5 = x5
	return
}

// wino4AT6 returns Aᵀ·x.
func wino4AT6[T Float](x0, x1, x2, x3, x4, x5 T) (y0, y1, y2, y3 T) {
	y0 = x0 + x1 + x2 + x3 + x4
	y1 = x1 - x2 + T(2*x3) - T(2*x4)
	y2 = x1 + x2 + T(4*x3) + T(4*x4)
	y3 = x1 - x2 + T(8*x3) - T(8*x4) + x5
	return
}

// wino4A4 returns A·x (the transpose of wino4AT6).
func wino4A4[T Float](x0, x1, x2, x3 T) (y0, y1, y2, y3, y4, y5 T) {
	y0 = x0
	y1 = x0 + x1 + x2 + x3
	y2 = x0 - x1 + x2 - x3
	y3 = x0 + T(2*x1) + T(4*x2) + T(8*x3)
	y4 = x0 - T(2*x1) + T(4*x2) - T(8*x3)
	y5 = x3
	return
}

// wino4BTGo sets the 36 rows of dst to (Bᵀ⊗Bᵀ)·src over n columns (V =
// Bᵀ d B per column; rows of both at stride ld elements): first t[i][b] =
// (Bᵀ·d[i][·])[b] along j, then V[a][b] = (Bᵀ·t[·][b])[a] along i, each
// sum as wino4BT6 writes it. It is the portable version of wino4BT.
func wino4BTGo[T Float](dst, src []T, ld, n int) {
	if n <= 0 {
		return
	}
	_, _ = dst[35*ld+n-1], src[35*ld+n-1]
	for c := range n {
		var t [36]T
		for i := range 6 {
			s := src[6*i*ld+c:]
			t[6*i], t[6*i+1], t[6*i+2], t[6*i+3], t[6*i+4], t[6*i+5] =
				wino4BT6(s[0], s[ld], s[2*ld], s[3*ld], s[4*ld], s[5*ld])
		}
		for b := range 6 {
			d := dst[b*ld+c:]
			d[0], d[6*ld], d[12*ld], d[18*ld], d[24*ld], d[30*ld] =
				wino4BT6(t[b], t[6+b], t[12+b], t[18+b], t[24+b], t[30+b])
		}
	}
}

// wino4BGo sets the 36 rows of dst to (Bᵀ⊗Bᵀ)ᵀ·src over n columns (dd =
// B dV Bᵀ per column; rows at stride ld elements): first t[a][j] =
// (B·dV[a][·])[j] along j, then dd[i][j] = (B·t[·][j])[i] along i, each
// sum as wino4B6 writes it. It is the portable version of wino4B.
func wino4BGo[T Float](dst, src []T, ld, n int) {
	if n <= 0 {
		return
	}
	_, _ = dst[35*ld+n-1], src[35*ld+n-1]
	for c := range n {
		var t [36]T
		for a := range 6 {
			s := src[6*a*ld+c:]
			t[6*a], t[6*a+1], t[6*a+2], t[6*a+3], t[6*a+4], t[6*a+5] =
				wino4B6(s[0], s[ld], s[2*ld], s[3*ld], s[4*ld], s[5*ld])
		}
		for j := range 6 {
			d := dst[j*ld+c:]
			d[0], d[6*ld], d[12*ld], d[18*ld], d[24*ld], d[30*ld] =
				wino4B6(t[j], t[6+j], t[12+j], t[18+j], t[24+j], t[30+j])
		}
	}
}

// wino4ATGo sets the 16 rows of dst (row 4a+b = Y[a][b]) to (Aᵀ⊗Aᵀ)·src,
// src's 36 rows, over n columns (Y = Aᵀ M A per column; rows at stride ld
// elements): first t[i][b] = (Aᵀ·M[i][·])[b] along j, then Y[a][b] =
// (Aᵀ·t[·][b])[a] along i, each sum as wino4AT6 writes it. It is the
// portable version of wino4AT.
func wino4ATGo[T Float](dst, src []T, ld, n int) {
	if n <= 0 {
		return
	}
	_, _ = dst[15*ld+n-1], src[35*ld+n-1]
	for c := range n {
		var t [24]T
		for i := range 6 {
			s := src[6*i*ld+c:]
			t[4*i], t[4*i+1], t[4*i+2], t[4*i+3] =
				wino4AT6(s[0], s[ld], s[2*ld], s[3*ld], s[4*ld], s[5*ld])
		}
		for b := range 4 {
			d := dst[b*ld+c:]
			d[0], d[4*ld], d[8*ld], d[12*ld] =
				wino4AT6(t[b], t[4+b], t[8+b], t[12+b], t[16+b], t[20+b])
		}
	}
}

// wino4AGo sets the 36 rows of dst to (Aᵀ⊗Aᵀ)ᵀ·src, src's 16 rows (row
// 4a+b = dY[a][b]), over n columns (dM = A dY Aᵀ per column; rows at
// stride ld elements): first t[a][j] = (A·dY[a][·])[j] along j, then
// dM[i][j] = (A·t[·][j])[i] along i, each sum as wino4A4 writes it. It is
// the portable version of wino4A.
func wino4AGo[T Float](dst, src []T, ld, n int) {
	if n <= 0 {
		return
	}
	_, _ = dst[35*ld+n-1], src[15*ld+n-1]
	for c := range n {
		var t [24]T
		for a := range 4 {
			s := src[4*a*ld+c:]
			t[6*a], t[6*a+1], t[6*a+2], t[6*a+3], t[6*a+4], t[6*a+5] =
				wino4A4(s[0], s[ld], s[2*ld], s[3*ld])
		}
		for j := range 6 {
			d := dst[j*ld+c:]
			d[0], d[6*ld], d[12*ld], d[18*ld], d[24*ld], d[30*ld] =
				wino4A4(t[j], t[6+j], t[12+j], t[18+j])
		}
	}
}
