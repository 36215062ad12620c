package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// TestWino4PlanesGuardPages runs the planes' transforms wino4BTP and
// wino4BP on operands of their exact minimum lengths, each ending on a
// PROT_NONE page (guardSlice): no read or write past any of them faults,
// and both give the bits of their Go versions (wino4BTRows; wino4BGo with
// the 16 plane rows as 0 + x), at widths of 1 to 16 blocks of 16, strides
// ld past n and plane strides lp that are and are not multiples of 16.
func TestWino4PlanesGuardPages(t *testing.T) {
	if !wino4XformOK {
		t.Skip("no AVX-512 here: the kernels do not run")
	}
	rng := rand.New(rand.NewPCG(8, 23))
	same := func(name string, got, want []float32) {
		t.Helper()
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s: element %d = %v, Go %v", name, i, got[i], want[i])
			}
		}
	}
	for _, c := range []struct{ n, ld, lp, tw int }{
		{16, 16, 20, 4}, {16, 21, 17, 4}, {64, 64, 72, 8}, {64, 77, 73, 8}, {256, 256, 272, 16},
		{256, 304, 275, 16}, {48, 51, 52, 3},
	} {
		n, ld, lp, tw := c.n, c.ld, c.lp, c.tw
		guardPlanes(t, rng, same, "", wino4BTP, wino4BP, n, ld, lp, tw)
	}
}

// TestWinoPlacePickGuardPages runs wino4ATY and winoPickMx on one map of
// 16×16, 16×32 and 64×64 with every operand (the transform's rows, the
// map, the mask bits) of its exact minimum length ending on a PROT_NONE
// page, and checks that they give the bits they give on ordinary slices.
func TestWinoPlacePickGuardPages(t *testing.T) {
	if !wino4XformOK || !winoCopyOK {
		t.Skip("no AVX-512 here: the kernels do not run")
	}
	rng := rand.New(rand.NewPCG(9, 23))
	for _, hw := range [][2]int{{16, 16}, {16, 32}, {64, 64}} {
		g := geom{B: 1, C: 1, O: 1, H: hw[0], W: hw[1], KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1,
			Ho: hw[0], Wo: hw[1], LW: hw[1], ReLU: true}
		wg := g.wino(4)
		tab := winoPlaceTab[float32](g, wg)
		n, p := wg.tpi, g.p()
		s := n + 5 // row stride of the blocks
		mrow := n / 8
		src := guardSlice(t, 35*s+n)
		wino4Fill(rng, src)
		y, mk := guardSlice(t, p), guardMask(t, 15*mrow+n/8)
		wino4ATY(&y[0], &src[0], 4*s, &tab[0], 4*g.Wo, 0.25, 0, &mk[0], mrow, n)
		y2, mk2 := make([]float32, p), make([]uint8, 15*mrow+n/8)
		wino4ATY(&y2[0], &slices.Clone(src)[0], 4*s, &tab[0], 4*g.Wo, 0.25, 0, &mk2[0], mrow, n)
		if !slices.Equal(y, y2) || !slices.Equal(mk, mk2) {
			t.Fatalf("%v: wino4ATY on guarded slices differs", hw)
		}
		gm := guardSlice(t, 15*s+n)
		winoPickMx(&gm[0], 4*s, &y[0], &tab[0], 4*g.Wo, &mk[0], mrow, n)
		gm2 := make([]float32, 15*s+n)
		winoPickMx(&gm2[0], 4*s, &y2[0], &tab[0], 4*g.Wo, &mk2[0], mrow, n)
		for i := range gm {
			if math.Float32bits(gm[i]) != math.Float32bits(gm2[i]) {
				t.Fatalf("%v: winoPickMx on guarded slices differs at %d", hw, i)
			}
		}
	}
}

