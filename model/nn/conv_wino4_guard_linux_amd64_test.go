package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
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
		// wino4BTP: group i's rows at ((i mod 4)·6 + j)·lp + (i/4)·tw;
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
		wino4BTP(&got[0], &src[0], 4*ld, 4*lp, 4*tw, n)
		for r := range 36 {
			same("wino4BTP", got[r*ld:][:n], want[r*ld:][:n])
		}
		// wino4BP: the 16 plane rows 6i+j (i, j < 4) at (4i+j)·lp as 0 + x.
		dv := guardSlice(t, 35*ld+n)
		wino4Fill(rng, dv)
		wantB := make([]float32, 35*ld+n)
		wino4BGo(wantB, dv, ld, n)
		dd, pl := guardSlice(t, 35*ld+n), guardSlice(t, 15*lp+n)
		wino4BP(&dd[0], &dv[0], 4*ld, &pl[0], 4*lp, n)
		for r := range 36 {
			i, j := r/6, r%6
			if i < 4 && j < 4 {
				w := make([]float32, n)
				for k, v := range wantB[r*ld:][:n] {
					if w[k] = v; v == 0 {
						w[k] = 0 // 0 + (−0) is +0
					}
				}
				same("wino4BP plane", pl[(4*i+j)*lp:][:n], w)
				continue
			}
			same("wino4BP", dd[r*ld:][:n], wantB[r*ld:][:n])
		}
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
