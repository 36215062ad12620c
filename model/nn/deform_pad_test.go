package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPadUnpad checks padImage and unpad against their definitions: the
// padded image is pixel-major with a ring of zeros (pixel stride pix(),
// lanes past C zero), and unpad reads the ring's inside back into C×H×W.
// Rows of a multiple of 8 pixels and narrow ones (the whole-image route),
// few channels and many (3: padImage's pixels of 4 placed at once); the
// padded buffer starts full of garbage.
func TestPadUnpad(t *testing.T) {
	for _, s := range []struct{ c, h, w int }{{32, 7, 7}, {32, 14, 14}, {8, 5, 13}, {16, 8, 16}, {3, 7, 9}, {3, 5, 64}, {3, 1, 1}, {12, 3, 6}, {32, 4, 64}, {8, 2, 7}, {16, 9, 7}, {12, 4, 7}, {64, 7, 7}, {8, 1, 7}, {16, 1, 7}} {
		t.Run(fmt.Sprintf("c%d_%dx%d", s.c, s.h, s.w), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(s.c), uint64(s.w)))
			d, err := NewDeformConv2D[float32]("dcn", Conv2DConfig{In: s.c, Out: 4, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, 1, nil)
			if err != nil {
				t.Fatal(err)
			}
			x := New[float32](2, s.c, s.h, s.w)
			for i := range x.data {
				x.data[i] = float32(rng.NormFloat64())
			}
			g, err := geometry("dcn", d.cfg, x)
			if err != nil {
				t.Fatal(err)
			}
			d.g, d.x = g, x
			pix, wp, hw := d.pix(), s.w+2, s.h*s.w
			var tab sampleTable[float32]
			tab.pad = make([]float32, (s.h+2)*wp*pix)
			for i := range tab.pad {
				tab.pad[i] = 99
			}
			d.padImage(&tab, 1)
			for r := -1; r <= s.h; r++ {
				for q := -1; q <= s.w; q++ {
					for c := range pix {
						want := float32(0)
						if r >= 0 && r < s.h && q >= 0 && q < s.w && c < s.c {
							want = x.data[(s.c+c)*hw+r*s.w+q]
						}
						if got := tab.pad[((r+1)*wp+q+1)*pix+c]; got != want {
							t.Fatalf("pad at row %d, column %d, channel %d = %v, want %v", r, q, c, got, want)
						}
					}
				}
			}
			tab.dpad = make([]float32, len(tab.pad))
			for i := range tab.dpad {
				tab.dpad[i] = float32(rng.NormFloat64())
			}
			dx := make([]float32, s.c*hw)
			d.unpad(&tab, dx)
			for c := range s.c {
				for r := range s.h {
					for q := range s.w {
						if got, want := dx[c*hw+r*s.w+q], tab.dpad[((r+1)*wp+q+1)*pix+c]; got != want {
							t.Fatalf("dx[%d][%d][%d] = %v, want %v", c, r, q, got, want)
						}
					}
				}
			}
		})
	}
}

