package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDcnScatter4 checks the whole-corner sampling gradient for 1–4
// channels in pixels of 4 against the Go loop (which rounds the products
// apart from the sums: within 1e-6) and against the masked assembly kernel
// (the same bits), and that the padding lanes stay zero.
func TestDcnScatter4(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, n := range []int{1, 2, 3, 4} {
		const pix, wp, hp, count = 4, 9, 8, 57
		row := wp * pix
		img := make([]float32, hp*wp*pix)
		for p := range hp * wp {
			for c := range n {
				img[p*pix+c] = float32(rng.NormFloat64())
			}
		}
		base := make([]int32, count)
		for i := range base {
			base[i] = int32(rng.IntN((hp-1)*wp - 1))
		}
		base[3], base[4] = base[2], base[2]+1 // shared and neighbouring corners
		wts := make([]float32, 4*count)
		for i := range wts {
			wts[i] = float32(rng.Float64())
		}
		g := make([]float32, count*n)
		for i := range g {
			g[i] = float32(rng.NormFloat64())
		}
		dimg, dwant := make([]float32, len(img)), make([]float32, len(img))
		s, swant := make([]float32, 4*count), make([]float32, 4*count)
		dcnScatter4(dimg, img, pix, row, base, wts, g, s, n)
		saved := vecOK
		vecOK = false
		dcnScatter(dwant, img, pix, row, base, wts, g, swant, n)
		vecOK = saved
		for i := range dimg {
			if d := math.Abs(float64(dimg[i] - dwant[i])); d > 1e-6*max(1, math.Abs(float64(dwant[i]))) ||
				i%pix >= n && dimg[i] != 0 {
				t.Fatalf("n=%d: dimg[%d] = %v, want %v", n, i, dimg[i], dwant[i])
			}
		}
		for i := range s {
			if d := math.Abs(float64(s[i] - swant[i])); d > 1e-5*max(1, math.Abs(float64(swant[i]))) {
				t.Fatalf("n=%d: s[%d] = %v, want %v", n, i, s[i], swant[i])
			}
		}
		// Against the assembly of every width: the same bits.
		if vecOK {
			sm, dm := make([]float32, 4*count), make([]float32, len(img))
			dcnScatter(dm, img, pix, row, base, wts, g, sm, n)
			for i := range s {
				if math.Float32bits(s[i]) != math.Float32bits(sm[i]) {
					t.Fatalf("n=%d: s[%d] = %v, masked kernel %v", n, i, s[i], sm[i])
				}
			}
			for i := range dm {
				if math.Float32bits(dimg[i]) != math.Float32bits(dm[i]) && !(i%pix >= n && dimg[i] == 0) {
					t.Fatalf("n=%d: dimg[%d] = %v, masked kernel %v", n, i, dimg[i], dm[i])
				}
			}
		}
	}
}