// guardMask is guardSlice for mask bytes: n bytes ending where a
// PROT_NONE page begins.
func guardMask(t *testing.T, n int) []uint8 {
	f := guardSlice(t, (n+3)/4)
	b := unsafe.Slice((*uint8)(unsafe.Pointer(&f[0])), 4*len(f))
	return b[len(b)-n:]
}

// TestWinoInt4AddGuardPages runs winoInt4Ax on operands of their exact
// minimum lengths, each ending on a PROT_NONE page (guardSlice), at
// widths of 1 to 35 groups (whole blocks of 16 and ragged tails) and 1
// to 3 rows: no read or write past any of them faults, and the sums are
// the Go loop's (dst + plane) bits.
func TestWinoInt4AddGuardPages(t *testing.T) {
	if !winoCopyOK {
		t.Skip("no AVX-512 here: the kernel does not run")
	}
	rng := rand.New(rand.NewPCG(10, 23))
	for _, n := range []int{1, 5, 15, 16, 17, 31, 32, 35} {
		for rows := 1; rows <= 3; rows++ {
			ldl, ldd := n+3, 4*n+7
			var ls [4][]float32
			for j := range ls {
				ls[j] = guardSlice(t, (rows-1)*ldl+n)
				wino4Fill(rng, ls[j])
			}
			dst := guardSlice(t, (rows-1)*ldd+4*n)
			wino4Fill(rng, dst)
			want := slices.Clone(dst)
			for k := range rows {
				for i := range n {
					for j := range 4 {
						want[k*ldd+4*i+j] += ls[j][k*ldl+i]
					}
				}
			}
			winoInt4Ax(&dst[0], ldd, &ls[0][0], &ls[1][0], &ls[2][0], &ls[3][0], ldl, rows, n)
			for i := range want {
				if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
					t.Fatalf("n %d rows %d: dst[%d] = %v, Go %v", n, rows, i, dst[i], want[i])
				}
			}
		}
	}
}