// TestLeanFill: a fill inside Forward (lean: fy, fx, md and vv go to the
// sink) gives the same base and weights as a whole one, and marks the
// table as holding nothing, so that Backward fills it again.
func TestLeanFill(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 30))
	for _, s := range []struct{ c, hw, groups int }{{3, 20, 1}, {32, 7, 1}, {8, 9, 2}} {
		d, err := NewDeformConv2D[float32]("dcn", Conv2DConfig{In: s.c, Out: 4, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, s.groups, nil)
		if err != nil {
			t.Fatal(err)
		}
		x := New[float32](1, s.c, s.hw, s.hw)
		off := New[float32](1, 18*s.groups, s.hw, s.hw)
		mask := New[float32](1, 9*s.groups, s.hw, s.hw)
		for _, tt := range []*Tensor[float32]{x, off, mask} {
			for i := range tt.data {
				tt.data[i] = float32(rng.NormFloat64() * 2)
			}
		}
		g, _ := geometry("dcn", d.cfg, x)
		d.g, d.x, d.off, d.mask, d.gen = g, x, off, mask, 1
		var whole, lean sampleTable[float32]
		d.fill(&whole, 0)
		d.forwarding = true
		d.fill(&lean, 0)
		if k := d.holdKey(0); k != (tableKey{}) {
			t.Errorf("c%d: a lean fill holds %v", s.c, k)
		}
		d.forwarding = false
		if lean.fy != nil || lean.vv != nil {
			t.Errorf("c%d: a lean fill grew fy or vv", s.c)
		}
		if !slices.Equal(lean.base, whole.base) || !slices.Equal(lean.wts, whole.wts) {
			t.Errorf("c%d: a lean fill's base or weights differ from a whole fill's", s.c)
		}
		if k := d.holdKey(0); k != (tableKey{1, 0}) {
			t.Errorf("c%d: a whole fill holds %v", s.c, k)
		}
	}
}

// TestKeptTablesSameBits runs a deformable layer's Forward and Backward
// with the tables and pads kept from Forward (keepTables) and without
// (Backward fills and pads again), and wants the same bits in the output
// and every gradient, twice in a row (the second pass on the first's
// buffers) and on another number of workers: 7×7 maps of 32 channels (the
// MNIST shape), offset groups of 8 channels, 64 channels in 5×5, float32
// and float64, a mask or none. Where keepTables says no (no column cache,
// fewer than 16 channels a group) nothing is kept.
func TestKeptTablesSameBits(t *testing.T) {
	for _, s := range []struct {
		c, o, hw, groups, batch int
		mask, keep, f64         bool
		kept                    bool // keepTables' answer
	}{
		{32, 32, 7, 1, 6, true, true, false, true}, {32, 32, 7, 1, 11, false, true, false, true},
		{32, 32, 9, 2, 4, true, true, false, true}, {64, 32, 5, 1, 7, true, true, false, true},
		{16, 32, 9, 2, 4, true, true, false, false},
		{32, 16, 7, 1, 3, true, true, true, true},
		{32, 32, 7, 1, 3, true, false, false, false}, {4, 32, 7, 1, 3, true, true, false, false},
	} {
		name := fmt.Sprintf("c%d_o%d_%dpx_g%d_b%d_mask%v_cache%v_f64%v", s.c, s.o, s.hw, s.groups, s.batch, s.mask, s.keep, s.f64)
		t.Run(name, func(t *testing.T) {
			if s.f64 {
				testKeptTables[float64](t, s.c, s.o, s.hw, s.groups, s.batch, s.mask, s.keep, s.kept)
				return
			}
			testKeptTables[float32](t, s.c, s.o, s.hw, s.groups, s.batch, s.mask, s.keep, s.kept)
		})
	}
}

func testKeptTables[T Float](t *testing.T, c, o, hw, groups, batch int, withMask, keep, kept bool) {
	rng := rand.New(rand.NewPCG(uint64(c*hw), uint64(batch)))
	gk := 9 * groups
	x, off, dy := New[T](batch, c, hw, hw), New[T](batch, 2*gk, hw, hw), New[T](batch, o, hw, hw)
	mask := New[T](batch, gk, hw, hw)
	fillNorm(rng, 1.5, x, off, dy, mask)
	if !withMask {
		mask = nil
	}
	cfg := Conv2DConfig{In: c, Out: o, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}
	run := func(noKeep bool) [][]T {
		d, err := NewDeformConv2D[T]("dcn", cfg, groups, rand.New(rand.NewPCG(7, 8)))
		if err != nil {
			t.Fatal(err)
		}
		d.noKeepTabs, d.NoColumnCache = noKeep, !keep
		return trainTwice(t, d, x, off, mask, dy, func() {
			if want := kept && !noKeep; d.keepTabs != want {
				t.Fatalf("tables kept: %v, want %v", d.keepTabs, want)
			}
		})
	}
	want, got := run(true), run(false)
	old := setWorkers(3)
	other := run(false)
	setWorkers(old)
	sameLayerBits(t, want, got, other, "with the tables kept", "filled again")
}

