package jpeg

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"
)

// idctCases returns random blocks for the IDCT tests: dequantised coefficients of a JPEG's range
// (±2047·255 at most, mostly small), blocks with only a few non-zero terms, and any int32 at all
// (where the int32 arithmetic wraps: the kernel must wrap the same way).
func idctCases(rng *rand.Rand) []block {
	var bs []block
	for k := range 600 {
		var b block
		switch k % 4 {
		case 0:
			for i := range b {
				b[i] = int32(rng.IntN(4096)-2048) * int32(1+rng.IntN(16))
			}
		case 1:
			for range 1 + rng.IntN(4) {
				b[rng.IntN(64)] = int32(rng.IntN(2*2047*255+1) - 2047*255)
			}
		case 2:
			for i := range b {
				b[i] = int32(rng.Uint32())
			}
		case 3:
			for i := range b {
				b[i] = int32(rng.IntN(2*2047*255+1) - 2047*255)
			}
		}
		bs = append(bs, b)
	}
	return bs
}

// TestIDCTStoreAVX2MatchesGo runs idctStoreAVX2 and the Go idct then storeBlock on random blocks,
// with strides of 8 to 40: the block's int32 afterwards and every stored byte must be the same,
// and the bytes between the rows untouched.
func TestIDCTStoreAVX2MatchesGo(t *testing.T) {
	if !cpu.X86.HasAVX2 {
		t.Skip("no AVX2 here: idctStoreAVX2 does not run")
	}
	if !idctAVX2 {
		t.Fatal("AVX2 here but idctStore does not use idctStoreAVX2")
	}
	rng := rand.New(rand.NewPCG(13, 11))
	for k, b := range idctCases(rng) {
		stride := 8 + k%33
		got, want := make([]byte, 7*stride+8), make([]byte, 7*stride+8)
		for i := range got {
			got[i] = uint8(rng.IntN(256))
			want[i] = got[i]
		}
		bg, bw := b, b
		idctStore(&bg, got, stride)
		idct(&bw)
		storeBlock(&bw, want, stride)
		if bg != bw {
			t.Fatalf("case %d: idctStoreAVX2's block differs from idct's", k)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("case %d stride %d: idctStoreAVX2's pixels differ from storeBlock's", k, stride)
		}
	}
}
