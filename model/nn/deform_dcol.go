package nn

// The banded backward's column gradient through pixGemm.
//
// The column gradient of a band of nq pixels is dcol = gyᵀ·wT (nq×ck, one
// row per pixel, as the scatter reads it), gy the band's output gradient
// (O×nq, channel-major, row stride P) and wT the weight in column order
// (O×ck). The general GEMM computes it with gyᵀ as its transposed A
// operand and wT as B: it packs gyᵀ (packTranspose8, an 8×8 transpose of
// every value) and all of wT (O·ck values) once per band and image, the
// same wT each time. Here gy's band is transposed once into pixel-major
// rows (O values a pixel) and dcol comes from pixGemm, with wT packed
// once a Backward (pixGemm's weight of ck "outputs" and O inner values).
// BenchmarkDcolRoutes (a band of 256 pixels, -cpu 1, 6 runs, load 4.9):
// 128→128 (dcnn-last's conv6) 492 → 461 µs, −6 %; 64→128 +0.6 %, 64→64
// +1.5 %, 32→64 +3.7 %: so it runs from 128 output channels on.
//
// The sums are the GEMM's to the bit: each dcol value is one chain of
// fused multiply-adds over the O output channels in order, cut into the
// same blocks (pixBlock is the GEMM's kc balanced), the blocks' partial
// sums added in order (TestDeformBandsSameBits, TestDcolPixMatchesGemm).

// dcolPixFits reports whether the banded backward takes its column
// gradient through pixGemm: float32 with the AVX-512 kernels (pixGemmOK;
// the AVX2 pixGemm runs the forward only, this route was not measured
// with it), ck a multiple of 32 (pixGemm's output blocks), at least
// dcolPixMinOut output channels.
func (d *DeformConv2D[T]) dcolPixFits() bool {
	return d.g.O >= dcolPixMinOut && pixGemmOK() && pixGemmFits[T](d.g.ck())
}

// dcolPixMinOut is the fewest output channels (dcol's inner dimension)
// for which dcolPix runs (see above).
const dcolPixMinOut = 128

// packDcolWeight packs wT (o×ck, row-major) as pixGemm's weight for
// dcol = gyᵀ·wT: for each block of 32 columns of wT, its o rows of 32
// (the layout packPixWeight gives wTᵀ, without forming wTᵀ).
func packDcolWeight(dst, wT []float32, o, ck int) {
	_, _ = dst[o*ck-1], wT[o*ck-1]
	for jb := 0; jb < ck; jb += 32 {
		for k := range o {
			copy(dst[jb*o+k*32:][:32], wT[k*ck+jb:][:32])
		}
	}
}

// dcolPix sets dcol (nq×ck, row stride ck) = gyᵀ·wT for the nq pixels
// whose output gradient starts at gy (O rows, stride ld), through gyT
// (nq·O values) and pixGemm with the weight packDcolWeight packed (wp);
// scratch holds pixGemmScratch(O) values.
func dcolPix(o, ck, nq int, gy []float32, ld int, wp, gyT, dcol, scratch []float32) {
	transposeInto(gy, ld, gyT[:nq*o], o, o, nq)
	pixGemm(ck, nq, o, wp, gyT[:nq*o], dcol[:nq*ck], scratch)
}
