package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// sdotTRef is gemmDotT's float32 arithmetic with AVX-512 (sdotTBlocks on
// sdotT4x4) written out in Go, element by element: 16 partial sums, lane
// l taking the products of the t ≡ l (mod 16) in ascending t with fused
// multiply-adds, then summed as a halving tree. float32's fused
// multiply-add is float64's rounded to float32: the product of two
// float32 values is exact in float64, and the one rounding of the sum
// can differ from a single float32 rounding only where float64's lands
// exactly on a float32 tie (about one in 2²⁹ random sums).
func sdotTRef(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	for i := range m {
		for j := range n {
			var p [16]float32
			for t := range k {
				x, y, z := float64(a[i*lda+t]), float64(b[j*ldb+t]), float64(p[t%16])
				p[t%16] = float32(math.FMA(x, y, z))
			}
			var h [8]float32
			for l := range h {
				h[l] = p[l] + p[l+8]
			}
			g := [4]float32{h[0] + h[4], h[1] + h[5], h[2] + h[6], h[3] + h[7]}
			c[i*ldc+j] = (g[0] + g[2]) + (g[1] + g[3])
		}
	}
}

// dotOperands returns A (m×k) and B (n×k) with row strides k+pad, of
// normal values with zeros of both signs among them, and C's row stride.
func dotOperands(rng *rand.Rand, m, n, k, pad int) (a []float32, lda int, b []float32, ldb, ldc int) {
	fill := func(s []float32) {
		for i := range s {
			switch rng.IntN(20) {
			case 0:
				s[i] = 0
			case 1:
				s[i] = float32(math.Copysign(0, -1))
			default:
				s[i] = float32(rng.NormFloat64())
			}
		}
	}
	lda, ldb, ldc = k+pad, k+pad, n+pad
	a = make([]float32, (m-1)*lda+k)
	b = make([]float32, (n-1)*ldb+k)
	fill(a)
	fill(b)
	return a, lda, b, ldb, ldc
}

// TestGemmDotT checks gemmDotT on sizes with ragged edges (rows and
// columns not multiples of 4) and ragged tails (k not a multiple of 16),
// with and without padded rows, on the route its shape takes and with
// sdotTBlocks forced: the forced route with AVX-512 bit for bit against
// sdotTRef, which the assembly must reproduce, both against the sums in
// float64 (each element within 1e-6·k·Σ|a·b| of its row pair), and C's
// padding left alone.
func TestGemmDotT(t *testing.T) {
	defer func() { forceSdotT = false }()
	rng := rand.New(rand.NewPCG(5, 23))
	ms := []int{1, 2, 3, 4, 5, 7, 8, 9, 13, 32}
	ks := []int{1, 2, 3, 7, 15, 16, 17, 31, 32, 33, 47, 100, 128, 255, 256, 257}
	if testing.Short() || raceEnabled {
		ms, ks = []int{1, 3, 4, 9}, []int{1, 15, 16, 17, 128, 257}
	}
	checked, bitwise := 0, 0
	for _, m := range ms {
		for _, n := range ms {
			for _, k := range ks {
				for _, cs := range []int{0, 3, 4, 7} {
					pad, force := cs&3, cs >= 4
					forceSdotT = force
					name := fmt.Sprintf("%dx%dx%d/pad=%d/forced=%v", m, n, k, pad, force)
					a, lda, b, ldb, ldc := dotOperands(rng, m, n, k, pad)
					c := make([]float32, (m-1)*ldc+n+pad)
					for i := range c {
						c[i] = 7 // overwritten, or padding that must stay
					}
					gemmDotT(m, n, k, a, lda, b, ldb, c, ldc)
					checked++
					for i := range m {
						for j := range ldc {
							if i == m-1 && j >= n+pad {
								break
							}
							got := c[i*ldc+j]
							if j >= n {
								if got != 7 {
									t.Fatalf("%s: padding C[%d][%d] = %g, want 7 untouched", name, i, j, got)
								}
								continue
							}
							var s, abs float64
							for p := range k {
								v := float64(a[i*lda+p]) * float64(b[j*ldb+p])
								s += v
								abs += math.Abs(v)
							}
							if e := math.Abs(float64(got) - s); e > 1e-6*float64(k)*max(abs, 1e-30) {
								t.Fatalf("%s: C[%d][%d] = %g, float64 sum %g (Σ|ab| %g)", name, i, j, got, s, abs)
							}
						}
					}
					if !sdotTOK || !force {
						continue
					}
					want := make([]float32, len(c))
					for i := range want {
						want[i] = 7
					}
					sdotTRef(m, n, k, a, lda, b, ldb, want, ldc)
					for i := range c {
						if math.Float32bits(c[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s: element %d is %g (%#x), sdotTRef's %g (%#x)", name, i, c[i], math.Float32bits(c[i]), want[i], math.Float32bits(want[i]))
						}
					}
					bitwise++
				}
			}
		}
	}
	t.Logf("%d products checked against float64, %d bit for bit against sdotTRef", checked, bitwise)
}

// TestGemmDotTZeroK checks that k = 0 writes zeros over C (NaN there
// before) and reads neither operand.
func TestGemmDotTZeroK(t *testing.T) {
	c := []float32{float32(math.NaN()), 1, 2, float32(math.Inf(1)), 4, 5}
	gemmDotT[float32](2, 3, 0, nil, 1, nil, 1, c, 3)
	for i, v := range c {
		if v != 0 {
			t.Fatalf("C[%d] = %g after a product of depth 0, want 0", i, v)
		}
	}
}

// BenchmarkGemmDotT is the Winograd weight gradient's product,
// dW[O×C] = dm[O×tc]·v[C×tc]ᵀ, at the COCO net's F(4×4) shapes (batch 32:
// tc = 256 tiles at conv2, 128 at conv3–conv6) and at the deformable
// blocks' side convolutions (27 offset and mask channels from 32 at 64×64
// and from 64 at 32×32), on the blocked GEMM ("gemm": packs vᵀ) and on
// sdotTBlocks ("dot").
func BenchmarkGemmDotT(b *testing.B) {
	for _, s := range []struct {
		name     string
		o, c, tc int
	}{{"conv2", 32, 32, 256}, {"conv3", 64, 32, 128}, {"conv4", 64, 64, 128},
		{"conv5", 128, 64, 128}, {"conv6", 128, 128, 128},
		{"side64", 27, 32, 256}, {"side32", 27, 64, 128}} {
		rng := rand.New(rand.NewPCG(1, 1))
		dm := make([]float32, s.o*s.tc)
		v := make([]float32, s.c*s.tc)
		for i := range dm {
			dm[i] = float32(rng.NormFloat64())
		}
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		dw := make([]float32, s.o*s.c)
		for _, route := range []string{"gemm", "dot"} {
			b.Run(s.name+"/"+route, func(b *testing.B) {
				if route != "gemm" && !sdotTOK {
					b.Skip("no AVX-512 here")
				}
				noSdotT, forceSdotT = route == "gemm", route == "dot"
				defer func() { noSdotT, forceSdotT = false, false }()
				cpuLoop(b, 2*float64(s.o*s.c*s.tc), func() {
					gemmDotT(s.o, s.c, s.tc, dm, s.tc, v, s.tc, dw, s.c)
				})
			})
		}
	}
}
