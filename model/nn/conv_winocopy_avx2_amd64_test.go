package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"golang.org/x/sys/cpu"
)

// TestWinoCopyAVX2Flag checks that the AVX2 copies are on exactly where
// the CPU has AVX2 and no AVX-512 (so that on such a CPU the tests below
// do not skip: they run the kernels).
func TestWinoCopyAVX2Flag(t *testing.T) {
	if want := cpu.X86.HasAVX2 && !cpu.X86.HasAVX512F; winoCopyAVX2 != want {
		t.Fatalf("winoCopyAVX2 = %v, want %v (AVX2 %v, AVX-512 %v)", winoCopyAVX2, want, cpu.X86.HasAVX2,
			cpu.X86.HasAVX512F)
	}
	if winoCopyAVX2 && winoCopyOK {
		t.Fatal("both the AVX2 and the AVX-512 copies are on")
	}
}

// winoCopyGo runs fn with the Go loops of the copies (no AVX-512, no
// AVX2 kernel): the references of the kernels' tests.
func winoCopyGo(fn func()) {
	ok0, avx0 := winoCopyOK, winoCopyAVX2
	defer func() { winoCopyOK, winoCopyAVX2 = ok0, avx0 }()
	winoCopyOK, winoCopyAVX2 = false, false
	fn()
}

// winoCopyAVX2Fill fills s with values of all kinds: normal numbers of
// many exponents, zeros of both signs, NaNs of distinct payloads (tag in
// the low bits), infinities and subnormals.
func winoCopyAVX2Fill(rng *rand.Rand, s []float32, tag uint32) {
	for i := range s {
		switch rng.IntN(16) {
		case 0:
			s[i] = 0
		case 1:
			s[i] = float32(math.Copysign(0, -1))
		case 2:
			s[i] = math.Float32frombits(0x7fc00000 | tag<<16 | uint32(i)&0xffff)
		case 3:
			s[i] = float32(math.Inf(1 - 2*rng.IntN(2)))
		case 4:
			s[i] = math.Float32frombits(uint32(rng.IntN(1 << 23)))
		default:
			s[i] = float32(rng.NormFloat64() * math.Exp2(float64(rng.IntN(40)-20)))
		}
	}
}

// TestWinoCopyAVX2SameBits calls the AVX2 kernels winoDeint4a, winoInt4a
// and winoInt4Aa themselves and compares every element of their operands
// with the Go loops' (winoDeint4, winoInt4 with the kernels off; for
// winoInt4Aa addTo after winoInt4, dst first: NaN payloads too) on every
// n from 1 to 75 groups (blocks of 8, of 4 and single groups), 1 to 4
// rows, strides past the rows' ends and offsets of 0 to 5 floats: the
// same bits inside the rows' groups, nothing changed outside.
func TestWinoCopyAVX2SameBits(t *testing.T) {
	if !winoCopyAVX2 {
		t.Skip("no AVX2 without AVX-512 here: the kernels do not run")
	}
	rng := rand.New(rand.NewPCG(12, 3))
	bits := func(name string, n, rows, off int, got, want []float32) {
		t.Helper()
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s n %d rows %d offset %d: element %d = %#x, Go %#x", name, n, rows, off, i,
					math.Float32bits(got[i]), math.Float32bits(want[i]))
			}
		}
	}
	for n := 1; n <= 75; n++ {
		for rows := 1; rows <= 4; rows++ {
			for _, off := range []int{0, 1, 3, 5} {
				ldl, lds := n+1+off, 4*n+3+2*off
				ln, sn := off+(rows-1)*ldl+n+7, off+(rows-1)*lds+4*n+7
				src := make([]float32, sn)
				winoCopyAVX2Fill(rng, src, 1)
				var want, got [4][]float32
				for j := range 4 {
					want[j] = make([]float32, ln)
					winoCopyAVX2Fill(rng, want[j], 2)
					got[j] = slices.Clone(want[j])
				}
				winoCopyGo(func() {
					winoDeint4(want[0][off:], want[1][off:], want[2][off:], want[3][off:], ldl, src[off:], lds,
						rows, n)
				})
				winoDeint4a(&got[0][off], &got[1][off], &got[2][off], &got[3][off], ldl, &src[off], lds, rows, n)
				for j := range 4 {
					bits("winoDeint4a", n, rows, off, got[j], want[j])
				}
				ls := want
				dst := make([]float32, sn)
				winoCopyAVX2Fill(rng, dst, 3)
				wantI, gotI := slices.Clone(dst), slices.Clone(dst)
				winoCopyGo(func() {
					winoInt4(wantI[off:], lds, ls[0][off:], ls[1][off:], ls[2][off:], ls[3][off:], ldl, rows, n)
				})
				winoInt4a(&gotI[off], lds, &ls[0][off], &ls[1][off], &ls[2][off], &ls[3][off], ldl, rows, n)
				bits("winoInt4a", n, rows, off, gotI, wantI)
				// winoInt4Aa: dst + the planes' values in the rows' groups
				// (addTo on each row's 4n floats: vadd, dst first), dst
				// itself elsewhere.
				wantA, gotA := slices.Clone(dst), slices.Clone(dst)
				for k := range rows {
					addTo(wantA[off+k*lds:][:4*n], wantI[off+k*lds:][:4*n])
				}
				winoInt4Aa(&gotA[off], lds, &ls[0][off], &ls[1][off], &ls[2][off], &ls[3][off], ldl, rows, n)
				bits("winoInt4Aa", n, rows, off, gotA, wantA)
			}
		}
	}
}

