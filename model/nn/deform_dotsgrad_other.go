//go:build !amd64

package nn

func dotsGrad512OK() bool { return false }

func dcnDotsGrad512(a *dcnDotsGradArgs) { panic("nn: dcnDotsGrad512 without assembly") }

func dotsGradAVXOK() bool { return false }

func dcnDotsGradAVX(a *dcnDotsGradArgs) { panic("nn: dcnDotsGradAVX without assembly") }
