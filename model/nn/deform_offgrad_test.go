package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestOffGradAVXMatchesGo checks the AVX2 offset and mask gradients of one
// tap against offGrad, the Go loop's arithmetic, bit for bit, with and without a
// mask gradient, for taps at every position in the entry order.
func TestOffGradAVXMatchesGo(t *testing.T) {
	if !vecOK {
		t.Skip("no AVX2 here; the Go loop runs alone")
	}
	rng := rand.New(rand.NewPCG(31, 32))
	const P, GK = 45, 9
	vals := func(n int, f func() float32) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = f()
		}
		return v
	}
	norm := func() float32 { return float32(rng.NormFloat64() * 3) }
	frac := func() float32 { return float32(rng.Float64()) }
	bit := func() float32 { return float32(rng.IntN(2)) }
	s := vals(4*P*GK, norm)
	s[4*GK*3+1] = float32(math.Inf(1))
	fy, fx, md, vv := vals(P, frac), vals(P, frac), vals(P, norm), vals(P, bit)
	for _, gk := range []int{0, 4, GK - 1} {
		for _, withMask := range []bool{true, false} {
			dy, dx := make([]float32, P), make([]float32, P)
			var dm []float32
			if withMask {
				dm = make([]float32, P)
			}
			n := offGradRun(s[4*gk:], GK, fy, fx, md, vv, dy, dx, dm)
			if n != P/8*8 {
				t.Fatalf("offGradRun did %d pixels, want %d", n, P/8*8)
			}
			for p := range n {
				e := p*GK + gk
				s := s[4*e : 4*e+4]
				wy, wx, wm := offGrad(s, fy[p], fx[p], md[p], vv[p])
				same := func(got, want float32) bool {
					return math.Float32bits(got) == math.Float32bits(want) || got != got && want != want
				}
				var gm float32
				if withMask {
					gm = dm[p]
				}
				if !same(dy[p], wy) || !same(dx[p], wx) || withMask && !same(gm, wm) {
					t.Fatalf("tap %d, pixel %d: got %v %v %v, want %v %v %v", gk, p, dy[p], dx[p], gm, wy, wx, wm)
				}
			}
		}
	}
}
