package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestWinoDeint4Int4 checks winoDeint4, winoInt4 and winoInt4Add (AVX-512 where
// winoCopyOK, Go elsewhere) against the plain loops on every n from 0 to
// 70 groups (whole blocks of 16, ragged tails, none), 1 to 3 rows at
// strides past the rows' ends, and source offsets that are not multiples
// of 16, and that nothing outside the rows' n groups is read or written.
func TestWinoDeint4Int4(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const sentinel = float32(-7.5)
	bits := math.Float32bits
	for n := range 71 {
		for _, off := range []int{0, 1, 3, 5} {
			for rows := 1; rows <= 3; rows++ {
				ldl, lds := n+off+2, 4*n+3*off+1
				src := make([]float32, off+(rows-1)*lds+4*n+9)
				for i := range src {
					src[i] = float32(rng.NormFloat64())
				}
				var ls [4][]float32
				for j := range ls {
					ls[j] = make([]float32, off+(rows-1)*ldl+n+5)
					for i := range ls[j] {
						ls[j][i] = sentinel
					}
				}
				winoDeint4(ls[0][off:], ls[1][off:], ls[2][off:], ls[3][off:], ldl, src[off:], lds, rows, n)
				for j := range ls {
					for i, v := range ls[j] {
						want := sentinel
						if k, c := (i-off)/ldl, (i-off)%ldl; i >= off && k < rows && c < n {
							want = src[off+k*lds+4*c+j]
						}
						if bits(v) != bits(want) {
							t.Fatalf("winoDeint4 n %d offset %d rows %d: l%d[%d] = %v, want %v",
								n, off, rows, j, i, v, want)
						}
					}
				}
				dst := make([]float32, len(src))
				for i := range dst {
					dst[i] = sentinel
				}
				winoInt4(dst[off:], lds, ls[0][off:], ls[1][off:], ls[2][off:], ls[3][off:], ldl, rows, n)
				for i, v := range dst {
					want := sentinel
					if k, c := (i-off)/lds, (i-off)%lds; i >= off && k < rows && c < 4*n {
						want = src[i]
					}
					if bits(v) != bits(want) {
						t.Fatalf("winoInt4 n %d offset %d rows %d: dst[%d] = %v, want %v", n, off, rows, i, v, want)
					}
				}
				// winoInt4Add onto values of their own (zeros of both signs
				// among them): dst + plane in every covered element.
				acc := make([]float32, len(src))
				for i := range acc {
					acc[i] = float32(rng.NormFloat64())
					if i%7 == 3 {
						acc[i] = float32(math.Copysign(0, float64(i%2)-0.5))
					}
				}
				acc0 := slices.Clone(acc)
				winoInt4Add(acc[off:], lds, ls[0][off:], ls[1][off:], ls[2][off:], ls[3][off:], ldl, rows, n)
				for i, v := range acc {
					want := acc0[i]
					if k, c := (i-off)/lds, (i-off)%lds; i >= off && k < rows && c < 4*n {
						want = acc0[i] + src[i]
					}
					if bits(v) != bits(want) {
						t.Fatalf("winoInt4Add n %d offset %d rows %d: dst[%d] = %v, want %v",
							n, off, rows, i, v, want)
					}
				}
			}
		}
	}
}

// winoCopyCase is one shape for the copies' tests: a batch of b images
// with c input and o output channels at h×w, the chunk [lo, hi) of the
// images and the channel ranges [clo, chi) and [olo, ohi) a call covers.
type winoCopyCase struct {
	b, c, o, h, w              int
	lo, hi, clo, chi, olo, ohi int
}

// winoCopyCases are the copies' test shapes: maps from 1×1 to 64×64,
// square and thin, widths that are multiples of 4 or 16 and widths that
// are not (ragged last tiles, fast runs of 0 to 15 groups), odd batches
// and channel ranges that start past 0.
func winoCopyCases() []winoCopyCase {
	var cs []winoCopyCase
	for _, hw := range [][2]int{
		{1, 1}, {1, 2}, {2, 1}, {2, 3}, {3, 3}, {4, 4}, {5, 5}, {6, 7}, {7, 7}, {8, 8}, {9, 11},
		{13, 18}, {14, 14}, {16, 16}, {17, 17}, {3, 63}, {31, 33}, {32, 32}, {20, 61}, {64, 64},
		{5, 67}, {8, 66}, {4, 65}, {32, 16}, {12, 16}, {20, 16}, {8, 32}, {24, 32}, {4, 64}, {12, 64},
	} {
		cs = append(cs, winoCopyCase{b: 3, c: 3, o: 2, h: hw[0], w: hw[1],
			lo: 1, hi: 3, clo: 1, chi: 3, olo: 1, ohi: 2})
	}
	cs = append(cs, winoCopyCase{b: 1, c: 1, o: 1, h: 64, w: 64, lo: 0, hi: 1, clo: 0, chi: 1, olo: 0, ohi: 1},
		winoCopyCase{b: 5, c: 7, o: 5, h: 16, w: 16, lo: 2, hi: 5, clo: 3, chi: 7, olo: 0, ohi: 5})
	return cs
}

// winoCopies runs winoGather, winoScatter, winoPlace and winoPick of
// F(4×4) on case tc with seeded data and returns what each wrote.
func winoCopies(tc winoCopyCase) [4][]float32 {
	rng := rand.New(rand.NewPCG(uint64(tc.h), uint64(tc.w)))
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
		return s
	}
	g := geom{B: tc.b, C: tc.c, O: tc.o, H: tc.h, W: tc.w, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1,
		DH: 1, DW: 1, Ho: tc.h, Wo: tc.w, LW: tc.w}
	wg := g.wino(4)
	tc0 := (tc.hi - tc.lo) * wg.tpi
	s := winoStride(max(tc.c, tc.o) * tc0)
	q := make([]float32, max(wg.planesLen(), g.p()))
	x := fill(tc.b * tc.c * tc.h * tc.w)
	d := fill(36 * s) // garbage outside what the gather writes stays as it is
	winoGather(g, wg, x, tc.lo, tc.hi, tc.clo, tc.chi, d, s, q)
	dd := fill(36 * s)
	dx := fill(len(x))
	winoScatter(g, wg, dd, s, dx, tc.lo, tc.hi, tc.clo, tc.chi, q, false)
	ym := fill(16 * s)
	y := fill(tc.b * tc.o * g.p())
	winoPlace(g, wg, ym, s, y, tc.lo, tc.hi, tc.olo, tc.ohi)
	dy := fill(len(y))
	gm := fill(16 * s)
	db := make([]float32, tc.o)
	winoPick(g, wg, dy, nil, gm, s, db, tc.lo, tc.hi, tc.olo, tc.ohi, q, nil, nil)
	return [4][]float32{d, dx, y, append(gm, db...)}
}

