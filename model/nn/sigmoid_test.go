package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ulps32 returns how many float32 steps lie between a and b (both finite, of
// one sign or zero).
func ulps32(a, b float32) int64 {
	d := int64(math.Float32bits(a)) - int64(math.Float32bits(b))
	if d < 0 {
		d = -d
	}
	return d
}

func TestTwoSigmoid32(t *testing.T) {
	var src []float32
	for v := float32(-100); v <= 100; v += 1.0 / 1024 {
		src = append(src, v)
	}
	for _, v := range []float32{0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 87.9, -87.9, 88, -88, 88.1, -88.1,
		103, -103, 1e30, -1e30, math.MaxFloat32, -math.MaxFloat32} {
		src = append(src, v)
	}
	got := make([]float32, len(src))
	twoSigmoid32(got, src)
	worst := int64(0)
	for i, v := range src {
		want := float32(2 / (1 + math.Exp(-float64(v))))
		// x ≥ 88 gives 0: an absolute error ≤ 2⁻¹²⁵ where float64 gives less than 2⁻¹⁰⁰.
		if want < 0x1p-100 && ulps32(got[i], want) > 2 {
			if math.Abs(float64(got[i]-want)) > 0x1p-125 {
				t.Errorf("2σ(%g) = %g, want %g", v, got[i], want)
			}
			continue
		}
		u := ulps32(got[i], want)
		worst = max(worst, u)
		if u > 2 {
			t.Errorf("2σ(%g) = %g, want %g (%d ulp)", v, got[i], want, u)
		}
	}
	t.Logf("worst %d ulp over %d values", worst, len(src))
	specials := []struct{ in, want float32 }{
		{float32(math.Inf(1)), 2},
		{float32(math.Inf(-1)), 0},
		{0, 1},
	}
	for _, c := range specials {
		var out [1]float32
		twoSigmoid32(out[:], []float32{c.in})
		if out[0] != c.want {
			t.Errorf("2σ(%g) = %g, want %g", c.in, out[0], c.want)
		}
	}
	var out [1]float32
	twoSigmoid32(out[:], []float32{float32(math.NaN())})
	if out[0] == out[0] {
		t.Errorf("2σ(NaN) = %g, want NaN", out[0])
	}
}

// TestTwoSigmoidFloat64 checks that float64 keeps math.Exp's route to the bit.
func TestTwoSigmoidFloat64(t *testing.T) {
	src := []float64{-50, -3.25, -1e-9, 0, 0.5, 7, 40}
	got := make([]float64, len(src))
	twoSigmoid(got, src)
	for i, v := range src {
		if want := 2 / (1 + math.Exp(-v)); got[i] != want {
			t.Errorf("2σ(%g) = %g, want %g", v, got[i], want)
		}
	}
}

func BenchmarkTwoSigmoid32(b *testing.B) {
	src := make([]float32, 9*64*64)
	for i := range src {
		src[i] = float32(i%97)/16 - 3
	}
	dst := make([]float32, len(src))
	b.ReportAllocs()
	for b.Loop() {
		twoSigmoid(dst, src)
	}
}

// TestTwoSigmoidAVXMatchesGo checks that the AVX2 kernel gives the Go loop's bits,
// specials and the tail past a multiple of 8 included (a NaN stays a NaN).
func TestTwoSigmoidAVXMatchesGo(t *testing.T) {
	if !vecOK {
		t.Skip("no AVX2 here")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	src := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)),
		float32(math.Inf(-1)), 88, -88, 88.72, -88.72, 104, -104, 1e-40, -1e-40, math.MaxFloat32, -math.MaxFloat32}
	for range 4099 {
		src = append(src, float32(rng.NormFloat64()*math.Pow(10, rng.Float64()*4-2)))
	}
	for v := float32(-110); v <= 110; v += 1.0 / 64 {
		src = append(src, v)
	}
	for _, n := range []int{len(src), 8, 13, 1} {
		want := make([]float32, n)
		got := make([]float32, n)
		twoSigmoid32Go(want, src[:n])
		twoSigmoid32(got, src[:n])
		for i := range got {
			if got[i] != got[i] && want[i] != want[i] {
				continue // NaN either way (the payloads may differ)
			}
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n=%d: 2σ(%g) = %g (%08x) by AVX2, %g (%08x) in Go", n, src[i], got[i],
					math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
		}
	}
}

// TestClampOffsets checks the AVX clamp against Go's min and max to the bit,
// NaN, ±0, ±Inf and the tail past a multiple of 8 included.
func TestClampOffsets(t *testing.T) {
	src := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)),
		float32(math.Inf(-1)), 16, -16, 16.000002, -16.000002, 1e-40, -3.5, 7.25, 100, -100, 15.9, -15.9, 2.5}
	for _, n := range []int{len(src), 16, 9, 3} {
		got := make([]float32, n)
		clampOffsets(got, src[:n], 16)
		for i, v := range src[:n] {
			want := min(max(v, -16), 16)
			if want != want && got[i] != got[i] {
				continue
			}
			if math.Float32bits(got[i]) != math.Float32bits(want) {
				t.Fatalf("n=%d: clamp(%g) = %g, want %g", n, v, got[i], want)
			}
		}
	}
	d := make([]float64, 3)
	clampOffsets(d, []float64{-20, 3, 20}, 16)
	if d[0] != -16 || d[1] != 3 || d[2] != 16 {
		t.Errorf("float64 clamp: %v, want [-16 3 16]", d)
	}
}

// TestBlockGradsAVX checks the clamp's and the mask's gradients against their
// Go loops to the bit (NaN, ±Inf, the bounds and the tail included).
func TestBlockGradsAVX(t *testing.T) {
	raw := []float32{0, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 16, -16,
		16.000002, -16.000002, 3, -7, 15.99, 100, -0.5, 2, 9, -9, 1, 4, 5}
	g := make([]float32, len(raw))
	m := make([]float32, len(raw))
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range g {
		g[i] = float32(rng.NormFloat64())
		m[i] = float32(rng.Float64() * 2)
	}
	m[0], m[1], m[2] = 0, 2, 1e-40
	g[3] = float32(math.Inf(-1))
	for _, n := range []int{len(raw), 16, 8, 5} {
		got := make([]float32, n)
		clampGrad(got, g[:n], raw[:n], 16)
		for q := range got {
			want := float32(0)
			if r := raw[q]; r >= -16 && r <= 16 {
				want = g[q]
			}
			if math.Float32bits(got[q]) != math.Float32bits(want) {
				t.Fatalf("n=%d: clamp grad at raw %g = %g, want %g", n, raw[q], got[q], want)
			}
		}
		twoSigmoidGrad(got, g[:n], m[:n])
		for q := range got {
			want := g[q] * m[q] * (1 - m[q]/2)
			if want != want && got[q] != got[q] {
				continue
			}
			if math.Float32bits(got[q]) != math.Float32bits(want) {
				t.Fatalf("n=%d: mask grad (g %g, m %g) = %g, want %g", n, g[q], m[q], got[q], want)
			}
		}
	}
}
