package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestConvBackwardAddSameBits checks that BackwardAdd leaves in its
// accumulator the bits of Backward's dx added to it with addTo (zeros of
// both signs and values of every magnitude among the accumulator's), and
// the same weight and bias gradients, on every route: F(4×4) with the
// fused scatter (tiles a multiple of 16) and without, F(2×2), the tap sum
// and the columns, with and without ReLU, at 1 and 2 workers.
func TestConvBackwardAddSameBits(t *testing.T) {
	type tcase struct {
		name       string
		cfg        Conv2DConfig
		b, h, w    int
		route      string // "wino4", "wino2", "taps", "columns"
		wantTile   int
		wantFusedS bool
	}
	cases := []tcase{
		{"side 32→27 64×64", Conv2DConfig{In: 32, Out: 27, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, 2, 64, 64,
			"", 4, true},
		{"conv3 32→64 32×32 ReLU", Conv2DConfig{In: 32, Out: 64, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1},
			ReLU: true}, 2, 32, 32, "", 4, true},
		{"F(4×4) ragged 8→6 13×18", Conv2DConfig{In: 8, Out: 6, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, 3,
			13, 18, "wino4", 4, false},
		{"F(2×2) 8→6 9×11", Conv2DConfig{In: 8, Out: 6, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1},
			ReLU: true}, 3, 9, 11, "wino2", 2, false},
		{"taps 16→24 7×7", Conv2DConfig{In: 16, Out: 24, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, 5, 7, 7,
			"taps", 0, false},
		{"columns 3→8 10×16 no bias", Conv2DConfig{In: 3, Out: 8, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1},
			NoBias: true}, 3, 10, 16, "columns", 0, false},
	}
	old := Workers()
	defer setWorkers(old)
	for _, tc := range cases {
		for _, workers := range []int{1, 2} {
			setWorkers(workers)
			mk := func() (*Conv2D[float32], *Tensor[float32]) {
				rng := rand.New(rand.NewPCG(uint64(tc.h), uint64(tc.cfg.In)))
				c, err := NewConv2D[float32]("c", tc.cfg, rng)
				if err != nil {
					t.Fatal(err)
				}
				switch tc.route {
				case "wino4", "wino2":
					c.forceWino, c.winoForceM = true, tc.wantTile
				case "taps":
					c.forceTaps, c.noWino = true, true
				case "columns":
					c.noTaps, c.noWino = true, true
				}
				x := New[float32](tc.b, tc.cfg.In, tc.h, tc.w)
				wino4Fill(rng, x.data)
				return c, x
			}
			c1, x := mk()
			c2, _ := mk()
			y1, err := c1.Forward(x, true)
			if err != nil {
				t.Fatal(err)
			}
			if got := c1.winoTile(); got != tc.wantTile {
				t.Fatalf("%s: Winograd tile %d, want %d", tc.name, got, tc.wantTile)
			}
			if fused := tc.wantTile == 4 && c1.g.wino(4).tpi%16 == 0; fused != tc.wantFusedS {
				t.Fatalf("%s: fused scatter %v, want %v", tc.name, fused, tc.wantFusedS)
			}
			if tc.route == "taps" && !c1.tapsOK() {
				t.Fatalf("%s: not on the tap-sum route", tc.name)
			}
			if _, err := c2.Forward(x, true); err != nil {
				t.Fatal(err)
			}
			dy := New[float32](y1.Shape()...)
			wino4Fill(rand.New(rand.NewPCG(5, uint64(tc.w))), dy.data)
			acc := New[float32](x.Shape()...)
			wino4Fill(rand.New(rand.NewPCG(6, uint64(tc.w))), acc.data)
			for i := range acc.data {
				if i%5 == 1 {
					acc.data[i] = float32(math.Copysign(0, float64(i%3)-1))
				}
			}
			want := slices.Clone(acc.data)
			dx, err := c1.Backward(dy)
			if err != nil {
				t.Fatal(err)
			}
			addTo(want, dx.data)
			if err := c2.BackwardAdd(dy, acc); err != nil {
				t.Fatal(err)
			}
			same := func(what string, got, want []float32) {
				t.Helper()
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s (%d workers): %s[%d] = %v, Backward and addTo %v", tc.name, workers, what, i,
							got[i], want[i])
					}
				}
			}
			same("acc", acc.data, want)
			same("dW", c2.Weight.Grad.data, c1.Weight.Grad.data)
			if c1.Bias != nil {
				same("db", c2.Bias.Grad.data, c1.Bias.Grad.data)
			}
		}
	}
}

