package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestFillAVXMatchesGo fills sampling tables with the AVX2 kernels (every
// tap of 16 pixels at a time with dcnFillTAVX where the fill is lean and
// there are 8 taps or more; otherwise, and with noFillTAVX, tap by tap
// with dcnFillAVX) and with the Go loop
// (vecOK off), whole and lean, and wants the same bits in every field:
// offsets of every kind (fractional, integral, exactly on the border, far
// outside, huge, −0, NaN and ±Inf), with and without a mask, strides 1 and
// 2, one and two offset groups, 2×2 (4 and 8 taps: below and at
// dcnFillTAVX's least), 3×3 and 7×7 kernels (9, 18 and 49 taps: an
// overlapping last block of the bases' transposition), 3×5 and 5×2 ones
// (fillRangeLean counts the taps' rows and columns), rows of 8·k pixels
// and ragged ones, ranges that start and end inside a row. Every base is
// within [0, baseLimit()], the bound the sampling kernels check once.
func TestFillAVXMatchesGo(t *testing.T) {
	if !vecOK {
		t.Skip("no AVX2 here; the Go loop runs alone")
	}
	special := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.5, -0.5, 2, -2.25, 7, -7, 100, -100,
		1e-8, -1e-8, 1e30, -1e30, 3e9, -3e9, 1 << 24, float32(math.NaN()), float32(math.Inf(1)),
		float32(math.Inf(-1)), 0.9999999, -0.9999999, -1.0000001, 1.0000001}
	ranTaps, ranWhole := false, false
	for _, s := range []struct {
		name          string
		c, hw, stride int
		groups, k     int
		mask          bool
		kw            int // the kernel's width where not k
	}{
		{"16px", 2, 16, 1, 1, 3, true, 0}, {"13px", 3, 13, 1, 1, 3, true, 0}, {"7px", 2, 7, 1, 1, 3, true, 0},
		{"nomask", 2, 24, 1, 1, 3, false, 0}, {"stride2", 2, 21, 2, 1, 3, true, 0}, {"groups2", 4, 17, 1, 2, 3, true, 0},
		{"64px", 3, 64, 1, 1, 3, true, 0}, {"2x2", 2, 11, 1, 1, 2, true, 0}, {"2x2groups2", 4, 19, 1, 2, 2, true, 0},
		{"7x7", 3, 9, 1, 1, 7, true, 0}, {"7x7nomask", 2, 14, 1, 1, 7, false, 0}, {"5x5stride2", 2, 23, 2, 1, 5, true, 0},
		{"1px", 1, 1, 1, 1, 3, true, 0}, {"3px", 2, 3, 1, 1, 3, true, 0},
		{"3x5groups2", 4, 15, 1, 2, 3, true, 5}, {"5x2", 2, 18, 1, 1, 5, false, 2},
	} {
		t.Run(s.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(s.hw), 5))
			kw := s.k
			if s.kw > 0 {
				kw = s.kw
			}
			cfg := Conv2DConfig{In: s.c, Out: 4, Kernel: [2]int{s.k, kw}, Padding: [2]int{s.k / 2, kw / 2},
				Stride: [2]int{s.stride, s.stride}}
			d, err := NewDeformConv2D[float32]("dcn", cfg, s.groups, rng)
			if err != nil {
				t.Fatal(err)
			}
			x := New[float32](2, s.c, s.hw, s.hw)
			g, err := geometry("dcn", d.cfg, x)
			if err != nil {
				t.Fatal(err)
			}
			gk := s.groups * s.k * kw
			off := New[float32](2, 2*gk, g.Ho, g.Wo)
			for i := range off.data {
				switch rng.IntN(4) {
				case 0:
					off.data[i] = special[rng.IntN(len(special))]
				case 1:
					off.data[i] = float32(rng.IntN(9) - 4)
				default:
					off.data[i] = float32(rng.NormFloat64() * 3)
				}
			}
			var mask *Tensor[float32]
			if s.mask {
				mask = New[float32](2, gk, g.Ho, g.Wo)
				for i := range mask.data {
					mask.data[i] = float32(rng.NormFloat64())
					if i%13 == 0 {
						mask.data[i] = special[rng.IntN(len(special))]
					}
				}
			}
			d.g, d.x, d.off, d.mask = g, x, off, mask
			defer func() { noFillTAVX, d.forwarding = false, false }()
			// Each fill with the pixels' positions computed tile by tile
			// (the layer's array left from rows one pixel wider, which
			// pixelPos must refuse), then from the layer's array (pixPos,
			// as after Forward) where a tile starts a group of 8 pixels.
			for _, layerPos := range []bool{false, true} {
				d.g.Wo++
				d.setPixelPos()
				d.g.Wo--
				if layerPos {
					d.setPixelPos()
				}
				for _, mode := range []struct{ perTap, lean bool }{{false, false}, {false, true}, {true, false}, {true, true}} {
					noFillTAVX, d.forwarding = mode.perTap, mode.lean
					for b := range 2 {
						for _, r := range [][2]int{{0, g.p()}, {3, g.p() - 2}, {1, g.p()}, {8, g.p()}} {
							if r[1] <= r[0] {
								continue
							}
							if _, ok := d.pixelPos(r[0], (r[1]-r[0])/8*8); ok != (layerPos && r[0]%8 == 0) {
								t.Fatalf("pixels %v: the layer's positions taken: %v", r, ok)
							}
							var got, want sampleTable[float32]
							fillTRan.Store(false)
							d.fillRange(&got, b, r[0], r[1])
							// Where AVX-512 runs, lean fills take dcnFill512T instead.
							np := r[1] - r[0]
							ran := !mode.perTap && fillTAVXOK(gk) && !fill512TOK() &&
								np >= 16
							if fillTRan.Load() != ran {
								t.Fatalf("%+v, pixels %v, %d taps: dcnFillTAVX ran: %v", mode, r, gk, fillTRan.Load())
							}
							ranTaps = ranTaps || fillTRan.Load()
							ranWhole = ranWhole || fillTRan.Load() && !mode.lean
							vecOK = false
							d.fillRange(&want, b, r[0], r[1])
							vecOK = true
							fields := []struct {
								name    string
								got, ok []float32
							}{{"wts", got.wts, want.wts}, {"fy", got.fy, want.fy}, {"fx", got.fx, want.fx},
								{"md", got.md, want.md}, {"vv", got.vv, want.vv}}
							if mode.lean {
								fields = fields[:1] // fy, fx, md and vv went to the sink
							}
							for _, f := range fields {
								if len(f.got) != len(f.ok) {
									t.Fatalf("%+v, image %d, pixels %v: %d %s, want %d", mode, b, r, len(f.got), f.name, len(f.ok))
								}
								for i := range f.ok {
									if math.Float32bits(f.got[i]) != math.Float32bits(f.ok[i]) {
										t.Fatalf("%+v, image %d, pixels %v: %s[%d] = %v, want %v", mode, b, r, f.name, i, f.got[i], f.ok[i])
									}
								}
							}
							if !slices.Equal(got.base, want.base) {
								t.Fatalf("%+v, image %d, pixels %v: base differs", mode, b, r)
							}
							// The sampling kernels bound their reads by baseLimit.
							for i, q := range got.base {
								if q < 0 || int(q) > d.baseLimit() {
									t.Fatalf("%+v, image %d, pixels %v: base[%d] = %d, outside [0, %d]", mode, b, r, i, q,
										d.baseLimit())
								}
							}
						}
					}
				}
			}
		})
	}
	if !ranTaps && !fill512TOK() {
		t.Fatal("dcnFillTAVX never ran")
	}
	if !ranWhole && !fill512TOK() {
		t.Fatal("dcnFillTAVX never filled a whole table")
	}
}