// TestWinoCopiesSameBits checks that F(4×4)'s gather, scatter, place and
// pick write the same bits with the assembly copies (AVX-512 or AVX2) as
// with the Go loops alone, on winoCopyCases' shapes.
func TestWinoCopiesSameBits(t *testing.T) {
	ok0, avx0 := winoCopyOK, winoCopyAVX2
	if !ok0 && !avx0 {
		t.Skip("no AVX-512 or AVX2 copies here: the Go loops run either way")
	}
	defer func() { winoCopyOK, winoCopyAVX2 = ok0, avx0 }()
	for _, tc := range winoCopyCases() {
		var runs [2][4][]float32
		for k, ok := range []bool{true, false} {
			winoCopyOK, winoCopyAVX2 = ok0 && ok, avx0 && ok
			runs[k] = winoCopies(tc)
		}
		for k, name := range []string{"winoGather", "winoScatter", "winoPlace", "winoPick"} {
			if !slices.EqualFunc(runs[0][k], runs[1][k], func(a, b float32) bool {
				return math.Float32bits(a) == math.Float32bits(b)
			}) {
				t.Errorf("%+v: %s with the assembly copies differs from the Go loops'", tc, name)
			}
		}
	}
}

// TestWinoGather4SameBits checks that winoGather4 (the gather and the Bᵀ
// transform in one, reading the planes) writes the bits of winoGather
// followed by winoXform, on winoCopyCases' shapes, with and without the
// AVX-512 copies and transforms, in float32 and float64, and that it
// leaves the columns outside its channels' alone (on CPUs without
// AVX-512 with and without the AVX2 copies: winoFill4a).
func TestWinoGather4SameBits(t *testing.T) {
	copy0, xf0, avx0, cavx0 := winoCopyOK, wino4XformOK, wino4XformAVX2, winoCopyAVX2
	defer func() { winoCopyOK, wino4XformOK, wino4XformAVX2, winoCopyAVX2 = copy0, xf0, avx0, cavx0 }()
	for _, tc := range winoCopyCases() {
		for _, asm := range []bool{true, false} {
			winoCopyOK, wino4XformOK = copy0 && asm, xf0 && asm
			wino4XformAVX2, winoCopyAVX2 = avx0 && asm, cavx0 && asm
			winoGather4Check(t, tc, asm, float32(0))
			winoGather4Check(t, tc, asm, float64(0))
		}
	}
}

