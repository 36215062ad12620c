package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"testing"
	"unsafe"
)

// TestSamplingGuardPages runs the sampling kernels, the scatter that also
// writes the columns (scatterColsVec: scatterCols512 with AVX-512,
// dcnScatterColsAVX with AVX2) and the gather and scatter it replaces
// (dcnGather's and dcnScatter's kernels), on operands of their exact
// minimum lengths that end on a PROT_NONE page (guardSlice): the image and
// its gradient end with the last entry's bottom-right corner run, the
// rows, weights, corner sums and bases with the last entry. Runs of 8 to
// 48 channels (the last 16-block of one, two and three; 8 and 24 for the
// AVX2 kernel), one entry and odd counts, runs inside longer pixels
// (offset groups, ch0 > 0). No read or write past an operand faults, and
// the guarded calls give the bits of the same calls on ordinary slices.
func TestSamplingGuardPages(t *testing.T) {
	if !scatterColsVecOK(16) {
		t.Skip("no AVX-512 or AVX2: the sampling kernels under test do not run")
	}
	// A fault fails the test, not the whole binary.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	rng := rand.New(rand.NewPCG(61, 62))
	for _, s := range []struct{ n, pix, ch0, count int }{
		{16, 16, 0, 1}, {32, 32, 0, 7}, {48, 48, 0, 5}, {16, 32, 16, 9}, {32, 64, 32, 3}, {16, 48, 32, 1},
		{8, 8, 0, 1}, {8, 16, 8, 5}, {24, 32, 8, 3},
	} {
		t.Run(fmt.Sprintf("n%d_pix%d_ch%d_count%d", s.n, s.pix, s.ch0, s.count), func(t *testing.T) {
			if !scatterColsVecOK(s.n) {
				t.Skipf("no kernel here for runs of %d channels", s.n)
			}
			const wp, hp = 6, 5
			row := wp * s.pix
			last := (hp-1)*wp - 2 // its bottom-right corner is the image's last pixel
			imgLen := last*s.pix + row + s.pix + s.n
			fill := func(dst []float32, f func() float32) []float32 {
				for i := range dst {
					dst[i] = f()
				}
				return dst
			}
			norm := func() float32 { return float32(rng.NormFloat64()) }
			img := fill(make([]float32, imgLen), norm)
			g := fill(make([]float32, s.count*s.n), norm)
			wts := fill(make([]float32, 4*s.count), func() float32 { return float32(rng.Float64()) })
			base := make([]int32, s.count)
			for i := range base {
				base[i] = int32(rng.IntN(last))
			}
			base[s.count-1] = int32(last)

			// The calls on ordinary slices.
			colWant := make([]float32, len(g))
			dWant, sWant := make([]float32, imgLen), make([]float32, 4*s.count)
			dcnGather(colWant, img, s.pix, row, base, wts, s.n)
			dcnScatter(dWant, img, s.pix, row, base, wts, g, sWant, s.n)

			guarded := func(src []float32) []float32 {
				d := guardSlice(t, len(src))
				copy(d, src)
				return d
			}
			gImg, gWts, gG := guarded(img), guarded(wts), guarded(g)
			gBase := unsafe.Slice((*int32)(unsafe.Pointer(&guardSlice(t, s.count)[0])), s.count)
			copy(gBase, base)
			same := func(what string, got, want []float32) {
				t.Helper()
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s[%d] = %v on guarded operands, %v on ordinary ones", what, i, got[i], want[i])
					}
				}
			}

			cols := guardSlice(t, len(g))
			dcnGather(cols, gImg, s.pix, row, gBase, gWts, s.n)
			same("gather's columns", cols, colWant)

			dimg, sums := guardSlice(t, imgLen), guardSlice(t, 4*s.count)
			dcnScatter(dimg, gImg, s.pix, row, gBase, gWts, gG, sums, s.n)
			same("scatter's input gradient", dimg, dWant)
			same("scatter's corner sums", sums, sWant)

			rows := guarded(g)
			dimg, sums = guardSlice(t, imgLen), guardSlice(t, 4*s.count)
			scatterColsVec(dimg, gImg, s.pix, row, gBase, gWts, rows, sums, s.n)
			same("scatterColsVec's columns", rows, colWant)
			same("scatterColsVec's input gradient", dimg, dWant)
			same("scatterColsVec's corner sums", sums, sWant)
		})
	}
}

