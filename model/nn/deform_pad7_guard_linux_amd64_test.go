//go:build linux && amd64

package nn

import (
	"math/rand/v2"
	"testing"
)

// TestPad7GuardPages runs padRows7 (dcnPad7AVX) with the image and the
// padded buffer each of its exact length and ending on a PROT_NONE page:
// no read past the image's last value (its last channel's last pixel,
// which the last row's block reads) nor write past the pad faults, and
// every value is the image's, the ring zero.
func TestPad7GuardPages(t *testing.T) {
	if !haveSgemmKernels() {
		t.Skip("no GEMM kernels: padRows7 does not run")
	}
	rng := rand.New(rand.NewPCG(3, 7))
	for _, c := range []int{8, 32, 40} {
		for _, h := range []int{2, 7, 9} {
			hw := 7 * h
			x := guardSlice(t, c*hw)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			pad := guardSlice(t, (h+2)*9*c)
			clear(pad)
			if !padRows7(x, h, c, pad) {
				t.Fatal("padRows7 did not run where the GEMM kernels do")
			}
			checkPad7(t, x, h, c, pad)
		}
	}
}