func winoGather4Check[T Float](t *testing.T, tc winoCopyCase, asm bool, _ T) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(tc.h), uint64(tc.w)))
	fill := func(n int) []T {
		s := make([]T, n)
		for i := range s {
			s[i] = T(rng.NormFloat64())
		}
		return s
	}
	g := geom{B: tc.b, C: tc.c, O: tc.o, H: tc.h, W: tc.w, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1,
		DH: 1, DW: 1, Ho: tc.h, Wo: tc.w, LW: tc.w}
	wg := g.wino(4)
	tc0 := (tc.hi - tc.lo) * wg.tpi
	s := winoStride(tc.c * tc0)
	x := fill(tc.b * tc.c * tc.h * tc.w)
	d := make([]T, 36*s)
	want := fill(36 * s)
	got := slices.Clone(want)
	winoGather(g, wg, x, tc.lo, tc.hi, tc.clo, tc.chi, d, s, make([]T, wg.planesLen()))
	n := (tc.chi - tc.clo) * tc0
	winoXform(4, winoKindBT, nil, want[tc.clo*tc0:], d[tc.clo*tc0:], s, n)
	q := fill(wg.planes4Len()) // garbage: winoGather4 clears what it needs
	winoGather4(g, wg, x, tc.lo, tc.hi, tc.clo, tc.chi, got, s, q)
	for i := range want {
		if math.Float64bits(float64(got[i])) != math.Float64bits(float64(want[i])) {
			t.Fatalf("%+v asm %v %T: v[%d] (row %d column %d) = %v, winoGather+winoXform %v",
				tc, asm, got[0], i, i/s, i%s, got[i], want[i])
		}
	}
}

