package nn

import (
	"math/rand/v2"
	"testing"
)

// TestWinoPackUSameBits checks that packing U once for every chunk's GEMMs
// (winoPackU: U for the forward, Uᵀ for the input gradient; taken with
// kernels that pack every A: the test runs the AVX2 kernels without their
// in-place fs and ft, sgemmAVX2Packing) gives the bits of packing it in each
// GEMM, with 2×2 and 4×4 tiles, channels not
// multiples of 8 (ragged row panels of the packed U), a last chunk with
// fewer tiles than the others, and the transforms in blocks.
func TestWinoPackUSameBits(t *testing.T) {
	if _, ok := sgemmVariants()["avx2"]; !ok {
		t.Skip("no AVX2 kernels on this CPU")
	}
	defer func(k int, kn *sgemmKernel) {
		winoNoPackU, winoBlockCols, sgemmKern = false, k, kn
	}(winoBlockCols, sgemmKern)
	sgemmKern = sgemmAVX2Packing()
	cases := []struct{ in, out, m, b, h, w, cols int }{
		{32, 64, 4, 3, 16, 16, 0},
		{24, 40, 4, 5, 30, 30, 0},
		{33, 48, 4, 3, 12, 12, 40}, // 9 tiles an image
		{32, 64, 2, 9, 16, 16, 0},
		{16, 24, 2, 3, 18, 14, 256},
		{40, 17, 2, 2, 8, 8, 0}, // 17 outputs: a last row panel of one
		{3, 5, 2, 2, 8, 8, 0},   // 4 and 3 rows: half panels only
	}
	for _, tc := range cases {
		cfg := Conv2DConfig{In: tc.in, Out: tc.out, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}
		var res [2][4][]float64
		for k, off := range []bool{true, false} {
			winoNoPackU, winoBlockCols = off, tc.cols
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
			if packed := len(c.winoUp) > 0; packed == off {
				t.Fatalf("%+v: U packed beforehand %v, want %v: the test tests nothing", tc, packed, !off)
			}
		}
		for j, name := range []string{"y", "dx", "dW", "db"} {
			for i := range res[0][j] {
				if a, b := res[1][j][i], res[0][j][i]; a != b && !(a != a && b != b) {
					t.Fatalf("%+v: %s[%d] = %v with U packed once, %v in each GEMM", tc, name, i, a, b)
				}
			}
		}
	}
}

// sgemmAVX2Packing is the AVX2 kernel set without its kernels that read A
// in place (fs, ft): a set for which sgemmPacksA holds, as the AVX2 set
// was before session 10 (lane 12g), for the tests and benchmarks of
// winoPackU.
func sgemmAVX2Packing() *sgemmKernel {
	kn := *sgemmAVX2
	kn.fs, kn.ft = [2]sgemmMicroS{}, [2]sgemmMicroS{}
	return &kn
}
