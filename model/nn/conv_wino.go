package nn

// The Winograd route of a plain 3×3 convolution with stride 1, padding 1
// and dilation 1: F(2×2, 3×3) (Lavin and Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2016). Each output is cut into 2×2
// tiles; tile t of input channel c reads the 4×4 patch d around it (zeros
// past the border, a partial last tile on odd sizes) and
//
//	V = Bᵀ d B  (per channel and tile),   U = G w Gᵀ  (per filter),
//	M[ξ] = U[ξ] · V[ξ]  for the 16 positions ξ of the 4×4 transforms
//	                    (O×C times C×tiles: 16 GEMMs),
//	Y = Aᵀ M A          (per output channel and tile),
//
// 16 multiply-adds per 2×2 output tile and channel pair instead of the
// direct convolution's 4·9 = 36: 2.25× fewer. The backward pass
// is the exact gradient of this algebra (backpropagation through the
// transforms), not a second convolution:
//
//	dM[ξ] = A dY Aᵀ,   dU[ξ] = Σ_tiles dM[ξ] · V[ξ]ᵀ,   dw = Gᵀ dU G,
//	dV[ξ] = U[ξ]ᵀ · dM[ξ],   dx = Σ_tiles B dV Bᵀ (overlapping patches).
//
// The batch is cut into chunks of whole images (the number depends on the
// shape only); each chunk runs its transforms and its 16 GEMMs in cache,
// and the chunks' weight gradients are summed in chunk order, so results
// are the same bits on any number of cores. A training Forward keeps the
// transformed input V for Backward when it is small enough (colCacheLimit).

// winoTiles is the number of 2×2 tiles a chunk of the Winograd route aims
// for: the N of its GEMMs and the K of the weight gradient's.
const winoTiles = 256

// winoMinIn and winoMinOut are the fewest input and output channels for
// which the Winograd route is taken: its GEMMs have K = C (forward) and
// K = O (input gradient), and the transforms cost per channel what the
// GEMMs save only when there are enough of them. Measured (CPU time, one
// thread, against the tap-sum route, BenchmarkConvCOCO and
// BenchmarkConvFwdBwd7/14): 32→64 at 32×32 12 % faster, 64→64 at 32×32
// 6 %, 64→128 and 128→128 at 16×16 27–35 %; the MNIST nets' 32→32 (batch
// 64) 30 % slower at 7×7 (its 4×4 tiles of 2×2 cover 8×8) and 4 % at
// 14×14.
const (
	winoMinIn  = 32
	winoMinOut = 64
)

// winoMaxPixels is the largest map (H·W) the Winograd route is taken on:
// the COCO net's training shapes it was measured on (docs/PERFORMANCE.md,
// Session 5, lane 23w). Larger maps (a whole photo's deeper layers in
// evaluation) keep the tap-sum route until measured.
const winoMaxPixels = 32 * 32

// winoShape reports whether g is a convolution the Winograd route can
// compute: 3×3, stride 1, padding 1, dilation 1.
func (g geom) winoShape() bool {
	return g.KH == 3 && g.KW == 3 && g.SH == 1 && g.SW == 1 && g.PH == 1 && g.PW == 1 && g.DH == 1 && g.DW == 1
}

// winoOK reports whether Forward and Backward take the Winograd route.
func (c *Conv2D[T]) winoOK() bool {
	g := c.g
	if !g.winoShape() || c.noWino || c.narrow {
		return false
	}
	return c.forceWino || (!c.noTaps && !c.forceTaps && g.C >= winoMinIn && g.O >= winoMinOut && g.H*g.W <= winoMaxPixels)
}

// winoGeom is the tiling of one image and the batch's chunks.
type winoGeom struct {
	th, tw, tpi int // tiles down, across, per image
	per, n      int // images per chunk, chunks
}

// winoStride is the distance between the 16 matrices of a transformed
// block of n values each: n rounded up to 16, moved off multiples of 256
// so that the transforms' 16 streams do not share cache sets (at n = 256·k
// they evict each other: 4 KiB aliasing made the transforms 4× slower).
func winoStride(n int) int {
	s := (n + 15) &^ 15
	if s%256 == 0 {
		s += 48
	}
	return s
}