// TestWinoScat4GuardPages runs winoScatter4x (wino4BP and winoScat4x a
// map) on one map with every operand (dv, dd, the planes q, dx) of its
// exact minimum length ending on a PROT_NONE page, written and added, on
// maps of whole blocks of 16 tiles whose widths are multiples of 4 and
// not (columns apart or none, ragged last groups), rows of tiles that do
// and do not divide 16 (2 to 32 tiles), row strides s past n,
// with NaNs of distinct payloads in dx: no read or write past any of them
// faults, and dx gets the bits of winoScatter4's Go loops (winoCopyOK
// off), dd and q ignored, but where dx held a NaN and the sums are added:
// there the kernel keeps dx's (x86 passes on the first operand's, and dx
// is the first, as in vadd and winoInt4Ax; Go's += may swap its operands).
func TestWinoScat4GuardPages(t *testing.T) {
	if !wino4XformOK || !winoCopyOK {
		t.Skip("no AVX-512 here: the kernels do not run")
	}
	defer func() { winoCopyOK = true }()
	rng := rand.New(rand.NewPCG(11, 23))
	nan := func(s []float32) {
		for k := range 3 {
			s[rng.IntN(len(s))] = math.Float32frombits(0x7fc00000 | uint32(k+1)<<8 | uint32(rng.IntN(256)))
		}
	}
	for _, hw := range [][2]int{{16, 16}, {16, 13}, {16, 14}, {15, 15}, {13, 16}, {8, 32}, {8, 30}, {4, 61},
		{3, 64}, {32, 32}, {32, 29}, {64, 64}, {4, 125}, {5, 126}, {64, 11}, {61, 17}, {16, 45}, {64, 6},
		{32, 16}, {48, 16}, {8, 32}, {24, 32}, {4, 64}, {12, 64}} {
		g := geom{B: 1, C: 1, O: 1, H: hw[0], W: hw[1], KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1,
			Ho: hw[0], Wo: hw[1], LW: hw[1]}
		wg := g.wino(4)
		if wg.tpi%16 != 0 {
			t.Fatalf("%v: %d tiles, not whole blocks of 16", hw, wg.tpi)
		}
		n := wg.tpi
		s := n + 3
		ql := 16*(wg.th+1)*wg.tw + 16*(wg.th+1)
		for _, add := range []bool{false, true} {
			dv := guardSlice(t, 35*s+n)
			wino4Fill(rng, dv)
			dx := guardSlice(t, g.H*g.W)
			wino4Fill(rng, dx)
			nan(dx)
			want := slices.Clone(dx)
			winoCopyOK = false
			winoScatter4(g, wg, slices.Clone(dv), make([]float32, 35*s+n), s, want, 0, 1, 0, 1,
				make([]float32, wg.planes4Len()), add)
			winoCopyOK = true
			for i, v := range dx {
				if add && v != v {
					want[i] = v
				}
			}
			q := guardSlice(t, ql)
			wino4Fill(rng, q) // garbage: the kernel clears what it needs
			winoScatter4x(g, wg, dv, guardSlice(t, 35*s+n), s, dx, 0, 1, 0, 1, q, add)
			for i := range want {
				if math.Float32bits(dx[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%v add %v: dx[%d] = %v (%#x), Go %v (%#x)", hw, add, i, dx[i],
						math.Float32bits(dx[i]), want[i], math.Float32bits(want[i]))
				}
			}
		}
	}
}

// TestWinoFill4GuardPages runs winoFill4x on maps of 1 to 64 rows and 3
// to 131 columns (every width mod 4, rows of 1 to 33 tiles: whole blocks
// of 16 groups and ragged ones) with the map and the 24 planes each of
// its exact minimum length ending on a PROT_NONE page: no read or write
// past either faults, and the planes get the bits of winoFillPlanes and
// winoShiftPlanes (the Go loops, winoCopyOK off) from cleared planes.
func TestWinoFill4GuardPages(t *testing.T) {
	if !winoCopyOK {
		t.Skip("no AVX-512 here: the kernel does not run")
	}
	defer func() { winoCopyOK = true }()
	rng := rand.New(rand.NewPCG(12, 23))
	for _, hw := range [][2]int{{1, 3}, {2, 4}, {3, 5}, {4, 6}, {5, 7}, {7, 8}, {16, 16}, {13, 13}, {9, 62},
		{8, 63}, {6, 64}, {5, 65}, {64, 64}, {3, 131}, {2, 129}, {33, 30}, {32, 16}, {48, 16}, {12, 16},
		{20, 16}, {15, 16}, {17, 16}, {32, 32}, {8, 32}, {16, 32}, {12, 32}, {4, 64}, {8, 64}, {6, 32}} {
		g := geom{B: 1, C: 1, O: 1, H: hw[0], W: hw[1], KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1,
			Ho: hw[0], Wo: hw[1], LW: hw[1]}
		wg := g.wino(4)
		tw, th := wg.tw, wg.th
		lp := (th + 1) * tw
		src := guardSlice(t, g.H*g.W)
		wino4Fill(rng, src)
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
		winoCopyOK = false
		winoFillPlanes(g, wg, src, &ls, &rs)
		winoShiftPlanes(wg, &ls, &rs, &sh)
		winoCopyOK = true
		q := guardSlice(t, 24*lp)
		clear(q)
		f := min(g.W-3, 4*tw)
		winoFill4x(&winoFill4Args{q: &q[0], src: &src[0], lp: 4 * lp, tw: tw, h: g.H, w: g.W, f: f,
			g: (f + 3) / 4, gq: min((f+3)/4, tw-1)})
		for i := range q {
			if math.Float32bits(q[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%v: plane %d element %d = %v, Go %v", hw, i/lp, i%lp, q[i], want[i])
			}
		}
		q16 := guardSlice(t, 24*lp)
		fv := newWinoFillV(g, wg, q16)
		if wide := (g.W == 16 || g.W == 32 || g.W == 64) && (g.H*g.W)%256 == 0; wide != (fv != nil) {
			t.Fatalf("%v: newWinoFillV gave %v, want a kernel: %v", hw, fv != nil, wide)
		}
		if fv == nil {
			continue
		}
		// winoFillV (maps 16, 32 or 64 wide, whole blocks) on planes of
		// garbage: it writes every element of the 24 planes but the
		// padding rows, which it must leave as they are.
		for i := range q16 {
			q16[i] = float32(i) + 0.5
		}
		fv.src = &src[0]
		winoFillV(fv)
		for i := range q16 {
			p, e := i/lp, i%lp
			u := e / tw
			w := want[i]
			if (p < 6 && u == 0) || (p >= 6 && u == th) {
				w = float32(i) + 0.5 // a plane row no map row goes to: not written
			}
			if math.Float32bits(q16[i]) != math.Float32bits(w) {
				t.Fatalf("%v: winoFillV: plane %d element %d = %v, want %v", hw, p, e, q16[i], w)
			}
		}
	}
}

// TestWino4Avx2GuardPages runs the AVX2 kernels on operands of their
// exact minimum lengths, each ending on a PROT_NONE page (guardSlice): no
// read or write past any of them faults, and each gives the bits of its Go
// version (wino4BTP2: wino4BTRows; wino4BP2: wino4BGo with the 16 plane
// rows as 0 + x), at widths of 1 to 32 blocks of 8, strides ld past n and
// plane strides lp that are and are not multiples of 8.
func TestWino4Avx2GuardPages(t *testing.T) {
	if !cpu.X86.HasAVX2 {
		t.Skip("no AVX2 here: the kernels do not run")
	}
	rng := rand.New(rand.NewPCG(14, 23))
	same := func(name string, got, want []float32) {
		t.Helper()
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s: element %d = %v, Go %v", name, i, got[i], want[i])
			}
		}
	}
	for _, c := range []struct{ n, ld, lp, tw int }{
		{8, 8, 10, 2}, {8, 13, 9, 2}, {16, 16, 20, 4}, {16, 21, 17, 4}, {24, 27, 25, 3},
		{64, 64, 72, 8}, {64, 77, 73, 8}, {256, 256, 272, 16}, {256, 304, 275, 16}, {48, 51, 52, 3},
	} {
		n, ld, lp, tw := c.n, c.ld, c.lp, c.tw
		for _, tc := range wino4Cases() {
			src := guardSlice(t, (tc.kk-1)*ld+n)
			wino4Fill(rng, src)
			want := make([]float32, (tc.rows-1)*ld+n)
			tc.go32(want, src, ld, n)
			got := guardSlice(t, (tc.rows-1)*ld+n)
			wino4Avx2Kernels[tc.name](&got[0], &src[0], 4*ld, n)
			for r := range tc.rows {
				same(tc.name+"2", got[r*ld:][:n], want[r*ld:][:n])
			}
		}
		guardPlanes(t, rng, same, "2", wino4BTP2, wino4BP2, n, ld, lp, tw)
	}
}

