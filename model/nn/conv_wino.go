package nn

import "math"

// The Winograd route of a plain 3×3 convolution with stride 1, padding 1
// and dilation 1: F(m×m, 3×3) for m = 2 or 4 (Lavin and Gray, "Fast
// Algorithms for Convolutional Neural Networks", 2016). Each output is cut
// into m×m tiles; tile t of input channel c reads the (m+2)×(m+2) patch d
// around it (zeros past the border, partial last tiles on sizes that are
// not multiples of m) and
//
//	V = Bᵀ d B  (per channel and tile),   U = G w Gᵀ  (per filter),
//	M[ξ] = U[ξ] · V[ξ]  for the R = (m+2)² positions ξ of the transforms
//	                    (O×C times C×tiles: R GEMMs),
//	Y = Aᵀ M A          (per output channel and tile),
//
// F(2×2): 16 multiply-adds per 2×2 output tile and channel pair instead
// of the direct convolution's 4·9 = 36, 2.25× fewer; F(4×4): 36 per 4×4
// tile instead of 16·9 = 144, 4× fewer (1.78× fewer than F(2×2)), with
// 2.25 transformed values per output instead of 4, at the price of a
// larger float32 error (the transforms' entries up to 8). F(2×2)'s
// matrices are below; F(4×4)'s (points 0, ±1, ±2) and its transforms are
// lane 23x's conv_wino4_*.go. The backward pass is the exact gradient of
// this algebra (backpropagation through the transforms), not a second
// convolution:
//
//	dM[ξ] = A dY Aᵀ,   dU[ξ] = Σ_tiles dM[ξ] · V[ξ]ᵀ,   dw = Gᵀ dU G,
//	dV[ξ] = U[ξ]ᵀ · dM[ξ],   dx = Σ_tiles B dV Bᵀ (overlapping patches).
//
// Which m (or the tap-sum route) a layer takes depends on its shape only
// (winoTile). The batch is cut into chunks of whole images (the number
// depends on the shape only); each chunk runs its transforms and its R
// GEMMs in cache, and the chunks' weight gradients are summed in chunk
// order, so results are the same bits on any number of cores. A training
// Forward keeps the transformed input V for Backward when it is small
// enough (colCacheLimit).

// winoTiles is the number of tiles a chunk of the Winograd route aims for
// with m×m output tiles: the N of its GEMMs and the K of the weight
// gradient's. F(4×4)'s transformed block has 36 rows to F(2×2)'s 16, so
// it takes half the tiles (each covering four times the outputs) to keep
// a chunk's transformed input about the same size in cache.
func winoTiles(m int) int {
	if m == 4 {
		return 128
	}
	return 256
}

// winoMinIn and winoMinOut are the fewest input and output channels for
// which the Winograd route is taken with 2×2 tiles: its GEMMs have K = C
// (forward) and K = O (input gradient), and the transforms cost per
// channel what the GEMMs save only when there are enough of them.
// Measured (CPU time, one thread, against the tap-sum route,
// BenchmarkConvCOCO and BenchmarkConvFwdBwd7/14): 32→64 at 32×32 12 %
// faster, 64→64 at 32×32 6 %, 64→128 and 128→128 at 16×16 27–35 %; the
// MNIST nets' 32→32 (batch 64) 30 % slower at 7×7 (its 4×4 tiles of 2×2
// cover 8×8) and 4 % at 14×14.
const (
	winoMinIn  = 32
	winoMinOut = 64
)

// winoMaxPixels is the largest map (H·W) the Winograd route is taken on
// with 2×2 tiles: the COCO net's training shapes it was measured on
// (docs/PERFORMANCE.md, Session 5, lane 23w).
const winoMaxPixels = 32 * 32

// wino4MinOut, wino4MinPixels and wino4MaxPixels bound the shapes that
// take F(4×4) (at least winoMinIn input channels too), wino4SideOut and
// wino4SidePixels those with fewer outputs: measured (BenchmarkWinoRoutes,
// CPU time, one thread, docs/PERFORMANCE.md, Session 6, lane 23w4)
// faster than both the tap-sum route and F(2×2) on the COCO net's conv2
// to conv6 (32→32 at 64×64 to 128→128 at 16×16), slower than the tap-sum
// route on the MNIST nets' 32→32 at 14×14 and 7×7 (partial
// 4×4 tiles waste most of the work on maps this small). The deformable
// layers' side convolutions (27 outputs, no ReLU) take it too on maps of
// at least wino4SidePixels since session 7's AVX-512 copies (lane 7c,
// fwd+bwd, alternate rounds, after merging lane 7t's tap-sum route):
// BenchmarkSideRoutes27's median ratios to the tap-sum route over 12
// rounds 0.87 at 32→27 on 64×64 (dcnn-first; BenchmarkSideConvRoutes
// 0.92, forward alone 0.73), 0.82 and 0.89 at 32→27 and 64→27 on 32×32
// (dcnn-middle), but 1.02 and 1.11 at 64→27 and 128→27 on 16×16
// (dcnn-last), which keep the tap-sum route. The bounds count
// pixels (H·W from 256 to 4096, 16×16 to 64×64 on the square crops),
// whatever the aspect: a thin map of a whole photo in evaluation (e.g.
// 8×64) takes F(4×4) too, correct but not measured for speed. Maps below
// 256 pixels keep F(2×2)'s rule, maps above 4096 (most of a whole photo's
// layers) the tap-sum route until measured.
const (
	wino4MinOut     = 32
	wino4MinPixels  = 16 * 16
	wino4MaxPixels  = 64 * 64
	wino4SideOut    = 27
	wino4SidePixels = 32 * 32
)

// winoShape reports whether g is a convolution the Winograd route can
// compute: 3×3, stride 1, padding 1, dilation 1.
func (g geom) winoShape() bool {
	return g.KH == 3 && g.KW == 3 && g.SH == 1 && g.SW == 1 && g.PH == 1 && g.PW == 1 && g.DH == 1 && g.DW == 1
}

// winoOK reports whether Forward and Backward take the Winograd route.
func (c *Conv2D[T]) winoOK() bool { return c.winoTile() != 0 }

// winoTile returns the side m of the output tiles of the Winograd route
// Forward and Backward take: 4 for F(4×4, 3×3), 2 for F(2×2, 3×3), 0 when
// they take another route. The choice depends on the shape only.
func (c *Conv2D[T]) winoTile() int {
	g := c.g
	if !g.winoShape() || c.noWino || c.narrow {
		return 0
	}
	hw, m := g.H*g.W, 0
	switch {
	case g.C >= winoMinIn && g.O >= wino4MinOut && hw >= wino4MinPixels && hw <= wino4MaxPixels,
		g.C >= winoMinIn && g.O >= wino4SideOut && hw >= wino4SidePixels && hw <= wino4MaxPixels:
		m = 4
	case g.C >= winoMinIn && g.O >= winoMinOut && hw <= winoMaxPixels:
		m = 2
	}
	switch {
	case c.forceWino && c.winoForceM != 0:
		return c.winoForceM
	case c.forceWino:
		return max(m, 2)
	case c.noTaps || c.forceTaps || m == 0:
		return 0
	case c.winoForceM != 0:
		return c.winoForceM
	}
	return m
}

// winoGeom is the tiling of one image and the batch's chunks.
type winoGeom struct {
	m, r        int // output tile side (2 or 4), input patch side m+2
	th, tw, tpi int // tiles down, across, per image
	per, n      int // images per chunk, chunks
}

// rr is the number of positions of a transform, (m+2)²: the rows of a
// transformed block and the number of GEMMs.
func (wg winoGeom) rr() int { return wg.r * wg.r }

// winoStride is the distance between the rows of a transformed block of
// n values each: n rounded up to 16, moved off multiples of 256 so that
// the transforms' 16 or 36 streams do not share cache sets (at n = 256·k
// they evict each other: 4 KiB aliasing made the transforms 4× slower).
func winoStride(n int) int {
	s := (n + 15) &^ 15
	if s%256 == 0 {
		s += 48
	}
	return s
}

// wino returns the tiling of g into m×m output tiles.
func (g geom) wino(m int) winoGeom {
	th, tw := (g.Ho+m-1)/m, (g.Wo+m-1)/m
	tpi := th * tw
	b := max(1, g.B)
	n := (b*tpi + winoTiles(m) - 1) / winoTiles(m)
	// A multiple of 8 chunks (F(4×4): 4) where the batch allows, for the
	// cores to share; F(4×4)'s GEMMs lose more on narrow chunks (at 16×16
	// a multiple of 8 left 64 tiles: conv5 and conv6 6 % slower).
	step := 8
	if m == 4 {
		step = 4
	}
	n = min(b, (n+step-1)/step*step)
	per := (b + n - 1) / n
	return winoGeom{m: m, r: m + 2, th: th, tw: tw, tpi: tpi, per: per, n: (b + per - 1) / per}
}

// winoWeights sets u[ξ·oc + o·C + c] = (G w[o][c] Gᵀ)[ξ], oc being
// winoStride(O·C), for output channels [olo, ohi), G being F(m×m, 3×3)'s.
func winoWeights[T Float](g geom, m int, w, u []T, olo, ohi int) {
	oc := winoStride(g.O * g.C)
	if m == 4 {
		winoWeights4(g, w, u[:36*oc], oc, olo, ohi)
		return
	}
	u = u[:16*oc]
	for o := olo; o < ohi; o++ {
		for ch := range g.C {
			k := w[(o*g.C+ch)*9:][:9]
			// G w: 4×3.
			var r [12]T
			for j := range 3 {
				w0, w1, w2 := k[j], k[3+j], k[6+j]
				r[j] = w0
				r[3+j] = (w0 + w1 + w2) / 2
				r[6+j] = (w0 - w1 + w2) / 2
				r[9+j] = w2
			}
			at := o*g.C + ch
			for i := range 4 {
				w0, w1, w2 := r[3*i], r[3*i+1], r[3*i+2]
				u[(4*i)*oc+at] = w0
				u[(4*i+1)*oc+at] = (w0 + w1 + w2) / 2
				u[(4*i+2)*oc+at] = (w0 - w1 + w2) / 2
				u[(4*i+3)*oc+at] = w2
			}
		}
	}
}

// winoWeights4 is winoWeights for F(4×4, 3×3): U = G w Gᵀ (6×6), G·x
// factored as wino4G3 writes it (G's rows share their sums).
func winoWeights4[T Float](g geom, w, u []T, oc, olo, ohi int) {
	var rows [36][]T
	for x := range 36 {
		rows[x] = u[x*oc:][:g.O*g.C]
	}
	for o := olo; o < ohi; o++ {
		for ch := range g.C {
			k := w[(o*g.C+ch)*9:][:9]
			var r [18]T // G w: r[3i+j] = (G·w[·][j])[i]
			for j := range 3 {
				r[j], r[3+j], r[6+j], r[9+j], r[12+j], r[15+j] = wino4G3(k[j], k[3+j], k[6+j])
			}
			at := o*g.C + ch
			for i := range 6 {
				rows[6*i][at], rows[6*i+1][at], rows[6*i+2][at], rows[6*i+3][at], rows[6*i+4][at], rows[6*i+5][at] =
					wino4G3(r[3*i], r[3*i+1], r[3*i+2])
			}
		}
	}
}

