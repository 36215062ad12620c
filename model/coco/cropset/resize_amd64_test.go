package cropset

import (
	"bytes"
	"image"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"
)

// withGoResize runs f with resize's Go loops in place of its AVX2 kernels.
func withGoResize(f func()) {
	old := resizeAVX2
	resizeAVX2 = false
	defer func() { resizeAVX2 = old }()
	f()
}

// needResizeAVX2 skips t unless resize's AVX2 kernels run here, and fails it if they should but do
// not.
func needResizeAVX2(t *testing.T) {
	t.Helper()
	switch {
	case !cpu.X86.HasAVX2:
		t.Skip("no AVX2 here: the kernels do not run")
	case goFuses():
		t.Skip("this build fuses the Go loops' products (GOAMD64=v3): the kernels do not run")
	case !resizeAVX2:
		t.Fatal("AVX2 here but resize does not use its kernels")
	}
}

// TestResizeAVX2MatchesGo resamples random RGB crops with the AVX2 kernels and with the Go loops,
// sides 1 to 70 and a sample up to 700 (square and not), to sizes that shrink, keep and enlarge:
// the bytes must be the same.
func TestResizeAVX2MatchesGo(t *testing.T) {
	needResizeAVX2(t)
	rng := rand.New(rand.NewPCG(13, 7))
	sides := []int{}
	for s := 1; s <= 70; s++ {
		sides = append(sides, s)
	}
	for range 30 {
		sides = append(sides, 71+rng.IntN(630))
	}
	sides = append(sides, 640, 700)
	rs, rsGo := new(resizer), new(resizer)
	for _, sw := range sides {
		sh := sw
		if rng.IntN(3) == 0 {
			sh = 1 + rng.IntN(sw+5)
		}
		img := make([]uint8, 3*sw*sh)
		for i := range img {
			img[i] = uint8(rng.IntN(256))
		}
		rowAt := func(y int, row []uint8) { copy(row[:3*sw], img[3*sw*(y-2):]) }
		rect := image.Rect(5, 2, 5+sw, 2+sh)
		for _, size := range []int{1, 2, 3, 7, 8, 17, 64, 65, 100, sw} {
			got, want := make([]uint8, 3*size*size), make([]uint8, 3*size*size)
			rs.resize(got, rect, size, rowAt)
			withGoResize(func() { rsGo.resize(want, rect, size, rowAt) })
			if !bytes.Equal(got, want) {
				t.Fatalf("%d×%d to %d: the AVX2 kernels' crop differs from the Go loops'", sw, sh, size)
			}
		}
	}
}

// TestYCbCr16MatchesGo converts random 4:2:0 rows of 1 to 100 pixels, starting on either pixel of
// a pair, with ycbcr16 and with ycbcrRowHalf's Go loop, and 4:4:4 rows with ycbcr16full and
// ycbcrRowFull's: the triples must be the same.
func TestYCbCr16MatchesGo(t *testing.T) {
	if !cpu.X86.HasAVX2 {
		t.Skip("no AVX2 here: ycbcr16 does not run")
	}
	if !yccAVX2 {
		t.Fatal("AVX2 here but ycbcrRowHalf does not use ycbcr16")
	}
	rng := rand.New(rand.NewPCG(13, 9))
	for n := 1; n <= 100; n++ {
		for _, odd := range []bool{false, true} {
			lum, cb, cr := make([]uint8, n), make([]uint8, n/2+2), make([]uint8, n/2+2)
			for _, p := range [][]uint8{lum, cb, cr} {
				for i := range p {
					p[i] = uint8(rng.IntN(256))
				}
			}
			got, want := make([]uint8, 3*n), make([]uint8, 3*n)
			ycbcrRowHalf(lum, cb, cr, odd, got)
			yccAVX2 = false
			ycbcrRowHalf(lum, cb, cr, odd, want)
			yccAVX2 = true
			if !bytes.Equal(got, want) {
				t.Fatalf("n %d odd %v: ycbcr16's triples differ from the Go loop's", n, odd)
			}
			if odd {
				continue
			}
			// 4:4:4: a chroma sample a pixel.
			cb, cr = append(cb, make([]uint8, n)...), append(cr, make([]uint8, n)...)
			for i := range cb {
				cb[i], cr[i] = uint8(rng.IntN(256)), uint8(rng.IntN(256))
			}
			ycbcrRowFull(lum, cb, cr, got)
			yccAVX2 = false
			ycbcrRowFull(lum, cb, cr, want)
			yccAVX2 = true
			if !bytes.Equal(got, want) {
				t.Fatalf("n %d: ycbcr16full's triples differ from the Go loop's", n)
			}
		}
	}
}
