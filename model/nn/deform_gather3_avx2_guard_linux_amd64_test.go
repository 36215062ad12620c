package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"testing"
	"unsafe"
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
	const pix, wp, hp = 4, 6, 5
	row := wp * pix
	last := (hp-1)*wp - 2
	for _, count := range []int{4, 8, 12, 20} {
		t.Run(fmt.Sprint(count), func(t *testing.T) {
			img := guardSlice(t, last*pix+row+pix+4)
			for i := range img {
				img[i] = float32(rng.NormFloat64())
			}
			wts := guardSlice(t, 4*count)
			for i := range wts {
				wts[i] = float32(rng.NormFloat64())
			}
			base := unsafe.Slice((*int32)(unsafe.Pointer(&guardSlice(t, count)[0])), count)
			for i := range base {
				base[i] = int32(rng.IntN(last))
			}
			base[count-1] = int32(last)
			want := make([]float32, 3*count)
			oImg, oBase := append([]float32(nil), img...), append([]int32(nil), base...)
			oWts := append([]float32(nil), wts...)
			dcnGatherAVX(&want[0], &oImg[0], pix, row, &oBase[0], &oWts[0], count, 3)
			got := guardSlice(t, 3*count)
			dcnGather3x4AVX2(&got[0], &img[0], row, &base[0], &wts[0], count/4)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("dst[%d] = %v on guarded slices, %v through dcnGatherAVX", i, got[i], want[i])
				}
			}
		})
	}
}