// wino4G3 returns G·x for F(4×4, 3×3)'s G (lane 23x's wino4MatG):
// (x0/4, −(x0+x1+x2)/6, −(x0−x1+x2)/6, x0/24+x1/12+x2/6, x0/24−x1/12+x2/6,
// x2), the shared sums computed once and the divisions as products by the
// rounded reciprocals.
func wino4G3[T Float](x0, x1, x2 T) (y0, y1, y2, y3, y4, y5 T) {
	const c4, c6, c12, c24 = 1.0 / 4, 1.0 / 6, 1.0 / 12, 1.0 / 24
	p := x0 + x2
	q, r := T(c24*x0)+T(c6*x2), T(c12*x1)
	return T(c4 * x0), T(-c6 * (p + x1)), T(-c6 * (p - x1)), q + r, q - r, x2
}

// wino4GT6 returns Gᵀ·x, the transpose of wino4G3:
// (x0/4 − (x1+x2)/6 + (x3+x4)/24, −(x1−x2)/6 + (x3−x4)/12,
// −(x1+x2)/6 + (x3+x4)/6 + x5).
func wino4GT6[T Float](x0, x1, x2, x3, x4, x5 T) (y0, y1, y2 T) {
	const c4, c6, c12, c24 = 1.0 / 4, 1.0 / 6, 1.0 / 12, 1.0 / 24
	s12, d12, s34, d34 := x1+x2, x1-x2, x3+x4, x3-x4
	return T(c4*x0) - T(c6*s12) + T(c24*s34), T(c12*d34) - T(c6*d12), T(c6*s34) - T(c6*s12) + x5
}

// winoPerOut runs fn on blocks of 8 output channels on all cores.
func winoPerOut(g geom, fn func(lo, hi int)) {
	parallel((g.O+7)/8, func(_, j int) { fn(8*j, min(g.O, 8*j+8)) })
}

// winoWeightGrad adds Gᵀ du[·][o][c] G to dw[o][c] (3×3), du in
// winoWeights' layout, for output channels [olo, ohi).
func winoWeightGrad[T Float](g geom, m int, du, dw []T, olo, ohi int) {
	oc := winoStride(g.O * g.C)
	if m == 4 {
		winoWeightGrad4(g, du, dw, oc, olo, ohi)
		return
	}
	for o := olo; o < ohi; o++ {
		for ch := range g.C {
			at := o*g.C + ch
			var m [16]T
			for x := range 16 {
				m[x] = du[x*oc+at]
			}
			// Gᵀ dU: 3×4.
			var r [12]T
			for j := range 4 {
				d0, d1, d2, d3 := m[j], m[4+j], m[8+j], m[12+j]
				r[j] = d0 + (d1+d2)/2
				r[4+j] = (d1 - d2) / 2
				r[8+j] = (d1+d2)/2 + d3
			}
			k := dw[at*9:][:9]
			for i := range 3 {
				d0, d1, d2, d3 := r[4*i], r[4*i+1], r[4*i+2], r[4*i+3]
				k[3*i] += d0 + (d1+d2)/2
				k[3*i+1] += (d1 - d2) / 2
				k[3*i+2] += (d1+d2)/2 + d3
			}
		}
	}
}

// winoWeightGrad4 is winoWeightGrad for F(4×4, 3×3): dw += Gᵀ dU G, Gᵀ·x
// factored as wino4GT6 writes it.
func winoWeightGrad4[T Float](g geom, du, dw []T, oc, olo, ohi int) {
	var rows [36][]T
	for x := range 36 {
		rows[x] = du[x*oc:][:g.O*g.C]
	}
	for o := olo; o < ohi; o++ {
		for ch := range g.C {
			at := o*g.C + ch
			var r [18]T // Gᵀ dU: r[6a+j] = (Gᵀ·dU[·][j])[a]
			for j := range 6 {
				r[j], r[6+j], r[12+j] = wino4GT6(rows[j][at], rows[6+j][at], rows[12+j][at],
					rows[18+j][at], rows[24+j][at], rows[30+j][at])
			}
			k := dw[at*9:][:9]
			for a := range 3 {
				v0, v1, v2 := wino4GT6(r[6*a], r[6*a+1], r[6*a+2], r[6*a+3], r[6*a+4], r[6*a+5])
				k[3*a] += v0
				k[3*a+1] += v1
				k[3*a+2] += v2
			}
		}
	}
}

// The transforms run as small GEMMs on the kernels (with the Kronecker
// products of the transforms as the left operand) between gathers and
// scatters that only copy: per tile of a channel, the patch's (m+2)²
// values are gathered into D ((m+2)² × tiles) and V = (Bᵀ⊗Bᵀ)·D; the
// output is Ym = (Aᵀ⊗Aᵀ)·M (m² × tiles), whose rows are the tile's m²
// outputs, then biased and rectified row by row and interleaved into the
// map. The backward pass runs the transposes: dM = (Aᵀ⊗Aᵀ)ᵀ·dYm and
// dD = (Bᵀ⊗Bᵀ)ᵀ·dV, scattered back onto the overlapping patches. Scalar
// transforms took 4–8 times the GEMMs' time. With AVX-512 the transforms
// of F(2×2) run as add/subtract passes instead (winoXform), the same sums
// in the same order as those GEMMs, so the same bits, without packing D.

var (
	winoAT = [2][4]float64{{1, 1, 1, 0}, {0, 1, -1, -1}}
	winoBT = [4][4]float64{{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}}
)

// winoMats holds F(2×2, 3×3)'s transform matrices in T.
type winoMats[T Float] struct {
	a, at []T // Aᵀ⊗Aᵀ (4×16) and its transpose (16×4)
	b, bt []T // Bᵀ⊗Bᵀ (16×16) and its transpose
}

func newWinoMats[T Float]() winoMats[T] {
	m := winoMats[T]{a: make([]T, 64), at: make([]T, 64), b: make([]T, 256), bt: make([]T, 256)}
	for r := range 4 {
		for x := range 16 {
			v := T(winoAT[r/2][x/4] * winoAT[r%2][x%4])
			m.a[r*16+x], m.at[x*4+r] = v, v
		}
	}
	for r := range 16 {
		for x := range 16 {
			v := T(winoBT[r/4][x/4] * winoBT[r%4][x%4])
			m.b[r*16+x], m.bt[x*16+r] = v, v
		}
	}
	return m
}

// The patches are read through m² planes of the zero-padded input P
// ((m·th+2) × (m·tw+2)): Q_ab[u][v] = P[m·u+a][m·v+b] for a, b ∈ [0, m),
// each (th+1) × (tw+1). Patch element (i, j) = (a+m·di, b+m·dj) of tile
// (ty, tx) is Q_ab[ty+di][tx+dj] (di, dj ∈ {0, 1}: the patch is m+2 wide).
// Each plane is stored as its first tw columns, row stride tw (the tiles'
// own layout), and its last column apart, so that row (i, j) of D for a
// whole image is one long copy from the first part (shifted by one for
// dj = 1, the last tile of each row then set from the column apart), and
// the scatter one long add. Only Q_a0's last column can hold input (input
// column m·tw−1, when the width is a multiple of m).

// planesLen is the length of the m² planes together.
func (wg winoGeom) planesLen() int { return wg.m * wg.m * (wg.th + 1) * (wg.tw + 1) }

// winoPlanes cuts q into the m² planes' first parts and columns apart.
func winoPlanes[T Float](wg winoGeom, q []T) (ls, rs [16][]T) {
	tw, th := wg.tw, wg.th
	ql := (th + 1) * (tw + 1)
	for ab := range wg.m * wg.m {
		ls[ab], rs[ab] = q[ab*ql:][:(th+1)*tw], q[ab*ql+(th+1)*tw:][:th+1]
	}
	return ls, rs
}

// winoSplitFast returns the end of the plane columns v ∈ [1, v0) whose
// four input columns 4v−1 … 4v+2 are all in a row of width w, which the
// F(4×4) gather and scatter move as one group of four; the plane columns
// outside (v = 0 and v ≥ v0) go one by one. It returns 1 for m = 2.
func winoSplitFast(m, w, tw int) int {
	if m != 4 || w < 3 {
		return 1
	}
	return max(1, min(tw, (w-3)/4+1))
}

// winoDeint4 sets l0[k·ldl+i], l1[k·ldl+i], l2[k·ldl+i], l3[k·ldl+i] to
// src[k·lds+4i], …, src[k·lds+4i+3] for rows k < rows and groups i < n:
// the 4-way deinterleave of F(4×4)'s gather (input rows into the four
// planes of their rows of P) and pick (output gradient rows into their
// four tile rows). In AVX-512 for float32 (conv_winocopy_amd64.s, 16
// groups a step, all the rows in one call; the same bits: a copy), on
// CPUs without AVX-512 in AVX2 (winoCopyAVX2, conv_winocopy_avx2_amd64.s,
// 8 groups a step; assembly for speed: the Go loop moves one float at a
// time).
func winoDeint4[T Float](l0, l1, l2, l3 []T, ldl int, src []T, lds, rows, n int) {
	if rows <= 0 || n <= 0 {
		return
	}
	ln, sn := (rows-1)*ldl+n, (rows-1)*lds+4*n
	src, l0, l1, l2, l3 = src[:sn], l0[:ln], l1[:ln], l2[:ln], l3[:ln]
	if s, ok := any(src).([]float32); ok && winoCopyOK {
		winoDeint4x(&any(l0).([]float32)[0], &any(l1).([]float32)[0], &any(l2).([]float32)[0],
			&any(l3).([]float32)[0], ldl, &s[0], lds, rows, n)
		return
	}
	if s, ok := any(src).([]float32); ok && winoCopyAVX2 {
		winoDeint4a(&any(l0).([]float32)[0], &any(l1).([]float32)[0], &any(l2).([]float32)[0],
			&any(l3).([]float32)[0], ldl, &s[0], lds, rows, n)
		return
	}
	for k := range rows {
		q0, q1, q2, q3 := l0[k*ldl:][:n], l1[k*ldl:][:n], l2[k*ldl:][:n], l3[k*ldl:][:n]
		for i := range n {
			q := src[k*lds+4*i:][:4]
			q0[i], q1[i], q2[i], q3[i] = q[0], q[1], q[2], q[3]
		}
	}
}

