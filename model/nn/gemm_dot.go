package nn

// gemmDotT sets C = A·Bᵀ (m×n, row stride ldc) for A m×k and B n×k, both
// stored row-major (row strides lda, ldb): every element of C is a dot
// product of two rows that are contiguous along the sum's index. That is
// the shape of the Winograd route's weight gradient (dW = Σ_t dm·vᵀ over
// the tiles t). The blocked GEMM (gemm(false, true, …)) must transpose B
// while packing it (packTranspose8), because its kernels broadcast A and
// load B as vectors along C's columns. With AVX-512, float32 and a shape
// where the kernel alone is faster (sdotTWins), sdotTBlocks runs instead:
// it sums along the rows in place with vector accumulators and packs
// nothing. That sums in another order than the GEMM (16 partial sums a
// lane, then a halving tree; see sdotT4x4 in gemm_dot_amd64.s), chosen by
// the shape alone: the same bits on any number of workers, not the bits
// of gemm. Elsewhere it is gemm(false, true, m, n, k, 1, a, lda, b, ldb,
// 0, c, ldc).
//
// No route calls it yet: winoBackward's weight gradient on it measured no
// change in the layers (ConvCOCO conv2, 20 alternate rounds) nor in the
// training steps (COCONetStep none, first, middle, 12 rounds), and at
// conv3–conv6 (k = 128 tiles, m ≥ 64) the packed GEMM is faster
// (docs/PERFORMANCE.md, "Session 9 (lane10w)"). It stays, tested, for
// shapes with long rows.
func gemmDotT[T Float](m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	if af, ok := any(a).([]float32); ok && sdotTOK && !noSdotT && (forceSdotT || sdotTWins(m, k)) {
		sdotTBlocks(m, n, k, af, lda, any(b).([]float32), ldb, any(c).([]float32), ldc)
		return
	}
	gemm(false, true, m, n, k, 1, a, lda, b, ldb, 0, c, ldc)
}

// sdotTWins reports whether sdotTBlocks beats the packed GEMM on an
// m×n×k product of gemmDotT, the operands in cache. Its cost a block of
// 4×4 outputs is k/16 steps of 16 multiply-adds plus a fixed reduction
// (30 shuffles and 15 adds, on the multiply-add ports) and its share of a
// call; the GEMM's extra cost is packing Bᵀ, n·k values, shared by the m
// rows, and a ragged last panel where m is not a multiple of its 8 rows.
// So the kernel wins where k is long against m: measured
// (BenchmarkGemmDotT, one thread, 10 alternate rounds) −18 % CPU at
// 32×32×256 (conv2's shape), −32 % at 27×32×256 and −13 % at 27×64×128
// (the side convolutions of dcnn-first and dcnn-middle); +13 to +28 % at
// conv3–conv6 (k = 128, m ≥ 64). Single runs: −16 % at 32×32×512, −5 %
// at 64×32×256, even at 64×64×256, +6 to +8 % at 32×32×128 and
// 128×128×256.
func sdotTWins(m, k int) bool {
	return k >= 8*m || m%8 != 0 && k >= 4*m
}

// forceSdotT makes gemmDotT take sdotTBlocks on every shape (tests and
// benchmarks).
var forceSdotT bool

// noSdotT turns sdotTBlocks off in gemmDotT (benchmarks compare the two
// routes with it).
var noSdotT bool

// sdotTBlocks is gemmDotT on sdotT4xN and sdotT4x4: C in blocks of 4×4,
// each from four rows of A and four of B, k deep: four rows of A stay in
// cache while sdotT4xN sweeps B's full blocks of rows in one call. (The
// other order, four rows of B kept while A is swept, measured slower in
// the Winograd route's backward, where B, the input's transform, comes
// from memory: docs/PERFORMANCE.md, "Session 9 (lane10w)".)
// A last block of fewer rows or columns repeats the last real row as the
// missing ones (no row past the operands is read) and goes through a small
// tile, of which only the real part is copied out; so every element of C
// is the same function of its two rows wherever it lies in a block.
func sdotTBlocks(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	gemmCheck(false, true, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		gemmScale(m, n, 0, c, ldc)
		return
	}
	var ap, bp [4]*float32
	var tile [16]float32
	fm, fn := m/4*4, n/4*4 // rows and columns in full blocks
	for i0 := 0; i0 < fm && fn > 0; i0 += 4 {
		for r := range 4 {
			ap[r] = &a[(i0+r)*lda]
		}
		sdotT4xN(k, &ap, &b[0], ldb, fn/4, &c[i0*ldc], ldc, 4)
	}
	// The ragged last row of blocks and column of blocks.
	for i0 := 0; i0 < m; i0 += 4 {
		for r := range 4 {
			ap[r] = &a[min(i0+r, m-1)*lda]
		}
		j0 := fn
		if i0 >= fm {
			j0 = 0
		}
		for ; j0 < n; j0 += 4 {
			for r := range 4 {
				bp[r] = &b[min(j0+r, n-1)*ldb]
			}
			sdotT4x4(k, &ap, &bp, &tile[0], 4)
			w := min(4, n-j0)
			for r := range min(4, m-i0) {
				copy(c[(i0+r)*ldc+j0:][:w], tile[4*r:])
			}
		}
	}
}