// TestMaskTransposeGuardPages runs dcnMaskT8 or, without AVX-512,
// dcnMaskT8a (through maskTranspose) on
// dy, y and the transposed gradient of their exact lengths, each ending on
// a PROT_NONE page: no read or write past them faults, and the bits are
// those of the same call on ordinary slices.
func TestMaskTransposeGuardPages(t *testing.T) {
	if !maskT8OK && !maskT8aOK {
		t.Skip("no AVX2: neither dcnMaskT8 nor dcnMaskT8a runs")
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	rng := rand.New(rand.NewPCG(73, 74))
	for _, s := range []struct{ rows, p int }{{8, 8}, {16, 64}, {32, 40}, {8, 9}} {
		t.Run(fmt.Sprintf("rows%d_p%d", s.rows, s.p), func(t *testing.T) {
			dy, y := maskTInputs(rng, s.rows, s.p)
			dst := make([]float32, s.p*s.rows)
			sums := make([]float32, maskTSumsLen(s.rows))
			maskTranspose(dy, y, s.p, dst, s.rows, s.rows, sums)
			guarded := func(src []float32) []float32 {
				d := guardSlice(t, len(src))
				copy(d, src)
				return d
			}
			gdy, gy := guarded(dy), guarded(y)
			gdst, gsums := guardSlice(t, len(dst)), guardSlice(t, len(sums))
			maskTranspose(gdy, gy, s.p, gdst, s.rows, s.rows, gsums)
			for k, pair := range [][2][]float32{{gdst, dst}, {gsums, sums}} {
				for i := range pair[1] {
					if math.Float32bits(pair[0][i]) != math.Float32bits(pair[1][i]) {
						t.Fatalf("operand %d [%d] = %v on guarded slices, %v on ordinary ones", k, i, pair[0][i], pair[1][i])
					}
				}
			}
		})
	}
}

// gather3Guard holds the operands of a 3-channel gather of count entries
// in pixels of 4 values, each of its exact length ending on a PROT_NONE
// page (the image right after its last pixel's 4th value, a corner of the
// last entry), and want, dcnGatherAVX's result on ordinary copies of them
// (TestGather3GuardPages, TestGather3AVX2GuardPages).
type gather3Guard struct {
	img, wts, want []float32
	base           []int32
	pix, row, last int
}

func newGather3Guard(t *testing.T, rng *rand.Rand, count int) gather3Guard {
	const pix, wp, hp = 4, 6, 5
	row := wp * pix
	last := (hp-1)*wp - 2
	img := guardSlice(t, last*pix+row+pix+4)
	for i := range img {
		img[i] = float32(rng.NormFloat64())
	}
	wts := guardSlice(t, 4*count)
	for i := range wts {
		wts[i] = float32(rng.NormFloat64())
	}
	base := unsafe.Slice((*int32)(unsafe.Pointer(&guardSlice(t, count)[0])), count)
	for i := range base {
		base[i] = int32(rng.IntN(last))
	}
	base[count-1] = int32(last)
	want := make([]float32, 3*count)
	oImg, oBase := append([]float32(nil), img...), append([]int32(nil), base...)
	oWts := append([]float32(nil), wts...)
	dcnGatherAVX(&want[0], &oImg[0], pix, row, &oBase[0], &oWts[0], count, 3)
	return gather3Guard{img: img, wts: wts, want: want, base: base, pix: pix, row: row, last: last}
}

// TestGather3GuardPages runs dcnGather3x4 (through dcnGather) with the
// image ending on a PROT_NONE page right after its last pixel's 4th value
// (a corner of the last entry), and dst, the bases and the weights of
// their exact lengths ending there too: no read or write past them faults,
// and the bits are dcnGatherAVX's on ordinary copies of the operands.
func TestGather3GuardPages(t *testing.T) {
	if !gather3OK || !vecOK {
		t.Skip("no AVX-512: dcnGather3x4 does not run")
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	rng := rand.New(rand.NewPCG(83, 84))
	for _, count := range []int{4, 8, 9, 12} {
		t.Run(fmt.Sprint(count), func(t *testing.T) {
			g := newGather3Guard(t, rng, count)
			img, base, wts, pix, row, last, want := g.img, g.base, g.wts, g.pix, g.row, g.last, g.want
			got := guardSlice(t, 3*count)
			if n := gather3(got, img, pix, row, base, wts, 3, last); n != count/4*4 {
				t.Fatalf("gather3 did %d entries, want %d", n, count/4*4)
			}
			dcnGather(got, img, pix, row, base, wts, 3)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("dst[%d] = %v on guarded slices, %v through dcnGatherAVX", i, got[i], want[i])
				}
			}
		})
	}
}