// TestFill512MatchesAVX2 fills the table of a 64×64 image (tiles of 256
// pixels, whole and lean), ragged 13×13, 14×14, 7×7 and 3×3 ones, and
// ranges of pixels that start and end inside one, with the AVX-512 kernels
// (dcnFill512T for every tap of the first 16·k pixels of each tile) and
// with the AVX2 kernel alone, and wants the same bits (the Go loop's,
// TestFillAVXMatchesGo).
func TestFill512MatchesAVX2(t *testing.T) {
	if !vecOK || !pixGemmOK() {
		t.Skip("no AVX-512 here")
	}
	for _, c := range []struct {
		hw, q0, q1 int // q1 counts back from the end
		lean       bool
	}{
		{64, 0, 0, false}, {13, 0, 0, false}, {64, 0, 0, true}, {7, 0, 0, false}, {7, 0, 0, true},
		{14, 0, 0, false}, {3, 0, 0, false}, {9, 5, 3, false}, {64, 100, 7, false}, {13, 2, 0, true},
	} {
		hw := c.hw
		d, g := fillCase(t, hw)
		d.forwarding = c.lean
		var got, want sampleTable[float32]
		for range 2 { // the second fill on the first's scratch
			d.fillRange(&got, 1, c.q0, g.p()-c.q1)
		}
		noFill512 = true
		d.fillRange(&want, 1, c.q0, g.p()-c.q1)
		noFill512 = false
		if !slices.Equal(got.base, want.base) {
			t.Fatalf("%d×%d: base differs", hw, hw)
		}
		for i, q := range got.base {
			if q < 0 || int(q) > d.baseLimit() {
				t.Fatalf("%d×%d: base[%d] = %d outside [0, %d]", hw, hw, i, q, d.baseLimit())
			}
		}
		fields := [][2][]float32{{got.wts, want.wts}, {got.fy, want.fy}, {got.fx, want.fx}, {got.md, want.md}, {got.vv, want.vv}}
		if c.lean {
			fields = fields[:1] // fy, fx, md and vv went to the sink
		}
		for _, f := range fields {
			for i := range f[1] {
				if math.Float32bits(f[0][i]) != math.Float32bits(f[1][i]) {
					t.Fatalf("%d×%d: value %d = %v, want %v", hw, hw, i, f[0][i], f[1][i])
				}
			}
		}
	}
}

