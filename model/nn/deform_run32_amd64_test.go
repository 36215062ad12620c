//go:build amd64

package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// run32Operands is a random padded image of wp×hp pixels of pix values
// (wide magnitudes, NaN and ±0 among them), count entries whose corners
// fall anywhere in it (some shared, some neighbouring, the last one's
// bottom-right corner the image's last pixel) and their weights.
func run32Operands(rng *rand.Rand, pix, wp, hp, count int) (img []float32, base []int32, wts []float32) {
	rnd := func(k int) []float32 {
		v := make([]float32, k)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * math.Exp(rng.NormFloat64()*2))
			switch rng.IntN(40) {
			case 0:
				v[i] = float32(math.NaN())
			case 1:
				v[i] = float32(math.Copysign(0, -1))
			case 2:
				v[i] = 0
			}
		}
		return v
	}
	img = rnd(hp * wp * pix)
	last := (hp-1)*wp - 2
	base = make([]int32, count)
	for i := range base {
		base[i] = int32(rng.IntN(last + 1))
	}
	if count > 4 {
		base[3], base[4] = base[2], min(base[2]+1, int32(last))
	}
	base[count-1] = int32(last)
	return img, base, rnd(4 * count)
}

// TestRun32MatchesAVX samples runs of 32, 64 and 96 channels (in pixels of
// as many values or more: offset groups, a run starting inside its pixel)
// through dcnGather with gather32 (dcnGather32x2AVX2 and dcnGather32AVX2)
// and without (noRun32: dcnGatherAVX), 1 to 45 entries (pairs and an odd
// one), and wants the same bits in the columns and nothing written past
// their end; and gather32 running here for those runs and for no others.
func TestRun32MatchesAVX(t *testing.T) {
	if !vecOK || pixGemmOK() {
		t.Skip("no AVX2, or AVX-512 (whose kernels take these runs first)")
	}
	rng := rand.New(rand.NewPCG(141, 142))
	for _, s := range []struct{ n, pix, ch0 int }{
		{32, 32, 0}, {32, 40, 8}, {32, 64, 32}, {64, 64, 0}, {96, 104, 3},
	} {
		for count := 1; count <= 45; count++ {
			t.Run(fmt.Sprintf("n%d_pix%d_ch%d_count%d", s.n, s.pix, s.ch0, count), func(t *testing.T) {
				const wp, hp = 9, 7
				row := wp * s.pix
				img, base, wts := run32Operands(rng, s.pix, wp, hp, count)
				run := func(fast bool) []float32 {
					noRun32 = !fast
					defer func() { noRun32 = false }()
					col := make([]float32, count*s.n+1)
					col[count*s.n] = 7
					dcnGather(col[:count*s.n], img[s.ch0:], s.pix, row, base, wts, s.n)
					if col[count*s.n] != 7 {
						t.Fatal("the gather wrote past the columns' end")
					}
					return col[:count*s.n]
				}
				want, got := run(false), run(true)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("column[%d] = %v through gather32, %v without", i, got[i], want[i])
					}
				}
				if !gather32(make([]float32, count*s.n), img[s.ch0:], s.pix, row, base, wts, s.n) {
					t.Fatal("gather32 did not run")
				}
			})
		}
	}
	for _, n := range []int{8, 16, 24, 33, 48} {
		if gather32(make([]float32, 64*64), make([]float32, 64*64), 64, 64*4, []int32{0}, make([]float32, 4), n) {
			t.Fatalf("gather32 ran for runs of %d channels", n)
		}
	}
}