// TestPixGemmGuardPages runs pixGemm (with AVX2, dcnGemm6x32AVX2; with
// AVX-512, dcnGemm8x32) on a column matrix, a packed weight and an output
// of their exact lengths that end on a PROT_NONE page: pixel counts with
// and without a partial block, inner dimensions of one and two of the
// GEMM's kc blocks. No read or write past an operand faults, and the
// guarded call gives the bits of the same call on ordinary slices.
func TestPixGemmGuardPages(t *testing.T) {
	if !pixGemmOK() && !pixAVX2OK() {
		t.Skip("no AVX-512 or AVX2 GEMM kernels here: pixGemm does not run")
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	rng := rand.New(rand.NewPCG(41, 42))
	for _, s := range []struct{ o, n, ck int }{{32, 6, 27}, {32, 13, 27}, {64, 48, 288}, {32, 7, 300}, {32, 1, 1}} {
		t.Run(fmt.Sprintf("o%d_n%d_ck%d", s.o, s.n, s.ck), func(t *testing.T) {
			w := make([]float32, s.o*s.ck)
			col := guardSlice(t, s.n*s.ck)
			for _, v := range [][]float32{w, col} {
				for i := range v {
					v[i] = float32(rng.NormFloat64())
				}
			}
			wp := guardSlice(t, s.o*s.ck)
			packPixWeight(wp, w, s.o, s.ck)
			got := guardSlice(t, s.n*s.o)
			pixGemm(s.o, s.n, s.ck, wp, col, got, make([]float32, pixGemmScratch(s.ck)))
			want := make([]float32, s.n*s.o)
			pixGemm(s.o, s.n, s.ck, append([]float32(nil), wp...), append([]float32(nil), col...), want,
				make([]float32, pixGemmScratch(s.ck)))
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("out[%d] = %v guarded, %v unguarded", i, got[i], want[i])
				}
			}
		})
	}
}

// TestNarrowDcolGuardPages runs narrowDcol (with AVX2, dcnGemm6x32AVX2
// storing its upper half first; with AVX-512, dcnGemm8x32) with gy's
// transpose, the padded weight and the column gradient of their exact
// lengths (the gradient's 32−ck values of slack included) ending on a
// PROT_NONE page, for every pixel count from 1 to 70, every column width
// ck from 1 to 31 (so a row's spill reaches several later rows where ck <
// 16) and 1 to 64 output channels: no read or write past an operand
// faults, and the column gradient has the bits of the GEMM's product
// gyT·Wᵀ (convBackward's), the slack apart. Products the GEMM multiplies
// with its plain loop (sgemmTinyProduct) are left out: backwardNarrow
// sends those to gemm.
func TestNarrowDcolGuardPages(t *testing.T) {
	if !narrowHere() {
		t.Skip("no AVX-512 or AVX2 GEMM kernels here: narrowDcol does not run")
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	rng := rand.New(rand.NewPCG(43, 44))
	for _, o := range []int{1, 3, 16, 32, 33, 64} {
		for ck := 1; ck < 32; ck++ { // a subtest each: its guarded pages unmapped at its end
			t.Run(fmt.Sprintf("o%d_ck%d", o, ck), func(t *testing.T) { testNarrowDcolGuard(t, rng, o, ck) })
		}
	}
}

// testNarrowDcolGuard is TestNarrowDcolGuardPages for o output channels
// and ck column values.
func testNarrowDcolGuard(t *testing.T, rng *rand.Rand, o, ck int) {
	t.Helper()
	for n := 1; n <= 70; n++ {
		if sgemmTinyProduct(n, ck, o) {
			continue
		}
		wT := make([]float32, o*ck)
		gyT := guardSlice(t, n*o)
		for _, v := range [][]float32{wT, gyT} {
			for i := range v {
				v[i] = float32(rng.NormFloat64())
			}
		}
		wn := guardSlice(t, o*32)
		for k := range o {
			copy(wn[k*32:][:ck], wT[k*ck:][:ck])
		}
		want := make([]float32, n*ck)
		gemm(false, false, n, ck, o, 1, gyT, o, wT, ck, 0, want, ck)
		got := guardSlice(t, n*ck+32-ck)
		narrowDcol(n, ck, o, gyT, wn, got, make([]float32, 8*o+8*32))
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("o %d, ck %d, n %d: dcol[%d] = %v, %v through the GEMM", o, ck, n, i, got[i], want[i])
			}
		}
	}
}