// TestWinoScatter4SameBits checks that winoScatterB (winoScatter4 where
// it runs: maps of whole blocks of 16 tiles, or of 8 with the AVX2
// transforms) writes the bits of winoXform
// followed by winoScatter into dx, and with add (winoScatterB's and
// winoScatter's) acc + those sums, zeros of both signs among the inputs,
// on winoCopyCases' shapes and some more of 16k tiles (ragged last tiles
// among them), with and without the copies' kernels (AVX-512 or AVX2).
// The reference (winoXform, winoScatter) runs the Go loops alone.
func TestWinoScatter4SameBits(t *testing.T) {
	if !wino4XformOK && !wino4XformAVX2 {
		t.Skip("no AVX-512 or AVX2 here: winoScatter4 does not run")
	}
	copy0, cavx0 := winoCopyOK, winoCopyAVX2
	defer func() { winoCopyOK, winoCopyAVX2 = copy0, cavx0 }()
	allGo := func(fn func()) {
		f := [...]bool{winoCopyOK, winoCopyAVX2, wino4XformOK, wino4XformAVX2}
		defer func() { winoCopyOK, winoCopyAVX2, wino4XformOK, wino4XformAVX2 = f[0], f[1], f[2], f[3] }()
		winoCopyOK, winoCopyAVX2, wino4XformOK, wino4XformAVX2 = false, false, false, false
		fn()
	}
	cs := winoCopyCases()
	for _, hw := range [][2]int{{16, 13}, {17, 64}, {3, 61}, {32, 29}, {8, 16}, {24, 16}, {16, 24}} {
		cs = append(cs, winoCopyCase{b: 4, c: 3, o: 2, h: hw[0], w: hw[1], lo: 1, hi: 4, clo: 1, chi: 3})
	}
	fused := 0
	for _, tc := range cs {
		for _, cp := range []bool{true, false} {
			winoCopyOK, winoCopyAVX2 = copy0 && cp, cavx0 && cp
			rng := rand.New(rand.NewPCG(uint64(tc.h), uint64(tc.w)))
			g := geom{B: tc.b, C: tc.c, O: tc.o, H: tc.h, W: tc.w, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1,
				DH: 1, DW: 1, Ho: tc.h, Wo: tc.w, LW: tc.w}
			wg := g.wino(4)
			if wg.tpi%16 == 0 || wino4XformAVX2 && wg.tpi%8 == 0 {
				fused++
			}
			tc0 := (tc.hi - tc.lo) * wg.tpi
			s := winoStride(tc.c * tc0)
			dv := make([]float32, 36*s)
			wino4Fill(rng, dv)
			for i := range dv { // some maps all zeros (of both signs): sums of zeros
				if (i%s)/wg.tpi%3 == 0 {
					dv[i] = float32(math.Copysign(0, float64(rng.IntN(2)*2-1)))
				}
			}
			want := make([]float32, tc.b*tc.c*tc.h*tc.w)
			wino4Fill(rng, want)
			got := slices.Clone(want)
			dd := make([]float32, 36*s)
			allGo(func() {
				winoXform(4, winoKindB, nil, dd[tc.clo*tc0:], dv[tc.clo*tc0:], s, (tc.chi-tc.clo)*tc0)
				winoScatter(g, wg, dd, s, want, tc.lo, tc.hi, tc.clo, tc.chi, make([]float32, wg.planesLen()), false)
			})
			q := make([]float32, wg.planes4Len())
			wino4Fill(rng, q) // garbage: winoScatter4 clears what it needs
			winoScatterB(g, wg, nil, dv, make([]float32, 36*s), s, got, tc.lo, tc.hi, tc.clo, tc.chi, q, false)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%+v copies %v: dx[%d] = %v, winoXform+winoScatter %v", tc, cp, i, got[i], want[i])
				}
			}
			// With add: the covered maps get acc + the sums written above
			// (zeros of both signs among acc), the others stay.
			acc := make([]float32, len(want))
			wino4Fill(rng, acc)
			wantA := slices.Clone(acc)
			hw := tc.h * tc.w
			for i := range wantA {
				if b, ch := i/(tc.c*hw), i/hw%tc.c; b >= tc.lo && b < tc.hi && ch >= tc.clo && ch < tc.chi {
					wantA[i] = acc[i] + want[i]
				}
			}
			gotA := slices.Clone(acc)
			wino4Fill(rng, q)
			winoScatterB(g, wg, nil, dv, make([]float32, 36*s), s, gotA, tc.lo, tc.hi, tc.clo, tc.chi, q, true)
			gotS := slices.Clone(acc)
			winoXform(4, winoKindB, nil, dd[tc.clo*tc0:], dv[tc.clo*tc0:], s, (tc.chi-tc.clo)*tc0)
			winoScatter(g, wg, dd, s, gotS, tc.lo, tc.hi, tc.clo, tc.chi, make([]float32, wg.planesLen()), true)
			for i := range wantA {
				if math.Float32bits(gotA[i]) != math.Float32bits(wantA[i]) {
					t.Fatalf("%+v copies %v: adding, dx[%d] = %v, want %v", tc, cp, i, gotA[i], wantA[i])
				}
				if math.Float32bits(gotS[i]) != math.Float32bits(wantA[i]) {
					t.Fatalf("%+v copies %v: winoScatter adding, dx[%d] = %v, want %v", tc, cp, i, gotS[i],
						wantA[i])
				}
			}
		}
	}
	if fused == 0 {
		t.Fatal("no case ran winoScatter4")
	}
}

