package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// wino4Case is one of the four F(4×4, 3×3) transforms: its Go version, its
// rows in and out, and its dense Kronecker matrix (rows × kk) in float64.
type wino4Case struct {
	name     string
	goF      func(dst, src []float64, ld, n int)
	go32     func(dst, src []float32, ld, n int)
	rows, kk int
	kron     func() []float64
}

// wino4Kron returns the Kronecker product m⊗m (r·r × c·c) of the r×c
// matrix m, transposed when tr.
func wino4Kron(m [][]float64, tr bool) []float64 {
	r, c := len(m), len(m[0])
	out := make([]float64, r*r*c*c)
	for a := range r {
		for b := range r {
			for i := range c {
				for j := range c {
					v := m[a][i] * m[b][j]
					if tr {
						out[(i*c+j)*r*r+a*r+b] = v
					} else {
						out[(a*r+b)*c*c+i*c+j] = v
					}
				}
			}
		}
	}
	return out
}

func wino4Rows[M ~[6]float64](m []M) [][]float64 {
	out := make([][]float64, len(m))
	for i := range m {
		out[i] = m[i][:]
	}
	return out
}

func wino4Cases() []wino4Case {
	return []wino4Case{
		{"BT", wino4BTGo[float64], wino4BTGo[float32], 36, 36,
			func() []float64 { return wino4Kron(wino4Rows(wino4MatBT[:]), false) }},
		{"B", wino4BGo[float64], wino4BGo[float32], 36, 36,
			func() []float64 { return wino4Kron(wino4Rows(wino4MatBT[:]), true) }},
		{"AT", wino4ATGo[float64], wino4ATGo[float32], 16, 36,
			func() []float64 { return wino4Kron(wino4Rows(wino4MatAT[:]), false) }},
		{"A", wino4AGo[float64], wino4AGo[float32], 36, 16,
			func() []float64 { return wino4Kron(wino4Rows(wino4MatAT[:]), true) }},
	}
}

// wino4Fill sets s to random values of many scales with zeros of both
// signs among them.
func wino4Fill[T Float](rng *rand.Rand, s []T) {
	for i := range s {
		switch rng.IntN(8) {
		case 0:
			s[i] = 0
		case 1:
			s[i] = T(math.Copysign(0, -1))
		default:
			s[i] = T(rng.NormFloat64() * math.Exp2(float64(rng.IntN(20)-10)))
		}
	}
}

// TestWino4XformGoMatchesKronecker checks each Go transform against the
// naive product of its dense 36×36 (or 16×36, 36×16) Kronecker matrix in
// float64, and that it leaves dst's columns past n alone.
func TestWino4XformGoMatchesKronecker(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 23))
	for _, tc := range wino4Cases() {
		m := tc.kron()
		for _, n := range []int{1, 5, 16, 37} {
			ld := n + 3
			src := make([]float64, tc.kk*ld)
			wino4Fill(rng, src)
			dst := make([]float64, tc.rows*ld)
			for i := range dst {
				dst[i] = 12345
			}
			tc.goF(dst, src, ld, n)
			for r := range tc.rows {
				for c := range ld {
					got := dst[r*ld+c]
					if c >= n {
						if got != 12345 {
							t.Fatalf("%s n=%d: row %d column %d past n written: %v", tc.name, n, r, c, got)
						}
						continue
					}
					var want, mag float64
					for k := range tc.kk {
						want += m[r*tc.kk+k] * src[k*ld+c]
						mag += math.Abs(m[r*tc.kk+k] * src[k*ld+c])
					}
					if math.Abs(got-want) > 1e-13*mag {
						t.Fatalf("%s n=%d: row %d column %d: %v, want %v", tc.name, n, r, c, got, want)
					}
				}
			}
		}
	}
}