// winoInt4 is winoDeint4's transpose: dst[k·ldd+4i], …, dst[k·ldd+4i+3] =
// l0[k·ldl+i], …, l3[k·ldl+i] (F(4×4)'s scatter and place); in AVX-512 or
// AVX2 for float32 as winoDeint4.
func winoInt4[T Float](dst []T, ldd int, l0, l1, l2, l3 []T, ldl, rows, n int) {
	if rows <= 0 || n <= 0 {
		return
	}
	ln, dn := (rows-1)*ldl+n, (rows-1)*ldd+4*n
	dst, l0, l1, l2, l3 = dst[:dn], l0[:ln], l1[:ln], l2[:ln], l3[:ln]
	if d, ok := any(dst).([]float32); ok && winoCopyOK {
		winoInt4x(&d[0], ldd, &any(l0).([]float32)[0], &any(l1).([]float32)[0], &any(l2).([]float32)[0],
			&any(l3).([]float32)[0], ldl, rows, n)
		return
	}
	if d, ok := any(dst).([]float32); ok && winoCopyAVX2 {
		winoInt4a(&d[0], ldd, &any(l0).([]float32)[0], &any(l1).([]float32)[0], &any(l2).([]float32)[0],
			&any(l3).([]float32)[0], ldl, rows, n)
		return
	}
	for k := range rows {
		q0, q1, q2, q3 := l0[k*ldl:][:n], l1[k*ldl:][:n], l2[k*ldl:][:n], l3[k*ldl:][:n]
		for i := range n {
			q := dst[k*ldd+4*i:][:4]
			q[0], q[1], q[2], q[3] = q0[i], q1[i], q2[i], q3[i]
		}
	}
}

// winoInt4Add is winoInt4 adding into dst: dst[k·ldd+4i+j] +=
// lj[k·ldl+i] (the scatter's input gradient added into a given one; each
// element rounded once, dst + l: the same bits as winoInt4 into a buffer
// of its own and addTo after it; the AVX-512 and AVX2 kernels add with
// dst first, as vadd, so NaN payloads too).
func winoInt4Add[T Float](dst []T, ldd int, l0, l1, l2, l3 []T, ldl, rows, n int) {
	if rows <= 0 || n <= 0 {
		return
	}
	ln, dn := (rows-1)*ldl+n, (rows-1)*ldd+4*n
	dst, l0, l1, l2, l3 = dst[:dn], l0[:ln], l1[:ln], l2[:ln], l3[:ln]
	if d, ok := any(dst).([]float32); ok && winoCopyOK {
		winoInt4Ax(&d[0], ldd, &any(l0).([]float32)[0], &any(l1).([]float32)[0], &any(l2).([]float32)[0],
			&any(l3).([]float32)[0], ldl, rows, n)
		return
	}
	if d, ok := any(dst).([]float32); ok && winoCopyAVX2 {
		winoInt4Aa(&d[0], ldd, &any(l0).([]float32)[0], &any(l1).([]float32)[0], &any(l2).([]float32)[0],
			&any(l3).([]float32)[0], ldl, rows, n)
		return
	}
	for k := range rows {
		q0, q1, q2, q3 := l0[k*ldl:][:n], l1[k*ldl:][:n], l2[k*ldl:][:n], l3[k*ldl:][:n]
		for i := range n {
			q := dst[k*ldd+4*i:][:4]
			q[0] += q0[i]
			q[1] += q1[i]
			q[2] += q2[i]
			q[3] += q3[i]
		}
	}
}

// winoRowsOfA returns the first input row y0 with (y0+1) mod 4 = a, its
// plane row u0 = (y0+1)/4 and the number of rows y0, y0+4, … below h:
// the rows of P that fill the planes Q_a· of F(4×4).
func winoRowsOfA(a, h int) (y0, u0, rows int) {
	y0 = a - 1
	if a == 0 {
		y0 = 3
	}
	if y0 >= h {
		return y0, 0, 0 // nothing to copy
	}
	return y0, (y0 + 1) / 4, (h - y0 + 3) / 4
}

// winoGather writes the (m+2)² patches of channels [clo, chi) of images
// [lo, hi) of x into d (row k = (m+2)·i+j holds patch element (i, j) of
// every channel and tile: column c·tc + (b−lo)·tpi + ty·tw + tx; row
// stride s); q is scratch for the planes.
func winoGather[T Float](g geom, wg winoGeom, x []T, lo, hi, clo, chi int, d []T, s int, q []T) {
	tc := (hi - lo) * wg.tpi
	hw := g.H * g.W
	m, r, tw, th := wg.m, wg.r, wg.tw, wg.th
	q = q[:wg.planesLen()]
	ls, rs := winoPlanes(wg, q)
	for b := lo; b < hi; b++ {
		for ch := clo; ch < chi; ch++ {
			clear(q)
			winoFillPlanes(g, wg, x[(b*g.C+ch)*hw:][:hw], &ls, &rs)
			base := ch*tc + (b-lo)*wg.tpi
			n := wg.tpi
			for i := range r {
				a, di := i%m, i/m
				for j := range r {
					bb, dj := j%m, j/m
					l, rc := ls[m*a+bb], rs[m*a+bb]
					dr := d[(r*i+j)*s+base:][:n]
					if dj == 0 {
						copy(dr, l[di*tw:][:n])
						continue
					}
					copy(dr[:n-1], l[di*tw+1:][:n-1])
					for ty := range th {
						dr[ty*tw+tw-1] = rc[ty+di]
					}
				}
			}
		}
	}
}

// winoFillPlanes writes one input map src into the planes ls and rs
// (winoPlanes' cut), whose elements it does not write must be zero (it
// writes the same elements for every map of a shape, so planes filled for
// one map of it serve the next): P's row m·u+a is input row m·u+a−1, its
// column m·v+bb input column m·v+bb−1.
func winoFillPlanes[T Float](g geom, wg winoGeom, src []T, ls, rs *[16][]T) {
	m, tw := wg.m, wg.tw
	// F(4×4): the plane columns [1, v0) of the rows of each a in one
	// call, the rest one by one.
	v0 := winoSplitFast(m, g.W, tw)
	// F(4×4) with every plane column past 0 in the calls below: only
	// columns 0–2 and the column apart are left (without the AVX-512 or
	// AVX2 copies winoDeint4's Go loop and the general loop run: the tests'
	// reference).
	fast := (winoCopyOK || winoCopyAVX2) && m == 4 && v0 > 1 && v0 == tw
	if m == 4 && v0 > 1 {
		for a := range 4 {
			y0, u0, rows := winoRowsOfA(a, g.H)
			if rows == 0 {
				continue
			}
			at := u0*tw + 1
			winoDeint4(ls[4*a][at:], ls[4*a+1][at:], ls[4*a+2][at:], ls[4*a+3][at:], tw,
				src[y0*g.W+3:], 4*g.W, rows, v0-1)
		}
	}
	for y := range g.H {
		u, a := (y+1)/m, (y+1)%m
		row := src[y*g.W:][:g.W]
		if fast { // columns 0–2, and the column apart
			at := u * tw
			ls[4*a+1][at], ls[4*a+2][at], ls[4*a+3][at] = row[0], row[1], row[2]
			if 4*tw-1 < g.W {
				rs[4*a][u] = row[4*tw-1]
			}
			continue
		}
		for bb := range m {
			l := ls[m*a+bb][u*tw:][:tw]
			if bb > 0 && bb-1 < g.W { // column 0 of plane 0 is padding
				l[0] = row[bb-1]
			}
			for v := v0; v < tw && m*v+bb-1 < g.W; v++ {
				l[v] = row[m*v+bb-1]
			}
		}
		if m*tw-1 < g.W {
			rs[m*a][u] = row[m*tw-1]
		}
	}
}

// F(4×4)'s gather and Bᵀ transform in one (winoGather4): the transform's
// pass along j reads the patch rows straight from the planes instead of
// a block D that winoGather fills with 36 copies a map. Row (i, j) of D is
// plane Q_{a,bb} (a = i mod 4, bb = j mod 4) from plane row i/4 on, and
// for j ≥ 4 one plane column further: that shift is a plane of its own,
// Q'_{a,bb} (bb = 0, 1) with Q'[u][v] = Q[u][v+1] and the column apart as
// its last column (zero for bb = 1: input column 4·tw is past any row),
// two copies of a plane for each a instead of the 36 copies of D. The
// planes lie at stride lp = (th+1)·tw in q: for each a, Q_{a,0..3} then
// Q'_{a,0} and Q'_{a,1}, so that group i's six rows are at stride lp from
// (a·6)·lp + (i/4)·tw (wino4BTP's addressing), the 16 columns apart after
// the 24 planes.

// winoShiftPlanes writes the shifted planes Q'_{a,0}, Q'_{a,1} (sh[2a],
// sh[2a+1]) of winoGather4 from Q_{a,0}, Q_{a,1} and Q_{a,0}'s column
// apart (whole: every element).
func winoShiftPlanes[T Float](wg winoGeom, ls, rs *[16][]T, sh *[8][]T) {
	tw, th := wg.tw, wg.th
	lp := (th + 1) * tw
	for a := range 4 {
		p0, p1, r := sh[2*a], sh[2*a+1], rs[4*a]
		copy(p0[:lp-1], ls[4*a][1:])
		copy(p1[:lp-1], ls[4*a+1][1:])
		for u := range th + 1 {
			p0[u*tw+tw-1], p1[u*tw+tw-1] = r[u], 0
		}
	}
}

// winoFill4Args is one map's planes for winoFill4x (the offsets its
// assembly reads: keep the order; all eight bytes on amd64).
type winoFill4Args struct {
	q, src   *float32 // the 24 planes, the map
	lp       int      // the planes' stride, bytes
	tw, h, w int      // tiles across, the map
	f, g, gq int      // floats from column 3 a row takes; its groups of four into Q', into Q
}

// winoFillVArgs is one map's planes for winoFillV (the offsets its
// assembly reads: keep the order; all eight bytes on amd64).
type winoFillVArgs struct {
	q, src *float32  // the 24 planes, the map
	lp     int       // the planes' stride, bytes
	off    [4]int    // a block's four vectors, bytes from its first
	u1     int       // plane row 1, bytes
	row    int       // a map row, bytes
	blocks int       // blocks of 64 floats a plane group
	k0, k1 int       // the lanes of sh0 and sh1 kept (the others +0)
	sh0    [16]int32 // Q_{a,0} from E_3: lane tw·u+v from v−1
	sh1    [16]int32 // Q'_{a,1} from E_0: lane tw·u+v from v+1
}

