//go:build amd64

package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// gather3Case is a random padded image of pixels of 4 values (wp×hp
// pixels, the last value a non-zero pad lane), count entries whose corners
// lie anywhere in it (the first pixel, and the last one whose corners fit:
// its bottom-right corner is the image's last pixel), and their weights,
// with NaN, ±0 and huge values among the values and the weights.
func gather3Case(rng *rand.Rand, wp, hp, count int) (img []float32, base []int32, wts []float32, last int) {
	const pix = 4
	row := wp * pix
	last = (hp-1)*wp - 2
	img = make([]float32, last*pix+row+pix+4)
	special := func(v float32) float32 {
		switch rng.IntN(24) {
		case 0:
			return float32(math.NaN())
		case 1:
			return float32(math.Copysign(0, -1))
		case 2:
			return 3e38
		case 3:
			return float32(math.Inf(-1))
		}
		return v
	}
	for i := range img {
		img[i] = special(float32(rng.NormFloat64()))
	}
	base = make([]int32, count)
	for i := range base {
		base[i] = int32(rng.IntN(last + 1))
	}
	base[rng.IntN(count)] = int32(last)
	base[rng.IntN(count)] = 0
	wts = make([]float32, 4*count)
	for i := range wts {
		wts[i] = special(float32(rng.Float64()))
	}
	return img, base, wts, last
}

// TestGather3AVX2MatchesAVX runs dcnGather3x4AVX2 straight on every whole
// group of 4 entries of 1 to 70 entries (rows wider than the pixels they
// sample: padded rows of 5, 7 and 11 pixels) and wants dcnGatherAVX's bits
// for those entries, dst's values past them untouched; where AVX-512 is
// off it also wants dcnGather to take the AVX2 kernel (gather3's count)
// and give dcnGatherAVX's bits for all of the entries, tail included.
func TestGather3AVX2MatchesAVX(t *testing.T) {
	if !gather3AVX2 || !vecOK {
		t.Skip("no AVX2 and FMA: dcnGather3x4AVX2 does not run")
	}
	rng := rand.New(rand.NewPCG(141, 142))
	const pix = 4
	for _, wp := range []int{5, 7, 11} {
		for count := 1; count <= 70; count++ {
			t.Run(fmt.Sprintf("wp%d_%d", wp, count), func(t *testing.T) {
				row := wp * pix
				img, base, wts, last := gather3Case(rng, wp, 6, count)
				want := make([]float32, 3*count)
				dcnGatherAVX(&want[0], &img[0], pix, row, &base[0], &wts[0], count, 3)
				q := count / 4
				got := make([]float32, 3*count+3)
				for i := range got {
					got[i] = 7
				}
				if q > 0 {
					dcnGather3x4AVX2(&got[0], &img[0], row, &base[0], &wts[0], q)
				}
				for i := range got {
					switch {
					case i < 12*q && math.Float32bits(got[i]) != math.Float32bits(want[i]):
						t.Fatalf("dst[%d] = %v through dcnGather3x4AVX2, %v through dcnGatherAVX", i, got[i], want[i])
					case i >= 12*q && got[i] != 7:
						t.Fatalf("dst[%d] written past the %d groups of 4", i, q)
					}
				}
				if gather3OK {
					return // dcnGather takes dcnGather3x4 (TestGather3MatchesAVX2)
				}
				if n := gather3(make([]float32, 3*count), img, pix, row, base, wts, 3, last); n != 4*q {
					t.Fatalf("gather3 did %d entries, want %d", n, 4*q)
				}
				got = got[:3*count+1]
				for i := range got { // not the direct call's values: dcnGather must write each
					got[i] = 7
				}
				dcnGather(got[:3*count], img, pix, row, base, wts, 3)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("dst[%d] = %v through dcnGather, %v through dcnGatherAVX", i, got[i], want[i])
					}
				}
				if got[3*count] != 7 {
					t.Fatal("dcnGather wrote past the end")
				}
				if n := gather3(make([]float32, 3*count), img[:len(img)-1], pix, row, base, wts, 3, last); n != 0 {
					t.Fatal("gather3 ran on an image without the last pixel's 4th value")
				}
			})
		}
	}
}

