//go:build linux && amd64

package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"testing"
	"unsafe"
)

// TestRun32GuardPages runs dcnGather32x2AVX2 and dcnGather32AVX2 (through
// gather32) with the image ending on a PROT_NONE page right after the last
// entry's bottom-right corner's run, and the columns, the bases and the
// weights of their exact lengths ending there too (odd and even counts):
// no read or write past them faults, and the bits are dcnGatherAVX's on
// ordinary copies of the operands.
func TestRun32GuardPages(t *testing.T) {
	if !vecOK || pixGemmOK() {
		t.Skip("no AVX2, or AVX-512 (whose kernels take these runs first)")
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	rng := rand.New(rand.NewPCG(143, 144))
	const wp, hp = 6, 5
	last := (hp-1)*wp - 2
	for _, s := range []struct{ n, pix, count int }{{32, 32, 1}, {32, 32, 9}, {32, 32, 10}, {64, 64, 5}, {32, 48, 7}} {
		t.Run(fmt.Sprintf("n%d_pix%d_count%d", s.n, s.pix, s.count), func(t *testing.T) {
			row := wp * s.pix
			size := last*s.pix + row + s.pix + s.n // the run of the last corner ends the image
			rnd := func(k int) []float32 {
				v := guardSlice(t, k)
				for i := range v {
					v[i] = float32(rng.NormFloat64())
				}
				return v
			}
			img, wts := rnd(size), rnd(4*s.count)
			base := unsafe.Slice((*int32)(unsafe.Pointer(&guardSlice(t, s.count)[0])), s.count)
			for i := range base {
				base[i] = int32(rng.IntN(last))
			}
			base[s.count-1] = int32(last)
			oImg, oBase := append([]float32(nil), img...), append([]int32(nil), base...)
			oWts := append([]float32(nil), wts...)
			want := make([]float32, s.count*s.n)
			dcnGatherAVX(&want[0], &oImg[0], s.pix, row, &oBase[0], &oWts[0], s.count, s.n)
			col := guardSlice(t, s.count*s.n)
			if !gather32(col, img, s.pix, row, base, wts, s.n) {
				t.Fatal("gather32 did not run")
			}
			for i := range want {
				if math.Float32bits(col[i]) != math.Float32bits(want[i]) {
					t.Fatalf("column[%d] = %v on guarded slices, %v through dcnGatherAVX", i, col[i], want[i])
				}
			}
		})
	}
}