// newWinoFillV returns winoFillV's arguments for the planes q of
// winoGather4 on g, or nil where it does not run: maps 16, 32 or 64 wide
// (tw = w/4, so a vector holds 16/tw whole plane rows), th = h/4 and h·w
// a multiple of 256 (whole blocks of 64 floats in each plane group).
func newWinoFillV(g geom, wg winoGeom, q []float32) *winoFillVArgs {
	tw := wg.tw
	if (g.W != 16 && g.W != 32 && g.W != 64) || tw != g.W/4 || g.H%4 != 0 || wg.th != g.H/4 ||
		g.H*g.W%256 != 0 {
		return nil
	}
	a := &winoFillVArgs{q: &q[0], lp: 4 * (wg.th + 1) * tw, u1: 4 * tw, row: 4 * g.W,
		blocks: g.H * g.W / 256}
	per := g.W / 16 // vectors a map row
	for z := range 4 {
		a.off[z] = (z/per)*16*g.W + (z%per)*64
	}
	for i := range 16 {
		v := i % tw
		a.sh0[i], a.sh1[i] = int32(max(i-1, 0)), int32(min(i+1, 15))
		if v != 0 {
			a.k0 |= 1 << i
		}
		if v != tw-1 {
			a.k1 |= 1 << i
		}
	}
	return a
}

// planes4Len is the length of winoGather4's planes (m = 4).
func (wg winoGeom) planes4Len() int { return 24*(wg.th+1)*wg.tw + 16*(wg.th+1) }

// winoGather4 is winoGather followed by the Bᵀ transform (winoXform,
// winoKindBT) for m = 4, into v (rows at stride s) without the block D:
// the same bits. q is scratch of wg.planes4Len().
func winoGather4[T Float](g geom, wg winoGeom, x []T, lo, hi, clo, chi int, v []T, s int, q []T) {
	tc := (hi - lo) * wg.tpi
	hw := g.H * g.W
	tw, th, n := wg.tw, wg.th, wg.tpi
	lp := (th + 1) * tw
	q = q[:wg.planes4Len()]
	var ls, rs [16][]T
	var sh [8][]T // Q'_{a,k} at 2a+k
	for a := range 4 {
		for bb := range 4 {
			ls[4*a+bb] = q[(6*a+bb)*lp:][:lp]
			rs[4*a+bb] = q[24*lp+(4*a+bb)*(th+1):][:th+1]
		}
		sh[2*a], sh[2*a+1] = q[(6*a+4)*lp:][:lp], q[(6*a+5)*lp:][:lp]
	}
	n16, avx2 := 0, false // the columns the kernel transforms: whole 16 (AVX-512) or 8 (AVX2)
	if _, ok := any(v).([]float32); ok && wino4XformOK {
		n16 = n &^ 15
	} else if ok && wino4XformAVX2 {
		n16, avx2 = n&^7, true
	}
	var rows [36][]T
	// winoFillPlanes writes the same elements of the planes for every map
	// (which depends on the shape only): the others, the padding, stay
	// zero from this one clear. The Go loops write Q' whole for every map
	// (winoShiftPlanes); winoFill4x writes only the elements of Q' that a
	// map's element goes to, the others zero from a clear of all 24 planes.
	for a := range 4 {
		clear(q[6*a*lp:][:4*lp])
	}
	clear(q[24*lp:])
	fill := winoFill4Args{tw: tw, h: g.H, w: g.W, lp: 4 * lp}
	qf, fast := any(q).([]float32)
	// Maps 16, 32 or 64 wide (the COCO net's conv2–conv6): winoFillV, a
	// vector of plane elements a step (the same bits: copies, the same
	// elements written).
	var fv *winoFillVArgs
	if fast = fast && winoCopyOK && g.W >= 3; fast {
		fv = newWinoFillV(g, wg, qf)
		clear(q[:24*lp])
		// The groups of four from column 3: up to column 4·tw−1 (the
		// column apart) for Q', up to 4·tw−2 for Q.
		f := min(g.W-3, 4*tw)
		fill.q, fill.f, fill.g, fill.gq = &qf[0], f, (f+3)/4, min((f+3)/4, tw-1)
	}
	// AVX2 without AVX-512: winoFill4a, winoFill4x's twin, a map a call.
	var fa *winoFill4AArgs
	if _, ok := any(q).([]float32); ok && !fast && winoCopyAVX2 && g.W >= 3 {
		clear(q[:24*lp])
		f := min(g.W-3, 4*tw)
		fa = &winoFill4AArgs{q: &qf[0], lp: 4 * lp, tw: tw, h: g.H, w: g.W, gf: f / 4, rem: f % 4}
	}
	for ch := clo; ch < chi; ch++ {
		for b := lo; b < hi; b++ {
			src := x[(b*g.C+ch)*hw:][:hw]
			if fv != nil {
				fv.src = &any(src).([]float32)[0]
				winoFillV(fv)
			} else if fast {
				// Q and Q' in one kernel call a map (the same bits:
				// copies, the same elements written).
				fill.src = &any(src).([]float32)[0]
				winoFill4x(&fill)
			} else if fa != nil {
				fa.src = &any(src).([]float32)[0]
				winoFill4a(fa)
			} else {
				winoFillPlanes(g, wg, src, &ls, &rs)
				winoShiftPlanes(wg, &ls, &rs, &sh)
			}
			dst := v[ch*tc+(b-lo)*n:]
			if n16 > 0 {
				d, qf := any(dst).([]float32), any(q).([]float32)
				_ = d[35*s+n-1]
				if avx2 {
					wino4BTP2(&d[0], &qf[0], 4*s, 4*lp, 4*tw, n16)
				} else {
					wino4BTP(&d[0], &qf[0], 4*s, 4*lp, 4*tw, n16)
				}
			}
			if n16 == n {
				continue
			}
			for i := range 6 {
				a, off := i%4, (i/4)*tw+n16
				for j := range 6 {
					if j < 4 {
						rows[6*i+j] = ls[4*a+j][off:][:n-n16]
					} else {
						rows[6*i+j] = sh[2*a+j-4][off:][:n-n16]
					}
				}
			}
			wino4BTRows(dst[n16:], s, &rows, n-n16)
		}
	}
}

// gatherLen is the length of the planes winoGatherBT needs.
func (wg winoGeom) gatherLen() int {
	if wg.m == 4 {
		return wg.planes4Len()
	}
	return wg.planesLen()
}

// winoGatherBT writes V = Bᵀ d B of channels [clo, chi) of images [lo, hi)
// of x into v (row stride s): for m = 4 through winoGather4, without
// the block D, else winoGather into d and winoXform from it. q is scratch
// of wg.gatherLen().
func winoGatherBT[T Float](g geom, wg winoGeom, tm *winoMats[T], x []T, lo, hi, clo, chi int, d, v []T, s int,
	q []T) {
	if wg.m == 4 {
		winoGather4(g, wg, x, lo, hi, clo, chi, v, s, q)
		return
	}
	tc := (hi - lo) * wg.tpi
	winoGather(g, wg, x, lo, hi, clo, chi, d, s, q)
	winoXform(wg.m, winoKindBT, tm, v[clo*tc:], d[clo*tc:], s, (chi-clo)*tc)
}

// winoScatter adds the patch gradients dd (winoGather's layout; dd is
// scratch and changed) of channels [clo, chi) of images [lo, hi) onto
// their overlapping patches, through the planes in q, and writes the sums
// as the input gradient dx (with add, adds them to dx: winoPlanesOut).
// With the AVX2 copies (winoCopyAVX2, float32) a map's r² adds run in one
// winoScatAdd call: the same bits but for NaN payloads (of two NaNs it
// keeps the plane's, where the Go loop's rc[i] += x leaves the choice to
// the compiler).
func winoScatter[T Float](g geom, wg winoGeom, dd []T, s int, dx []T, lo, hi, clo, chi int, q []T, add bool) {
	tc := (hi - lo) * wg.tpi
	hw := g.H * g.W
	m, r, tw, th := wg.m, wg.r, wg.tw, wg.th
	q = q[:wg.planesLen()]
	ls, rs := winoPlanes(wg, q)
	// AVX2 without AVX-512: a map's r² adds in one winoScatAdd call.
	var sa winoScatAArgs
	var tab [108]int
	qf, fast := any(q).([]float32)
	if fast = fast && winoCopyAVX2; fast {
		sa = winoScatAArgs{q: &qf[0], tab: &tab, ne: r * r, n: wg.tpi, tw: tw, th: th}
		winoScatATab(wg, s, &tab)
	}
	for b := lo; b < hi; b++ {
		for ch := clo; ch < chi; ch++ {
			clear(q)
			base := ch*tc + (b-lo)*wg.tpi
			n := wg.tpi
			if fast {
				d := any(dd).([]float32)
				_ = d[(r*r-1)*s+base+n-1]
				sa.dd = &d[base]
				winoScatAdd(&sa)
				winoPlanesOut(g, wg, &ls, &rs, dx[(b*g.C+ch)*hw:][:hw], add)
				continue
			}
			for i := range r {
				a, di := i%m, i/m
				for j := range r {
					bb, dj := j%m, j/m
					l, rc := ls[m*a+bb], rs[m*a+bb]
					sr := dd[(r*i+j)*s+base:][:n]
					if dj == 0 {
						addTo(l[di*tw:][:n], sr)
						continue
					}
					// The last tile of each row goes to the column apart;
					// zeroed, it adds nothing to the next row's first.
					for ty := range th {
						rc[ty+di] += sr[ty*tw+tw-1]
						sr[ty*tw+tw-1] = 0
					}
					addTo(l[di*tw+1:][:n-1], sr[:n-1])
				}
			}
			winoPlanesOut(g, wg, &ls, &rs, dx[(b*g.C+ch)*hw:][:hw], add)
		}
	}
}

// winoScatATab sets the r² adds of winoScatter for winoScatAdd (dd's
// rows at stride s), in winoScatter's order: plane ab's element di·tw+dj
// (bytes from the planes' start), row (r·i+j)'s offset, and for dj = 1
// the column apart's element di, else −1.
func winoScatATab(wg winoGeom, s int, tab *[108]int) {
	m, r, tw, th := wg.m, wg.r, wg.tw, wg.th
	ql := (th + 1) * (tw + 1)
	for i := range r {
		a, di := i%m, i/m
		for j := range r {
			bb, dj := j%m, j/m
			ab, e := m*a+bb, r*i+j
			tab[3*e], tab[3*e+1], tab[3*e+2] = 4*(ab*ql+di*tw+dj), 4*e*s, -1
			if dj == 1 {
				tab[3*e+2] = 4 * (ab*ql + (th+1)*tw + di)
			}
		}
	}
}

