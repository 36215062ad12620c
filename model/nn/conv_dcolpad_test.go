package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestDcolPadRowsSameBits runs a deformable layer's training Forward and
// Backward through convBackwardM with the column gradient's rows padded to
// the GEMM's panels (dcolPadRows) and without: the same bits in the output
// and every gradient, twice in a row (the second pass on the first's
// buffers) and on 1 and 3 workers. 7×7 maps of 32 channels in batches of
// 64 (chunks of 245 pixels, the MNIST shape) and 11, 5×5 of 64 channels,
// 9×9 with two offset groups, a mask or none, a fused ReLU or none, the
// column cache or none, float64 (never padded). Where the AVX2 kernels run
// it checks that the padded route ran.
func TestDcolPadRowsSameBits(t *testing.T) {
	for _, s := range []struct {
		c, o, hw, groups, batch int
		mask, relu, noCache     bool
	}{
		{32, 32, 7, 1, 64, true, false, false}, {32, 32, 7, 1, 11, false, true, false},
		{32, 32, 7, 1, 13, true, true, true}, {64, 32, 5, 1, 7, true, false, false},
		{32, 16, 9, 2, 5, true, true, false}, {32, 20, 7, 1, 9, true, false, false},
		{16, 9, 7, 1, 10, true, false, false}, {16, 7, 6, 1, 9, false, true, false},
		{16, 3, 7, 1, 5, true, false, false}, {16, 8, 11, 1, 4, true, false, false},
	} {
		name := fmt.Sprintf("c%d_o%d_%dpx_g%d_b%d_mask%v_relu%v_nocache%v", s.c, s.o, s.hw, s.groups, s.batch, s.mask, s.relu, s.noCache)
		t.Run(name, func(t *testing.T) {
			testDcolPad[float32](t, s.c, s.o, s.hw, s.groups, s.batch, s.mask, s.relu, s.noCache)
			if s.batch == 11 {
				testDcolPad[float64](t, s.c, s.o, s.hw, s.groups, s.batch, s.mask, s.relu, s.noCache)
			}
		})
	}
}

func testDcolPad[T Float](t *testing.T, c, o, hw, groups, batch int, withMask, relu, noCache bool) {
	rng := rand.New(rand.NewPCG(uint64(c*hw), uint64(batch)))
	gk := 9 * groups
	x, off, dy := New[T](batch, c, hw, hw), New[T](batch, 2*gk, hw, hw), New[T](batch, o, hw, hw)
	mask := New[T](batch, gk, hw, hw)
	fillNorm(rng, 1.5, x, off, dy, mask)
	if !withMask {
		mask = nil
	}
	cfg := Conv2DConfig{In: c, Out: o, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: relu}
	run := func(noPad bool) [][]T {
		saved, savedSA := noDcolPad, noDwSumAB
		noDcolPad, noDwSumAB = noPad, noPad
		defer func() { noDcolPad, noDwSumAB = saved, savedSA }()
		d, err := NewDeformConv2D[T]("dcn", cfg, groups, rand.New(rand.NewPCG(7, 8)))
		if err != nil {
			t.Fatal(err)
		}
		d.NoColumnCache = noCache
		var out [][]T
		for range 2 {
			for _, p := range d.Params() {
				clear(p.Grad.data)
			}
			y, err := d.Forward(x, off, mask)
			if err != nil {
				t.Fatal(err)
			}
			if _, banded := d.deformBands(); banded || d.narrowOK() || d.smallOK() {
				t.Fatal("the layer does not take convBackward")
			}
			dcolPadRan.Store(false)
			dwSumABRan.Store(false)
			dx, doff, dmask, err := d.Backward(dy)
			if err != nil {
				t.Fatal(err)
			}
			_, f32 := any(T(0)).(float32)
			ragged := false // a chunk of pixels not a multiple of 6
			per, n := chunking(d.g.B, d.g.pc())
			for c := range n {
				ragged = ragged || (min(d.g.B, (c+1)*per)-c*per)*d.g.pc()%6 != 0
			}
			if want := f32 && !noPad && pixAVX2OK() && ragged; dcolPadRan.Load() != want {
				t.Fatalf("padded route ran: %v, want %v", dcolPadRan.Load(), want)
			}
			if want := f32 && !noPad && sumABTapsYOK() && o >= 4; dwSumABRan.Load() != want {
				t.Fatalf("dwSumAB ran: %v, want %v", dwSumABRan.Load(), want)
			}
			out = [][]T{y.data, dx.data, doff.data, d.Weight.Grad.data, d.Bias.Grad.data}
			if dmask != nil {
				out = append(out, dmask.data)
			}
		}
		return out
	}
	want, got := run(true), run(false)
	old := setWorkers(3)
	other := run(false)
	setWorkers(old)
	names := []string{"y", "dx", "doffset", "dweight", "dbias", "dmask"}
	for k := range want {
		for i := range want[k] {
			w := math.Float64bits(float64(want[k][i]))
			if math.Float64bits(float64(got[k][i])) != w || math.Float64bits(float64(other[k][i])) != w {
				t.Fatalf("%s[%d] = %v padded (%v on 3 workers), %v not", names[k], i, got[k][i], other[k][i], want[k][i])
			}
		}
	}
}