// TestWinoPlaceATSameBits checks that the forward with winoPlaceAT (the
// Aᵀ transform, bias, ReLU, mask bits and place in one pass) gives the
// bits of the three passes (winoNoPlaceAT) in y and in the mask, and that
// the backward from that mask, whose pick then runs as one pass with the
// mask (winoPickMx, or winoPickMx2 without AVX-512), gives the same dx,
// dW and db, in training and evaluation, with and without ReLU and bias,
// on maps of whole blocks of 16 tiles (square and not; of 8 with the AVX2
// kernels wino4ATY2 and winoPickMx2) and on maps where it does not run.
func TestWinoPlaceATSameBits(t *testing.T) {
	if !wino4XformOK && !wino4XformAVX2 {
		t.Skip("no AVX-512 or AVX2 here: winoPlaceAT does not run")
	}
	defer func() { winoNoPlaceAT = false }()
	ran := 0
	for _, s := range []struct {
		b, in, out, h, w int
		relu, bias       bool
	}{
		{2, 32, 32, 64, 64, true, true}, {3, 33, 30, 32, 32, true, true}, {2, 32, 27, 32, 32, false, true},
		{5, 17, 9, 16, 16, true, false}, {4, 8, 12, 16, 32, true, true}, {3, 8, 5, 8, 32, false, false},
		{3, 9, 7, 12, 16, true, true}, {2, 5, 6, 13, 18, true, true},
		// Whole blocks of 8 tiles a map, not of 16 (wino4ATY2 only).
		{3, 8, 5, 8, 16, true, true}, {2, 9, 6, 24, 16, true, false}, {3, 8, 5, 8, 48, false, true},
		// Whole tiles in blocks of 16 a map, but rows of tiles not a
		// multiple of 4 (a group of four tiles would span two rows).
		{2, 8, 5, 32, 8, true, true}, {2, 8, 5, 32, 24, true, true}, {2, 8, 6, 64, 4, true, false},
	} {
		cfg := Conv2DConfig{In: s.in, Out: s.out, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: s.relu,
			NoBias: !s.bias}
		rng := rand.New(rand.NewPCG(uint64(s.h), uint64(s.w)))
		ref, _ := NewConv2D[float64]("ref", cfg, rng)
		x := New[float32](s.b, cfg.In, s.h, s.w)
		wino4Fill(rng, x.data)
		g := geom{B: s.b, C: s.in, O: s.out, H: s.h, W: s.w, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1,
			DH: 1, DW: 1, Ho: s.h, Wo: s.w, LW: s.w}
		if winoPlaceTab[float32](g, g.wino(4)) != nil || winoPlaceTab2[float32](g, g.wino(4)) != nil {
			ran++
		}
		for _, train := range []bool{true, false} {
			var ys [2][]float32
			var masks [2][]uint8
			var grads [2][4][]float64
			for k, off := range []bool{false, true} {
				winoNoPlaceAT = off
				c := winoTwin[float32](ref, cfg)
				c.forceWino, c.winoForceM = true, 4
				y, err := c.Forward(x, train)
				if err != nil {
					t.Fatal(err)
				}
				ys[k], masks[k] = slices.Clone(y.data), slices.Clone(c.mask)
				if train {
					grads[k] = winoPass(t, c, x, true)
				}
			}
			winoNoPlaceAT = false
			name := fmt.Sprintf("%+v train %v", s, train)
			if !slices.EqualFunc(ys[0], ys[1], func(a, b float32) bool {
				return math.Float32bits(a) == math.Float32bits(b)
			}) {
				t.Errorf("%s: y differs from the three passes'", name)
			}
			if !slices.Equal(masks[0], masks[1]) {
				t.Errorf("%s: the mask bits differ from the three passes'", name)
			}
			for k, what := range []string{"y", "dx", "dW", "db"} {
				if !slices.Equal(grads[0][k], grads[1][k]) {
					t.Errorf("%s: %s of the training pass differs from the three passes'", name, what)
				}
			}
		}
	}
	if ran < 5 {
		t.Fatalf("winoPlaceAT ran on %d shapes, want 5", ran)
	}
}

