package nn

import (
	"math"
	"math/rand/v2"
	"testing"
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
