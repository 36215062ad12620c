package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"testing"
)

// TestSdotTGuardPages runs sdotTBlocks on operands of their exact minimum
// lengths ((rows−1)·ld + cols) that end on a PROT_NONE page, on ragged
// edges and tails, rows with and without padding: no read or write past
// any operand faults, and the bits are sdotTRef's.
func TestSdotTGuardPages(t *testing.T) {
	if !sdotTOK {
		t.Skip("no AVX-512 here")
	}
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	rng := rand.New(rand.NewPCG(7, 8))
	for _, m := range []int{1, 3, 4, 5, 8, 27} {
		for _, n := range []int{1, 2, 4, 6, 8, 33} {
			for _, k := range []int{1, 5, 16, 17, 31, 128, 130} {
				for _, pad := range []int{0, 1, 5} {
					name := fmt.Sprintf("%dx%dx%d/pad=%d", m, n, k, pad)
					lda, ldb, ldc := k+pad, k+pad, n+pad
					a := guardSlice(t, (m-1)*lda+k)
					b := guardSlice(t, (n-1)*ldb+k)
					c := guardSlice(t, (m-1)*ldc+n)
					for i := range a {
						a[i] = float32(rng.NormFloat64())
					}
					for i := range b {
						b[i] = float32(rng.NormFloat64())
					}
					want := make([]float32, len(c))
					sdotTRef(m, n, k, a, lda, b, ldb, want, ldc)
					sdotTBlocks(m, n, k, a, lda, b, ldb, c, ldc)
					for i := range m {
						for j := range n {
							g, w := c[i*ldc+j], want[i*ldc+j]
							if math.Float32bits(g) != math.Float32bits(w) {
								t.Fatalf("%s: C[%d][%d] = %g, sdotTRef's %g", name, i, j, g, w)
							}
						}
					}
				}
			}
		}
	}
}

// TestSdotTGuardFaults checks the guard itself: the kernel asked for one
// value more than a row of B holds faults.
func TestSdotTGuardFaults(t *testing.T) {
	if !sdotTOK {
		t.Skip("no AVX-512 here")
	}
	a := make([]float32, 4*17)
	b := guardSlice(t, 3*17+16) // the last row is one value short of 17
	var ap, bp [4]*float32
	for r := range 4 {
		ap[r], bp[r] = &a[r*17], &b[r*17]
	}
	var c [16]float32
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() {
		if recover() == nil {
			t.Fatal("reading a 17th value of a 16-value row did not fault: the guard page does not guard")
		}
	}()
	sdotT4x4(17, &ap, &bp, &c[0], 4)
}
