//go:build amd64

package nn

// dcnFill512T is deform_fill_amd64.s's fill of every tap of 16 pixels at
// a time (see there).
//
//go:noescape
func dcnFill512T(a *dcnFillTArgs)

// noFill512 turns dcnFill512T off (tests and benchmarks: the AVX2 kernel
// alone).
var noFill512 bool

// fill512TOK reports whether dcnFill512T runs here.
func fill512TOK() bool { return sgemmKern == sgemmAVX512 && !noFill512 }
