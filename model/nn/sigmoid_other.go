//go:build !amd64

package nn

func twoSigmoidAVX(dst, src *float32, n int) { panic("nn: twoSigmoidAVX without assembly") }

func clampAVX(dst, src *float32, n int, lim float32) { panic("nn: clampAVX without assembly") }

func clampGradAVX(dst, gr, raw *float32, n int, lim float32) {
	panic("nn: clampGradAVX without assembly")
}

func maskGradAVX(dst, gr, m *float32, n int) { panic("nn: maskGradAVX without assembly") }
