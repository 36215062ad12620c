package nn

import (
	"fmt"
	"sync"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// The float32 GEMM: Goto/BLIS blocking around register-tiled assembly
// micro-kernels (gemm_amd64.s), AVX-512 (8×32 tiles) where the CPU has it,
// else AVX2+FMA (6×16), else gonum.
//
// For each nc-wide block of columns of C and each kc-deep block of the inner
// dimension, op(A) is packed, mc rows at a time, into micro-panels of kc
// steps of MR values, and op(B) into micro-panels of kc steps of NR values;
// the kernel then runs over every MR×NR tile. Packing absorbs the
// transposes, so all four (transA, transB) cases feed the same kernels with
// unit-stride data. Products of at most sgemmDirectACols columns read A's
// full MR-row panels in place instead (directA in sgemmWith: the S kernels
// for an untransposed A, the T kernels for a transposed one, 8 rows with
// AVX-512 and 6 with AVX2; the same values in the same order, so the same
// bits).
// B's micro-panels are packed lazily during the first row
// block, just before their first use, while they are still in L1; an
// untransposed B is mostly not packed at all (see direct in sgemmWith).
// Tiles that overhang C's edge are computed into a small temporary tile and
// copied out.
//
// The kernels are single-threaded: the convolution layers already run one
// multiply per core.

// The micro-kernels, named MR×NR. Each set has a full tile and three halves
// for the ragged last row panel (MR/2 rows), column panel (NR/2 columns) and
// their corner.

//go:noescape
func sgemmKernel6x16(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernel6x8(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernel3x16(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernel3x8(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernel8x32(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernel8x16(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernel4x32(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernel4x16(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

// sgemmKernel8x32S and sgemmKernel8x16S are sgemmKernel8x32 and
// sgemmKernel8x16 reading a full panel of eight rows of an untransposed A
// in place (row stride lda) instead of packed: the same bits.
//
//go:noescape
func sgemmKernel8x32S(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernel8x16S(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

// sgemmKernel8x32T and sgemmKernel8x16T are sgemmKernel8x32 and
// sgemmKernel8x16 reading a full panel of eight rows of a transposed A in
// place (op(A) = Aᵀ, each step's eight values contiguous, steps lda apart)
// instead of packed: the same bits.
//
//go:noescape
func sgemmKernel8x32T(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernel8x16T(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

// sgemmKernel6x16S and sgemmKernel6x8S are sgemmKernel6x16 and
// sgemmKernel6x8 reading a full panel of six rows of an untransposed A in
// place (row stride lda) instead of packed, and sgemmKernel6x16T and
// sgemmKernel6x8T the same for a transposed A (each step's six values
// contiguous, steps lda apart): assembly for speed, the same bits.
//
//go:noescape
func sgemmKernel6x16S(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernel6x8S(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernel6x16T(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func sgemmKernel6x8T(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

// sgemmKernel8x32Taps sums taps products into one full 8×32 tile of C
// (gemm_amd64.s): sgemmSumAB's inner loop in one call.
//
//go:noescape
func sgemmKernel8x32Taps(kc int, a *float32, as int, b *float32, ldb int, boff *int, taps int, c *float32, ldc int)

// sgemmKernel6x16TapsS and sgemmKernel4x16TapsS are sgemmKernel8x32Taps
// for AVX2 (gemm_taps_avx2_amd64.s): one full 6×16 or 4×16 tile of C set
// to the sum of taps products in one call, A_t read in place at a + t·as
// (row stride lda) as sgemmKernel6x16S reads it: the same bits as
// sgemmKernel6x16S (or any of the AVX2 kernels) once per product with
// alpha = 1 and beta = 0, 1, 1, ….
//
//go:noescape
func sgemmKernel6x16TapsS(kc int, a *float32, as, lda int, b *float32, ldb int, boff *int, taps int, c *float32, ldc int)

//go:noescape
func sgemmKernel4x16TapsS(kc int, a *float32, as, lda int, b *float32, ldb int, boff *int, taps int, c *float32, ldc int)

type sgemmMicro = func(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

type sgemmMicroS = func(kc int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

// sgemmKernel describes one set of micro-kernels and its cache blocking.
type sgemmKernel struct {
	name       string
	mr, nr     int // register tile
	kc, mc, nc int // cache blocks (upper bounds; balanced per call)
	// fn[h][w] computes an (MR>>h)×(NR>>w) tile: a last panel of at most
	// half the rows or columns takes the half kernel instead of wasting
	// more than half of the full one's work.
	fn [2][2]sgemmMicro
	// fs[w] and ft[w], where set, are fn[0][w] reading an untransposed and
	// a transposed A in place (directA in sgemmWith).
	fs, ft [2]sgemmMicroS
	// taps says that sgemmKernel8x32Taps sums several products into one
	// full tile with B read in place (sgemmSumAB). It is called directly,
	// not through a func value, so that escape analysis sees its
	// noescape and the caller's tap offsets stay on the stack.
	taps bool
}

var (
	sgemmAVX2 = &sgemmKernel{name: "avx2", mr: 6, nr: 16, kc: 256, mc: 144, nc: 4096,
		fn: [2][2]sgemmMicro{{sgemmKernel6x16, sgemmKernel6x8}, {sgemmKernel3x16, sgemmKernel3x8}},
		fs: [2]sgemmMicroS{sgemmKernel6x16S, sgemmKernel6x8S},
		ft: [2]sgemmMicroS{sgemmKernel6x16T, sgemmKernel6x8T}}
	sgemmAVX512 = &sgemmKernel{name: "avx512", mr: 8, nr: 32, kc: 256, mc: 128, nc: 4096,
		fn:   [2][2]sgemmMicro{{sgemmKernel8x32, sgemmKernel8x16}, {sgemmKernel4x32, sgemmKernel4x16}},
		fs:   [2]sgemmMicroS{sgemmKernel8x32S, sgemmKernel8x16S},
		ft:   [2]sgemmMicroS{sgemmKernel8x32T, sgemmKernel8x16T},
		taps: true}
)

// sgemmKern is the kernel this CPU runs; nil means gonum.
var sgemmKern = pickSgemmKernel()

// pickSgemmKernel chooses by CPUID (and the OS's support for the wider
// registers, which x/sys/cpu checks). The packing helpers need AVX, which
// both sets imply.
func pickSgemmKernel() *sgemmKernel {
	avx2 := cpu.X86.HasAVX2 && cpu.X86.HasFMA
	switch {
	case avx2 && cpu.X86.HasAVX512F:
		return sgemmAVX512
	case avx2:
		return sgemmAVX2
	}
	return nil
}

// sgemmTiny is the largest m·n·k that a plain loop multiplies faster than
// packing plus a kernel call (about 70 ns of fixed cost): measured with
// AVX-512, 2×2×2 took 13 ns against 69, 4×4×4 85 ns against 95, 6×6×6
// 249 ns against 127.
const sgemmTiny = 64

// sgemmDirectRows is the most rows of C for which the kernels read an
// untransposed B in place. Measured with AVX-512 (GFLOP/s, packed → in
// place): 32×245×288 185 → 221, 9×245×288 98 → 140, 128×1000×1152 236 →
// 250, 512×1000×576 248 → 249, 512×3000×576 240 → 235 (B no longer stays
// in cache between row blocks); with ldb = 1024, 32×1024×288 189 → 178 and
// 128×1024×1152 241 → 180. AVX2 follows the same pattern.
const sgemmDirectRows = 512

// sgemmDirectACols is the most columns of C for which sgemmWith reads the
// full row panels of A in place (the kernels' fs and ft) rather than pack
// them: packing an untransposed A transposes it, a transposed one is
// copied, costs that only many column panels repay. The Winograd route's
// GEMMs (conv_wino.go) have 32 to 256 columns. With AVX2 (AMD Zen 3, one
// thread, a loaded machine: medians, BenchmarkSgemmDirectA) most
// untransposed products gained (fwd/32x256x32 11.3 → 9.1 µs, du/32x32x256
// 11.3 → 7.0 µs), the transposed ones about nothing, and past 256 columns
// nothing clear (fwd/32x1024x288 465 → 611 µs); the layers gained 5–10 %
// (docs/PERFORMANCE.md, session 10, lane 12g).
var sgemmDirectACols = 256

// sgemmMaxTile bounds MR·NR over the kernels above.
const sgemmMaxTile = 8 * 32

func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if sgemmKern == nil {
		sgemmGonum(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	sgemmWith(sgemmKern, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// noWideA turns sgemmWideA's wider in-place A off (tests).
var noWideA bool

// sgemmWideACols is the most columns of C for which sgemmWideA reads A's
// full row panels in place with the AVX2 kernels: the deformable layer's
// backward products at 7×7 with 32 channels (ck = 288 columns: the weight
// gradient, 32×288×245 a chunk, and the column gradient, 245×288×32),
// which sgemmDirectACols (256) left to packA (about 6 % of that layer's
// forward and backward on Zen 3, issue 23 item 2).
const sgemmWideACols = 512

// sgemmWideA is sgemm reading A's full row panels in place for products of
// up to sgemmWideACols columns where the AVX2 kernels run (the same
// values in the same order as packing them: the same bits), else sgemm.
func sgemmWideA(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if !wideARuns(m, n, k, alpha) {
		sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	gemmCheck(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	sgemmRunA(sgemmAVX2, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil, sgemmWideACols)
}

// wideARuns reports whether sgemmWideA takes its own route for an m×n×k
// product (else it is sgemm's).
func wideARuns(m, n, k int, alpha float32) bool {
	return sgemmKern == sgemmAVX2 && !noWideA && n > sgemmDirectACols && n <= sgemmWideACols &&
		k > 0 && alpha != 0 && m > 0 && m*n*k > sgemmTiny
}

// sgemmWith runs the blocked GEMM on kernel kn.
func sgemmWith(kn *sgemmKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmCheck(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		gemmScale(m, n, beta, c, ldc)
		return
	}
	if m*n*k <= sgemmTiny {
		gemmGeneric(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	sgemmRun(kn, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil)
}

// sgemmRun is sgemmWith's blocked loops, for sizes past its special cases.
// Where pre is not nil it holds op(A) packed by sgemmPackA (k at most
// kn.kc: one block), and a is not read.
func sgemmRun(kn *sgemmKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, pre []float32) {
	sgemmRunA(kn, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, pre, sgemmDirectACols)
}

// sgemmRunA is sgemmRun reading A's full row panels in place for products
// of at most aCols columns (sgemmRun's bound is sgemmDirectACols).
func sgemmRunA(kn *sgemmKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, pre []float32, aCols int) {
	mr, nr := kn.mr, kn.nr
	kc := balance(k, kn.kc, 1)
	mc := balance(m, kn.mc, mr)
	nc := balance(n, kn.nc, nr)

	buf := sgemmPool.Get().(*sgemmBuf)
	pa := pre
	if pre == nil {
		pa = aligned(&buf.a, mc*kc)
	}
	pb := aligned(&buf.b, nc*kc)
	tile := buf.tile[:mr*nr]
	// The kernels read an untransposed B in place (but for a ragged last
	// column panel) rather than pack it: packing costs a pass over B that
	// reuse from L1 repays only over many row panels. Row strides of a
	// multiple of 4 KiB are the exception: the panel's rows then fall into
	// the same few cache sets and evict each other.
	direct := !transB && ldb%1024 != 0 && m <= sgemmDirectRows
	// The full row panels of A are read in place where C has few column
	// panels (see sgemmDirectACols); only a ragged last panel is packed.
	directA := kn.fs[0] != nil && lda%1024 != 0 && n <= aCols && pre == nil
	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			bet := beta
			if pc > 0 {
				bet = 1
			}
			for ic := 0; ic < m; ic += mc {
				mb := min(mc, m-ic)
				var ad []float32
				switch {
				case pre != nil:
					// Packed beforehand: the panels packA writes for this
					// block, which starts on a panel (mc is a multiple of MR).
					pa = pre[ic*kb:]
				case directA:
					if transA {
						ad = a[pc*lda+ic:]
					} else {
						ad = a[ic*lda+pc:]
					}
					if full := mb / mr * mr; full < mb {
						packA(transA, a, lda, ic+full, pc, mb-full, kb, mr, pa[full*kb:])
					}
				default:
					packA(transA, a, lda, ic, pc, mb, kb, mr, pa)
				}
				for jr := 0; jr < nb; jr += nr {
					nn := min(nr, nb-jr)
					w, wh := nr, 0
					if nn <= nr/2 {
						w, wh = nr/2, 1
					}
					var bp *float32
					bs := w
					if direct && nn == w {
						bp, bs = &b[pc*ldb+jc+jr], ldb
					} else {
						panel := pb[jr*kb : jr*kb+kb*w]
						if ic == 0 {
							packB(transB, b, ldb, pc, jc+jr, kb, nn, w, panel)
						}
						bp = &panel[0]
					}
					kn.panel(kb, mb, pa, ad, lda, transA, bp, bs, w, wh, nn, c[ic*ldc+jc+jr:], ldc, alpha, bet, tile)
				}
			}
		}
	}
	sgemmPool.Put(buf)
}

// sgemmTinyProduct reports whether sgemmWith multiplies an m×n×k product
// with its plain loop (gemmGeneric, each product rounded) rather than the
// kernels (fused multiply-adds): routes that call a kernel themselves take
// gemm there to keep its bits.
func sgemmTinyProduct(m, n, k int) bool { return m*n*k <= sgemmTiny }

// sgemmPacksA reports whether sgemmWith packs every A itself (kernels
// that cannot read A in place), so that packing an A shared by many
// products once (sgemmPackA) saves work.
func sgemmPacksA() bool { return sgemmKern != nil && sgemmKern.fs[0] == nil }

// sgemmPackAOK reports whether sgemmPackA and sgemmPackedA serve an
// m×n×k product: kernels here, k within one kc block, and the product
// past sgemmWith's tiny ones (which it multiplies without packing).
func sgemmPackAOK(m, n, k int) bool {
	kn := sgemmKern
	return kn != nil && k > 0 && k <= kn.kc && m > 0 && n > 0 && m*n*k > sgemmTiny
}

// sgemmPackedALen is the length of op(A) packed by sgemmPackA for m rows
// k deep: k steps of every row panel, the last one MR/2 high where at
// most MR/2 rows remain (as sgemmWith packs it).
func sgemmPackedALen(m, k int) int {
	mr := sgemmKern.mr
	full := m / mr * mr
	switch r := m - full; {
	case r > mr/2:
		full += mr
	case r > 0:
		full += mr / 2
	}
	return k * full
}

// sgemmPackA packs op(A) (m×k; A stored k×m where trans), row stride lda,
// into dst (sgemmPackedALen(m, k) elements) as sgemmWith packs it: the
// panel of rows [i, i+MR) at dst[i·k:]. sgemmPackAOK must hold.
func sgemmPackA(trans bool, m, k int, a []float32, lda int, dst []float32) {
	checkMat("A", trans, m, k, len(a), lda)
	packA(trans, a, lda, 0, 0, m, k, sgemmKern.mr, dst[:sgemmPackedALen(m, k)])
}

// sgemmPackedA sets C = op(A)·B (m×n, row stride ldc) for the op(A) that
// sgemmPackA packed into pa and an untransposed B (k×n, row stride ldb):
// sgemmWith's product with alpha 1 and beta 0 and the same bits, A's
// packing done beforehand (once for many products). sgemmPackAOK(m, n, k)
// must hold.
func sgemmPackedA(m, n, k int, pa []float32, b []float32, ldb int, c []float32, ldc int) {
	if !sgemmPackAOK(m, n, k) {
		panic(fmt.Sprintf("nn: gemm: %d×%d×%d product with A packed beforehand", m, n, k))
	}
	checkMat("B", false, k, n, len(b), ldb)
	checkMat("C", false, m, n, len(c), ldc)
	sgemmRun(sgemmKern, false, false, m, n, k, 1, nil, 0, b, ldb, 0, c, ldc, pa[:sgemmPackedALen(m, k)])
}

// balance splits n into the fewest blocks of at most max, of equal size
// rounded up to a multiple of unit, so that no block is a sliver.
func balance(n, max, unit int) int {
	blocks := (n + max - 1) / max
	size := (n + blocks - 1) / blocks
	return (size + unit - 1) / unit * unit
}

// panel runs the micro-kernels down one packed B panel bp (kb deep, w wide
// of which nn columns are real, row stride bs; wh says which width) for
// the mb rows of the packed A block pa: c = alpha·A·B + beta·c, c starting
// at the block's first element. Partial tiles go through tile. Where ad is
// not nil, the block's full panels of MR rows are read in place from ad
// (the block's first element of A as stored, row stride lda; transposed
// where at) by kn.fs or kn.ft, and only a ragged last panel from pa.
func (kn *sgemmKernel) panel(kb, mb int, pa, ad []float32, lda int, at bool, bp *float32, bs, w, wh, nn int, c []float32, ldc int, alpha, beta float32, tile []float32) {
	mr := kn.mr
	for ir := 0; ir < mb; ir += mr {
		mm := min(mr, mb-ir)
		ci := ir * ldc
		if ad != nil && mm == mr {
			var fs sgemmMicroS
			var ap *float32
			if at {
				fs, ap = kn.ft[wh], &ad[ir]
			} else {
				fs, ap = kn.fs[wh], &ad[ir*lda]
			}
			if nn == w {
				fs(kb, ap, lda, bp, bs, &c[ci], ldc, alpha, beta)
				continue
			}
			fs(kb, ap, lda, bp, bs, &tile[0], w, 1, 0)
			storeTile(tile, w, mm, nn, alpha, beta, c[ci:], ldc)
			continue
		}
		h, hh := mr, 0
		if mm <= mr/2 {
			h, hh = mr/2, 1
		}
		fn := kn.fn[hh][wh]
		ap := pa[ir*kb : ir*kb+kb*h]
		if mm == h && nn == w {
			fn(kb, &ap[0], bp, bs, &c[ci], ldc, alpha, beta)
			continue
		}
		fn(kb, &ap[0], bp, bs, &tile[0], w, 1, 0)
		storeTile(tile, w, mm, nn, alpha, beta, c[ci:], ldc)
	}
}

// storeTile writes the mm×nn corner of an accumulated tile (row stride nr)
// to C as alpha·tile + beta·C.
func storeTile(tile []float32, nr, mm, nn int, alpha, beta float32, c []float32, ldc int) {
	for i := range mm {
		t := tile[i*nr : i*nr+nn]
		row := c[i*ldc : i*ldc+nn]
		if beta == 0 {
			for j, v := range t {
				row[j] = alpha * v
			}
		} else {
			for j, v := range t {
				row[j] = alpha*v + beta*row[j]
			}
		}
	}
}

// packA copies rows [i0, i0+mb) and inner indices [p0, p0+kb) of op(A)
// into micro-panels of kb steps of MR rows, zero-padding the last panel; a
// last panel of at most MR/2 rows is MR/2 wide (for the half kernels).
func packA(trans bool, a []float32, lda, i0, p0, mb, kb, mr int, dst []float32) {
	for ir := 0; ir < mb; ir += mr {
		mm := min(mr, mb-ir)
		h := mr
		if mm <= mr/2 {
			h = mr / 2
		}
		d := dst[ir*kb : ir*kb+kb*h]
		if mm < h {
			clear(d)
		}
		if trans {
			// op(A)[i][p] = a[p·lda+i]: each step is a contiguous run.
			if mm == 8 && h == 8 {
				packCopy(&a[p0*lda+i0+ir], lda, &d[0], kb, 1)
				continue
			}
			if mm == 6 && h == 6 {
				for p := range kb {
					src := a[(p0+p)*lda+i0+ir:][:6]
					dp := d[p*6 : p*6+6]
					dp[0], dp[1], dp[2], dp[3], dp[4], dp[5] = src[0], src[1], src[2], src[3], src[4], src[5]
				}
				continue
			}
			for p := range kb {
				copy(d[p*h:p*h+mm], a[(p0+p)*lda+i0+ir:][:mm])
			}
			continue
		}
		p8 := 0
		switch {
		case mm == 8 && h == 8:
			p8 = kb / 8 * 8
			packTranspose8(&a[(i0+ir)*lda+p0], lda, &d[0], 8, kb/8)
		case mm == 6 && h == 6:
			// The AVX2 kernels' full panel: six rows in step.
			base := (i0+ir)*lda + p0
			r0, r1, r2 := a[base:][:kb], a[base+lda:][:kb], a[base+2*lda:][:kb]
			r3, r4, r5 := a[base+3*lda:][:kb], a[base+4*lda:][:kb], a[base+5*lda:][:kb]
			for p := range kb {
				dp := d[p*6 : p*6+6]
				dp[0], dp[1], dp[2], dp[3], dp[4], dp[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
			}
			continue
		}
		for ii := range mm {
			src := a[(i0+ir+ii)*lda+p0:][:kb]
			for p := p8; p < kb; p++ {
				d[p*h+ii] = src[p]
			}
		}
	}
}

// packB copies inner indices [p0, p0+kb) and columns [j0, j0+nn) of op(B)
// into one kb×w micro-panel, zero-padding columns beyond nn.
func packB(trans bool, b []float32, ldb, p0, j0, kb, nn, w int, dst []float32) {
	dst = dst[:kb*w]
	if nn < w {
		clear(dst)
	}
	if !trans {
		if nn == w && (w == 8 || w == 16 || w == 32) {
			packCopy(&b[p0*ldb+j0], ldb, &dst[0], kb, w/8)
			return
		}
		for p := range kb {
			copy(dst[p*w:p*w+nn], b[(p0+p)*ldb+j0:][:nn])
		}
		return
	}
	// op(B)[p][j] = b[j·ldb+p]: a transpose, eight columns at a time.
	p8 := kb / 8 * 8
	j8 := 0
	if p8 > 0 {
		for ; j8+8 <= nn; j8 += 8 {
			packTranspose8(&b[(j0+j8)*ldb+p0], ldb, &dst[j8], w, kb/8)
		}
	}
	for jj := range nn {
		src := b[(j0+jj)*ldb+p0:][:kb]
		p := 0
		if jj < j8 {
			p = p8
		}
		for ; p < kb; p++ {
			dst[p*w+jj] = src[p]
		}
	}
}

//go:noescape
func packTranspose8(src *float32, lds int, dst *float32, ldd int, blocks int)

//go:noescape
func packCopy(src *float32, lds int, dst *float32, rows int, chunks int)

// sgemmBuf is one call's packing space, recycled through sgemmPool so that
// concurrent calls never share it and steady-state calls do not allocate.
type sgemmBuf struct {
	a, b, c []float32
	tile    [sgemmMaxTile]float32
}

var sgemmPool = sync.Pool{New: func() any { return new(sgemmBuf) }}

// aligned returns n elements of *s starting on a 64-byte boundary (one
// cache line, one ZMM load), growing *s when needed.
func aligned(s *[]float32, n int) []float32 {
	const pad = 64 / 4
	if cap(*s) < n+pad {
		*s = make([]float32, n+pad)
	}
	full := (*s)[:cap(*s)]
	off := int((64 - uintptr(unsafe.Pointer(&full[0]))&63) & 63 / 4)
	return full[off : off+n]
}

// sgemmVariants lists the float32 paths this CPU can run, by name, for
// tests and benchmarks.
func sgemmVariants() map[string]func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	v := map[string]func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int){
		"gonum": sgemmGonum,
	}
	for _, kn := range []*sgemmKernel{sgemmAVX2, sgemmAVX512} {
		avx2 := cpu.X86.HasAVX2 && cpu.X86.HasFMA
		if !avx2 || kn == sgemmAVX512 && !cpu.X86.HasAVX512F {
			continue
		}
		v[kn.name] = func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
			sgemmWith(kn, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		}
	}
	return v
}

// sgemmMultiB sets C_t = A·B_t for t < len(boff): A is m×k (row stride
// lda), B_t the k×n matrix at b[boff[t]:] (row stride ldb) and C_t the m×n
// matrix at c[t·cs:] (row stride ldc). It is sgemmWith with A packed once
// for all the B_t: the convolution's weight gradient multiplies one output
// gradient by the nine shifted copies of its input (conv_taps.go). It
// reports false, doing nothing, where there are no assembly kernels.
func sgemmMultiB(m, n, k int, a []float32, lda int, b []float32, ldb int, boff []int, c []float32, ldc, cs int) bool {
	kn := sgemmKern
	if kn == nil {
		return false
	}
	for t, o := range boff {
		gemmCheck(false, false, m, n, k, a, lda, b[o:], ldb, c[t*cs:], ldc)
	}
	if m == 0 || n == 0 || len(boff) == 0 {
		return true
	}
	if k == 0 {
		for t := range boff {
			gemmScale(m, n, 0, c[t*cs:], ldc)
		}
		return true
	}
	mr, nr := kn.mr, kn.nr
	kc := balance(k, kn.kc, 1)
	mc := balance(m, kn.mc, mr)
	nc := balance(n, kn.nc, nr)
	buf := sgemmPool.Get().(*sgemmBuf)
	pa := aligned(&buf.a, mc*kc)
	pb := aligned(&buf.b, nr*kc)
	tile := buf.tile[:mr*nr]
	direct := ldb%1024 != 0
	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			var bet float32
			if pc > 0 {
				bet = 1
			}
			for ic := 0; ic < m; ic += mc {
				mb := min(mc, m-ic)
				packA(false, a, lda, ic, pc, mb, kb, mr, pa)
				for t, o := range boff {
					ct := c[t*cs:]
					for jr := 0; jr < nb; jr += nr {
						nn := min(nr, nb-jr)
						w, wh := nr, 0
						if nn <= nr/2 {
							w, wh = nr/2, 1
						}
						var bp *float32
						bs := w
						if direct && nn == w {
							bp, bs = &b[o+pc*ldb+jc+jr], ldb
						} else {
							panel := pb[:kb*w]
							packB(false, b[o:], ldb, pc, jc+jr, kb, nn, w, panel)
							bp = &panel[0]
						}
						kn.panel(kb, mb, pa, nil, 0, false, bp, bs, w, wh, nn, ct[ic*ldc+jc+jr:], ldc, 1, bet, tile)
					}
				}
			}
		}
	}
	sgemmPool.Put(buf)
	return true
}

// transpose8 sets dst[q·ldd+r] = src[r·lds+q] for r < rows, q < cols.
func transpose8(src []float32, lds int, dst []float32, ldd, rows, cols int) {
	if rows == 0 || cols == 0 {
		return
	}
	_ = src[(rows-1)*lds+cols-1]
	_ = dst[(cols-1)*ldd+rows-1]
	r8, q8 := rows/8*8, cols/8*8
	switch {
	case q8 > 8 && ldd%planeAlias == 0:
		// dst's rows a multiple of 4 KB apart share one set of the L1
		// cache (planeAlias; any transpose into such rows, e.g. the
		// deformable layer's input gradient into planes of 64×64 or
		// 32×32): 8 of them at a time over all src rows, not 8 values of
		// all q8 rows (each line evicted between its halves; there, 32
		// channels at 64×64, the copy took 2.2 times as long).
		for q := 0; q < q8; q += 8 {
			for r := 0; r < r8; r += 8 {
				packTranspose8(&src[r*lds+q], lds, &dst[q*ldd+r], ldd, 1)
			}
		}
	case q8 > 0:
		for r := 0; r < r8; r += 8 {
			packTranspose8(&src[r*lds], lds, &dst[r], ldd, q8/8)
		}
	}
	for r := range rows {
		q := 0
		if r < r8 {
			q = q8
		}
		for ; q < cols; q++ {
			dst[q*ldd+r] = src[r*lds+q]
		}
	}
}

// sgemmSumAB sets C = Σ_t A_t·B_t for t < len(boff): A_t is the m×k matrix at a[t·as:] (row stride
// lda), B_t the k×n matrix at b[boff[t]:] (row stride ldb), C m×n (row stride ldc). Every A_t is
// packed once; then, NR columns of C at a time, each full tile runs through all the products in one
// call of sgemmKernel8x32Taps (AVX-512; on AVX2 sumABTapsY's 6×16 and 4×16 kernels, A in place),
// and the other tiles tap by tap while the strip of C and B_t's panel stay in L1: the tap-sum
// convolution's forward and input-gradient passes (K = C or O per tap, conv_taps.go). The bits
// are those of one GEMM per product. k must be at most the kernel's kc block. It reports false,
// doing nothing, where there are no assembly kernels or k is larger.
func sgemmSumAB(m, n, k int, a []float32, as, lda int, b []float32, ldb int, boff []int, c []float32, ldc int) bool {
	return sgemmSumABRows(m, 1, n, k, a, as, lda, b, ldb, 0, boff, c, ldc, 0)
}

// sgemmSumABRows is sgemmSumAB for C's columns in rows runs of n: run r
// takes the n columns from column r·bs of every B_t and puts them at
// column r·cs of C, so that the columns between runs (a stacked layout's
// padding) are neither computed nor stored. The tap-sum input gradient
// writes dx's rows of W straight from the padded planes (bs = W + PW,
// cs = W). Each element of C has the bits sgemmSumAB gives it.
func sgemmSumABRows(m, rows, n, k int, a []float32, as, lda int, b []float32, ldb, bs int, boff []int, c []float32, ldc, cs int) bool {
	kn := sgemmKern
	if kn == nil || k > kn.kc || k == 0 || len(boff) == 0 {
		return false
	}
	if m < 0 || rows < 0 || n < 0 {
		panic(fmt.Sprintf("nn: gemm: negative size %d×(%d×%d)×%d", m, rows, n, k))
	}
	if m == 0 || rows == 0 || n == 0 {
		return true
	}
	nb, nc := (rows-1)*bs+n, (rows-1)*cs+n // the columns B_t and C span
	for t, o := range boff {
		checkMat("A", false, m, k, len(a)-min(len(a), t*as), lda)
		checkMat("B", false, k, nb, len(b)-min(len(b), o), ldb)
	}
	checkMat("C", false, m, nc, len(c), ldc)
	if kn == sgemmAVX2 && !noSumABTapsY && sumABTapsY(m, rows, n, k, a, as, lda, b, ldb, bs, boff, c, ldc, cs) {
		return true
	}
	mr, nr := kn.mr, kn.nr
	mp := (m + mr - 1) / mr * mr // rows of every packed A_t
	buf := sgemmPool.Get().(*sgemmBuf)
	pa := aligned(&buf.a, len(boff)*mp*k)
	pb := aligned(&buf.b, nr*k)
	for t := range boff {
		packA(false, a[t*as:], lda, 0, 0, m, k, mr, pa[t*mp*k:])
	}
	direct := ldb%1024 != 0
	strip := aligned(&buf.c, mp*nr) // the ragged tiles of one column strip
	for r := range rows {
		for x := 0; x < n; x += nr {
			nn := min(nr, n-x)
			bj, cj := r*bs+x, r*cs+x // the strip's first column in B_t and C
			w, wh := nr, 0
			if nn <= nr/2 {
				w, wh = nr/2, 1
			}
			// The full tiles of a strip read in place go through every
			// product in one call each (kn.taps); the rest tap by tap down
			// the strip: B_t's panel (k×w) stays in L1 over the row panels,
			// and so do the strip's tiles of C between taps. Either way each
			// element of C sums the products in tap order, each product over
			// k from zero and then added: the same bits.
			rows0 := 0
			if kn.taps && direct && nn == nr {
				rows0 = m / mr * mr
				for ir := 0; ir < rows0; ir += mr {
					sgemmKernel8x32Taps(k, &pa[ir*k], mp*k, &b[bj], ldb, &boff[0], len(boff), &c[ir*ldc+cj], ldc)
				}
			}
			if rows0 == m {
				continue
			}
			for t, o := range boff {
				var bp *float32
				bw := w
				if direct && nn == w {
					bp, bw = &b[o+bj], ldb
				} else {
					panel := pb[:k*w]
					packB(false, b[o:], ldb, 0, bj, k, nn, w, panel)
					bp = &panel[0]
				}
				var bet float32
				if t > 0 {
					bet = 1
				}
				at := pa[t*mp*k:]
				for ir := rows0; ir < m; ir += mr {
					mm := min(mr, m-ir)
					h, hh := mr, 0
					if mm <= mr/2 {
						h, hh = mr/2, 1
					}
					fn := kn.fn[hh][wh]
					ap := at[ir*k:]
					if mm == h && nn == w {
						fn(k, &ap[0], bp, bw, &c[ir*ldc+cj], ldc, 1, bet)
					} else {
						// The tile accumulates in the strip over all t.
						fn(k, &ap[0], bp, bw, &strip[ir*w], w, 1, bet)
					}
				}
			}
			for ir := rows0; ir < m; ir += mr {
				mm := min(mr, m-ir)
				h := mr
				if mm <= mr/2 {
					h = mr / 2
				}
				if mm != h || nn != w {
					storeTile(strip[ir*w:], w, mm, nn, 1, 0, c[ir*ldc+cj:], ldc)
				}
			}
		}
	}
	sgemmPool.Put(buf)
	return true
}

// sumABTapsY is sgemmSumABRows on the AVX2 kernels for the full 16-wide
// strips of C (B read in place): their rows in panels of six and four
// (32 = 6+6+6+6+4+4: a ragged panel of two would run a kernel of three
// rows), each tile through every product in one call of
// sgemmKernel6x16TapsS or sgemmKernel4x16TapsS, A read in place; the rows
// left over (at most three) and the columns past the last full strip go
// to sgemmSumABRows's tap-by-tap loop. The same bits: each element sums
// the products in tap order, each over k from zero. It reports false,
// doing nothing, where there are fewer than four rows or no full strip,
// or B's or A's row stride is a multiple of 1024 (where those are
// packed). The operands are checked by the caller.
func sumABTapsY(m, rows, n, k int, a []float32, as, lda int, b []float32, ldb, bs int, boff []int, c []float32, ldc, cs int) bool {
	const nr = 16
	n16 := n / nr * nr
	if m < 4 || n16 == 0 || ldb%1024 == 0 || lda%1024 == 0 {
		return false
	}
	// Panels of six, then of four: r = m mod 6 of 2 takes two of four
	// in place of the last six (where there is one), 4 and 5 one of four.
	n6, r := m/6, m%6
	if r == 2 && n6 > 0 {
		n6, r = n6-1, 8
	}
	m4 := 6*n6 + r/4*4 // rows through the taps kernels
	taps := len(boff)
	for rr := range rows {
		for x := 0; x < n16; x += nr {
			bj, cj := rr*bs+x, rr*cs+x
			ir := 0
			for ; ir < 6*n6; ir += 6 {
				sgemmKernel6x16TapsS(k, &a[ir*lda], as, lda, &b[bj], ldb, &boff[0], taps, &c[ir*ldc+cj], ldc)
			}
			for ; ir < m4; ir += 4 {
				sgemmKernel4x16TapsS(k, &a[ir*lda], as, lda, &b[bj], ldb, &boff[0], taps, &c[ir*ldc+cj], ldc)
			}
		}
	}
	// The rest tap by tap (they decline the taps kernels: fewer than
	// four rows, or no full strip).
	if m4 < m && !sgemmSumABRows(m-m4, rows, n16, k, a[m4*lda:], as, lda, b, ldb, bs, boff, c[m4*ldc:], ldc, cs) {
		panic("nn: sumABTapsY: the last rows declined")
	}
	if n16 < n && !sgemmSumABRows(m, rows, n-n16, k, a, as, lda, b[n16:], ldb, bs, boff, c[n16:], ldc, cs) {
		panic("nn: sumABTapsY: the last columns declined")
	}
	return true
}

// sumABTapsYOK reports whether sgemmSumABRows runs sumABTapsY here: the
// AVX2 kernel set.
func sumABTapsYOK() bool { return sgemmKern == sgemmAVX2 && !noSumABTapsY }

// noSumABTapsY turns sumABTapsY off (tests).
var noSumABTapsY = false

// haveSgemmKernels reports whether the assembly GEMM kernels run here.
func haveSgemmKernels() bool { return sgemmKern != nil }

// sgemmBand splits p pixels into even bands of at most the kernel's block
// depth (the banded deformable passes' band).
func sgemmBand(p int) int { return balance(p, sgemmKern.kc, 1) }

// padRows7 is padImage for an image of c channels (a multiple of 8) and
// h ≥ 2 rows of 7 pixels, x in its C×H×7 layout, pad pixel-major with
// pixels of c values and a ring (9 pixels a row): each row's pixels by one
// 8×8 block a channel block straight into pad, in one assembly call
// (dcnPad7AVX), where the image went to a flat pixel-major buffer and then
// row by row into pad. A row's block reads its 7 pixels and the next
// row's first, written to the row's right ring; the last row's reads the
// row before's last pixel, written to its left ring; both rings are
// cleared after: the same pad. It reports false, doing nothing, where the
// GEMM kernels (whose packTranspose8 shuffles dcnPad7AVX runs) do not run,
// and for fewer than 2 rows (the kernel's row loop needs them) or channels
// not a multiple of 8.
func padRows7(x []float32, h, c int, pad []float32) bool {
	if !haveSgemmKernels() || h < 2 || c < 8 || c%8 != 0 {
		return false
	}
	_, _ = x[c*7*h-1], pad[(h+2)*9*c-1]
	dcnPad7AVX(&x[0], h, c, &pad[0])
	return true
}

// dcnPad7AVX is padRows7's kernel (deform_pad7_amd64.s).
//
//go:noescape
func dcnPad7AVX(x *float32, h, c int, pad *float32)