// winoPlanesOut writes the planes ls and rs (winoPlanes' cut) of one map
// into dst, winoFillPlanes' inverse; with add it adds them to dst's
// elements instead (winoPlanesAdd).
func winoPlanesOut[T Float](g geom, wg winoGeom, ls, rs *[16][]T, dst []T, add bool) {
	if add {
		winoPlanesAdd(g, wg, ls, rs, dst)
		return
	}
	m, tw := wg.m, wg.tw
	v0 := winoSplitFast(m, g.W, tw)
	// F(4×4) with every plane column past 0 in the calls below: only
	// columns 0–2 and the column apart are left (without the AVX-512 or
	// AVX2 copies winoInt4's Go loop and the general loop run: the tests'
	// reference).
	fast := (winoCopyOK || winoCopyAVX2) && m == 4 && v0 > 1 && v0 == tw
	if m == 4 && v0 > 1 {
		for a := range 4 {
			y0, u0, rows := winoRowsOfA(a, g.H)
			if rows == 0 {
				continue
			}
			at := u0*tw + 1
			winoInt4(dst[y0*g.W+3:], 4*g.W, ls[4*a][at:], ls[4*a+1][at:], ls[4*a+2][at:],
				ls[4*a+3][at:], tw, rows, v0-1)
		}
	}
	for y := range g.H {
		u, a := (y+1)/m, (y+1)%m
		row := dst[y*g.W:][:g.W]
		if fast { // columns 0–2, and the column apart
			at := u * tw
			row[0], row[1], row[2] = ls[4*a+1][at], ls[4*a+2][at], ls[4*a+3][at]
			if 4*tw-1 < g.W {
				row[4*tw-1] = rs[4*a][u]
			}
			continue
		}
		for bb := range m {
			l := ls[m*a+bb][u*tw:][:tw]
			if bb > 0 && bb-1 < g.W { // column 0 of plane 0 is padding
				row[bb-1] = l[0]
			}
			for v := v0; v < tw && m*v+bb-1 < g.W; v++ {
				row[m*v+bb-1] = l[v]
			}
		}
		if m*tw-1 < g.W {
			row[m*tw-1] = rs[m*a][u]
		}
	}
}

// winoPlanesAdd is winoPlanesOut adding the planes to dst's elements
// (dst + plane, one rounding each: the same bits as writing them into a
// buffer of their own and addTo after it), the same passes with
// winoInt4Add for winoInt4. Kept apart so that winoPlanesOut's loops stay
// as they were (a shared loop with the choice inside measured 3–4 %
// slower on the scatter at 16×16).
func winoPlanesAdd[T Float](g geom, wg winoGeom, ls, rs *[16][]T, dst []T) {
	m, tw := wg.m, wg.tw
	v0 := winoSplitFast(m, g.W, tw)
	fast := (winoCopyOK || winoCopyAVX2) && m == 4 && v0 > 1 && v0 == tw
	if m == 4 && v0 > 1 {
		for a := range 4 {
			y0, u0, rows := winoRowsOfA(a, g.H)
			if rows == 0 {
				continue
			}
			at := u0*tw + 1
			winoInt4Add(dst[y0*g.W+3:], 4*g.W, ls[4*a][at:], ls[4*a+1][at:], ls[4*a+2][at:],
				ls[4*a+3][at:], tw, rows, v0-1)
		}
	}
	for y := range g.H {
		u, a := (y+1)/m, (y+1)%m
		row := dst[y*g.W:][:g.W]
		if fast { // columns 0–2, and the column apart
			at := u * tw
			row[0] += ls[4*a+1][at]
			row[1] += ls[4*a+2][at]
			row[2] += ls[4*a+3][at]
			if 4*tw-1 < g.W {
				row[4*tw-1] += rs[4*a][u]
			}
			continue
		}
		for bb := range m {
			l := ls[m*a+bb][u*tw:][:tw]
			if bb > 0 && bb-1 < g.W { // column 0 of plane 0 is padding
				row[bb-1] += l[0]
			}
			for v := v0; v < tw && m*v+bb-1 < g.W; v++ {
				row[m*v+bb-1] += l[v]
			}
		}
		if m*tw-1 < g.W {
			row[m*tw-1] += rs[m*a][u]
		}
	}
}

// winoScatterB runs the B transform of dv's channels [clo, chi) (rows at
// stride s) into dd and scatters it as winoScatter does: for m = 4 with
// whole blocks of 16 tiles a map and the AVX-512 transforms (or of 8 and
// the AVX2 ones) through winoScatter4, else winoXform and winoScatter. The
// same bits either way.
func winoScatterB[T Float](g geom, wg winoGeom, tm *winoMats[T], dv, dd []T, s int, dx []T, lo, hi, clo, chi int,
	q []T, add bool) {
	if _, ok := any(dv).([]float32); ok && wg.m == 4 && (wino4XformOK && wg.tpi%16 == 0 ||
		wino4XformAVX2 && wg.tpi%8 == 0) {
		winoScatter4(g, wg, dv, dd, s, dx, lo, hi, clo, chi, q, add)
		return
	}
	tc := (hi - lo) * wg.tpi
	winoXform(wg.m, winoKindB, tm, dd[clo*tc:], dv[clo*tc:], s, (chi-clo)*tc)
	winoScatter(g, wg, dd, s, dx, lo, hi, clo, chi, q, add)
}

// winoScatter4 is winoXform's B transform followed by winoScatter for
// m = 4 (float32, AVX-512 and tpi a multiple of 16, or AVX2 (wino4BP2)
// and tpi a multiple of 8), with the 16 rows that
// start the planes' sums (patch rows i, j < 4: plane 4i+j from its first
// element, winoScatter's first add into the zeroed plane) written by the
// transform straight into the planes (wino4BP) instead of into dd and
// added from there: 16 of the 36 passes over the planes fewer, and the
// only clears those of the planes' last rows and of the columns apart. The
// other 20 rows are added as in
// winoScatter, in its order: the same bits. The planes lie at stride
// (th+1)·tw in q (at least wg.planes4Len() long), the columns apart after
// them. With add the sums are added to dx (winoPlanesOut). With the
// AVX-512 copies (winoCopyOK) and g.W ≥ 3 the maps go through
// winoScatter4x, one kernel call a map after wino4BP; the Go loops below
// are its reference in the tests.
func winoScatter4[T Float](g geom, wg winoGeom, dv, dd []T, s int, dx []T, lo, hi, clo, chi int, q []T, add bool) {
	tc := (hi - lo) * wg.tpi
	hw := g.H * g.W
	r, tw, th, n := wg.r, wg.tw, wg.th, wg.tpi
	lp := (th + 1) * tw
	q = q[:16*lp+16*(th+1)]
	var ls, rs [16][]T
	for ab := range 16 {
		ls[ab], rs[ab] = q[ab*lp:][:lp], q[16*lp+ab*(th+1):][:th+1]
	}
	qf := any(q).([]float32)
	if winoCopyOK && g.W >= 3 {
		winoScatter4x(g, wg, any(dv).([]float32), any(dd).([]float32), s, any(dx).([]float32), lo, hi, clo,
			chi, qf, add)
		return
	}
	for b := lo; b < hi; b++ {
		for ch := clo; ch < chi; ch++ {
			for ab := range 16 {
				clear(ls[ab][n:])
			}
			clear(q[16*lp:])
			base := ch*tc + (b-lo)*n
			d, v := any(dd[base:]).([]float32), any(dv[base:]).([]float32)
			_, _ = d[35*s+n-1], v[35*s+n-1]
			if wino4XformAVX2 {
				wino4BP2(&d[0], &v[0], 4*s, &qf[0], 4*lp, n)
			} else {
				wino4BP(&d[0], &v[0], 4*s, &qf[0], 4*lp, n)
			}
			for i := range r {
				a, di := i%4, i/4
				for j := range r {
					if i < 4 && j < 4 {
						continue // written by wino4BP
					}
					bb, dj := j%4, j/4
					l, rc := ls[4*a+bb], rs[4*a+bb]
					sr := dd[(r*i+j)*s+base:][:n]
					if dj == 0 {
						addTo(l[di*tw:][:n], sr)
						continue
					}
					for ty := range th {
						rc[ty+di] += sr[ty*tw+tw-1]
						sr[ty*tw+tw-1] = 0
					}
					addTo(l[di*tw+1:][:n-1], sr[:n-1])
				}
			}
			winoPlanesOut(g, wg, &ls, &rs, dx[(b*g.C+ch)*hw:][:hw], add)
		}
	}
}

// winoScat4Args is one map's scatter after wino4BP for winoScat4x (the
// offsets its assembly reads: keep the order; all eight bytes on amd64).
type winoScat4Args struct {
	q, dd, dst *float32 // the planes (columns apart after them), dd's rows of the map, the map
	tab        *[60]int // the 20 adds in order: plane, row, column apart (−1: none), bytes
	lp         int      // the planes' stride, bytes
	n, tw, th  int      // tiles a map, across, down
	h, w       int      // the map
	f          int      // floats of a row that the groups v ≥ 1 write (from column 3)
	add        int      // 1: add to the map's elements
	ca         int      // the column apart's byte offset in a row, −1 where none
	nl         *uint16  // per block of 16 tiles, the bits of the tiles not last in their row
	// Maps 16, 32 or 64 wide with whole blocks (winoFillV's shapes): the
	// rows written a vector of plane elements a step.
	wv     int       // 1: this way
	off    [4]int    // a block's four vectors, bytes from its first
	u1     int       // plane row 1, bytes
	rstep  int       // the columns apart a block, bytes
	blocks int       // blocks of 64 floats a plane group
	kr     int       // the lanes of the columns apart a block
	ap     [16]int32 // E_3: lane tw·u+v from Q_{a,0}'s v+1, the last from the column apart (16+u)
}