// TestWinoCopiesPassSameBits checks a whole training step (forward and
// backward with the ReLU mask as bits and with y, bias, dx) of the F(4×4)
// route: the same bits with the assembly copies (AVX-512 or AVX2) as
// without, on odd sizes.
func TestWinoCopiesPassSameBits(t *testing.T) {
	ok0, avx0 := winoCopyOK, winoCopyAVX2
	if !ok0 && !avx0 {
		t.Skip("no AVX-512 or AVX2 copies here: the Go loops run either way")
	}
	defer func() { winoCopyOK, winoCopyAVX2, noReluMask = ok0, avx0, false }()
	for _, s := range []struct{ b, in, out, h, w int }{
		{5, 33, 30, 13, 18}, {2, 32, 27, 64, 64}, {3, 17, 9, 7, 7}, {8, 16, 16, 16, 16}, {1, 5, 3, 1, 1},
	} {
		cfg := Conv2DConfig{In: s.in, Out: s.out, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}
		rng := rand.New(rand.NewPCG(uint64(s.h), uint64(s.w)))
		ref, _ := NewConv2D[float64]("ref", cfg, rng)
		x := New[float32](s.b, cfg.In, s.h, s.w)
		for i := range x.data {
			x.data[i] = float32(rng.NormFloat64())
		}
		for _, mask := range []bool{true, false} {
			noReluMask = !mask
			var runs [2][4][]float64
			for k, ok := range []bool{true, false} {
				winoCopyOK, winoCopyAVX2 = ok0 && ok, avx0 && ok
				c := winoTwin[float32](ref, cfg)
				c.forceWino, c.winoForceM = true, 4
				runs[k] = winoPass(t, c, x, true)
			}
			winoCopyOK, winoCopyAVX2 = ok0, avx0
			for k, name := range []string{"y", "dx", "dW", "db"} {
				if !slices.Equal(runs[0][k], runs[1][k]) {
					t.Errorf("%+v mask bits %v: %s with the assembly copies differs from the Go loops'", s, mask,
						name)
				}
			}
		}
	}
}

// BenchmarkWinoDeint4 times winoDeint4 and winoInt4 ("asm": AVX-512, or
// AVX2 where the CPU has no AVX-512; and Go) on the run lengths of
// F(4×4)'s copies at the COCO net's maps: 3, 7, 15 groups (the gather and
// scatter at 16×16, 32×32, 64×64) and 4, 8, 16 (place and pick), 16 rows
// a call.
func BenchmarkWinoDeint4(b *testing.B) {
	ok0, avx0 := winoCopyOK, winoCopyAVX2
	defer func() { winoCopyOK, winoCopyAVX2 = ok0, avx0 }()
	for _, n := range []int{3, 4, 7, 8, 15, 16} {
		for _, how := range []string{"asm", "go"} {
			for _, dir := range []string{"deint", "int"} {
				b.Run(fmt.Sprintf("n%d/%s/%s", n, dir, how), func(b *testing.B) {
					winoCopyOK, winoCopyAVX2 = ok0 && how == "asm", avx0 && how == "asm"
					src := make([]float32, 16*4*n)
					l := make([]float32, 4*16*n)
					b.ReportAllocs()
					for b.Loop() {
						if dir == "deint" {
							winoDeint4(l, l[16*n:], l[32*n:], l[48*n:], n, src, 4*n, 16, n)
						} else {
							winoInt4(src, 4*n, l, l[16*n:], l[32*n:], l[48*n:], n, 16, n)
						}
					}
				})
			}
		}
	}
}