// TestWino4ATY2 runs wino4ATY2 on one map of 8×16, 16×16, 8×48 and 64×64
// (8, 16, 24 and 256 tiles) with every operand (the transform's rows, the
// map, the mask bits) of its exact minimum length ending on a PROT_NONE
// page, and checks each output and mask bit against the Go version of its
// operations: Y = wino4ATGo's, y[tab[g] + a·Wo + 4·(t mod 4) + b] =
// max(floor, Y + bias) as VMAXPS takes it (floor where floor > x, else x),
// the bit where that is > 0; biases 0.25 and −0, floors 0 and −∞, columns
// of −0 among the inputs (−0 + −0 against a floor of +0).
func TestWino4ATY2(t *testing.T) {
	if !cpu.X86.HasAVX2 {
		t.Skip("no AVX2 here: the kernel does not run")
	}
	rng := rand.New(rand.NewPCG(15, 23))
	for _, hw := range [][2]int{{8, 16}, {16, 16}, {8, 48}, {64, 64}} {
		for _, bf := range [][2]float32{{0.25, 0}, {float32(math.Copysign(0, -1)), 0},
			{0.25, float32(math.Inf(-1))}} {
			bv, floor := bf[0], bf[1]
			g := geom{B: 1, C: 1, O: 1, H: hw[0], W: hw[1], KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1,
				DW: 1, Ho: hw[0], Wo: hw[1], LW: hw[1], ReLU: true}
			wg := g.wino(4)
			n, p := wg.tpi, g.p()
			tab := make([]int32, n/4)
			for k := range tab {
				ty, tx := 4*k/wg.tw, 4*k%wg.tw
				tab[k] = int32(4*ty*g.Wo + 4*tx)
			}
			s := n + 5
			mrow := n / 8
			src := guardSlice(t, 35*s+n)
			wino4Fill(rng, src)
			for c := 0; c < n; c += 3 { // every third column all −0
				for r := range 36 {
					src[r*s+c] = float32(math.Copysign(0, -1))
				}
			}
			ym := make([]float32, 15*s+n)
			wino4ATGo(ym, src, s, n)
			y, mk := guardSlice(t, p), guardMask(t, 15*mrow+n/8)
			wino4ATY2(&y[0], &src[0], 4*s, &tab[0], 4*g.Wo, bv, floor, &mk[0], mrow, n)
			for tile := range n {
				for a := range 4 {
					for b := range 4 {
						v := ym[(4*a+b)*s+tile] + bv
						if floor > v {
							v = floor
						}
						at := int(tab[tile/4]) + a*g.Wo + 4*(tile%4) + b
						if math.Float32bits(y[at]) != math.Float32bits(v) {
							t.Fatalf("%v b %v floor %v: tile %d output (%d, %d): %v, want %v", hw, bv, floor,
								tile, a, b, y[at], v)
						}
						r := 4*a + b
						bit := mk[r*mrow+tile/8]>>(tile%8)&1 == 1
						if bit != (v > 0) {
							t.Fatalf("%v b %v floor %v: tile %d row %d: mask bit %v for %v", hw, bv, floor,
								tile, r, bit, v)
						}
					}
				}
			}
			// Without the mask (mrow 0, mk nil) the same map.
			y2 := guardSlice(t, p)
			wino4ATY2(&y2[0], &src[0], 4*s, &tab[0], 4*g.Wo, bv, floor, nil, 0, n)
			for i := range y {
				if math.Float32bits(y2[i]) != math.Float32bits(y[i]) {
					t.Fatalf("%v: without the mask, y[%d] = %v, want %v", hw, i, y2[i], y[i])
				}
			}
		}
	}
}

