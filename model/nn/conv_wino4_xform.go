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
// then the same pass along i. A pass runs the factored sums of
// wino4RowsBT and so on below (shared sums and differences, products by
// 2, 4 and 8 only, which are exact; no fused multiply-add), statement by
// statement and left to right. The AVX-512 kernels of conv_wino4_amd64.s
// and the AVX2 ones of conv_wino4_avx2_amd64.s (CPUs without AVX-512) are
// generated from those loop bodies, run the same operations in the same
// order and give the same bits. The Go versions take any n ≥ 0 (the
// kernels a multiple of 16, or 8 in AVX2); in both, dst and src must not
// overlap.

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

// The 1-D passes are wino4RowsBT, wino4RowsB, wino4RowsAT and wino4RowsA
// below, in the factored order of the usual F(4×4, 3×3) code: sums and
// differences shared between outputs, every coefficient 2, 4 or 8 (none
// rounds), 17 operations per pass of Bᵀ or B, 13 of Aᵀ, 11 of A (the
// plain sums took 25, 25, 20 and 15). Each statement of a loop body is one
// rounded operation per + or − and per product, evaluated left to right;
// the explicit conversions T(c*x) keep each product rounded on its own
// (the Go specification lets a compiler fuse x*y + z into one rounding,
// and gc does on arm64, ppc64, s390x and amd64 v3, unless the product is
// converted). These loop bodies are the one definition of the order: the
// AVX-512 and AVX2 kernels are generated from them (wino4Asm and
// wino4Avx2Asm in the test files parse this file), so the kernels give the
// Go versions' bits.

// wino4GoBlock is the number of columns the Go versions transform at a
// time: the pass along j writes a block of 36 scratch rows on the stack,
// the pass along i reads them back, and both run along rows (contiguous
// columns) rather than down one column's 36 rows.
const wino4GoBlock = 32

// wino4Sub returns k rows of s, rows first, first+step, … (at stride ld),
// each cut to the w columns from c0.
func wino4Sub[T Float](s []T, k, first, step, ld, c0, w int) (rows [6][]T) {
	for r := range k {
		rows[r] = s[(first+r*step)*ld+c0:][:w]
	}
	return rows
}

// wino4RowsBT sets column c of y's six rows to Bᵀ·(column c of x's).
func wino4RowsBT[T Float](y, x [6][]T) {
	x0 := x[0]
	n := len(x0)
	x1, x2, x3, x4, x5 := x[1][:n], x[2][:n], x[3][:n], x[4][:n], x[5][:n]
	y0, y1, y2, y3, y4, y5 := y[0][:n], y[1][:n], y[2][:n], y[3][:n], y[4][:n], y[5][:n]
	for c := range x0 {
		x0c, x1c, x2c, x3c, x4c, x5c := x0[c], x1[c], x2[c], x3[c], x4[c], x5[c]
		s42 := x4c - x2c
		d31 := x3c - x1c
		t1 := x4c - T(4*x2c)
		t2 := x3c - T(4*x1c)
		y0[c] = T(4*(x0c-x2c)) + s42 // 4x0 − 5x2 + x4
		y1[c] = t1 + t2              // −4x1 − 4x2 + x3 + x4
		y2[c] = t1 - t2              // 4x1 − 4x2 − x3 + x4
		d2 := T(2 * d31)
		y3[c] = s42 + d2               // −2x1 − x2 + 2x3 + x4
		y4[c] = s42 - d2               // 2x1 − x2 − 2x3 + x4
		y5[c] = (x5c - x3c) - T(4*d31) // 4x1 − 5x3 + x5
	}
}

// wino4RowsB sets column c of y's six rows to B·(column c of x's).
func wino4RowsB[T Float](y, x [6][]T) {
	x0 := x[0]
	n := len(x0)
	x1, x2, x3, x4, x5 := x[1][:n], x[2][:n], x[3][:n], x[4][:n], x[5][:n]
	y0, y1, y2, y3, y4, y5 := y[0][:n], y[1][:n], y[2][:n], y[3][:n], y[4][:n], y[5][:n]
	for c := range x0 {
		x0c, x1c, x2c, x3c, x4c, x5c := x0[c], x1[c], x2[c], x3[c], x4[c], x5[c]
		p12 := x1c + x2c
		m12 := x1c - x2c
		p34 := x3c + x4c
		m34 := x3c - x4c
		s := x0c + p34
		d := T(2*m34) - T(4*x5c)
		y0[c] = T(4 * x0c)
		y1[c] = T(-4*m12) - d       // −4x1 + 4x2 − 2x3 + 2x4 + 4x5
		y2[c] = T(-4*(p12+x0c)) - s // −5x0 − 4x1 − 4x2 − x3 − x4
		y3[c] = (m12 + d) - x5c     // x1 − x2 + 2x3 − 2x4 − 5x5
		y4[c] = p12 + s             // x0 + x1 + x2 + x3 + x4
		y5[c] = x5c
	}
}