// BenchmarkWinoCopies times F(4×4)'s four copies on one chunk of the COCO
// net's conv2 to conv6 (batch 32, all channels) with the assembly copies
// ("asm": AVX-512, or AVX2 where the CPU has no AVX-512) and with the Go
// loops alone ("go"), in one binary: gather and scatter over the input
// channels, place and pick (without ReLU) over the output channels; and
// the passes session 8 fused against the passes they replace: gather4
// (gatherBT), scatter4 (scatterB), placeAT (placeAT3; skipped without the
// AVX-512 or AVX2 transforms) and pickMask (pickMask2, with the ReLU's
// bits).
func BenchmarkWinoCopies(b *testing.B) {
	ok0, avx0 := winoCopyOK, winoCopyAVX2
	defer func() { winoCopyOK, winoCopyAVX2 = ok0, avx0 }()
	for _, s := range []struct {
		name        string
		in, out, hw int
	}{
		{"conv2", 32, 32, 64}, {"conv3", 32, 64, 32}, {"conv4", 64, 64, 32},
		{"conv5", 64, 128, 16}, {"conv6", 128, 128, 16},
	} {
		g := geom{B: 32, C: s.in, O: s.out, H: s.hw, W: s.hw, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1,
			DH: 1, DW: 1, Ho: s.hw, Wo: s.hw, LW: s.hw}
		wg := g.wino(4)
		lo, hi := 0, wg.per
		tc := (hi - lo) * wg.tpi
		sd := winoStride(max(g.C, g.O) * tc)
		x := benchInput(b, g.B, g.C, g.H, g.W).data
		y := benchInput(b, g.B, g.O, g.H, g.W).data
		d, v := make([]float32, 36*sd), make([]float32, 36*sd)
		q := make([]float32, max(wg.planesLen(), g.p()))
		db := make([]float32, g.O)
		q4 := make([]float32, wg.planes4Len())
		tab := winoPlaceTab[float32](g, wg)
		if tab == nil { // the AVX2 transforms' fused place and pick
			tab = winoPlaceTab2[float32](g, wg)
		}
		mk := make([]uint8, tc*g.O*16/8)
		for i := range mk {
			mk[i] = uint8(i * 37)
		}
		gr := g
		gr.ReLU = true
		bias := make([]float32, g.O)
		for _, step := range []string{"gather", "gatherBT", "gather4", "scatter", "scatterB", "scatter4", "place",
			"placeAT3", "placeAT", "pick", "pickMask2", "pickMask"} {
			for _, how := range []string{"asm", "go"} {
				b.Run(s.name+"/"+step+"/"+how, func(b *testing.B) {
					if step == "placeAT" && tab == nil {
						b.Skip("winoPlaceAT does not run here (no AVX-512 or AVX2 transforms)")
					}
					winoCopyOK, winoCopyAVX2 = ok0 && how == "asm", avx0 && how == "asm"
					cpuLoop(b, 0, func() {
						switch step {
						case "gather":
							winoGather(g, wg, x, lo, hi, 0, g.C, d, sd, q)
						case "gatherBT": // as the forward ran before winoGather4
							winoGather(g, wg, x, lo, hi, 0, g.C, d, sd, q)
							winoXform(4, winoKindBT, nil, v, d, sd, g.C*tc)
						case "gather4":
							winoGather4(g, wg, x, lo, hi, 0, g.C, v, sd, q4)
						case "scatter":
							winoScatter(g, wg, d, sd, x, lo, hi, 0, g.C, q, false)
						case "scatterB": // as the backward ran before winoScatter4
							winoXform(4, winoKindB, nil, d, v, sd, g.C*tc)
							winoScatter(g, wg, d, sd, x, lo, hi, 0, g.C, q, false)
						case "placeAT3": // as the forward ran before winoPlaceAT (no mask)
							winoXform(4, winoKindAT, nil, d, v, sd, g.O*tc)
							for o := range g.O {
								biasRows(d[o*tc:], sd, d[o*tc:], sd, 16, tc, bias[o], true)
							}
							winoPlace(g, wg, d, sd, y, lo, hi, 0, g.O)
						case "placeAT":
							g.ReLU = true
							winoPlaceAT(g, wg, v, sd, y, lo, hi, 0, g.O, bias, nil, tab)
						case "pickMask2": // with the ReLU's bits, as before winoPickMx
							winoPick(gr, wg, y, nil, d, sd, db, lo, hi, 0, g.O, q, mk, nil)
						case "pickMask":
							winoPick(gr, wg, y, nil, d, sd, db, lo, hi, 0, g.O, q, mk, tab)
						case "scatter4":
							winoScatterB(g, wg, nil, v, d, sd, x, lo, hi, 0, g.C, q4, false)
						case "place":
							winoPlace(g, wg, d, sd, y, lo, hi, 0, g.O)
						default:
							winoPick(g, wg, y, nil, d, sd, db, lo, hi, 0, g.O, q, nil, nil)
						}
					})
				})
			}
		}
	}
}

