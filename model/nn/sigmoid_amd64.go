package nn

// twoSigmoidAVX is twoSigmoid32 over n values, n a multiple of 8 (AVX2).
//
//go:noescape
func twoSigmoidAVX(dst, src *float32, n int)

// clampAVX clamps n values (n a multiple of 8) to [−lim, lim] (AVX).
//
//go:noescape
func clampAVX(dst, src *float32, n int, lim float32)

// clampGradAVX passes gr where raw lies in [−lim, lim] and 0 elsewhere, over n
// values (n a multiple of 8; AVX).
//
//go:noescape
func clampGradAVX(dst, gr, raw *float32, n int, lim float32)

// maskGradAVX computes gr·m·(1 − m/2) over n values (n a multiple of 8; AVX).
//
//go:noescape
func maskGradAVX(dst, gr, m *float32, n int)
