package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkPixGemm is the deformable layer's forward GEMM (pixGemm) on one
// band of pixels at the COCO net's deformable shapes: 32→32 at 64×64
// (ck 288), 32→64 and 64→64 at 32×32 (ck 288, 576), 64→128 and 128→128
// at 16×16 (ck 576, 1152; a whole image of 256 pixels).
func BenchmarkPixGemm(b *testing.B) {
	if !pixGemmOK() && !pixAVX2OK() {
		b.Skip("no AVX-512 or AVX2 GEMM kernels here: pixGemm does not run")
	}
	for _, s := range []struct{ o, n, ck int }{
		{32, 256, 288}, {64, 256, 288}, {64, 256, 576}, {128, 256, 576}, {128, 256, 1152},
	} {
		b.Run(fmt.Sprintf("o%d_n%d_ck%d", s.o, s.n, s.ck), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			w := make([]float32, s.o*s.ck)
			col := make([]float32, s.n*s.ck)
			for _, v := range [][]float32{w, col} {
				for i := range v {
					v[i] = float32(rng.NormFloat64())
				}
			}
			wp := make([]float32, len(w))
			packPixWeight(wp, w, s.o, s.ck)
			out := make([]float32, s.n*s.o)
			scratch := make([]float32, pixGemmScratch(s.ck))
			cpuLoop(b, 2*float64(s.o*s.n*s.ck), func() { pixGemm(s.o, s.n, s.ck, wp, col, out, scratch) })
		})
	}
}

// BenchmarkDcolRoutes is the banded backward's column gradient of one band
// of 256 pixels, dcol = gyᵀ·wT, at dcnn-middle's and dcnn-last's
// deformable shapes (O output channels, ck = 9·C): "gemm" through the
// general GEMM (packing gyᵀ and wT each call), "pix" through dcolPix (gy's
// band transposed, wT packed once outside the loop, as Backward does).
func BenchmarkDcolRoutes(b *testing.B) {
	if !pixGemmOK() {
		b.Skip("no AVX-512 GEMM kernels here: pixGemm does not run")
	}
	const nq, P = 256, 1024
	for _, s := range []struct{ c, o int }{{32, 64}, {64, 64}, {64, 128}, {128, 128}} {
		ck := 9 * s.c
		rng := rand.New(rand.NewPCG(1, 2))
		mk := func(n int) []float32 {
			v := make([]float32, n)
			for i := range v {
				v[i] = float32(rng.NormFloat64())
			}
			return v
		}
		gy, wT := mk(s.o*P), mk(s.o*ck)
		dcol := make([]float32, nq*ck)
		wp, gyT := make([]float32, s.o*ck), make([]float32, nq*s.o)
		scratch := make([]float32, pixGemmScratch(s.o))
		packDcolWeight(wp, wT, s.o, ck)
		fl := 2 * float64(s.o*nq*ck)
		name := fmt.Sprintf("%d→%d", s.c, s.o)
		b.Run(name+"/gemm", func(b *testing.B) {
			cpuLoop(b, fl, func() { gemm(true, false, nq, ck, s.o, 1, gy, P, wT, ck, 0, dcol, ck) })
		})
		b.Run(name+"/pix", func(b *testing.B) {
			cpuLoop(b, fl, func() { dcolPix(s.o, ck, nq, gy, P, wp, gyT, dcol, scratch) })
		})
	}
}