// BenchmarkSideRoutes27 is the deformable layers' side convolutions (a
// plain 3×3 convolution to 27 offset and mask channels, no ReLU, fwd+bwd
// with the input gradient, 32 crops) at each placement's shapes on the
// tap-sum route and on F(4×4): dcnn-first's conv2 (32→27 at 64×64),
// dcnn-middle's conv3 and conv4 (32→27 and 64→27 at 32×32), dcnn-last's
// conv5 and conv6 (64→27 and 128→27 at 16×16). The measurement behind
// wino4SideOut's and wino4SidePixels' bounds.
func BenchmarkSideRoutes27(b *testing.B) {
	for _, s := range []struct {
		name    string
		in, hw  int
		batches int
	}{
		{"first2", 32, 64, 32}, {"middle3", 32, 32, 32}, {"middle4", 64, 32, 32},
		{"last5", 64, 16, 32}, {"last6", 128, 16, 32},
	} {
		for _, route := range []string{"taps", "wino4"} {
			b.Run(s.name+"/"+route, func(b *testing.B) {
				cfg := Conv2DConfig{In: s.in, Out: 27, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}
				c, err := NewConv2D[float32]("side", cfg, rand.New(rand.NewPCG(1, 1)))
				if err != nil {
					b.Fatal(err)
				}
				c.noWino, c.forceWino = route == "taps", route != "taps"
				if route == "wino4" {
					c.winoForceM = 4
				}
				x := benchInput(b, s.batches, s.in, s.hw, s.hw)
				y, _ := c.Forward(x, true)
				dy := y.Clone()
				cpuLoop(b, 3*2.0*float64(s.batches*s.in*27*9*s.hw*s.hw), func() {
					c.Forward(x, true)
					c.Backward(dy)
				})
			})
		}
	}
}

// TestWinoInt4AddNaN checks that winoInt4Add passes on the NaN that addTo
// after winoInt4 would (dst's, where both operands are NaN: x86 returns its
// first operand's), in the kernel's blocks and its masked tail, with the
// AVX-512 kernel (winoCopyOK) or the AVX2 one (winoCopyAVX2: its blocks of
// 8 and of 4 groups and its single groups). Without either the portable
// loop's q[i] += l[i] runs, and Go does not say which operand's NaN an
// addition keeps (the compiler may swap the operands of ADDSS; on an
// AVX2-only AMD EPYC it keeps l's): there the test asks for a NaN only.
func TestWinoInt4AddNaN(t *testing.T) {
	nanA, nanB := math.Float32frombits(0x7fc00001), math.Float32frombits(0x7fc00002)
	for _, n := range []int{1, 3, 4, 5, 8, 15, 16, 21} {
		ls := [4][]float32{}
		for j := range ls {
			ls[j] = make([]float32, n)
			for i := range ls[j] {
				ls[j][i] = nanB
			}
		}
		got, want := make([]float32, 4*n), make([]float32, 4*n)
		for i := range got {
			got[i], want[i] = nanA, nanA
		}
		winoInt4Add(got, 4*n, ls[0], ls[1], ls[2], ls[3], n, 1, n)
		tmp := make([]float32, 4*n)
		winoInt4(tmp, 4*n, ls[0], ls[1], ls[2], ls[3], n, 1, n)
		addTo(want, tmp)
		for i := range want {
			if !winoCopyOK && !winoCopyAVX2 {
				if !math.IsNaN(float64(got[i])) {
					t.Fatalf("n=%d: element %d = %v, want a NaN", n, i, got[i])
				}
				continue
			}
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n=%d: element %d = %#x, addTo after winoInt4 gives %#x", n, i, math.Float32bits(got[i]), math.Float32bits(want[i]))
			}
		}
	}
}
