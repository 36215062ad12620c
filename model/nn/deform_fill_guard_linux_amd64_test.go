package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"testing"
	"unsafe"
)

// TestFillTAVXGuardPages runs dcnFillTAVX with the offsets, the mask, the
// pixels' rows and columns, the bases, the weights and (whole fills) the
// buffer of fy, fx, md and vv each of its exact length and ending on a
// PROT_NONE page (8, 9, 49 and 64 taps; 1 to 3 groups of 16 pixels; lean
// and whole): no read or write past any of them faults, and the bases,
// weights, fy, fx, md and vv are dcnFillAVX's (fillRun tap by tap) on
// ordinary copies.
func TestFillTAVXGuardPages(t *testing.T) {
	if !fillTAVXOK(9) || fill512TOK() {
		t.Skip("dcnFillTAVX does not run here")
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	rng := rand.New(rand.NewPCG(147, 148))
	guard32 := func(n int) []int32 { return unsafe.Slice((*int32)(unsafe.Pointer(&guardSlice(t, n)[0])), n) }
	const H, W = 5, 7
	for _, c := range []struct {
		gk, groups int
		whole      bool
	}{{9, 1, false}, {9, 3, false}, {49, 2, false}, {8, 1, false}, {64, 1, false}, {25, 2, false},
		{9, 1, true}, {9, 3, true}, {49, 2, true}, {8, 1, true}, {64, 1, true}, {25, 2, true}} {
		t.Run(fmt.Sprint(c), func(t *testing.T) {
			n := 16 * c.groups
			P := n
			off, mk := guardSlice(t, 2*c.gk*P), guardSlice(t, c.gk*P)
			for i := range off {
				off[i] = float32(rng.NormFloat64() * 3)
				if i%7 == 0 {
					off[i] = float32(rng.IntN(5) - 2)
				}
				if i%31 == 0 {
					off[i] = float32(math.NaN())
				}
			}
			for i := range mk {
				mk[i] = float32(rng.NormFloat64())
			}
			pos := guard32(2 * n)
			for i := range pos {
				if i%16 < 8 {
					pos[i] = int32(rng.IntN(H+3) - 2)
				} else {
					pos[i] = int32(rng.IntN(W+3) - 2)
				}
			}
			var idh, jdw [64]int32
			for i := range c.gk {
				idh[i], jdw[i] = int32(rng.IntN(4)), int32(rng.IntN(4))
			}
			base, wts := guard32(n*c.gk), guardSlice(t, 4*n*c.gk)
			sink, scr := make([]float32, 256), make([]int32, 64*16)
			a := dcnFillTArgs{offY: &off[0], mk: &mk[0], base: &base[0], wts: &wts[0], fy: &sink[0],
				pos: &pos[0], groups: n / 16, idh: &idh[0], jdw: &jdw[0], gk: c.gk, pstride: 4 * P,
				mstride: 4 * P, wstride: 16 * c.gk, wp: W + 2, h: H, w: W, scr: &scr[0]}
			m := n * c.gk
			var fbuf []float32
			if c.whole { // the table's whole layout: tap k's fy at k·n, fx m after
				fbuf = guardSlice(t, 4*m)
				a.fy, a.fstride, a.fdelta = &fbuf[0], 4*n, 4*m
			}
			dcnFillTAVX(&a)
			wb, ww := make([]int32, n*c.gk), make([]float32, 4*n*c.gk)
			oOff, oMk, oPos := slices.Clone(off), slices.Clone(mk), slices.Clone(pos)
			wf := make([]float32, 4*m)
			for k := range c.gk {
				fy, fx, md, vv := wf[k*n:][:n], wf[m+k*n:][:n], wf[2*m+k*n:][:n], wf[3*m+k*n:][:n]
				if fillRun(int(idh[k]), int(jdw[k]), float32(H), float32(W), W+2, c.gk, oPos, oOff[2*k*P:][:n],
					oOff[(2*k+1)*P:][:n], oMk[k*P:][:n], wb[k:], ww[4*k:], fy, fx, md, vv) != n {
					t.Fatal("fillRun did not fill every pixel")
				}
			}
			for i := range fbuf {
				if math.Float32bits(fbuf[i]) != math.Float32bits(wf[i]) {
					t.Fatalf("fy, fx, md, vv [%d] = %v on guarded slices, %v through dcnFillAVX", i, fbuf[i], wf[i])
				}
			}
			if c.whole && slices.Equal(fbuf, make([]float32, 4*m)) {
				t.Fatal("no fy, fx, md or vv written")
			}
			if !slices.Equal(base, wb) {
				t.Fatalf("bases differ on guarded slices from dcnFillAVX's")
			}
			for i := range ww {
				if math.Float32bits(wts[i]) != math.Float32bits(ww[i]) {
					t.Fatalf("wts[%d] = %v on guarded slices, %v through dcnFillAVX", i, wts[i], ww[i])
				}
			}
		})
	}
}
