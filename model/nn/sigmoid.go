package nn

import "math"

// twoSigmoid writes 2·σ(src[i]) = 2/(1+e^(−src[i])) into dst, the deformable
// block's mask. float64 goes through math.Exp; float32 through twoSigmoid32,
// which stays in float32 (within 2 ulp of the float64 route rounded to
// float32, TestTwoSigmoid32).
func twoSigmoid[T Float](dst, src []T) {
	if d, ok := any(dst).([]float32); ok {
		twoSigmoid32(d, any(src).([]float32))
		return
	}
	for q, v := range src {
		dst[q] = T(2 / (1 + math.Exp(-float64(v))))
	}
}

// twoSigmoid32 is twoSigmoid in float32: e^x by Cephes' expf (Cody–Waite
// reduction by ln 2, a degree-6 polynomial on [−ln2/2, ln2/2], the power of two
// put into the exponent bits as two factors), without branches. −v is clamped to
// [−88, 104]: below, the result is 2 as in float64; above ln(max float32) ≈ 88.72
// e^x overflows and the result is 0 where float64 gives a subnormal (within
// 2⁻¹²⁵); NaN stays NaN.
func twoSigmoid32(dst, src []float32) {
	dst = dst[:len(src)]
	if n := len(src) &^ 7; vecOK && n > 0 {
		twoSigmoidAVX(&dst[0], &src[0], n)
		dst, src = dst[n:], src[n:]
	}
	twoSigmoid32Go(dst, src)
}

// twoSigmoid32Go is twoSigmoid32's loop in Go (the tail past a multiple of 8,
// and machines without AVX2).
func twoSigmoid32Go(dst, src []float32) {
	const shift = 0x1.8p23 // adding it rounds a float32 of magnitude < 2²² to an integer
	dst = dst[:len(src)]
	// Each product is converted to float32 on its own: the AVX kernel
	// rounds every multiply before its add, and the conversion keeps the
	// compiler from fusing them (GOAMD64=v3 does), so both give the same
	// bits on any build.
	for q, v := range src {
		// The clamp keeps n in [−127, 150]; min and max pass NaN on.
		x := min(max(-v, -88), 104)
		t := float32(x*1.44269504088896341) + shift
		n := int32(math.Float32bits(t)) - 0x4b400000 // round(x·log₂e), ties to even
		f := t - shift
		r := x - float32(f*0.693359375) - float32(f*-2.12194440e-4)
		p := float32(1.9875691500e-4)
		p = float32(p*r) + 1.3981999507e-3
		p = float32(p*r) + 8.3334519073e-3
		p = float32(p*r) + 4.1665795894e-2
		p = float32(p*r) + 1.6666665459e-1
		p = float32(p*r) + 5.0000001201e-1
		// 2ⁿ as two normal powers, so that e overflows to +Inf (result 0)
		// for x above ln(max float32) ≈ 88.72.
		h := n >> 1
		e := (float32(p*r*r) + r + 1) * math.Float32frombits(uint32(h+127)<<23) *
			math.Float32frombits(uint32(n-h+127)<<23)
		dst[q] = 2 / (1 + e)
	}
}

// clampOffsets writes min(max(src[i], −lim), lim) into dst, the deformable
// block's offsets; float32 runs 8 at a time in AVX, the same bits.
func clampOffsets[T Float](dst, src []T, lim T) {
	dst = dst[:len(src)]
	if d, ok := any(dst).([]float32); ok && vecOK {
		s := any(src).([]float32)
		if n := len(s) &^ 7; n > 0 {
			clampAVX(&d[0], &s[0], n, float32(lim))
			dst, src = dst[n:], src[n:]
		}
	}
	for q, v := range src {
		dst[q] = min(max(v, -lim), lim)
	}
}

// clampGrad writes the clamp's gradient into dst: g where −lim ≤ raw ≤ lim (as
// torch.clamp passes it), 0 elsewhere; float32 runs 8 at a time in AVX, the
// same bits.
func clampGrad[T Float](dst, g, raw []T, lim T) {
	dst, raw = dst[:len(g)], raw[:len(g)]
	if d, ok := any(dst).([]float32); ok && vecOK {
		if n := len(g) &^ 7; n > 0 {
			clampGradAVX(&d[0], &any(g).([]float32)[0], &any(raw).([]float32)[0], n, float32(lim))
			dst, g, raw = dst[n:], g[n:], raw[n:]
		}
	}
	for q, v := range g {
		if r := raw[q]; r >= -lim && r <= lim {
			dst[q] = v
		} else {
			dst[q] = 0
		}
	}
}

// twoSigmoidGrad writes g·m·(1 − m/2) into dst, the gradient through
// m = 2σ(z) (d(2σ)/dz = 2σ(1−σ)); float32 runs 8 at a time in AVX, the same
// bits.
func twoSigmoidGrad[T Float](dst, g, m []T) {
	dst, m = dst[:len(g)], m[:len(g)]
	if d, ok := any(dst).([]float32); ok && vecOK {
		if n := len(g) &^ 7; n > 0 {
			maskGradAVX(&d[0], &any(g).([]float32)[0], &any(m).([]float32)[0], n)
			dst, g, m = dst[n:], g[n:], m[n:]
		}
	}
	for q, v := range g {
		dst[q] = v * m[q] * (1 - m[q]/2)
	}
}
