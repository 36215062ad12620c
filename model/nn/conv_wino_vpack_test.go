package nn

import (
	"math/rand/v2"
	"testing"
)

// TestWinoVPackSameBits checks that a training Forward that keeps V packed
// for the weight gradient's GEMM (winoVPack, gemmPackBT/gemmPackedB) gives
// the bits of one that keeps V as the transform wrote it, with 2×2 and 4×4
// tiles, channels not multiples of 8, 16 or 32 (ragged column panels of
// the packed Vᵀ), a last chunk with fewer tiles than the others, and the
// transforms in blocks.
func TestWinoVPackSameBits(t *testing.T) {
	defer func(k int) { winoNoVPack, winoBlockCols = false, k }(winoBlockCols)
	cases := []struct{ in, out, m, b, h, w, cols int }{
		{32, 64, 4, 3, 16, 16, 0},
		{24, 40, 4, 5, 30, 30, 0},
		{33, 48, 4, 3, 12, 12, 40}, // 9 tiles an image
		{32, 64, 2, 9, 16, 16, 0},
		{16, 24, 2, 3, 18, 14, 256},
		{40, 17, 2, 2, 8, 8, 0}, // 17 = a column panel of 16 and one of 1
	}
	for _, tc := range cases {
		cfg := Conv2DConfig{In: tc.in, Out: tc.out, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}
		var res [2][4][]float64
		for k, off := range []bool{true, false} {
			winoNoVPack, winoBlockCols = off, tc.cols
			rng := rand.New(rand.NewPCG(uint64(tc.h), uint64(tc.in)))
			c, err := NewConv2D[float32]("c", cfg, rng)
			if err != nil {
				t.Fatal(err)
			}
			c.forceWino, c.winoForceM = true, tc.m
			x := New[float32](tc.b, tc.in, tc.h, tc.w)
			for i := range x.data {
				x.data[i] = float32(rng.NormFloat64())
			}
			res[k] = runConv(t, c, x)
			if g := c.g; !off && haveSgemmKernels() && (winoVPack[float32](g, g.wino(tc.m)) == 0 || c.cache == nil) {
				t.Fatalf("%+v: V is not kept packed: the test tests nothing", tc)
			}
		}
		for j, name := range []string{"y", "dx", "dW", "db"} {
			for i := range res[0][j] {
				if a, b := res[1][j][i], res[0][j][i]; a != b && !(a != a && b != b) {
					t.Fatalf("%+v: %s[%d] = %v with V packed, %v without", tc, name, i, a, b)
				}
			}
		}
	}
}