// winoScatter4x is winoScatter4's loop over the maps with the AVX-512
// kernel winoScat4x for everything after wino4BP: the clears, the 20
// adds with the columns apart (each plane's and column apart's in
// winoScatter's order, vadd's operation:
// plane + row, the plane first; the last tile of each row added as +0, as
// there, but masked off instead of zeroed in dd: dd is left as it is) and
// winoPlanesOut's or winoPlanesAdd's copies of the map's rows (each
// element written or added once): one call a map instead of twenty adds,
// four interleaves and a Go loop over the rows. The same bits as
// winoScatter4's Go loops (g.W ≥ 3; any width from 3 on, also those whose
// planes end in a ragged group, which winoPlanesOut leaves to its Go loop).
// One difference of NaN payloads only: where add is set and both the map's
// element and the plane's are NaN, the kernel keeps the map's (it adds
// with dx first), where the Go loops' dst[i] += v leave the choice to the
// compiler.
func winoScatter4x(g geom, wg winoGeom, dv, dd []float32, s int, dx []float32, lo, hi, clo, chi int,
	q []float32, add bool) {
	tc := (hi - lo) * wg.tpi
	hw := g.H * g.W
	tw, th, n := wg.tw, wg.th, wg.tpi
	lp := (th + 1) * tw
	q = q[:16*lp+16*(th+1)]
	// The 20 adds, each plane's (and column apart's) in winoScatter's
	// order, the planes' in turn: the shifted rows (i < 4, j ≥ 4), the
	// rows a tile down (i ≥ 4, j < 4), then both (i, j ≥ 4), so that an
	// add's load across plane elements that an add before it stored comes
	// as late as it can (it waits for that store to reach the cache).
	var order [20][2]int
	e := 0
	for _, r := range [3][4]int{{0, 4, 4, 6}, {4, 6, 0, 4}, {4, 6, 4, 6}} {
		for i := r[0]; i < r[1]; i++ {
			for j := r[2]; j < r[3]; j++ {
				order[e] = [2]int{i, j}
				e++
			}
		}
	}
	var tab [60]int
	for e, ij := range order {
		i, j := ij[0], ij[1]
		a, di, bb, dj := i%4, i/4, j%4, j/4
		ab := 4*a + bb
		tab[3*e], tab[3*e+1], tab[3*e+2] = 4*(ab*lp+di*tw+dj), 4*(6*i+j)*s, -1
		if dj == 1 {
			tab[3*e+2] = 4 * (16*lp + ab*(th+1) + di)
		}
	}
	var nl0 [64]uint16
	nl := nl0[:0]
	for k := 0; k < n; k += 16 {
		var m uint16
		for j := range 16 {
			if (k+j)%tw != tw-1 {
				m |= 1 << j
			}
		}
		nl = append(nl, m)
	}
	ar := winoScat4Args{q: &q[0], tab: &tab, lp: 4 * lp, n: n, tw: tw, th: th, h: g.H, w: g.W,
		f: max(0, min(g.W-3, 4*(tw-1))), ca: -1, nl: &nl[0]}
	if add {
		ar.add = 1
	}
	if 4*tw-1 < g.W {
		ar.ca = 4 * (4*tw - 1)
	}
	if fv := newWinoFillV(g, wg, q); fv != nil {
		ar.wv, ar.off, ar.u1, ar.rstep, ar.blocks = 1, fv.off, fv.u1, 4*16/tw, fv.blocks
		ar.kr = 1<<(16/tw) - 1
		for i := range 16 {
			ar.ap[i] = int32(i + 1)
			if i%tw == tw-1 {
				ar.ap[i] = int32(16 + i/tw)
			}
		}
	}
	for ch := clo; ch < chi; ch++ {
		for b := lo; b < hi; b++ {
			base := ch*tc + (b-lo)*n
			d, v := dd[base:], dv[base:]
			_, _ = d[35*s+n-1], v[35*s+n-1]
			dst := dx[(b*g.C+ch)*hw:][:hw]
			wino4BP(&d[0], &v[0], 4*s, &q[0], 4*lp, n)
			ar.dd, ar.dst = &d[0], &dst[0]
			winoScat4x(&ar)
		}
	}
}

// winoPlace interleaves the tiles' outputs ym (row m·a+b holds output
// (a, b) of every tile, row stride s, column o·tc + (b−lo)·tpi + tile) of
// output channels [olo, ohi) of images [lo, hi) into y.
func winoPlace[T Float](g geom, wg winoGeom, ym []T, s int, y []T, lo, hi, olo, ohi int) {
	tc := (hi - lo) * wg.tpi
	p := g.p()
	m, tw := wg.m, wg.tw
	full := g.Wo / m // tiles whose m columns are all in the map
	for b := lo; b < hi; b++ {
		for o := olo; o < ohi; o++ {
			dst := y[(b*g.O+o)*p:][:p]
			base := o*tc + (b-lo)*wg.tpi
			f := 0 // F(4×4): the full tiles of the rows of each a in one call
			if m == 4 {
				for a := range min(4, g.Ho) {
					winoInt4(dst[a*g.Wo:], 4*g.Wo, ym[(4*a)*s+base:], ym[(4*a+1)*s+base:],
						ym[(4*a+2)*s+base:], ym[(4*a+3)*s+base:], tw, (g.Ho-a+3)/4, full)
				}
				f = full
			}
			if f == tw {
				continue // every tile done
			}
			for ty := range wg.th {
				at := base + ty*tw
				for a := range min(m, g.Ho-m*ty) {
					d := dst[(m*ty+a)*g.Wo:][:g.Wo]
					for bb := range m {
						r := ym[(m*a+bb)*s+at:][:tw]
						for tx := f; tx < full; tx++ {
							d[m*tx+bb] = r[tx]
						}
						if full < tw && m*full+bb < g.Wo {
							d[m*full+bb] = r[full]
						}
					}
				}
			}
		}
	}
}

// winoNoPlaceAT makes the forward take the Aᵀ transform, the bias and
// the place as three passes where winoPlaceAT would run, and the backward
// the pick and the mask as two (tests compare).
var winoNoPlaceAT = false

// winoPlaceTab returns the table of winoPlaceAT for g (the offset in an
// output map of the first output of each group of four tiles), or nil
// where it does not run: F(4×4) in float32 with the AVX-512 transforms,
// whole 4×4 tiles (Ho and Wo multiples of 4), whole blocks of 16 tiles a
// map, and rows of tiles a multiple of 4 (Wo of 16): wino4ATY and
// winoPickMx take a group's four tiles as side by side in one row of
// tiles.
func winoPlaceTab[T Float](g geom, wg winoGeom) []int32 {
	if _, ok := any(T(0)).(float32); !ok || winoNoPlaceAT || !wino4XformOK || wg.m != 4 ||
		g.Ho != 4*wg.th || g.Wo != 4*wg.tw || wg.tpi%16 != 0 || wg.tw%4 != 0 {
		return nil
	}
	tab := make([]int32, wg.tpi/4)
	for k := range tab {
		ty, tx := 4*k/wg.tw, 4*k%wg.tw
		tab[k] = int32(4*ty*g.Wo + 4*tx)
	}
	return tab
}

// winoPlaceTab2 is winoPlaceTab for the AVX2 kernels wino4ATY2 and
// winoPickMx2 (wino4XformAVX2): the same table where whole blocks of 8
// tiles a map (not 16) and rows of tiles a multiple of 4, or nil.
func winoPlaceTab2[T Float](g geom, wg winoGeom) []int32 {
	if _, ok := any(T(0)).(float32); !ok || winoNoPlaceAT || !wino4XformAVX2 || wg.m != 4 ||
		g.Ho != 4*wg.th || g.Wo != 4*wg.tw || wg.tpi%8 != 0 || wg.tw%4 != 0 {
		return nil
	}
	tab := make([]int32, wg.tpi/4)
	for k := range tab {
		ty, tx := 4*k/wg.tw, 4*k%wg.tw
		tab[k] = int32(4*ty*g.Wo + 4*tx)
	}
	return tab
}

// winoPlaceAT is winoXform's Aᵀ transform, biasRows or biasRowsM and
// winoPlace in one pass (wino4ATY; without AVX-512 wino4ATY2, blocks of 8)
// for output channels [o0, o1) of images [lo, hi): each block of 16
// tiles is transformed, biased, recorded in the mask bits mk (the
// chunk's, winoChunkMask; nil for none) and interleaved into y from
// registers, without the block Ym and its two passes. The same operations
// in the same order: the same bits. tab is winoPlaceTab's (or
// winoPlaceTab2's).
func winoPlaceAT[T Float](g geom, wg winoGeom, mb []T, s int, y []T, lo, hi, o0, o1 int, bias []T, mk []uint8,
	tab []int32) {
	tc, n, p := (hi-lo)*wg.tpi, wg.tpi, g.p()
	floor := float32(math.Inf(-1))
	if g.ReLU {
		floor = 0
	}
	mrow := 0
	if mk != nil {
		mrow = tc / 8
	}
	mf, yf := any(mb).([]float32), any(y).([]float32)
	for o := o0; o < o1; o++ {
		var bv float32
		if bias != nil {
			bv = float32(bias[o])
		}
		for b := lo; b < hi; b++ {
			src := mf[o*tc+(b-lo)*n:]
			_ = src[35*s+n-1]
			dst := yf[(b*g.O+o)*p:][:p]
			var mp *uint8
			if mk != nil {
				mm := mk[(o*16*tc+(b-lo)*n)/8:]
				_ = mm[15*mrow+n/8-1]
				mp = &mm[0]
			}
			if wino4XformAVX2 {
				wino4ATY2(&dst[0], &src[0], 4*s, &tab[0], 4*g.Wo, bv, floor, mp, mrow, n)
				continue
			}
			wino4ATY(&dst[0], &src[0], 4*s, &tab[0], 4*g.Wo, bv, floor, mp, mrow, n)
		}
	}
}

// winoMaskOK reports whether a training forward on the Winograd route
// records its fused ReLU's mask as bits (winoMask): as reluMaskOK, with
// every chunk's tiles a multiple of 8, so that each row of a chunk's
// block of one output channel starts its bits on a byte.
func winoMaskOK[T Float](g geom, wg winoGeom) bool {
	_, f32 := any(T(0)).(float32)
	last := g.B - (wg.n-1)*wg.per
	return f32 && vecOK && !noReluMask && g.ReLU && wg.per*wg.tpi%8 == 0 && last*wg.tpi%8 == 0
}

// winoMask returns *buf grown to one bit per output of g in the tiles' order, or nil where a
// forward does not record the mask (outside training or where winoMaskOK does not hold). Chunk ci's
// images [lo, hi) have the bytes from lo·tpi·O·m²/8 on (winoChunkMask), output channel o's m² rows
// of tc tiles from o·m²·tc/8 on within them, row by row: the order biasRowsM (or wino4ATY or
// wino4ATY2, in winoPlaceAT) writes on the tiles' outputs and vmaskM in winoPick (or winoPickMx
// or winoPickMx2) reads. The
// backward then reads B·O·Ho·Wo/8 bytes or a little more (partial tiles) instead of y.
func winoMask[T Float](buf *[]uint8, g geom, wg winoGeom, train bool) []uint8 {
	if !train || !winoMaskOK[T](g, wg) {
		return nil
	}
	n := g.B * wg.tpi * g.O * wg.m * wg.m / 8
	if cap(*buf) < n {
		*buf = make([]uint8, n)
	}
	*buf = (*buf)[:n]
	return *buf
}

// winoChunkMask is the part of mask (winoMask, nil if none) for the chunk
// of images [lo, hi) (lo·tpi is a multiple of 8: winoMaskOK).
func winoChunkMask(g geom, wg winoGeom, mask []uint8, lo, hi int) []uint8 {
	if mask == nil {
		return nil
	}
	mm := wg.m * wg.m
	return mask[lo*wg.tpi/8*g.O*mm:][:(hi-lo)*wg.tpi/8*g.O*mm]
}