// TestDots4GuardPages runs dots4 (dcnDots4AVX: entries two at a time, an
// odd last one alone) on operands of their exact minimum lengths ending on
// a PROT_NONE page: the gradient rows with the last entry's n values (its
// masked 16-byte load reads no lane past them), the corner sums with the
// last entry's 4, the image with the last entry's bottom-right corner. No
// read or write past an operand faults, and the sums are those of the same
// call on ordinary slices.
func TestDots4GuardPages(t *testing.T) {
	if !vecOK {
		t.Skip("no AVX2: dots4 does not run")
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	rng := rand.New(rand.NewPCG(63, 64))
	const pix, wp = 4, 9
	for _, count := range []int{1, 2, 3, 6, 7} {
		for n := 1; n <= 4; n++ {
			base := make([]int32, count)
			for i := range base {
				base[i] = int32(rng.IntN(5 * wp))
			}
			base[count-1] = int32(5 * wp) // the last entry's corners end the image
			last := int(base[count-1])
			img := guardSlice(t, last*pix+wp*pix+pix+4)
			for i := range img {
				img[i] = 0
				if i%pix < n {
					img[i] = float32(rng.NormFloat64())
				}
			}
			g := guardSlice(t, count*n)
			for i := range g {
				g[i] = float32(rng.NormFloat64())
			}
			s := guardSlice(t, 4*count)
			if !dots4(img, pix, wp*pix, base, g, s, n) {
				t.Fatal("dots4 did not run with AVX2")
			}
			want := make([]float32, 4*count)
			dots4(append([]float32(nil), img...), pix, wp*pix, base, append([]float32(nil), g...), want, n)
			for i := range want {
				if math.Float32bits(s[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%d entries, n %d: s[%d] = %v, want %v", count, n, i, s[i], want[i])
				}
			}
		}
	}
}

// TestDotsGradAVXGuardPages runs dcnDotsGradAVX on operands of their exact
// lengths ending on a PROT_NONE page: the column gradient's rows with the
// last entry's c values (its masked loads read no lane past them), the
// padded image with its last pixel, the offsets, mask, their gradients and
// the positions with the last pixel's; offsets that send samples to the
// image's bottom-right corner (the largest bases) and outside it. No read
// or write past an operand faults, and the gradients are those of the
// same call on ordinary slices.
func TestDotsGradAVXGuardPages(t *testing.T) {
	if !dotsGradAVXOK() {
		t.Skip("no AVX2: dcnDotsGradAVX does not run")
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	rng := rand.New(rand.NewPCG(65, 66))
	for _, c := range []int{1, 2, 3} {
		const h, w, k = 4, 8, 9
		const p = h * w // 32: 2 groups of 16
		pos := guardSlice(t, 2*p)
		for q := range p {
			at := q/8*16 + q%8
			pos[at], pos[at+8] = math.Float32frombits(uint32(int32(q/w-1))), math.Float32frombits(uint32(int32(q%w-1)))
		}
		make4 := func(n int, fill func(i int) float32) (g, plain []float32) {
			g = guardSlice(t, n)
			for i := range g {
				g[i] = fill(i)
			}
			return g, append([]float32(nil), g...)
		}
		off, off0 := make4(2*k*p, func(i int) float32 {
			if i%3 == 0 {
				return float32(h + w) // far right and down: the largest bases, or outside
			}
			return float32(rng.NormFloat64() * 2)
		})
		mask, mask0 := make4(k*p, func(int) float32 { return float32(rng.Float64()) })
		rows, rows0 := make4(p*k*c, func(int) float32 { return float32(rng.NormFloat64()) })
		pad, pad0 := make4((h+2)*(w+2)*4, func(i int) float32 {
			if i%4 >= c {
				return 0
			}
			return float32(rng.NormFloat64())
		})
		doff, dm := guardSlice(t, 2*k*p), guardSlice(t, k*p)
		var idh, jdw [9]int32
		for q := range k {
			idh[q], jdw[q] = int32(q/3), int32(q%3)
		}
		p32 := unsafe.Slice((*int32)(unsafe.Pointer(&pos[0])), 2*p)
		run := func(off, mask, rows, pad, doff, dm []float32) {
			a := dcnDotsGradArgs{offY: &off[0], mk: &mask[0], doff: &doff[0], dm: &dm[0], rows: &rows[0],
				pos: &p32[0], groups: p / 16, idh: &idh[0], jdw: &jdw[0], k: k, pstride: 4 * p, rstride: 4 * k * c,
				c: c, pad: &pad[0], wp: w + 2, h: h, w: w}
			dcnDotsGradAVX(&a)
		}
		run(off, mask, rows, pad, doff, dm)
		doff0, dm0 := make([]float32, 2*k*p), make([]float32, k*p)
		run(off0, mask0, rows0, pad0, doff0, dm0)
		for i := range doff0 {
			if math.Float32bits(doff[i]) != math.Float32bits(doff0[i]) {
				t.Fatalf("c %d: doffset[%d] = %v, want %v", c, i, doff[i], doff0[i])
			}
		}
		for i := range dm0 {
			if math.Float32bits(dm[i]) != math.Float32bits(dm0[i]) {
				t.Fatalf("c %d: dmask[%d] = %v, want %v", c, i, dm[i], dm0[i])
			}
		}
	}
}