func (g geom) wino() winoGeom {
	th, tw := (g.Ho+1)/2, (g.Wo+1)/2
	tpi := th * tw
	b := max(1, g.B)
	n := (b*tpi + winoTiles - 1) / winoTiles
	n = min(b, (n+7)/8*8) // a multiple of 8 chunks where the batch allows
	per := (b + n - 1) / n
	return winoGeom{th: th, tw: tw, tpi: tpi, per: per, n: (b + per - 1) / per}
}

// winoWeights sets u[ξ·oc + o·C + c] = (G w[o][c] Gᵀ)[ξ], oc being
// winoStride(O·C), for output channels [olo, ohi).
func winoWeights[T Float](g geom, w, u []T, olo, ohi int) {
	oc := winoStride(g.O * g.C)
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

// winoPerOut runs fn on blocks of 8 output channels on all cores.
func winoPerOut(g geom, fn func(lo, hi int)) {
	parallel((g.O+7)/8, func(_, j int) { fn(8*j, min(g.O, 8*j+8)) })
}

// winoWeightGrad adds Gᵀ du[·][o][c] G to dw[o][c] (3×3), du in
// winoWeights' layout, for output channels [olo, ohi).
func winoWeightGrad[T Float](g geom, du, dw []T, olo, ohi int) {
	oc := winoStride(g.O * g.C)
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

// The transforms run as small GEMMs on the kernels (with the Kronecker
// products of the 4×4 transforms as the left operand) between gathers
// and scatters that only copy: per tile of a channel, the patch's 16
// values are gathered into D (16 × tiles) and V = (Bᵀ⊗Bᵀ)·D; the output
// is Y4 = (Aᵀ⊗Aᵀ)·M (4 × tiles), whose rows are the tile's four outputs,
// then biased and rectified row by row and interleaved into the map. The
// backward pass runs the transposes: dM = (Aᵀ⊗Aᵀ)ᵀ·dY4 and
// dD = (Bᵀ⊗Bᵀ)ᵀ·dV, scattered back onto the overlapping patches. Scalar
// transforms took 4–8 times the GEMMs' time.

var (
	winoAT = [2][4]float64{{1, 1, 1, 0}, {0, 1, -1, -1}}
	winoBT = [4][4]float64{{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}}
)

// winoMats holds the transform matrices in T.
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

// The patches are read through four quarter planes of the zero-padded
// input P ((2·th+2) × (2·tw+2)): Q_ab[u][v] = P[2u+a][2v+b] for a, b ∈
// {0, 1}, each (th+1) × (tw+1). Patch element (i, j) = (a+2di, b+2dj) of
// tile (ty, tx) is Q_ab[ty+di][tx+dj]. Each quarter plane is stored as its
// first tw columns, row stride tw (the tiles' own layout), and its last
// column apart, so that row (i, j) of D for a whole image is one long copy
// from the first part (shifted by one for dj = 1, the last tile of each
// row then set from the column apart), and the scatter one long add.

// quarterLen is the length of the four quarter planes together.
func (wg winoGeom) quarterLen() int { return 4 * (wg.th + 1) * (wg.tw + 1) }

// winoGather writes the 4×4 patches of images [lo, hi) of x into d
// (row k = 4i+j holds patch element (i, j) of every channel and tile:
// column c·tc + (b−lo)·tpi + ty·tw + tx; row stride s); q is scratch for
// the quarter planes.
func winoGather[T Float](g geom, wg winoGeom, x []T, lo, hi int, d []T, s int, q []T) {
	tc := (hi - lo) * wg.tpi
	hw := g.H * g.W
	tw, th := wg.tw, wg.th
	ql := (th + 1) * (tw + 1)
	q = q[:4*ql]
	var ls, rs [4][]T
	for ab := range 4 {
		ls[ab], rs[ab] = q[ab*ql:][:(th+1)*tw], q[ab*ql+(th+1)*tw:][:th+1]
	}
	for b := lo; b < hi; b++ {
		for ch := range g.C {
			src := x[(b*g.C+ch)*hw:][:hw]
			clear(q)
			// P's row 2u+a is input row 2u+a−1, its column 2v+b input
			// column 2v+b−1.
			for y := range g.H {
				u, a := (y+1)/2, (y+1)%2
				row := src[y*g.W:][:g.W]
				l0, l1 := ls[2*a][u*tw:][:tw], ls[2*a+1][u*tw:][:tw]
				for v := 1; v < tw && 2*v-1 < g.W; v++ { // b = 0: input columns 2v−1
					l0[v] = row[2*v-1]
				}
				if 2*tw-1 < g.W {
					rs[2*a][u] = row[2*tw-1]
				}
				for v := 0; v < tw && 2*v < g.W; v++ { // b = 1: input columns 2v
					l1[v] = row[2*v]
				}
			}
			base := ch*tc + (b-lo)*wg.tpi
			n := wg.tpi
			for i := range 4 {
				a, di := i%2, i/2
				for j := range 4 {
					bb, dj := j%2, j/2
					l, r := ls[2*a+bb], rs[2*a+bb]
					dr := d[(4*i+j)*s+base:][:n]
					if dj == 0 {
						copy(dr, l[di*tw:][:n])
						continue
					}
					copy(dr[:n-1], l[di*tw+1:][:n-1])
					for ty := range th {
						dr[ty*tw+tw-1] = r[ty+di]
					}
				}
			}
		}
	}
}

// winoScatter adds the patch gradients dd (winoGather's layout; dd is
// scratch and changed) of images [lo, hi) onto their overlapping patches,
// through the quarter planes in q, and writes the sums as the input
// gradient dx.
func winoScatter[T Float](g geom, wg winoGeom, dd []T, s int, dx []T, lo, hi int, q []T) {
	tc := (hi - lo) * wg.tpi
	hw := g.H * g.W
	tw, th := wg.tw, wg.th
	ql := (th + 1) * (tw + 1)
	q = q[:4*ql]
	var ls, rs [4][]T
	for ab := range 4 {
		ls[ab], rs[ab] = q[ab*ql:][:(th+1)*tw], q[ab*ql+(th+1)*tw:][:th+1]
	}
	for b := lo; b < hi; b++ {
		for ch := range g.C {
			clear(q)
			base := ch*tc + (b-lo)*wg.tpi
			n := wg.tpi
			for i := range 4 {
				a, di := i%2, i/2
				for j := range 4 {
					bb, dj := j%2, j/2
					l, r := ls[2*a+bb], rs[2*a+bb]
					sr := dd[(4*i+j)*s+base:][:n]
					if dj == 0 {
						addTo(l[di*tw:][:n], sr)
						continue
					}
					// The last tile of each row goes to the column apart;
					// zeroed, it adds nothing to the next row's first.
					for ty := range th {
						r[ty+di] += sr[ty*tw+tw-1]
						sr[ty*tw+tw-1] = 0
					}
					addTo(l[di*tw+1:][:n-1], sr[:n-1])
				}
			}
			dst := dx[(b*g.C+ch)*hw:][:hw]
			for y := range g.H {
				u, a := (y+1)/2, (y+1)%2
				row := dst[y*g.W:][:g.W]
				l0, l1 := ls[2*a][u*tw:][:tw], ls[2*a+1][u*tw:][:tw]
				for v := 1; v < tw && 2*v-1 < g.W; v++ {
					row[2*v-1] = l0[v]
				}
				if 2*tw-1 < g.W {
					row[2*tw-1] = rs[2*a][u]
				}
				for v := 0; v < tw && 2*v < g.W; v++ {
					row[2*v] = l1[v]
				}
			}
		}
	}
}

// winoPlace interleaves the tiles' outputs y4 (row r = 2a+b holds output
// (a, b) of every tile, row stride s, column o·tc + (b−lo)·tpi + tile) of
// images [lo, hi) into y.
func winoPlace[T Float](g geom, wg winoGeom, y4 []T, s int, y []T, lo, hi int) {
	tc := (hi - lo) * wg.tpi
	p := g.p()
	full := wg.tw
	if g.Wo%2 != 0 {
		full--
	}
	for b := lo; b < hi; b++ {
		for o := range g.O {
			dst := y[(b*g.O+o)*p:][:p]
			base := o*tc + (b-lo)*wg.tpi
			for ty := range wg.th {
				at := base + ty*wg.tw
				r0, r1 := y4[at:][:wg.tw], y4[s+at:][:wg.tw]
				d0 := dst[2*ty*g.Wo:][:g.Wo]
				for tx := range full {
					d0[2*tx], d0[2*tx+1] = r0[tx], r1[tx]
				}
				if full < wg.tw {
					d0[2*full] = r0[full]
				}
				if 2*ty+1 >= g.Ho {
					continue
				}
				r2, r3 := y4[2*s+at:][:wg.tw], y4[3*s+at:][:wg.tw]
				d1 := dst[(2*ty+1)*g.Wo:][:g.Wo]
				for tx := range full {
					d1[2*tx], d1[2*tx+1] = r2[tx], r3[tx]
				}
				if full < wg.tw {
					d1[2*full] = r2[full]
				}
			}
		}
	}
}

// winoPick is winoPlace's transpose: it deinterleaves the output gradient
// of images [lo, hi) (masked where the output is not positive with a
// fused ReLU, through plane, scratch for one map) into g4, zero for the
// missing outputs of partial tiles, and sets db[o] to the chunk's sum.
func winoPick[T Float](g geom, wg winoGeom, dy, y, g4 []T, s int, db []T, lo, hi int, plane []T) {
	tc := (hi - lo) * wg.tpi
	p := g.p()
	full := wg.tw
	if g.Wo%2 != 0 {
		full--
	}
	gm := g
	gm.LW = g.Wo
	for o := range g.O {
		for b := lo; b < hi; b++ {
			src := dy[(b*g.O+o)*p:][:p]
			if g.ReLU {
				gradRows(gm, plane[:p], src, y[(b*g.O+o)*p:][:p])
				src = plane[:p]
			}
			base := o*tc + (b-lo)*wg.tpi
			for ty := range wg.th {
				at := base + ty*wg.tw
				r0, r1 := g4[at:][:wg.tw], g4[s+at:][:wg.tw]
				r2, r3 := g4[2*s+at:][:wg.tw], g4[3*s+at:][:wg.tw]
				d0 := src[2*ty*g.Wo:][:g.Wo]
				for tx := range full {
					r0[tx], r1[tx] = d0[2*tx], d0[2*tx+1]
				}
				if full < wg.tw {
					r0[full], r1[full] = d0[2*full], 0
				}
				if 2*ty+1 >= g.Ho {
					clear(r2)
					clear(r3)
					continue
				}
				d1 := src[(2*ty+1)*g.Wo:][:g.Wo]
				for tx := range full {
					r2[tx], r3[tx] = d1[2*tx], d1[2*tx+1]
				}
				if full < wg.tw {
					r2[full], r3[full] = d1[2*full], 0
				}
			}
		}
		var sb T
		for r := range 4 {
			sb += sum(g4[r*s+o*tc:][:tc])
		}
		db[o] = sb
	}
}

// winoForward is Forward on the Winograd route.
func (c *Conv2D[T]) winoForward(bias, y []T, train bool) {
	g := c.g
	wg := g.wino()
	oc := winoStride(g.O * g.C)
	if cap(c.winoU) < 16*oc {
		c.winoU = make([]T, 16*oc)
	}
	c.winoU = c.winoU[:16*oc]
	winoPerOut(g, func(lo, hi int) { winoWeights(g, c.Weight.Value.data, c.winoU, lo, hi) })
	if c.winoM.a == nil {
		c.winoM = newWinoMats[T]()
	}
	tm := c.winoM
	tcMax := wg.per * wg.tpi
	sv, sm := winoStride(g.C*tcMax), winoStride(g.O*tcMax)
	nv := wg.n * 16 * sv
	c.cache = nil
	if train && nv <= colCacheLimit {
		if cap(c.cacheBuf) < nv {
			c.cacheBuf = make([]T, nv)
		}
		c.cache = c.cacheBuf[:nv]
	}
	workers := Workers()
	c.ws.reserve(workers)
	c.pad.reserve(workers)
	x := c.x.data
	parallelN(workers, wg.n, func(worker, ci int) {
		lo, hi := ci*wg.per, min(g.B, (ci+1)*wg.per)
		tc := (hi - lo) * wg.tpi
		buf := c.ws.get(worker, 20*sm+32*sv)
		m, y4, d, v := buf[:16*sm], buf[16*sm:20*sm], buf[20*sm:][:16*sv], buf[20*sm+16*sv:]
		if c.cache != nil {
			v = c.cache[ci*16*sv:][:16*sv]
		}
		winoGather(g, wg, x, lo, hi, d, sv, c.pad.get(worker, wg.quarterLen()))
		gemm(false, false, 16, g.C*tc, 16, 1, tm.b, 16, d, sv, 0, v, sv)
		for xi := range 16 {
			gemm(false, false, g.O, tc, g.C, 1, c.winoU[xi*oc:], g.C, v[xi*sv:], tc, 0, m[xi*sm:], tc)
		}
		gemm(false, false, 4, g.O*tc, 16, 1, tm.a, 16, m, sm, 0, y4, sm)
		for o := range g.O {
			var bv T
			if bias != nil {
				bv = bias[o]
			}
			biasRows(y4[o*tc:], sm, y4[o*tc:], sm, 4, tc, bv, g.ReLU)
		}
		winoPlace(g, wg, y4, sm, y, lo, hi)
	})
}

// winoBackward is Backward on the Winograd route.
func (c *Conv2D[T]) winoBackward(dy, dw, db []T, input bool) {
	g := c.g
	wg := g.wino()
	tm := c.winoM
	oc := winoStride(g.O * g.C)
	nw := 16*oc + g.O
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
	parallelN(workers, wg.n, func(worker, ci int) {
		lo, hi := ci*wg.per, min(g.B, (ci+1)*wg.per)
		tc := (hi - lo) * wg.tpi
		buf := c.ws.get(worker, 20*sm+48*sv)
		dm, g4, d := buf[:16*sm], buf[16*sm:20*sm], buf[20*sm:][:16*sv]
		v, dd := buf[20*sm+16*sv:][:16*sv], buf[20*sm+32*sv:][:16*sv]
		plane := c.pad.get(worker, max(wg.quarterLen(), g.p()))
		if c.cache != nil {
			v = c.cache[ci*16*sv:][:16*sv]
		} else {
			winoGather(g, wg, x, lo, hi, d, sv, plane)
			gemm(false, false, 16, g.C*tc, 16, 1, tm.b, 16, d, sv, 0, v, sv)
		}
		pw := part[ci*nw:][:nw]
		winoPick(g, wg, dy, yv, g4, sm, pw[16*oc:], lo, hi, plane)
		gemm(false, false, 16, g.O*tc, 4, 1, tm.at, 4, g4, sm, 0, dm, sm)
		for xi := range 16 {
			gemm(false, true, g.O, g.C, tc, 1, dm[xi*sm:], tc, v[xi*sv:], tc, 0, pw[xi*oc:], g.C)
		}
		if !input {
			return
		}
		dv := d // the patches are not needed any more
		for xi := range 16 {
			gemm(true, false, g.C, tc, g.O, 1, c.winoU[xi*oc:], g.C, dm[xi*sm:], tc, 0, dv[xi*sv:], tc)
		}
		gemm(false, false, 16, g.C*tc, 16, 1, tm.bt, 16, dv, sv, 0, dd, sv)
		winoScatter(g, wg, dd, sv, c.dx.data, lo, hi, plane)
	})
	// The chunks' parts are summed element by element in chunk order, so
	// splitting the elements between cores changes no bit.
	parallelRange(nw, func(lo, hi int) {
		copy(acc[lo:hi], part[lo:hi])
		for ci := 1; ci < wg.n; ci++ {
			addTo(acc[lo:hi], part[ci*nw+lo:ci*nw+hi])
		}
	})
	winoPerOut(g, func(lo, hi int) { winoWeightGrad(g, acc, dw, lo, hi) })
	if db != nil {
		addTo(db[:g.O], acc[16*oc:])
	}
}
