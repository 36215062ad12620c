package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"testing"
)

// TestStorePixGuardPages runs storePix's two orders of dcnOutT8 (8 pixels
// of every channel; 8 channels of every pixel, where the planes are 1024
// values apart) on a product and an output of their exact minimum lengths
// that end on a PROT_NONE page (guardSlice): every pixel count from 1 to
// 40 (blocks of 8, the overlapping last block, the loop below 8). No read
// or write past either faults, and the guarded calls give the bits of the
// same calls on ordinary slices.
func TestStorePixGuardPages(t *testing.T) {
	if !pixGemmOK() && !pixAVX2OK() {
		t.Skip("no AVX-512 or AVX2 GEMM kernels here: storePix does not run")
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	rng := rand.New(rand.NewPCG(71, 72))
	for _, ldy := range []int{45, planeAlias} {
		for _, o := range []int{8, 32, 64} {
			for n := 1; n <= 40; n++ {
				t.Run(fmt.Sprintf("ldy%d_o%d_n%d", ldy, o, n), func(t *testing.T) {
					if n > ldy {
						t.Skip("wider than the plane")
					}
					pix := guardSlice(t, n*o)
					for i := range pix {
						pix[i] = float32(rng.NormFloat64())
					}
					bias := guardSlice(t, o)
					for i := range bias {
						bias[i] = float32(rng.NormFloat64())
					}
					y := guardSlice(t, (o-1)*ldy+n)
					want := make([]float32, len(y))
					storePix(pix, o, n, y, ldy, bias, n%2 == 0)
					storePix(append([]float32(nil), pix...), o, n, want, ldy, append([]float32(nil), bias...), n%2 == 0)
					for i := range want {
						if math.Float32bits(y[i]) != math.Float32bits(want[i]) {
							t.Fatalf("y[%d] = %v on the guarded slices, %v on ordinary ones", i, y[i], want[i])
						}
					}
				})
			}
		}
	}
}