// winoPick is winoPlace's transpose: it deinterleaves the output gradient
// of output channels [olo, ohi) of images [lo, hi) into gm, zero for the
// missing outputs of partial tiles, and sets db[o] to the chunk's sum. With a fused ReLU it masks
// the gradient where the output is not positive: with the chunk's bits
// mk (winoChunkMask) after the deinterleave, or with y when mk is nil
// (through plane, scratch for one map). Where tab is not nil
// (winoPlaceTab's, or winoPlaceTab2's on AVX2) and the mask, if any, is
// mk, the deinterleave and the mask run as one pass (winoPickMx, or
// winoPickMx2).
func winoPick[T Float](g geom, wg winoGeom, dy, y, gm []T, s int, db []T, lo, hi, olo, ohi int, plane []T, mk []uint8,
	tab []int32) {
	tc := (hi - lo) * wg.tpi
	p := g.p()
	m, tw := wg.m, wg.tw
	full := g.Wo / m
	gr := g
	gr.LW = g.Wo
	fused := tab != nil && (mk != nil || !g.ReLU)
	for o := olo; o < ohi; o++ {
		if fused {
			winoPickX(g, wg, dy, gm, s, lo, hi, o, mk, tab)
			var sb T
			for r := range m * m {
				sb += sum(gm[r*s+o*tc:][:tc])
			}
			db[o] = sb
			continue
		}
		for b := lo; b < hi; b++ {
			src := dy[(b*g.O+o)*p:][:p]
			if g.ReLU && mk == nil {
				gradRows(gr, plane[:p], src, y[(b*g.O+o)*p:][:p])
				src = plane[:p]
			}
			base := o*tc + (b-lo)*wg.tpi
			f := 0 // F(4×4): the full tiles of the rows of each a in one call
			if m == 4 {
				for a := range min(4, g.Ho) {
					winoDeint4(gm[(4*a)*s+base:], gm[(4*a+1)*s+base:], gm[(4*a+2)*s+base:],
						gm[(4*a+3)*s+base:], tw, src[a*g.Wo:], 4*g.Wo, (g.Ho-a+3)/4, full)
				}
				f = full
			}
			for ty := range wg.th {
				at := base + ty*tw
				for a := range m {
					if m*ty+a >= g.Ho {
						for bb := range m {
							clear(gm[(m*a+bb)*s+at:][:tw])
						}
						continue
					}
					if f == tw {
						continue // every tile done
					}
					d := src[(m*ty+a)*g.Wo:][:g.Wo]
					for bb := range m {
						r := gm[(m*a+bb)*s+at:][:tw]
						for tx := f; tx < full; tx++ {
							r[tx] = d[m*tx+bb]
						}
						if full < tw {
							r[full] = 0
							if m*full+bb < g.Wo {
								r[full] = d[m*full+bb]
							}
						}
					}
				}
			}
		}
		if mk != nil {
			for r := range m * m {
				row := any(gm[r*s+o*tc:][:tc]).([]float32)
				vmaskM(&row[0], tc, &row[0], tc, &mk[(o*m*m+r)*tc/8], 1, tc)
			}
		}
		var sb T
		for r := range m * m {
			sb += sum(gm[r*s+o*tc:][:tc])
		}
		db[o] = sb
	}
}

// winoPickX runs winoPickMx (winoPickMx2 without AVX-512) on output
// channel o's maps of images [lo, hi) (float32; tab winoPlaceTab's or
// winoPlaceTab2's, mk the chunk's mask or nil).
func winoPickX[T Float](g geom, wg winoGeom, dy, gm []T, s int, lo, hi, o int, mk []uint8, tab []int32) {
	tc, n, p := (hi-lo)*wg.tpi, wg.tpi, g.p()
	mrow := 0
	if mk != nil {
		mrow = tc / 8
	}
	gf, df := any(gm).([]float32), any(dy).([]float32)
	for b := lo; b < hi; b++ {
		dst := gf[o*tc+(b-lo)*n:]
		_ = dst[15*s+n-1]
		src := df[(b*g.O+o)*p:][:p]
		var mp *uint8
		if mk != nil {
			mm := mk[(o*16*tc+(b-lo)*n)/8:]
			_ = mm[15*mrow+n/8-1]
			mp = &mm[0]
		}
		if wino4XformAVX2 {
			winoPickMx2(&dst[0], 4*s, &src[0], &tab[0], 4*g.Wo, mp, mrow, n)
			continue
		}
		winoPickMx(&dst[0], 4*s, &src[0], &tab[0], 4*g.Wo, mp, mrow, n)
	}
}

// winoBlockCols is the number of columns (channels × tiles) of a chunk's
// block that winoBlocks hands on at a time where winoBlockSize chooses
// blocks: each transform then runs right after the gather or pick of its
// columns, or right before the scatter or place of its output, while the
// block of 16 or 36 rows is in cache (about 150 KB at 36 rows), not over
// the chunk's thousands of columns. Tests and benchmarks set it: 0 lets
// winoBlockSize choose, −1 is one pass over the chunk, n > 0 forces n.
var winoBlockCols = 0

// winoL2 is the per-core L2 cache of the machine the blocks were measured
// on (the Intel Xeon of docs/PERFORMANCE.md: 2 MiB).
const winoL2 = 2 << 20

// winoBlockSize returns the block width winoBlocks takes for g: blocks of
// 1024 columns where a chunk's transformed rows (rr × max(C, O)·tc values)
// exceed winoL2, else one pass (0). Measured (CPU time, one thread, shared
// cores; docs/PERFORMANCE.md, lane 23w5): conv5 and conv6 (2.4 MB chunks)
// 1–18 % faster in each of five runs; conv2–conv4 (1.2 MB) mixed, conv2
// up to 7 % slower.
func winoBlockSize[T Float](g geom, wg winoGeom) int {
	switch {
	case winoBlockCols > 0:
		return winoBlockCols
	case winoBlockCols < 0:
		return 0
	}
	size := 8
	if _, f32 := any(T(0)).(float32); f32 {
		size = 4
	}
	if wg.rr()*max(g.C, g.O)*wg.per*wg.tpi*size > winoL2 {
		return 1024
	}
	return 0
}

// winoBlocks calls fn on ranges [c0, c1) of the n channels of a chunk of
// tc tiles each, in ascending order: one range of all of them for cols 0,
// else ranges of about cols columns (whole channels, at least one).
func winoBlocks(n, tc, cols int, fn func(c0, c1 int)) {
	if cols <= 0 {
		fn(0, n)
		return
	}
	k := max(1, cols/max(1, tc))
	for c0 := 0; c0 < n; c0 += k {
		fn(c0, min(n, c0+k))
	}
}

// winoNoPackU makes the Winograd route's GEMMs with U pack it in every
// chunk (tests and benchmarks compare the two).
var winoNoPackU = false

// winoPackU packs U[ξ] (trans: U[ξ]ᵀ, for the input gradient) for every
// position ξ into c.winoUp as the GEMM kernels read it (gemmPackA), once
// for all the chunks' GEMMs instead of once in each, and returns the
// stride of one position's panels; 0 where the GEMMs take U as it is: where
// the kernels read A in place (AVX-512, and AVX2 since session 10: no
// packing to save; packing once measured the same with AVX-512 and slower
// than reading in place with AVX2, BenchmarkWinoDirectA; a chunk past
// sgemmDirectACols tiles then packs U in its own GEMM, about 1/tc of that
// GEMM's work), in float64, or
// where they cannot take A packed beforehand at every chunk's size. The
// panels are those sgemmWith packs: the same bits. With the AVX2 kernels
// before they read A in place, training steps at conv2–conv6 ran 4–5 %
// faster (geomean of two runs of BenchmarkWinoDirectA, docs/PERFORMANCE.md
// session 7, lane 7g).
func (c *Conv2D[T]) winoPackU(wg winoGeom, trans bool) int {
	g := &c.g
	if winoNoPackU || !sgemmPacksA() {
		return 0
	}
	m, k := g.O, g.C // op(U[ξ]) is m×k
	if trans {
		m, k = k, m
	}
	last := (max(1, g.B) - (wg.n-1)*wg.per) * wg.tpi // the last chunk's tiles
	n := gemmPackALen[T](m, wg.per*wg.tpi, k)
	if n == 0 || last <= 0 || gemmPackALen[T](m, last, k) == 0 {
		return 0
	}
	su, rr, oc := (n+15)&^15, wg.rr(), winoStride(g.O*g.C)
	if cap(c.winoUp) < rr*su {
		c.winoUp = make([]T, rr*su)
	}
	c.winoUp = c.winoUp[:rr*su]
	u, up, pm, pk, lda := c.winoU, c.winoUp, m, k, g.C // captured by value
	parallelN(Workers(), rr, func(_, xi int) {
		gemmPackA(trans, pm, pk, u[xi*oc:], lda, up[xi*su:][:su])
	})
	return su
}

// winoForward is Forward on the Winograd route with m×m output tiles.
func (c *Conv2D[T]) winoForward(m int, bias, y []T, train bool) {
	g := c.g
	wg := g.wino(m)
	rr, mm := wg.rr(), m*m
	oc := winoStride(g.O * g.C)
	if cap(c.winoU) < rr*oc {
		c.winoU = make([]T, rr*oc)
	}
	c.winoU = c.winoU[:rr*oc]
	winoPerOut(g, func(lo, hi int) { winoWeights(g, m, c.Weight.Value.data, c.winoU, lo, hi) })
	if c.winoM.a == nil {
		c.winoM = newWinoMats[T]()
	}
	tm := c.winoM
	su := c.winoPackU(wg, false)
	tcMax := wg.per * wg.tpi
	sv, sm := winoStride(g.C*tcMax), winoStride(g.O*tcMax)
	nv := wg.n * rr * sv
	c.cache = nil
	if train && nv <= colCacheLimit {
		if cap(c.cacheBuf) < nv {
			c.cacheBuf = make([]T, nv)
		}
		c.cache = c.cacheBuf[:nv]
	}
	c.mask = winoMask[T](&c.maskBuf, g, wg, train)
	bc := winoBlockSize[T](g, wg)
	tab := winoPlaceTab[T](g, wg)
	if tab == nil { // without AVX-512: the AVX2 kernel, where it runs
		tab = winoPlaceTab2[T](g, wg)
	}
	workers := Workers()
	c.ws.reserve(workers)
	c.pad.reserve(workers)
	x := c.x.data
	parallelN(workers, wg.n, func(worker, ci int) {
		lo, hi := ci*wg.per, min(g.B, (ci+1)*wg.per)
		tc := (hi - lo) * wg.tpi
		nd := rr * sv // the block D: F(4×4) transforms from the planes instead
		if m == 4 {
			nd = 0
		}
		ny := mm * sm // the block Ym: none where winoPlaceAT runs
		if tab != nil {
			ny = 0
		}
		buf := c.ws.get(worker, rr*sm+ny+nd+rr*sv)
		mb, ym := buf[:rr*sm], buf[rr*sm:rr*sm+ny]
		d, v := buf[rr*sm+ny:][:nd], buf[rr*sm+ny+nd:]
		if c.cache != nil {
			v = c.cache[ci*rr*sv:][:rr*sv]
		}
		q := c.pad.get(worker, wg.gatherLen())
		winoBlocks(g.C, tc, bc, func(c0, c1 int) {
			winoGatherBT(g, wg, &tm, x, lo, hi, c0, c1, d, v, sv, q)
		})
		for xi := range rr {
			if su > 0 {
				gemmPackedA(g.O, tc, g.C, c.winoUp[xi*su:], v[xi*sv:], tc, mb[xi*sm:], tc)
				continue
			}
			gemm(false, false, g.O, tc, g.C, 1, c.winoU[xi*oc:], g.C, v[xi*sv:], tc, 0, mb[xi*sm:], tc)
		}
		mk := winoChunkMask(g, wg, c.mask, lo, hi)
		winoBlocks(g.O, tc, bc, func(o0, o1 int) {
			if tab != nil {
				winoPlaceAT(g, wg, mb, sm, y, lo, hi, o0, o1, bias, mk, tab)
				return
			}
			winoXform(m, winoKindAT, &tm, ym[o0*tc:], mb[o0*tc:], sm, (o1-o0)*tc)
			for o := o0; o < o1; o++ {
				var bv T
				if bias != nil {
					bv = bias[o]
				}
				if mk != nil {
					biasRowsM(ym[o*tc:], sm, ym[o*tc:], sm, mm, tc, bv, mk[o*mm*tc/8:])
					continue
				}
				biasRows(ym[o*tc:], sm, ym[o*tc:], sm, mm, tc, bv, g.ReLU)
			}
			winoPlace(g, wg, ym, sm, y, lo, hi, o0, o1)
		})
	})
}