// wino4RowsAT sets column c of y's first four rows to Aᵀ·(column c of
// x's six).
func wino4RowsAT[T Float](y, x [6][]T) {
	x0 := x[0]
	n := len(x0)
	x1, x2, x3, x4, x5 := x[1][:n], x[2][:n], x[3][:n], x[4][:n], x[5][:n]
	y0, y1, y2, y3 := y[0][:n], y[1][:n], y[2][:n], y[3][:n]
	for c := range x0 {
		x0c, x1c, x2c, x3c, x4c, x5c := x0[c], x1[c], x2[c], x3[c], x4[c], x5[c]
		p12 := x1c + x2c
		m12 := x1c - x2c
		p34 := x3c + x4c
		m34 := x3c - x4c
		y0[c] = x0c + p12 + p34      // x0 + x1 + x2 + x3 + x4
		y1[c] = m12 + T(2*m34)       // x1 − x2 + 2x3 − 2x4
		y2[c] = p12 + T(4*p34)       // x1 + x2 + 4x3 + 4x4
		y3[c] = m12 + T(8*m34) + x5c // x1 − x2 + 8x3 − 8x4 + x5
	}
}

// wino4RowsA sets column c of y's six rows to A·(column c of x's first
// four).
func wino4RowsA[T Float](y, x [6][]T) {
	x0 := x[0]
	n := len(x0)
	x1, x2, x3 := x[1][:n], x[2][:n], x[3][:n]
	y0, y1, y2, y3, y4, y5 := y[0][:n], y[1][:n], y[2][:n], y[3][:n], y[4][:n], y[5][:n]
	for c := range x0 {
		x0c, x1c, x2c, x3c := x0[c], x1[c], x2[c], x3[c]
		p02 := x0c + x2c
		p13 := x1c + x3c
		q02 := x0c + T(4*x2c)
		q13 := T(2*x1c) + T(8*x3c)
		y0[c] = x0c
		y1[c] = p02 + p13 // x0 + x1 + x2 + x3
		y2[c] = p02 - p13 // x0 − x1 + x2 − x3
		y3[c] = q02 + q13 // x0 + 2x1 + 4x2 + 8x3
		y4[c] = q02 - q13 // x0 − 2x1 + 4x2 − 8x3
		y5[c] = x3c
	}
}

// wino4BTGo sets the 36 rows of dst to (Bᵀ⊗Bᵀ)·src over n columns (V =
// Bᵀ d B per column; rows of both at stride ld elements): first t[i][b] =
// (Bᵀ·d[i][·])[b] along j, then V[a][b] = (Bᵀ·t[·][b])[a] along i, each
// sum as wino4RowsBT writes it. It is the portable version of wino4BT.
func wino4BTGo[T Float](dst, src []T, ld, n int) {
	if n <= 0 {
		return
	}
	_, _ = dst[35*ld+n-1], src[35*ld+n-1]
	var scratch [36 * wino4GoBlock]T
	t := scratch[:]
	for c0 := 0; c0 < n; c0 += wino4GoBlock {
		w := min(wino4GoBlock, n-c0)
		for i := range 6 { // t row 6i+b = t[i][b]
			wino4RowsBT(wino4Sub(t, 6, 6*i, 1, wino4GoBlock, 0, w), wino4Sub(src, 6, 6*i, 1, ld, c0, w))
		}
		for b := range 6 { // dst row 6a+b = V[a][b]
			wino4RowsBT(wino4Sub(dst, 6, b, 6, ld, c0, w), wino4Sub(t, 6, b, 6, wino4GoBlock, 0, w))
		}
	}
}

