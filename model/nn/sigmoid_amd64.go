package nn

// twoSigmoidAVX is twoSigmoid32 over n values, n a multiple of 8 (AVX2).
//
//go:noescape
func twoSigmoidAVX(dst, src *float32, n int)