// TestWinoPickMx2 runs winoPickMx2 on one map of 8×16, 16×16, 8×48 and
// 64×64 with every operand (the map, the rows, the mask bits) of its exact
// minimum length ending on a PROT_NONE page, with and without the mask,
// and checks each element of the 16 rows: row 4a+b of tile t is
// dy[tab[t/4] + a·Wo + 4·(t mod 4) + b], or +0 where the row's bit of t is
// clear (vmaskM's AND), zeros of both signs and NaNs among dy.
func TestWinoPickMx2(t *testing.T) {
	if !cpu.X86.HasAVX2 {
		t.Skip("no AVX2 here: the kernel does not run")
	}
	rng := rand.New(rand.NewPCG(16, 23))
	for _, hw := range [][2]int{{8, 16}, {16, 16}, {8, 48}, {64, 64}} {
		g := geom{B: 1, C: 1, O: 1, H: hw[0], W: hw[1], KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1,
			DW: 1, Ho: hw[0], Wo: hw[1], LW: hw[1], ReLU: true}
		wg := g.wino(4)
		n, p := wg.tpi, g.p()
		tab := make([]int32, n/4)
		for k := range tab {
			ty, tx := 4*k/wg.tw, 4*k%wg.tw
			tab[k] = int32(4*ty*g.Wo + 4*tx)
		}
		s := n + 3
		mrow := n / 8
		dy := guardSlice(t, p)
		wino4Fill(rng, dy)
		for i := 0; i < p; i += 7 {
			dy[i] = math.Float32frombits(0x7fc00000 | uint32(i))
		}
		mk := guardMask(t, 15*mrow+n/8)
		for i := range mk {
			mk[i] = uint8(rng.IntN(256))
		}
		for _, masked := range []bool{true, false} {
			gm := guardSlice(t, 15*s+n)
			if masked {
				winoPickMx2(&gm[0], 4*s, &dy[0], &tab[0], 4*g.Wo, &mk[0], mrow, n)
			} else {
				winoPickMx2(&gm[0], 4*s, &dy[0], &tab[0], 4*g.Wo, nil, 0, n)
			}
			for tile := range n {
				for r := range 16 {
					a, b := r/4, r%4
					want := math.Float32bits(dy[int(tab[tile/4])+a*g.Wo+4*(tile%4)+b])
					if masked && mk[r*mrow+tile/8]>>(tile%8)&1 == 0 {
						want = 0
					}
					if got := math.Float32bits(gm[r*s+tile]); got != want {
						t.Fatalf("%v masked %v: tile %d row %d: %#x, want %#x", hw, masked, tile, r, got, want)
					}
				}
			}
		}
	}
}

