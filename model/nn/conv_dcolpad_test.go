package nn

import (
	"fmt"
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
// column cache or none, float64 (never padded); and products small enough
// for gemm's plain loop (a 1×1 kernel on a 1×1 map, 2 output channels, in
// batches of 1 and 257: a last chunk of one pixel; one input channel to 4
// outputs on a 1×1 map), which stay as they were.
// Where the AVX2 kernels run it checks that the padded route ran where it
// should. The layer is kept off the banded, narrow and small backward
// routes, which take some of these shapes on AVX-512.
func TestDcolPadRowsSameBits(t *testing.T) {
	for _, s := range []struct {
		c, o, hw, k, groups, batch int
		mask, relu, noCache        bool
	}{
		{32, 32, 7, 3, 1, 64, true, false, false}, {32, 32, 7, 3, 1, 11, false, true, false},
		{32, 32, 7, 3, 1, 13, true, true, true}, {64, 32, 5, 3, 1, 7, true, false, false},
		{32, 16, 9, 3, 2, 5, true, true, false}, {32, 20, 7, 3, 1, 9, true, false, false},
		{16, 9, 7, 3, 1, 10, true, false, false}, {16, 7, 6, 3, 1, 9, false, true, false},
		{16, 3, 7, 3, 1, 5, true, false, false}, {16, 8, 11, 3, 1, 4, true, false, false},
		{32, 2, 1, 1, 1, 1, true, false, false}, {32, 2, 1, 1, 1, 257, true, false, false},
		{1, 4, 1, 3, 1, 1, true, false, false},
	} {
		name := fmt.Sprintf("c%d_o%d_%dpx_k%d_g%d_b%d_mask%v_relu%v_nocache%v", s.c, s.o, s.hw, s.k, s.groups, s.batch, s.mask, s.relu, s.noCache)
		t.Run(name, func(t *testing.T) {
			testDcolPad[float32](t, s.c, s.o, s.hw, s.k, s.groups, s.batch, s.mask, s.relu, s.noCache)
			if s.batch == 11 {
				testDcolPad[float64](t, s.c, s.o, s.hw, s.k, s.groups, s.batch, s.mask, s.relu, s.noCache)
			}
		})
	}
}

func testDcolPad[T Float](t *testing.T, c, o, hw, k, groups, batch int, withMask, relu, noCache bool) {
	rng := rand.New(rand.NewPCG(uint64(c*hw), uint64(batch)))
	gk := k * k * groups
	x, off, dy := New[T](batch, c, hw, hw), New[T](batch, 2*gk, hw, hw), New[T](batch, o, hw, hw)
	mask := New[T](batch, gk, hw, hw)
	fillNorm(rng, 1.5, x, off, dy, mask)
	if !withMask {
		mask = nil
	}
	cfg := Conv2DConfig{In: c, Out: o, Kernel: [2]int{k, k}, Padding: [2]int{k / 2, k / 2}, ReLU: relu}
	run := func(noPad bool) [][]T {
		saved, savedSA := noDcolPad, noDwSumAB
		noDcolPad, noDwSumAB = noPad, noPad
		defer func() { noDcolPad, noDwSumAB = saved, savedSA }()
		d, err := NewDeformConv2D[T]("dcn", cfg, groups, rand.New(rand.NewPCG(7, 8)))
		if err != nil {
			t.Fatal(err)
		}
		d.NoColumnCache = noCache
		d.noBands, d.noNarrow, d.noSmall = true, true, true
		// The hook checks the routes of the Backward before it (if any),
		// then resets their flags; the last one's are checked after.
		checked := false
		out := trainTwice(t, d, x, off, mask, dy, func() {
			if _, banded := d.deformBands(); banded || d.narrowOK() || d.smallOK() {
				t.Fatal("the layer does not take convBackward")
			}
			if checked {
				checkDcolRoutes[T](t, d, o, noPad)
			}
			checked = true
			dcolPadRan.Store(false)
			dwSumABRan.Store(false)
		})
		checkDcolRoutes[T](t, d, o, noPad)
		return out
	}
	want, got := run(true), run(false)
	old := setWorkers(3)
	other := run(false)
	setWorkers(old)
	sameLayerBits(t, want, got, other, "padded", "not")
}

// checkDcolRoutes checks that the Backward just run on d padded dcol's
// rows (dcolPadRows) and multiplied dW through dwSumAB exactly where they
// should: float32 on the AVX2 kernels, a chunk of pixels not a multiple of
// 6 padded and a product larger than gemm's plain loop multiplied by
// dwSumAB (4 or more output channels), neither with noPad.
func checkDcolRoutes[T Float](t *testing.T, d *DeformConv2D[T], o int, noPad bool) {
	t.Helper()
	_, f32 := any(T(0)).(float32)
	padded, summed := false, false
	per, n := chunking(d.g.B, d.g.pc())
	for c := range n {
		ld, ck := (min(d.g.B, (c+1)*per)-c*per)*d.g.pc(), d.g.ck()
		padded = padded || ld%6 != 0 && !sgemmTinyProduct(ld, ck, o)
		summed = summed || !sgemmTinyProduct(o, ck, ld)
	}
	if want := f32 && !noPad && pixAVX2OK() && padded; dcolPadRan.Load() != want {
		t.Fatalf("padded route ran: %v, want %v", dcolPadRan.Load(), want)
	}
	if want := f32 && !noPad && sumABTapsYOK() && o >= 4 && summed; dwSumABRan.Load() != want {
		t.Fatalf("dwSumAB ran: %v, want %v", dwSumABRan.Load(), want)
	}
}