// fillCase is a deformable layer (32→32, 3×3, 2 images of hw×hw) with
// offsets of every kind and a mask, ready to fill.
func fillCase(tb testing.TB, hw int) (*DeformConv2D[float32], geom) {
	rng := rand.New(rand.NewPCG(uint64(hw), 9))
	cfg := Conv2DConfig{In: 32, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, Stride: [2]int{1, 1}}
	d, err := NewDeformConv2D[float32]("dcn", cfg, 1, rng)
	if err != nil {
		tb.Fatal(err)
	}
	x := New[float32](2, 32, hw, hw)
	g, err := geometry("dcn", d.cfg, x)
	if err != nil {
		tb.Fatal(err)
	}
	off := New[float32](2, 18, g.Ho, g.Wo)
	for i := range off.data {
		off.data[i] = float32(rng.NormFloat64() * 3)
		if i%97 == 0 {
			off.data[i] = float32(math.NaN())
		}
	}
	mask := New[float32](2, 9, g.Ho, g.Wo)
	for i := range mask.data {
		mask.data[i] = float32(rng.NormFloat64())
	}
	d.g, d.x, d.off, d.mask = g, x, off, mask
	return d, g
}

// BenchmarkFillTable fills one 64×64 image's sampling table (9 taps, one
// group), whole as Backward does and lean as Forward does, with the
// AVX-512 kernels ("avx512"), with the AVX2 kernels ("avx2": dcnFillTAVX)
// and with dcnFillAVX tap by tap ("avx2tap").
func BenchmarkFillTable(b *testing.B) {
	d, g := fillCase(b, 64)
	for _, c := range []struct {
		name      string
		off, lean bool
		tap       bool
	}{{"whole/avx512", false, false, false}, {"whole/avx2", true, false, false}, {"lean/avx512", false, true, false},
		{"lean/avx2", true, true, false}, {"whole/avx2tap", true, false, true}, {"lean/avx2tap", true, true, true}} {
		b.Run(c.name, func(b *testing.B) {
			noFill512, d.forwarding, noFillTAVX = c.off, c.lean, c.tap
			defer func() { noFill512, d.forwarding, noFillTAVX = false, false, false }()
			var t sampleTable[float32]
			cpuLoop(b, 0, func() { d.fillRange(&t, 0, 0, g.p()) })
		})
	}
}

// BenchmarkFillTiles fills lean tables as conv1's Forward does (im2col's
// tiles of im2colTile pixels; 3 input channels, 9 taps, a mask, 64×64)
// for a batch of 32 images: "warm1" fills image 0 32 times (its offsets
// and mask stay in the caches), "cold32" each of the 32 images once (590
// KB of offsets and mask an image, 18.9 MB the batch: read from memory).
func BenchmarkFillTiles(b *testing.B) {
	const B = 32
	d, g := newFillBench(b, B, 3, 64)
	for _, c := range []struct {
		name string
		imgs int
	}{{"warm1", 1}, {"cold32", B}} {
		b.Run(c.name, func(b *testing.B) {
			var t sampleTable[float32]
			cpuLoop(b, 0, func() {
				for i := range B {
					for q0 := 0; q0 < g.p(); q0 += im2colTile {
						d.fillRangeLean(&t, i%c.imgs, q0, min(g.p(), q0+im2colTile), true)
					}
				}
			})
		})
	}
}