// guardPlanes checks the planes' transforms btp (wino4BTP or its AVX2
// twin) and bp on operands of their exact minimum lengths, each ending on
// a PROT_NONE page, against wino4BTRows and wino4BGo; sfx names the kernel
// set in failures ("" or "2").
func guardPlanes(t *testing.T, rng *rand.Rand, same func(name string, got, want []float32), sfx string,
	btp func(dst, src *float32, ld, lp, sh, n int), bp func(dst, src *float32, ld int, pl *float32, lp, n int),
	n, ld, lp, tw int) {
	t.Helper()
	// btp: group i's rows at ((i mod 4)·6 + j)·lp + (i/4)·tw;
	// the last element read is row 23's (group 3) or group 5's.
	src := guardSlice(t, max(23*lp, 11*lp+tw)+n)
	wino4Fill(rng, src)
	var rows [36][]float32
	for i := range 6 {
		for j := range 6 {
			rows[6*i+j] = src[((i%4)*6+j)*lp+(i/4)*tw:][:n]
		}
	}
	want := make([]float32, 35*ld+n)
	wino4BTRows(want, ld, &rows, n)
	got := guardSlice(t, 35*ld+n)
	btp(&got[0], &src[0], 4*ld, 4*lp, 4*tw, n)
	for r := range 36 {
		same("wino4BTP"+sfx, got[r*ld:][:n], want[r*ld:][:n])
	}
	// bp: the 16 plane rows 6i+j (i, j < 4) at (4i+j)·lp as 0 + x.
	dv := guardSlice(t, 35*ld+n)
	wino4Fill(rng, dv)
	wantB := make([]float32, 35*ld+n)
	wino4BGo(wantB, dv, ld, n)
	dd, pl := guardSlice(t, 35*ld+n), guardSlice(t, 15*lp+n)
	bp(&dd[0], &dv[0], 4*ld, &pl[0], 4*lp, n)
	for r := range 36 {
		i, j := r/6, r%6
		if i < 4 && j < 4 {
			w := make([]float32, n)
			for k, v := range wantB[r*ld:][:n] {
				if w[k] = v; v == 0 {
					w[k] = 0 // 0 + (−0) is +0
				}
			}
			same("wino4BP"+sfx+" plane", pl[(4*i+j)*lp:][:n], w)
			continue
		}
		same("wino4BP"+sfx, dd[r*ld:][:n], wantB[r*ld:][:n])
	}
}