// wino4BTRows is wino4BTGo with the 36 source rows given one by one
// (each at least n long): the same sums in the same order, so the same
// bits (winoGather4's portable path and its ragged columns).
func wino4BTRows[T Float](dst []T, ld int, src *[36][]T, n int) {
	if n <= 0 {
		return
	}
	_ = dst[35*ld+n-1]
	var scratch [36 * wino4GoBlock]T
	t := scratch[:]
	for c0 := 0; c0 < n; c0 += wino4GoBlock {
		w := min(wino4GoBlock, n-c0)
		for i := range 6 { // t row 6i+b = t[i][b]
			var x [6][]T
			for j := range 6 {
				x[j] = src[6*i+j][c0:][:w]
			}
			wino4RowsBT(wino4Sub(t, 6, 6*i, 1, wino4GoBlock, 0, w), x)
		}
		for b := range 6 { // dst row 6a+b = V[a][b]
			wino4RowsBT(wino4Sub(dst, 6, b, 6, ld, c0, w), wino4Sub(t, 6, b, 6, wino4GoBlock, 0, w))
		}
	}
}

// wino4BGo sets the 36 rows of dst to (Bᵀ⊗Bᵀ)ᵀ·src over n columns (dd =
// B dV Bᵀ per column; rows at stride ld elements): first t[a][j] =
// (B·dV[a][·])[j] along j, then dd[i][j] = (B·t[·][j])[i] along i, each
// sum as wino4RowsB writes it. It is the portable version of wino4B.
func wino4BGo[T Float](dst, src []T, ld, n int) {
	if n <= 0 {
		return
	}
	_, _ = dst[35*ld+n-1], src[35*ld+n-1]
	var scratch [36 * wino4GoBlock]T
	t := scratch[:]
	for c0 := 0; c0 < n; c0 += wino4GoBlock {
		w := min(wino4GoBlock, n-c0)
		for a := range 6 { // t row 6a+j = t[a][j]
			wino4RowsB(wino4Sub(t, 6, 6*a, 1, wino4GoBlock, 0, w), wino4Sub(src, 6, 6*a, 1, ld, c0, w))
		}
		for j := range 6 { // dst row 6i+j = dd[i][j]
			wino4RowsB(wino4Sub(dst, 6, j, 6, ld, c0, w), wino4Sub(t, 6, j, 6, wino4GoBlock, 0, w))
		}
	}
}

// wino4ATGo sets the 16 rows of dst (row 4a+b = Y[a][b]) to (Aᵀ⊗Aᵀ)·src,
// src's 36 rows, over n columns (Y = Aᵀ M A per column; rows at stride ld
// elements): first t[i][b] = (Aᵀ·M[i][·])[b] along j, then Y[a][b] =
// (Aᵀ·t[·][b])[a] along i, each sum as wino4RowsAT writes it. It is the
// portable version of wino4AT.
func wino4ATGo[T Float](dst, src []T, ld, n int) {
	if n <= 0 {
		return
	}
	_, _ = dst[15*ld+n-1], src[35*ld+n-1]
	var scratch [24 * wino4GoBlock]T
	t := scratch[:]
	for c0 := 0; c0 < n; c0 += wino4GoBlock {
		w := min(wino4GoBlock, n-c0)
		for i := range 6 { // t row 4i+b = t[i][b]
			wino4RowsAT(wino4Sub(t, 4, 4*i, 1, wino4GoBlock, 0, w), wino4Sub(src, 6, 6*i, 1, ld, c0, w))
		}
		for b := range 4 { // dst row 4a+b = Y[a][b]
			wino4RowsAT(wino4Sub(dst, 4, b, 4, ld, c0, w), wino4Sub(t, 6, b, 4, wino4GoBlock, 0, w))
		}
	}
}

// wino4AGo sets the 36 rows of dst to (Aᵀ⊗Aᵀ)ᵀ·src, src's 16 rows (row
// 4a+b = dY[a][b]), over n columns (dM = A dY Aᵀ per column; rows at
// stride ld elements): first t[a][j] = (A·dY[a][·])[j] along j, then
// dM[i][j] = (A·t[·][j])[i] along i, each sum as wino4RowsA writes it. It is
// the portable version of wino4A.
func wino4AGo[T Float](dst, src []T, ld, n int) {
	if n <= 0 {
		return
	}
	_, _ = dst[35*ld+n-1], src[15*ld+n-1]
	var scratch [24 * wino4GoBlock]T
	t := scratch[:]
	for c0 := 0; c0 < n; c0 += wino4GoBlock {
		w := min(wino4GoBlock, n-c0)
		for a := range 4 { // t row 6a+j = t[a][j]
			wino4RowsA(wino4Sub(t, 6, 6*a, 1, wino4GoBlock, 0, w), wino4Sub(src, 4, 4*a, 1, ld, c0, w))
		}
		for j := range 6 { // dst row 6i+j = dM[i][j]
			wino4RowsA(wino4Sub(dst, 6, j, 6, ld, c0, w), wino4Sub(t, 4, j, 6, wino4GoBlock, 0, w))
		}
	}
}