// TestPermute checks permute against its definition: the weight's
// O×C×kh×kw order to the column order O×G×kh·kw×(C/G), and back added
// onto what is there; one group and several, one tap and nine, float64
// and float32 (transposeInto's 8×8 blocks in assembly where the GEMM
// kernels run).
func TestPermute(t *testing.T) {
	testPermute[float64](t)
	testPermute[float32](t)
}

func testPermute[T Float](t *testing.T) {
	for _, s := range []struct{ o, c, k, groups int }{
		{4, 6, 3, 1}, {3, 6, 3, 2}, {2, 9, 1, 3}, {5, 32, 3, 1}, {32, 32, 3, 1}, {3, 32, 3, 2},
		{2, 8, 5, 1}, {2, 16, 4, 1}, {3, 24, 2, 3}, {2, 12, 3, 1},
	} {
		d, err := NewDeformConv2D[T]("dcn", Conv2DConfig{In: s.c, Out: s.o, Kernel: [2]int{s.k, s.k}}, s.groups, nil)
		if err != nil {
			t.Fatal(err)
		}
		d.g = geom{O: s.o, C: s.c, KH: s.k, KW: s.k}
		K, cpg, ck := s.k*s.k, s.c/s.groups, s.c*s.k*s.k
		w := make([]T, s.o*ck)
		for i := range w {
			w[i] = T(i + 1)
		}
		wT := make([]T, len(w))
		d.permute(wT, w, false)
		back := make([]T, len(w))
		for i := range back {
			back[i] = 0.5
		}
		d.permute(back, wT, true)
		for o := range s.o {
			for ch := range s.c {
				for k := range K {
					i := o*ck + ch*K + k
					j := o*ck + (ch/cpg*K+k)*cpg + ch%cpg
					if wT[j] != w[i] || back[i] != w[i]+0.5 {
						t.Fatalf("%+v: o %d, c %d, tap %d: column order %v, back %v, want %v", s, o, ch, k, wT[j], back[i], w[i])
					}
				}
			}
		}
	}
}

