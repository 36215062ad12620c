//go:build amd64

package nn

// dcnFill512 is deform_fill_amd64.s's AVX-512 sampling table fill (see
// there): a.n a multiple of 16.
//
//go:noescape
func dcnFill512(a *dcnFillArgs)

// noFill512 turns dcnFill512 off (tests and benchmarks: the AVX2 kernel
// alone).
var noFill512 bool

// fill512 fills the first n/16·16 pixels of a run with dcnFill512 where
// the AVX-512 kernels run and returns how many it filled.
func fill512(a *dcnFillArgs) int {
	if sgemmKern != sgemmAVX512 || a.n < 16 || noFill512 {
		return 0
	}
	b := *a
	b.n = a.n / 16 * 16
	dcnFill512(&b)
	return b.n
}

// dcnFill512T is deform_fill_amd64.s's fill of every tap of 16 pixels at
// a time (see there).
//
//go:noescape
func dcnFill512T(a *dcnFillTArgs)

// fill512TOK reports whether dcnFill512T runs here.
func fill512TOK() bool { return sgemmKern == sgemmAVX512 && !noFill512 }
