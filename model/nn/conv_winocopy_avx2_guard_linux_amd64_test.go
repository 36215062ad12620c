package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestWinoCopyAVX2GuardPages runs winoDeint4a, winoInt4a and winoInt4Aa
// on operands of their exact minimum lengths ((rows−1)·stride + n plane
// elements, (rows−1)·stride + 4n floats of groups), each ending on a
// PROT_NONE page (guardSlice), at 1 to 40 groups and 1 to 3 rows: no
// read or write past any of them faults, and each gives the Go loops'
// bits (for winoInt4Aa dst + plane, dst first: vadd's).
func TestWinoCopyAVX2GuardPages(t *testing.T) {
	if !winoCopyAVX2 {
		t.Skip("no AVX2 without AVX-512 here: the kernels do not run")
	}
	rng := rand.New(rand.NewPCG(12, 41))
	same := func(name string, n, rows int, got, want []float32) {
		t.Helper()
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s n %d rows %d: element %d = %v, Go %v", name, n, rows, i, got[i], want[i])
			}
		}
	}
	for n := 1; n <= 40; n++ {
		for rows := 1; rows <= 3; rows++ {
			ldl, lds := n+3, 4*n+5
			ln, sn := (rows-1)*ldl+n, (rows-1)*lds+4*n
			src := guardSlice(t, sn)
			winoCopyAVX2Fill(rng, src, 1)
			var ls, want [4][]float32
			for j := range 4 {
				ls[j], want[j] = guardSlice(t, ln), make([]float32, ln)
			}
			winoCopyGo(func() { winoDeint4(want[0], want[1], want[2], want[3], ldl, src, lds, rows, n) })
			winoDeint4a(&ls[0][0], &ls[1][0], &ls[2][0], &ls[3][0], ldl, &src[0], lds, rows, n)
			for j := range 4 {
				same("winoDeint4a", n, rows, ls[j], want[j])
			}
			dst, wantI := guardSlice(t, sn), make([]float32, sn)
			winoCopyGo(func() { winoInt4(wantI, lds, ls[0], ls[1], ls[2], ls[3], ldl, rows, n) })
			winoInt4a(&dst[0], lds, &ls[0][0], &ls[1][0], &ls[2][0], &ls[3][0], ldl, rows, n)
			for k := range rows {
				same("winoInt4a", n, rows, dst[k*lds:][:4*n], wantI[k*lds:][:4*n])
			}
			acc := guardSlice(t, sn)
			winoCopyAVX2Fill(rng, acc, 3)
			wantA := append([]float32(nil), acc...)
			for k := range rows {
				addTo(wantA[k*lds:][:4*n], wantI[k*lds:][:4*n])
			}
			winoInt4Aa(&acc[0], lds, &ls[0][0], &ls[1][0], &ls[2][0], &ls[3][0], ldl, rows, n)
			same("winoInt4Aa", n, rows, acc, wantA)
		}
	}
}

// TestWinoScatAddGuardPages runs winoScatter with winoScatAdd on one map
// (F(4×4) and F(2×2), widths and heights of 1 to 19) with dd, the planes
// and dx of their exact lengths, each ending on a PROT_NONE page: no read
// or write past any of them faults, and dx gets the Go loops' bits.
func TestWinoScatAddGuardPages(t *testing.T) {
	if !winoCopyAVX2 {
		t.Skip("no AVX2 without AVX-512 here: winoScatAdd does not run")
	}
	rng := rand.New(rand.NewPCG(12, 43))
	for _, m := range []int{4, 2} {
		for h := 1; h <= 19; h += 3 {
			for w := 1; w <= 19; w++ {
				g := geom{B: 1, C: 1, O: 1, H: h, W: w, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1,
					Ho: h, Wo: w, LW: w}
				wg := g.wino(m)
				s := wg.tpi + 1
				dd := guardSlice(t, (wg.r*wg.r-1)*s+wg.tpi)
				wino4Fill(rng, dd)
				dd0 := append([]float32(nil), dd...)
				want := make([]float32, h*w)
				winoCopyGo(func() {
					winoScatter(g, wg, dd0, s, want, 0, 1, 0, 1, make([]float32, wg.planesLen()), false)
				})
				dx := guardSlice(t, h*w)
				winoScatter(g, wg, dd, s, dx, 0, 1, 0, 1, guardSlice(t, wg.planesLen()), false)
				for i := range want {
					if math.Float32bits(dx[i]) != math.Float32bits(want[i]) {
						t.Fatalf("m %d %d×%d: dx[%d] = %v, Go %v", m, h, w, i, dx[i], want[i])
					}
				}
			}
		}
	}
}

// TestWinoFill4AGuardPages runs winoFill4a on maps of 1 to 64 rows and 3
// to 131 columns (whole and partial last groups, blocks of 8 and of 4
// groups and single groups, the widths winoFillV takes and others) with
// the map and the 24 planes of their exact lengths, each ending on a
// PROT_NONE page: no read or write past either faults, and the planes
// get the bits of winoFillPlanes and winoShiftPlanes' Go loops.
func TestWinoFill4AGuardPages(t *testing.T) {
	if !winoCopyAVX2 {
		t.Skip("no AVX2 without AVX-512 here: winoFill4a does not run")
	}
	rng := rand.New(rand.NewPCG(12, 47))
	hws := [][2]int{{1, 3}, {2, 4}, {3, 5}, {4, 6}, {5, 7}, {7, 8}, {16, 16}, {13, 13}, {9, 62}, {8, 63},
		{6, 64}, {5, 65}, {64, 64}, {3, 131}, {2, 129}, {33, 30}, {32, 16}, {48, 16}, {12, 16}, {20, 16},
		{15, 16}, {17, 16}, {32, 32}, {8, 32}, {16, 32}, {12, 32}, {4, 64}, {8, 64}, {6, 32}}
	for w := 3; w <= 50; w++ {
		hws = append(hws, [2]int{5 + w%4, w})
	}
	for _, hw := range hws {
		g := geom{B: 1, C: 1, O: 1, H: hw[0], W: hw[1], KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1,
			Ho: hw[0], Wo: hw[1], LW: hw[1]}
		wg := g.wino(4)
		tw, th := wg.tw, wg.th
		lp := (th + 1) * tw
		src := guardSlice(t, g.H*g.W)
		winoCopyAVX2Fill(rng, src, 5)
		want := make([]float32, wg.planes4Len())
		var ls, rs [16][]float32
		var sh [8][]float32
		for a := range 4 {
			for bb := range 4 {
				ls[4*a+bb] = want[(6*a+bb)*lp:][:lp]
				rs[4*a+bb] = want[24*lp+(4*a+bb)*(th+1):][:th+1]
			}
			sh[2*a], sh[2*a+1] = want[(6*a+4)*lp:][:lp], want[(6*a+5)*lp:][:lp]
		}
		winoCopyGo(func() {
			winoFillPlanes(g, wg, src, &ls, &rs)
			winoShiftPlanes(wg, &ls, &rs, &sh)
		})
		q := guardSlice(t, 24*lp)
		clear(q)
		f := min(g.W-3, 4*tw)
		winoFill4a(&winoFill4AArgs{q: &q[0], src: &src[0], lp: 4 * lp, tw: tw, h: g.H, w: g.W, gf: f / 4,
			rem: f % 4})
		for i := range q {
			if math.Float32bits(q[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%v: plane %d element %d = %#x, Go %#x", hw, i/lp, i%lp, math.Float32bits(q[i]),
					math.Float32bits(want[i]))
			}
		}
	}
}