// TestRun32LayerSameBits runs deformable layers whose runs are a multiple
// of 32 channels (one offset group, or groups of 32) at 7×7 and odd sizes,
// batches that leave chunks short, with the column matrix kept or not, a
// mask or none, through Forward and Backward twice: once with gather32,
// once without (noRun32: dcnGatherAVX); the same bits in the output and
// every gradient (the forward's columns, and with the cache the weight
// gradient's, come from the gather).
func TestRun32LayerSameBits(t *testing.T) {
	if !vecOK || pixGemmOK() || !pixAVX2OK() {
		t.Skip("no AVX2 pixGemm here")
	}
	for _, s := range []struct {
		c, o, h, w, groups, batch int
		mask, relu, cache         bool
	}{
		{32, 32, 7, 7, 1, 64, true, true, false}, {32, 32, 7, 7, 1, 13, true, false, true},
		{32, 64, 5, 7, 1, 9, false, true, true}, {64, 32, 3, 5, 2, 11, true, true, false},
		{32, 32, 1, 3, 1, 7, true, false, true}, {96, 32, 6, 5, 1, 5, true, true, true},
		{32, 32, 9, 11, 1, 3, false, false, false},
	} {
		name := fmt.Sprintf("c%d_o%d_%dx%d_g%d_b%d_mask%v_relu%v_cache%v", s.c, s.o, s.h, s.w, s.groups, s.batch, s.mask, s.relu, s.cache)
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(s.c*s.h+s.w), uint64(s.batch)))
			gk := 9 * s.groups
			x, off := New[float32](s.batch, s.c, s.h, s.w), New[float32](s.batch, 2*gk, s.h, s.w)
			dy, mask := New[float32](s.batch, s.o, s.h, s.w), New[float32](s.batch, gk, s.h, s.w)
			fillNorm(rng, 1.5, x, off, dy, mask)
			if !s.mask {
				mask = nil
			}
			cfg := Conv2DConfig{In: s.c, Out: s.o, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: s.relu}
			run := func(fast bool) [][]float32 {
				noRun32 = !fast
				defer func() { noRun32 = false }()
				d, err := NewDeformConv2D[float32]("dcn", cfg, s.groups, rand.New(rand.NewPCG(7, 8)))
				if err != nil {
					t.Fatal(err)
				}
				d.NoColumnCache = !s.cache
				var out [][]float32
				for range 2 {
					for _, p := range d.Params() {
						clear(p.Grad.data)
					}
					y, err := d.Forward(x, off, mask)
					if err != nil {
						t.Fatal(err)
					}
					if d.wPix == nil {
						t.Fatal("forwardChunks did not run")
					}
					dx, doff, dmask, err := d.Backward(dy)
					if err != nil {
						t.Fatal(err)
					}
					out = [][]float32{append([]float32(nil), y.data...), dx.data, doff.data, d.Weight.Grad.data, d.Bias.Grad.data}
					if dmask != nil {
						out = append(out, dmask.data)
					}
				}
				return out
			}
			want, got := run(false), run(true)
			names := []string{"y", "dx", "doffset", "dweight", "dbias", "dmask"}
			for k := range want {
				for i := range want[k] {
					if math.Float32bits(got[k][i]) != math.Float32bits(want[k][i]) {
						t.Fatalf("%s[%d] = %v with gather32, %v without", names[k], i, got[k][i], want[k][i])
					}
				}
			}
		})
	}
}

// BenchmarkGather32 samples one image of the 7×7 layer (49 pixels of 9
// taps, 32 channels, a 9×9 padded image, sample points near each tap)
// through dcnGather with gather32 ("new") and without ("old":
// dcnGatherAVX).
func BenchmarkGather32(b *testing.B) {
	const n, wp, count = 32, 9, 49 * 9
	rng := rand.New(rand.NewPCG(1, 2))
	img := make([]float32, wp*wp*n)
	for i := range img {
		img[i] = float32(rng.NormFloat64())
	}
	base := make([]int32, count)
	for i := range base {
		p, k := i/9, i%9
		y, x := p/7+k/3+rng.IntN(3)-1, p%7+k%3+rng.IntN(3)-1
		base[i] = int32(min(max(y, 0), wp-2)*wp + min(max(x, 0), wp-2))
	}
	wts := make([]float32, 4*count)
	for i := range wts {
		wts[i] = float32(rng.Float64())
	}
	col := make([]float32, count*n)
	for _, old := range []bool{true, false} {
		b.Run(map[bool]string{true: "old", false: "new"}[old], func(b *testing.B) {
			noRun32 = old
			defer func() { noRun32 = false }()
			cpuLoop(b, 0, func() { dcnGather(col, img, n, wp*n, base, wts, n) })
		})
	}
}

// TestRun32NaNPayloads holds gather32 to dcnGatherAVX's bits where image
// values and weights are NaNs of distinct payloads and signs, ±Inf, ±0 and
// the largest float: which NaN operand an instruction keeps depends on the
// operands' order, which the random operands of the other tests (one
// canonical NaN) cannot see (the lane14s review's test).
func TestRun32NaNPayloads(t *testing.T) {
	if !vecOK || pixGemmOK() {
		t.Skip("no AVX2 route: gather32 does not run")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	special := []uint32{0x7fc00001, 0xffc00002, 0x7fa00003, 0xff800004, 0x7f800000, 0xff800000, 0x80000000, 0, 0x7f7fffff}
	val := func() float32 {
		if rng.IntN(4) == 0 {
			return math.Float32frombits(special[rng.IntN(len(special))])
		}
		return float32(rng.NormFloat64() * 1e3)
	}
	for _, n := range []int{32, 64, 96, 128} {
		for count := 1; count <= 9; count++ {
			pix, wp, hp := n+8, 5, 4
			row := wp * pix
			img := make([]float32, wp*hp*pix)
			for i := range img {
				img[i] = val()
			}
			last := (hp-1)*wp - 2
			base := make([]int32, count)
			for i := range base {
				base[i] = int32(rng.IntN(last + 1))
			}
			wts := make([]float32, 4*count)
			for i := range wts {
				wts[i] = val()
			}
			want := make([]float32, count*n)
			dcnGatherAVX(&want[0], &img[0], pix, row, &base[0], &wts[0], count, n)
			got := make([]float32, count*n)
			if !gather32(got, img, pix, row, base, wts, n) {
				t.Fatal("gather32 did not run")
			}
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("n=%d count=%d [%d]: %08x, want %08x", n, count, i,
						math.Float32bits(got[i]), math.Float32bits(want[i]))
				}
			}
		}
	}
}