// TestWino4XformAdjoint checks that the backward transforms are the
// transposes of the forward ones: ⟨Bᵀx, y⟩ = ⟨x, By⟩ and ⟨Aᵀx, y⟩ =
// ⟨x, Ay⟩ (in the Kronecker sense, over a block of columns).
func TestWino4XformAdjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 23))
	cs := wino4Cases()
	for _, pair := range [][2]wino4Case{{cs[0], cs[1]}, {cs[2], cs[3]}} {
		fwd, bwd := pair[0], pair[1]
		const n, ld = 21, 24
		x := make([]float64, fwd.kk*ld)
		y := make([]float64, fwd.rows*ld)
		wino4Fill(rng, x)
		wino4Fill(rng, y)
		fx := make([]float64, fwd.rows*ld)
		by := make([]float64, fwd.kk*ld)
		fwd.goF(fx, x, ld, n)
		bwd.goF(by, y, ld, n)
		dot := func(a, b []float64) (s, mag float64) {
			for i := range a {
				if i%ld < n {
					s += a[i] * b[i]
					mag += math.Abs(a[i] * b[i])
				}
			}
			return s, mag
		}
		l, lm := dot(fx, y)
		r, rm := dot(x, by)
		if math.Abs(l-r) > 1e-12*(lm+rm) {
			t.Errorf("%s/%s: ⟨Fx, y⟩ = %v, ⟨x, Fᵀy⟩ = %v", fwd.name, bwd.name, l, r)
		}
	}
}

// TestWino4Identity checks F(4×4, 3×3) itself on the Go transforms and
// the tables: Aᵀ[(G w Gᵀ) ⊙ (Bᵀ d B)]A is the 3×3 correlation of the
// 6×6 patch d with w (a 4×4 output), for a few patches in a block's
// columns, in float64.
func TestWino4Identity(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 23))
	const n, ld = 7, 9
	d := make([]float64, 36*ld)
	wino4Fill(rng, d)
	var w [3][3]float64
	for i := range 3 {
		for j := range 3 {
			w[i][j] = rng.NormFloat64()
		}
	}
	var u [6][6]float64 // G w Gᵀ
	for a := range 6 {
		for b := range 6 {
			for i := range 3 {
				for j := range 3 {
					u[a][b] += wino4MatG[a][i] * w[i][j] * wino4MatG[b][j]
				}
			}
		}
	}
	v := make([]float64, 36*ld)
	wino4BTGo(v, d, ld, n)
	for k := range 36 {
		for c := range n {
			v[k*ld+c] *= u[k/6][k%6]
		}
	}
	y := make([]float64, 16*ld)
	wino4ATGo(y, v, ld, n)
	for c := range n {
		for a := range 4 {
			for b := range 4 {
				var want, mag float64
				for i := range 3 {
					for j := range 3 {
						p := w[i][j] * d[((a+i)*6+b+j)*ld+c]
						want += p
						mag += math.Abs(p)
					}
				}
				if got := y[(4*a+b)*ld+c]; math.Abs(got-want) > 1e-12*(1+mag) {
					t.Fatalf("column %d output (%d, %d): %v, want %v", c, a, b, got, want)
				}
			}
		}
	}
}

// TestWino4XformFloat32 checks that the float32 Go transforms are the
// float64 ones rounded: within float32's relative precision of the sum of
// the magnitudes.
func TestWino4XformFloat32(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 23))
	for _, tc := range wino4Cases() {
		m := tc.kron()
		const n, ld = 19, 20
		src := make([]float32, tc.kk*ld)
		wino4Fill(rng, src)
		dst := make([]float32, tc.rows*ld)
		tc.go32(dst, src, ld, n)
		for r := range tc.rows {
			for c := range n {
				var want, mag float64
				for k := range tc.kk {
					p := m[r*tc.kk+k] * float64(src[k*ld+c])
					want += p
					mag += math.Abs(p)
				}
				if got := float64(dst[r*ld+c]); math.Abs(got-want) > 1e-6*mag {
					t.Fatalf("%s: row %d column %d: %v, want %v", tc.name, r, c, got, want)
				}
			}
		}
	}
}