// BenchmarkFillKept7 fills whole tables as the 7×7 layer's training
// Forward does (keepTables: each image's own table, all 49 pixels in one
// range; 32 channels, 9 taps, a mask) for a batch of 64 images, with
// dcnFillTAVX ("avx2": every tap of the first 48 pixels at once) and with
// dcnFillAVX tap by tap ("avx2tap": the route before session 13).
func BenchmarkFillKept7(b *testing.B) {
	const B = 64
	d, g := newFillBench(b, B, 32, 7)
	for _, c := range []struct {
		name string
		tap  bool
	}{{"avx2", false}, {"avx2tap", true}} {
		b.Run(c.name, func(b *testing.B) {
			noFillTAVX = c.tap
			defer func() { noFillTAVX = false }()
			tabs := make([]sampleTable[float32], B)
			cpuLoop(b, 0, func() {
				for i := range B {
					d.fillRangeLean(&tabs[i], i, 0, g.p(), false)
				}
			})
		})
	}
}

// newFillBench readies a 3×3 deformable layer of c input channels for the
// fill benchmarks: a batch of random hw×hw inputs' geometry, offsets
// ~ N(0, 1) and a mask uniform in [0, 1), set as Forward sets them.
func newFillBench(b *testing.B, batch, c, hw int) (*DeformConv2D[float32], geom) {
	rng := rand.New(rand.NewPCG(1, 9))
	cfg := Conv2DConfig{In: c, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}
	d, err := NewDeformConv2D[float32]("dcn", cfg, 1, rng)
	if err != nil {
		b.Fatal(err)
	}
	x := New[float32](batch, c, hw, hw)
	g, err := geometry("dcn", d.cfg, x)
	if err != nil {
		b.Fatal(err)
	}
	off := New[float32](batch, 18, hw, hw)
	for i := range off.data {
		off.data[i] = float32(rng.NormFloat64())
	}
	mask := New[float32](batch, 9, hw, hw)
	for i := range mask.data {
		mask.data[i] = rng.Float32()
	}
	d.g, d.x, d.off, d.mask = g, x, off, mask
	return d, g
}

// TestPixelPos holds the layer's array of output pixel positions
// (setPixelPos) to its definition on strided, padded and ragged
// geometries, rebuilt when Forward's geometry changes, and pixelPos to
// the runs it may serve.
func TestPixelPos(t *testing.T) {
	for _, s := range []struct {
		name                string
		hw, k, stride, padw int
	}{{"7px", 7, 3, 1, 1}, {"64px", 64, 3, 1, 1}, {"stride2", 21, 3, 2, 1}, {"5x5pad0", 19, 5, 1, 0},
		{"stride3pad2", 30, 5, 3, 2}, {"3px", 3, 3, 1, 1}} {
		t.Run(s.name, func(t *testing.T) {
			cfg := Conv2DConfig{In: 2, Out: 4, Kernel: [2]int{s.k, s.k}, Padding: [2]int{s.padw, s.padw},
				Stride: [2]int{s.stride, s.stride}}
			d, err := NewDeformConv2D[float32]("dcn", cfg, 1, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			// A second geometry, then the first again, then its transpose
			// (the same pixels, rows of another width).
			for _, hw := range [][2]int{{s.hw, s.hw}, {s.hw + 5, s.hw + 5}, {s.hw, s.hw}, {s.hw + 4, s.hw - 2}, {s.hw - 2, s.hw + 4}} {
				x := New[float32](1, 2, hw[0], hw[1])
				g, err := geometry("dcn", d.cfg, x)
				if err != nil {
					t.Fatal(err)
				}
				off := New[float32](1, 2*s.k*s.k, g.Ho, g.Wo)
				if _, err := d.Forward(x, off, nil); err != nil {
					t.Fatal(err)
				}
				n := g.p() / 8 * 8
				if len(d.pixPos) != 2*n {
					t.Fatalf("%d×%d: %d positions, want %d", hw[0], hw[1], len(d.pixPos), 2*n)
				}
				for q := range n {
					at := q/8*16 + q%8
					if ry, cx := int32(q/g.Wo*g.SH-g.PH), int32(q%g.Wo*g.SW-g.PW); d.pixPos[at] != ry || d.pixPos[at+8] != cx {
						t.Fatalf("%d×%d, pixel %d: (%d, %d), want (%d, %d)", hw[0], hw[1], q, d.pixPos[at], d.pixPos[at+8], ry, cx)
					}
				}
				if _, ok := d.pixelPos(0, n); !ok && n > 0 {
					t.Errorf("%d×%d: pixelPos(0, %d) refused", hw[0], hw[1], n)
				}
				if _, ok := d.pixelPos(3, 8); ok {
					t.Errorf("%d×%d: pixelPos from pixel 3 served", hw[0], hw[1])
				}
				if _, ok := d.pixelPos(n, 8); ok {
					t.Errorf("%d×%d: pixelPos past the array served", hw[0], hw[1])
				}
			}
		})
	}
}
