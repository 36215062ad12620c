package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGather3MatchesAVX2 samples runs of 3 channels in pixels of 4 values
// through dcnGather (dcnGather3x4 for whole groups of 4 entries, then
// dcnGatherAVX) and through dcnGatherAVX alone (noGather3), and wants the
// same bits: 1 to 13 entries (groups of 4 and ragged tails), corners
// anywhere in the image including its last pixel, on an image that ends
// with that pixel's 4th value (a non-zero pad lane, which must not show),
// NaN and ±0 among the values, and dst's value past the end untouched.
func TestGather3MatchesAVX2(t *testing.T) {
	if !gather3OK || !vecOK {
		t.Skip("no AVX-512: dcnGather3x4 does not run")
	}
	rng := rand.New(rand.NewPCG(81, 82))
	const pix, wp, hp = 4, 7, 6
	row := wp * pix
	for count := 1; count <= 13; count++ {
		t.Run(fmt.Sprint(count), func(t *testing.T) {
			last := (hp-1)*wp - 2
			img := make([]float32, last*pix+row+pix+4)
			for i := range img {
				img[i] = float32(rng.NormFloat64())
				switch rng.IntN(20) {
				case 0:
					img[i] = float32(math.NaN())
				case 1:
					img[i] = float32(math.Copysign(0, -1))
				}
			}
			base := make([]int32, count)
			for i := range base {
				base[i] = int32(rng.IntN(last + 1))
			}
			base[rng.IntN(count)] = int32(last)
			wts := make([]float32, 4*count)
			for i := range wts {
				wts[i] = float32(rng.NormFloat64())
			}
			run := func(fast bool) []float32 {
				noGather3 = !fast
				defer func() { noGather3 = false }()
				dst := make([]float32, 3*count+1)
				dst[3*count] = 7
				dcnGather(dst[:3*count], img, pix, row, base, wts, 3)
				if dst[3*count] != 7 {
					t.Fatal("wrote past the end")
				}
				return dst[:3*count]
			}
			want, got := run(false), run(true)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("dst[%d] = %v through dcnGather3x4, %v through dcnGatherAVX", i, got[i], want[i])
				}
			}
			if n := gather3(make([]float32, 3*count), img, pix, row, base, wts, 3, last); n != count/4*4 {
				t.Fatalf("gather3 did %d entries, want %d", n, count/4*4)
			}
			if n := gather3(make([]float32, 3*count), img[:len(img)-1], pix, row, base, wts, 3, last); n != 0 {
				t.Fatalf("gather3 ran on an image without the last pixel's 4th value")
			}
		})
	}
}

// TestMaxBase wants maxBase to give the largest base of 1 to 70 entries,
// with the largest at every position (the four running maxima and the
// tail) and negative values among them.
func TestMaxBase(t *testing.T) {
	rng := rand.New(rand.NewPCG(147, 148))
	for n := 1; n <= 70; n++ {
		for at := range n {
			base := make([]int32, n)
			for i := range base {
				base[i] = int32(rng.IntN(2000) - 1000)
			}
			base[at] = 5000 + int32(at)
			if got := maxBase(base); got != 5000+at {
				t.Fatalf("%d entries, largest at %d: maxBase = %d, want %d", n, at, got, 5000+at)
			}
		}
	}
}