// TestDeformGather3Layer runs a deformable layer of 3 input channels (conv1's
// case: pixels of 4 values, dcnGather's 3-channel runs) on odd maps with
// offsets that put samples inside, across the image's edge and its padding
// ring, far outside (±1e6) and at ±0.5 steps, with and without a mask, and
// wants the bits of the same layer with the 3-channel kernels off
// (noGather3: dcnGatherAVX alone), in Forward's output and Backward's
// gradients.
func TestDeformGather3Layer(t *testing.T) {
	if !vecOK {
		t.Skip("no AVX2: dcnGather's assembly does not run")
	}
	rng := rand.New(rand.NewPCG(143, 144))
	for _, s := range []struct {
		h, w, stride int
		mask         bool
	}{{9, 11, 1, true}, {7, 5, 1, false}, {13, 13, 2, true}, {64, 64, 1, true}} {
		t.Run(fmt.Sprintf("%dx%d_s%d_mask%v", s.h, s.w, s.stride, s.mask), func(t *testing.T) {
			cfg := Conv2DConfig{In: 3, Out: 8, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1},
				Stride: [2]int{s.stride, s.stride}, ReLU: false}
			const B = 3
			x := New[float32](B, 3, s.h, s.w)
			for i := range x.data {
				x.data[i] = float32(rng.NormFloat64())
			}
			run := func(fast bool) (y, dx, doff, dmask *Tensor[float32]) {
				noGather3 = !fast
				defer func() { noGather3 = false }()
				d, err := NewDeformConv2D[float32]("dcn", cfg, 1, rand.New(rand.NewPCG(5, 6)))
				if err != nil {
					t.Fatal(err)
				}
				ho, wo := (s.h-1)/s.stride+1, (s.w-1)/s.stride+1
				r := rand.New(rand.NewPCG(uint64(s.h), uint64(s.w)))
				off := New[float32](B, 18, ho, wo)
				for i := range off.data {
					switch r.IntN(10) {
					case 0:
						off.data[i] = 1e6
					case 1:
						off.data[i] = -1e6
					case 2:
						off.data[i] = float32(r.IntN(9)-4) / 2
					default:
						off.data[i] = float32(r.NormFloat64() * 2)
					}
				}
				var mask *Tensor[float32]
				if s.mask {
					mask = New[float32](B, 9, ho, wo)
					for i := range mask.data {
						mask.data[i] = r.Float32()
					}
				}
				y, err = d.Forward(x, off, mask)
				if err != nil {
					t.Fatal(err)
				}
				dy := y.Clone()
				for i := range dy.data {
					dy.data[i] = float32(r.NormFloat64())
				}
				dx, doff, dmask, err = d.Backward(dy)
				if err != nil {
					t.Fatal(err)
				}
				clone := func(v *Tensor[float32]) *Tensor[float32] {
					if v == nil {
						return nil
					}
					return v.Clone()
				}
				return y.Clone(), clone(dx), clone(doff), clone(dmask)
			}
			y0, dx0, do0, dm0 := run(false)
			y1, dx1, do1, dm1 := run(true)
			for k, pair := range [][2]*Tensor[float32]{{y0, y1}, {dx0, dx1}, {do0, do1}, {dm0, dm1}} {
				if pair[0] == nil {
					continue
				}
				for i := range pair[0].data {
					if math.Float32bits(pair[0].data[i]) != math.Float32bits(pair[1].data[i]) {
						t.Fatalf("operand %d [%d] = %v with the 3-channel kernel, %v without", k, i, pair[1].data[i], pair[0].data[i])
					}
				}
			}
		})
	}
}

// BenchmarkGather3 samples conv1's runs of 3 channels (pixels of 4
// values, a 66×66 padded image, 1152 entries: one of im2col's tiles of 128
// pixels of 9 taps, their corners within a pixel of the taps') through
// dcnGather ("auto": dcnGather3x4AVX2 here unless AVX-512 runs) and
// through dcnGatherAVX alone ("avx"); ns/op per tile.
func BenchmarkGather3(b *testing.B) {
	if !vecOK {
		b.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(149, 150))
	img, base, wts, _ := gather3Case(rng, 66, 66, 1152)
	for i := range img {
		img[i] = float32(rng.NormFloat64())
	}
	for e := range base {
		// Pixel p (row 10 of the image, from column 0), tap k: the corner
		// of offsets within a pixel of the tap's.
		p, k := e/9, e%9
		oy, ox := 10+p/64, p%64
		base[e] = int32((oy+k/3-1+rng.IntN(3)-1+1)*66 + max(0, ox+k%3-1+rng.IntN(3)-1) + 1)
	}
	dst := make([]float32, 3*len(base))
	for _, c := range []struct {
		name string
		off  bool
	}{{"auto", false}, {"avx", true}} {
		b.Run(c.name, func(b *testing.B) {
			noGather3 = c.off
			defer func() { noGather3 = false }()
			for b.Loop() {
				dcnGather(dst, img, 4, 66*4, base, wts, 3)
			}
		})
	}
}