// winoBackward is Backward on the Winograd route with m×m output tiles.
// With input the input gradient goes to dx, written, or with add added to
// dx's elements (the scatter's last pass does it: winoPlanesOut).
func (c *Conv2D[T]) winoBackward(m int, dy, dw, db []T, input bool, dx []T, add bool) {
	g := c.g
	wg := g.wino(m)
	rr, mm := wg.rr(), m*m
	tm := c.winoM
	oc := winoStride(g.O * g.C)
	nw := rr*oc + g.O
	if cap(c.parts) < (wg.n+1)*nw {
		c.parts = make([]T, (wg.n+1)*nw)
	}
	part, acc := c.parts[:wg.n*nw], c.parts[wg.n*nw:(wg.n+1)*nw]
	workers := Workers()
	c.ws.reserve(workers)
	c.pad.reserve(workers)
	x, yv := c.x.data, c.y.data
	tcMax := wg.per * wg.tpi
	sv, sm := winoStride(g.C*tcMax), winoStride(g.O*tcMax)
	bc := winoBlockSize[T](g, wg)
	tab := winoPlaceTab[T](g, wg)
	if tab == nil { // without AVX-512: the AVX2 kernels, where they run
		tab = winoPlaceTab2[T](g, wg)
	}
	su := 0
	if input {
		su = c.winoPackU(wg, true)
	}
	parallelN(workers, wg.n, func(worker, ci int) {
		lo, hi := ci*wg.per, min(g.B, (ci+1)*wg.per)
		tc := (hi - lo) * wg.tpi
		buf := c.ws.get(worker, (rr+mm)*sm+3*rr*sv)
		dm, gm, d := buf[:rr*sm], buf[rr*sm:(rr+mm)*sm], buf[(rr+mm)*sm:][:rr*sv]
		v, dd := buf[(rr+mm)*sm+rr*sv:][:rr*sv], buf[(rr+mm)*sm+2*rr*sv:][:rr*sv]
		plane := c.pad.get(worker, max(wg.gatherLen(), g.p()))
		if c.cache != nil {
			v = c.cache[ci*rr*sv:][:rr*sv]
		} else {
			winoBlocks(g.C, tc, bc, func(c0, c1 int) {
				winoGatherBT(g, wg, &tm, x, lo, hi, c0, c1, d, v, sv, plane)
			})
		}
		pw := part[ci*nw:][:nw]
		mk := winoChunkMask(g, wg, c.mask, lo, hi)
		winoBlocks(g.O, tc, bc, func(o0, o1 int) {
			winoPick(g, wg, dy, yv, gm, sm, pw[rr*oc:], lo, hi, o0, o1, plane, mk, tab)
			winoXform(m, winoKindA, &tm, dm[o0*tc:], gm[o0*tc:], sm, (o1-o0)*tc)
		})
		for xi := range rr {
			gemm(false, true, g.O, g.C, tc, 1, dm[xi*sm:], tc, v[xi*sv:], tc, 0, pw[xi*oc:], g.C)
		}
		if !input {
			return
		}
		dv := d // the patches are not needed any more
		for xi := range rr {
			if su > 0 {
				gemmPackedA(g.C, tc, g.O, c.winoUp[xi*su:], dm[xi*sm:], tc, dv[xi*sv:], tc)
				continue
			}
			gemm(true, false, g.C, tc, g.O, 1, c.winoU[xi*oc:], g.C, dm[xi*sm:], tc, 0, dv[xi*sv:], tc)
		}
		winoBlocks(g.C, tc, bc, func(c0, c1 int) {
			winoScatterB(g, wg, &tm, dv, dd, sv, dx, lo, hi, c0, c1, plane, add)
		})
	})
	// The chunks' parts are summed element by element in chunk order, so
	// splitting the elements between cores changes no bit.
	parallelRange(nw, func(lo, hi int) {
		copy(acc[lo:hi], part[lo:hi])
		for ci := 1; ci < wg.n; ci++ {
			addTo(acc[lo:hi], part[ci*nw+lo:ci*nw+hi])
		}
	})
	winoPerOut(g, func(lo, hi int) { winoWeightGrad(g, m, acc, dw, lo, hi) })
	if db != nil {
		addTo(db[:g.O], acc[rr*oc:])
	}
}

// The four transforms winoXform runs: (Bᵀ⊗Bᵀ), its transpose, (Aᵀ⊗Aᵀ)
// and its transpose.
const (
	winoKindBT = iota
	winoKindB
	winoKindAT
	winoKindA
)

// winoXform sets row r of dst to Σ_k mat[r][k]·(row k of src) over n
// columns (rows of both at stride ld), mat being the matrix of the
// transform kind of F(m×m, 3×3): for m = 2 tm's (16×16 or 4×16 or 16×4),
// for m = 4 the Kronecker products of conv_wino4_xform.go's Bᵀ and Aᵀ
// (36×36 or 16×36 or 36×16), run separably there. Every entry of
// F(2×2)'s matrices is 0 or ±1, so the AVX-512 passes of
// conv_wino_amd64.s add and subtract the rows their nonzero entries pick,
// from zero in ascending k: the GEMM's sums in the GEMM's order (the same
// bits), without its packing and its multiplications by 0. Without
// AVX-512, or in float64, the GEMM runs.
func winoXform[T Float](m, kind int, tm *winoMats[T], dst, src []T, ld, n int) {
	if m == 4 {
		wino4Xform(kind, dst, src, ld, n)
		return
	}
	rows, kk, mat := 16, 16, tm.b
	switch kind {
	case winoKindB:
		mat = tm.bt
	case winoKindAT:
		rows, mat = 4, tm.a
	case winoKindA:
		kk, mat = 4, tm.at
	}
	d, ok := any(dst).([]float32)
	if !ok || !winoXformOK || n < 16 {
		gemm(false, false, rows, n, kk, 1, mat, kk, src, ld, 0, dst, ld)
		return
	}
	_, _ = dst[(rows-1)*ld+n-1], src[(kk-1)*ld+n-1]
	sp, n16 := &any(src).([]float32)[0], n&^15
	switch kind {
	case winoKindBT:
		winoBT16(&d[0], sp, 4*ld, n16)
	case winoKindB:
		winoB16(&d[0], sp, 4*ld, n16)
	case winoKindAT:
		winoAT4(&d[0], sp, 4*ld, n16)
	default:
		winoA16(&d[0], sp, 4*ld, n16)
	}
	for r := range rows {
		m := mat[r*kk:][:kk]
		for c := n16; c < n; c++ {
			var acc T
			for k, e := range m {
				if e > 0 {
					acc += src[k*ld+c]
				} else if e < 0 {
					acc -= src[k*ld+c]
				}
			}
			dst[r*ld+c] = acc
		}
	}
}

// wino4Xform is winoXform for F(4×4, 3×3): lane 23x's separable passes,
// in AVX-512 (conv_wino4_amd64.s) on whole blocks of 16 float32 columns,
// or without AVX-512 in AVX2 (conv_wino4_avx2_amd64.s) on whole blocks of
// 8, in Go (conv_wino4_xform.go, the same bits) on the rest and in float64.
func wino4Xform[T Float](kind int, dst, src []T, ld, n int) {
	if d, ok := any(dst).([]float32); ok && wino4XformOK && n >= 16 {
		rows, kk := 36, 36
		switch kind {
		case winoKindAT:
			rows = 16
		case winoKindA:
			kk = 16
		}
		_, _ = dst[(rows-1)*ld+n-1], src[(kk-1)*ld+n-1]
		sp, n16 := &any(src).([]float32)[0], n&^15
		switch kind {
		case winoKindBT:
			wino4BT(&d[0], sp, 4*ld, n16)
		case winoKindB:
			wino4B(&d[0], sp, 4*ld, n16)
		case winoKindAT:
			wino4AT(&d[0], sp, 4*ld, n16)
		default:
			wino4A(&d[0], sp, 4*ld, n16)
		}
		if n16 == n {
			return
		}
		dst, src, n = dst[n16:], src[n16:], n-n16
	}
	if d, ok := any(dst).([]float32); ok && wino4XformAVX2 && n >= 8 {
		rows, kk := 36, 36
		switch kind {
		case winoKindAT:
			rows = 16
		case winoKindA:
			kk = 16
		}
		_, _ = dst[(rows-1)*ld+n-1], src[(kk-1)*ld+n-1]
		sp, n8 := &any(src).([]float32)[0], n&^7
		switch kind {
		case winoKindBT:
			wino4BT2(&d[0], sp, 4*ld, n8)
		case winoKindB:
			wino4B2(&d[0], sp, 4*ld, n8)
		case winoKindAT:
			wino4AT2(&d[0], sp, 4*ld, n8)
		default:
			wino4A2(&d[0], sp, 4*ld, n8)
		}
		if n8 == n {
			return
		}
		dst, src, n = dst[n8:], src[n8:], n-n8
	}
	switch kind {
	case winoKindBT:
		wino4BTGo(dst, src, ld, n)
	case winoKindB:
		wino4BGo(dst, src, ld, n)
	case winoKindAT:
		wino4ATGo(dst, src, ld, n)
	default:
		wino4AGo(dst, src, ld, n)
	}
}
