package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// maskTInputs returns dy and y for rows channels of p pixels: normal
// values, with NaN, −0 and +0 among dy's and NaN, 0, −0 and negative
// values among y's.
func maskTInputs(rng *rand.Rand, rows, p int) (dy, y []float32) {
	dy, y = make([]float32, rows*p), make([]float32, rows*p)
	for i := range dy {
		dy[i] = float32(rng.NormFloat64())
		y[i] = float32(rng.NormFloat64())
		switch rng.IntN(16) {
		case 0:
			dy[i] = float32(math.NaN())
		case 1:
			dy[i] = float32(math.Copysign(0, -1))
		case 2:
			y[i] = float32(math.NaN())
		case 3:
			y[i] = 0
		case 4:
			y[i] = float32(math.Copysign(0, -1))
		}
	}
	return dy, y
}

// TestMaskTranspose runs maskTranspose through dcnMaskT8 (AVX-512) or
// dcnMaskT8a (AVX2) and through its Go loop alone (noMaskT8) and wants
// the same bits in the transposed gradient and the sums (runs of 256, 8
// and 24 pixels), and the definition: dy where 0 < y, else +0, at
// dst[q·ldd+o], with the columns past rows untouched, and 8 sums a
// channel, one for each q%8, in pixel order. Channel counts and pixel
// counts that are multiples of 8 and not (ragged blocks on both sides),
// ldd wider than the rows, sums that start from non-zero values (a second
// image added to the first's), NaN in dy and y, ±0. Without either kernel
// it checks the Go loop alone (TestMaskT8Route wants one on AVX2).
func TestMaskTranspose(t *testing.T) {
	t.Logf("kernel: dcnMaskT8 %v, dcnMaskT8a %v", maskT8OK, maskT8aOK)
	rng := rand.New(rand.NewPCG(71, 72))
	for _, s := range []struct{ rows, p, ldd int }{
		{8, 8, 8}, {32, 64, 32}, {32, 4096, 32}, {3, 9, 3}, {8, 13, 11}, {13, 24, 16}, {40, 61, 43}, {16, 7, 16},
		{1, 1, 1}, {9, 17, 9},
	} {
		t.Run(fmt.Sprintf("rows%d_p%d_ldd%d", s.rows, s.p, s.ldd), func(t *testing.T) {
			dy, y := maskTInputs(rng, s.rows, s.p)
			start := make([]float32, maskTSumsLen(s.rows))
			for i := range start {
				start[i] = float32(rng.NormFloat64())
			}
			const sentinel = 12345.5
			run := func(kernel bool, runLen int) (dst, sums []float32) {
				old, oldRun := noMaskT8, maskTRun
				noMaskT8, maskTRun = !kernel, runLen
				defer func() { noMaskT8, maskTRun = old, oldRun }()
				dst = make([]float32, s.p*s.ldd)
				for i := range dst {
					dst[i] = sentinel
				}
				sums = append([]float32(nil), start...)
				maskTranspose(dy, y, s.p, dst, s.ldd, s.rows, sums)
				return dst, sums
			}
			same := func(what string, got, want []float32) {
				t.Helper()
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s[%d] = %v through the kernel, %v through the Go loop", what, i, got[i], want[i])
					}
				}
			}
			wd, ws := run(false, maskTRun)
			for _, runLen := range []int{maskTRun, 8, 24} {
				gd, gs := run(true, runLen)
				same("dst", gd, wd)
				same("sums", gs, ws)
			}
			for q := range s.p {
				for o := range s.ldd {
					v := wd[q*s.ldd+o]
					want := float32(sentinel)
					if o < s.rows {
						want = 0
						if y[o*s.p+q] > 0 {
							want = dy[o*s.p+q]
						}
					}
					if math.Float32bits(v) != math.Float32bits(want) {
						t.Fatalf("dst[%d·%d+%d] = %v, want %v", q, s.ldd, o, v, want)
					}
				}
			}
			// The sums, in pixel order, one for each q%8; the room of a
			// ragged band's missing channels untouched.
			want := append([]float32(nil), start...)
			for o := range s.rows {
				for q := range s.p {
					want[maskTSumAt(o, q%8)] += wd[q*s.ldd+o]
				}
			}
			for i := range want {
				if math.Float32bits(want[i]) != math.Float32bits(ws[i]) {
					t.Fatalf("sums[%d] = %v, want %v", i, ws[i], want[i])
				}
			}
		})
	}
}

// TestMaskTransposeRunGuard wants maskTranspose to refuse a run that is
// not a positive multiple of 8 pixels (the kernel's blocks) rather than
// leave the pixels past a run's last whole block unwritten.
func TestMaskTransposeRunGuard(t *testing.T) {
	dy, y := maskTInputs(rand.New(rand.NewPCG(75, 76)), 8, 40)
	for _, runLen := range []int{12, 4, 0, -8} {
		t.Run(fmt.Sprint(runLen), func(t *testing.T) {
			old := maskTRun
			maskTRun = runLen
			defer func() { maskTRun = old }()
			defer func() {
				if recover() == nil {
					t.Fatalf("maskTranspose took runs of %d pixels without a panic", runLen)
				}
			}()
			maskTranspose(dy, y, 40, make([]float32, 40*8), 8, 8, make([]float32, maskTSumsLen(8)))
		})
	}
}

// TestMaskTBias wants the bias gradient as the tree of a channel's 8
// sums, for channels in whole and ragged bands.
func TestMaskTBias(t *testing.T) {
	const rows = 13
	sums := make([]float32, maskTSumsLen(rows))
	for i := range sums {
		sums[i] = float32(i) * 0.37
	}
	for r := range rows {
		a := func(j int) float32 { return sums[maskTSumAt(r, j)] }
		want := ((a(0) + a(1)) + (a(2) + a(3))) + ((a(4) + a(5)) + (a(6) + a(7)))
		if got := maskTBias(sums, r); math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("maskTBias(channel %d) = %v, want %v", r, got, want)
		}
	}
}
