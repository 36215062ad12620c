package nn

// twoSigmoidAVX is twoSigmoid32 over n values, n a multiple of 8 (AVX2).
//
//go:noescape
func twoSigmoidAVX(dst, src *float32, n int)

// clampAVX clamps n values (n a multiple of 8) to [−lim, lim] (AVX).
//
//go:noescape
func clampAVX(dst, src *float32, n int, lim float32)