// winoScatFill fills dd for TestWinoScatAddSameBits: kind 0 values of
// all kinds but NaN (wino4Fill: zeros of both signs among them), 1 all
// −0 (every sum −0 unless an add of +0 makes it +0: the rows' elements
// that winoScatter zeroes before adding them), 2 zeros of random signs.
func winoScatFill(rng *rand.Rand, dd []float32, kind int) {
	switch kind {
	case 0:
		wino4Fill(rng, dd)
	case 1:
		for i := range dd {
			dd[i] = float32(math.Copysign(0, -1))
		}
	default:
		for i := range dd {
			dd[i] = float32(math.Copysign(0, float64(rng.IntN(2)*2-1)))
		}
	}
}

// TestWinoScatAddSameBits checks winoScatter with winoScatAdd (AVX2, a
// map's r² adds in one call) against its Go loops (the copies off) on
// winoCopyCases' shapes, F(4×4) and F(2×2), writing and adding into dx
// (zeros of both signs in dx too), with dd's values of all kinds but
// NaN, all −0 and zeros of random signs: the same bits in dx.
func TestWinoScatAddSameBits(t *testing.T) {
	if !winoCopyAVX2 {
		t.Skip("no AVX2 without AVX-512 here: winoScatAdd does not run")
	}
	for _, tc := range winoCopyCases() {
		for _, m := range []int{4, 2} {
			g := geom{B: tc.b, C: tc.c, O: tc.o, H: tc.h, W: tc.w, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1,
				DH: 1, DW: 1, Ho: tc.h, Wo: tc.w, LW: tc.w}
			wg := g.wino(m)
			tc0 := (tc.hi - tc.lo) * wg.tpi
			s := winoStride(tc.c*tc0) + 3
			rng := rand.New(rand.NewPCG(uint64(tc.h), uint64(tc.w*m)))
			for kind := range 3 {
				for _, add := range []bool{false, true} {
					dd := make([]float32, wg.r*wg.r*s)
					winoScatFill(rng, dd, kind)
					dx := make([]float32, tc.b*tc.c*tc.h*tc.w)
					winoScatFill(rng, dx, 2*(kind%2))
					want, got := slices.Clone(dx), slices.Clone(dx)
					q := make([]float32, wg.planesLen())
					winoCopyGo(func() {
						winoScatter(g, wg, slices.Clone(dd), s, want, tc.lo, tc.hi, tc.clo, tc.chi, q, add)
					})
					winoScatter(g, wg, slices.Clone(dd), s, got, tc.lo, tc.hi, tc.clo, tc.chi, q, add)
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%+v m %d dd kind %d add %v: dx[%d] = %v, Go %v", tc, m, kind, add, i,
								got[i], want[i])
						}
					}
				}
			}
		}
	}
}
