//go:build amd64

package nn

// dcnDotsGrad512 is deform_dotsgrad_amd64.s's sampling gradient without a
// table (see there and dotsGrad).
//
//go:noescape
func dcnDotsGrad512(a *dcnDotsGradArgs)

// dotsGrad512OK reports whether dcnDotsGrad512 runs here.
func dotsGrad512OK() bool { return sgemmKern == sgemmAVX512 }