// TestPadReuse pads images of several shapes one after another into one
// table (padImage clears its ring and padding lanes only when the shape
// changes): a larger image, then smaller ones of more and of fewer
// channels, then the first again; each time the ring and the lanes past C
// must be zero and the inside the image.
func TestPadReuse(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 55))
	var tab sampleTable[float32]
	for _, s := range []struct{ c, h, w int }{{32, 14, 14}, {32, 7, 7}, {32, 7, 7}, {3, 7, 7}, {8, 7, 7}, {3, 9, 9}, {3, 9, 9}, {32, 5, 11},
		{32, 14, 14}} {
		d, err := NewDeformConv2D[float32]("dcn", Conv2DConfig{In: s.c, Out: 4, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		x := New[float32](2, s.c, s.h, s.w)
		for i := range x.data {
			x.data[i] = float32(rng.NormFloat64()) + 10 // never 0
		}
		g, err := geometry("dcn", d.cfg, x)
		if err != nil {
			t.Fatal(err)
		}
		d.g, d.x = g, x
		pix, wp, hw := d.pix(), s.w+2, s.h*s.w
		for b := range 2 {
			d.padImage(&tab, b)
			for r := -1; r <= s.h; r++ {
				for q := -1; q <= s.w; q++ {
					for c := range pix {
						want := float32(0)
						if r >= 0 && r < s.h && q >= 0 && q < s.w && c < s.c {
							want = x.data[(b*s.c+c)*hw+r*s.w+q]
						}
						if got := tab.pad[((r+1)*wp+q+1)*pix+c]; got != want {
							t.Fatalf("%+v, image %d: pad at row %d, column %d, channel %d = %v, want %v", s, b, r, q, c, got, want)
						}
					}
				}
			}
		}
	}
}

// TestPadRows7 runs padRows7 itself (padImage's 7-wide route, where the
// GEMM kernels run) on pads whose ring is zero and whose inside holds 99s,
// for 8 to 64 channels and 2 to 9 rows, and checks every value: the
// image's inside, the ring still zero.
func TestPadRows7(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, c := range []int{8, 16, 24, 32, 64} {
		for h := 2; h <= 9; h++ {
			hw, wp := 7*h, 9
			x := make([]float32, c*hw)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			pad := make([]float32, (h+2)*wp*c)
			for r := 1; r <= h; r++ {
				for q := 1; q <= 7; q++ {
					for ch := range c {
						pad[(r*wp+q)*c+ch] = 99
					}
				}
			}
			if !padRows7(x, h, c, pad) {
				if haveSgemmKernels() {
					t.Fatal("padRows7 did not run where the GEMM kernels do")
				}
				t.Skip("no GEMM kernels: padRows7 does not run")
			}
			checkPad7(t, x, h, c, pad)
		}
	}
}

// checkPad7 checks padRows7's output pad for the c×h×7 image x: every
// value of the image's inside, the ring (one pixel all round) zero.
func checkPad7(t *testing.T, x []float32, h, c int, pad []float32) {
	t.Helper()
	hw := 7 * h
	for r := -1; r <= h; r++ {
		for q := -1; q <= 7; q++ {
			for ch := range c {
				want := float32(0)
				if r >= 0 && r < h && q >= 0 && q < 7 {
					want = x[ch*hw+r*7+q]
				}
				if got := pad[((r+1)*9+q+1)*c+ch]; got != want {
					t.Fatalf("c %d, h %d: pad at row %d, column %d, channel %d = %v, want %v", c, h, r, q, ch, got, want)
				}
			}
		}
	}
}

// sameLayerBits wants the same bits in each of a deformable layer's
// outputs (y, dx, d(offset), dW, db and, where there is one, d(mask)) from
// want (the reference route's run, described by ref) and from got and
// other (the route under test, described by route, on 1 and 3 workers).
func sameLayerBits[T Float](t *testing.T, want, got, other [][]T, route, ref string) {
	t.Helper()
	names := []string{"y", "dx", "doffset", "dweight", "dbias", "dmask"}
	for k := range want {
		for i := range want[k] {
			w := math.Float64bits(float64(want[k][i]))
			if math.Float64bits(float64(got[k][i])) != w || math.Float64bits(float64(other[k][i])) != w {
				t.Fatalf("%s[%d] = %v %s (%v on 3 workers), %v %s", names[k], i, got[k][i], route, other[k][i], want[k][i], ref)
			}
		}
	}
}

// trainTwice runs d's training Forward and Backward twice in a row on the
// same inputs (the second pass on the first's buffers), the gradients
// cleared before each, and returns the second pass's outputs as
// sameLayerBits takes them: y, dx, d(offset), dW, db and, with a mask,
// d(mask). Between Forward and Backward it calls between (nil: nothing),
// where a test checks or resets the route a pass takes.
func trainTwice[T Float](t *testing.T, d *DeformConv2D[T], x, off, mask, dy *Tensor[T], between func()) [][]T {
	t.Helper()
	var out [][]T
	for range 2 {
		for _, p := range d.Params() {
			clear(p.Grad.data)
		}
		y, err := d.Forward(x, off, mask)
		if err != nil {
			t.Fatal(err)
		}
		if between != nil {
			between()
		}
		dx, doff, dmask, err := d.Backward(dy)
		if err != nil {
			t.Fatal(err)
		}
		out = [][]T{y.data, dx.data, doff.data, d.Weight.Grad.data, d.Bias.Grad.data}
		if dmask != nil {
			out = append(out, dmask.data)
		}
	}
	return out
}
