package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"testing"
)

// TestGather3AVX2GuardPages runs dcnGather3x4AVX2 with the image ending on
// a PROT_NONE page right after its last pixel's 4th value (a corner of the
// last entry), and dst, the bases and the weights of their exact lengths
// (whole groups of 4 entries) ending there too: no read or write past them
// faults (the kernel's last stores of each group are 16 and 8 bytes), and
// the bits are dcnGatherAVX's on ordinary copies of the operands.
func TestGather3AVX2GuardPages(t *testing.T) {
	if !gather3AVX2 || !vecOK {
		t.Skip("no AVX2 and FMA: dcnGather3x4AVX2 does not run")
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	rng := rand.New(rand.NewPCG(145, 146))
	for _, count := range []int{4, 8, 12, 20} {
		t.Run(fmt.Sprint(count), func(t *testing.T) {
			g := newGather3Guard(t, rng, count)
			got := guardSlice(t, 3*count)
			dcnGather3x4AVX2(&got[0], &g.img[0], g.row, &g.base[0], &g.wts[0], count/4)
			want := g.want
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("dst[%d] = %v on guarded slices, %v through dcnGatherAVX", i, got[i], want[i])
				}
			}
		})
	}
}