// TestConvBackwardAddErrors checks BackwardAdd's errors: a missing or
// misshapen accumulator is named, and with NoInputGrad the accumulator
// is left as it is.
func TestConvBackwardAddErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	c, err := NewConv2D[float32]("side", Conv2DConfig{In: 4, Out: 3, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, rng)
	if err != nil {
		t.Fatal(err)
	}
	x := New[float32](2, 4, 6, 6)
	wino4Fill(rng, x.data)
	if err := c.BackwardAdd(New[float32](2, 3, 6, 6), New[float32](2, 4, 6, 6)); err == nil ||
		!strings.Contains(err.Error(), "side: Backward called before Forward") {
		t.Fatalf("BackwardAdd before Forward: error %v", err)
	}
	y, err := c.Forward(x, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		acc  *Tensor[float32]
		want string
	}{
		{nil, "side: BackwardAdd without a gradient to add to, want 2×4×6×6"},
		{New[float32](2, 4, 6, 5), "side: gradient to add to has shape 2×4×6×5, want 2×4×6×6"},
	} {
		err := c.BackwardAdd(y, tc.acc)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("BackwardAdd(%v): error %v, want %q", tc.acc, err, tc.want)
		}
	}
	// Into the tensor Backward returned: the tap-sum and column routes
	// would rewrite it before adding.
	dx, err := c.Backward(y)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.BackwardAdd(y, dx); err == nil || !strings.Contains(err.Error(), "side: BackwardAdd into the input gradient its last Backward returned") {
		t.Fatalf("BackwardAdd into Backward's dx: error %v", err)
	}
	c.NoInputGrad = true
	acc := New[float32](2, 4, 6, 6)
	wino4Fill(rng, acc.data)
	acc0 := slices.Clone(acc.data)
	if err := c.BackwardAdd(y, acc); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(acc.data, acc0) {
		t.Fatal("BackwardAdd with NoInputGrad changed the accumulator")
	}
}

// TestDeformBlockBackwardAddSameBits compares DeformBlock.Backward, which
// has the side convolution add its input gradient into the deformable
// convolution's (BackwardAdd), with the side convolution's Backward and
// addTo after it, bit for bit: the side convolution on F(4×4) with the
// scatter's adding pass (32 channels at 32×32) and on the tap-sum route.
func TestDeformBlockBackwardAddSameBits(t *testing.T) {
	for _, s := range []struct{ c, o, hw int }{{32, 32, 32}, {3, 8, 12}} {
		run := func(noAdd bool) [][]float32 {
			blockNoBackwardAdd = noAdd
			defer func() { blockNoBackwardAdd = false }()
			rng := rand.New(rand.NewPCG(uint64(s.c), uint64(s.hw)))
			b, err := NewDeformBlock[float32]("blk", DeformBlockConfig{
				Conv2DConfig: Conv2DConfig{In: s.c, Out: s.o, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}}, rng)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range b.Params() {
				for i := range p.Value.data {
					p.Value.data[i] = float32(rng.NormFloat64() * 0.2)
				}
			}
			x := New[float32](2, s.c, s.hw, s.hw)
			wino4Fill(rng, x.data)
			y, err := b.Forward(x, true)
			if err != nil {
				t.Fatal(err)
			}
			dy := New[float32](y.Shape()...)
			wino4Fill(rng, dy.data)
			dx, err := b.Backward(dy)
			if err != nil {
				t.Fatal(err)
			}
			out := [][]float32{slices.Clone(dx.data)}
			for _, p := range b.Params() {
				out = append(out, slices.Clone(p.Grad.data))
			}
			return out
		}
		want, got := run(true), run(false)
		for k := range want {
			for i := range want[k] {
				if math.Float32bits(got[k][i]) != math.Float32bits(want[k][i]) {
					t.Fatalf("c%d %dpx: output %d element %d = %v with BackwardAdd, %v with Backward and addTo",
						s.c, s.hw, k, i, got[k][i], want[k][i])
				}
			}
		}
	}
}
