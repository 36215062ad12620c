//go:build amd64

package nn

import "golang.org/x/sys/cpu"

// dcnGemm8x32 is deform_gemm_amd64.s's micro-kernel (see there).
//
//go:noescape
func dcnGemm8x32(kc int, a *float32, lda int, b *float32, c *float32, ldc int, add int)

// pixGemmOK reports whether pixGemm's AVX-512 kernel runs here: where the
// GEMM runs its AVX-512 kernels, whose sums it reproduces.
func pixGemmOK() bool { return sgemmKern == sgemmAVX512 }

func pixKernel(kc int, a []float32, lda int, b []float32, c []float32, ldc int, add bool) {
	ad := 0
	if add {
		ad = 1
	}
	dcnGemm8x32(kc, &a[0], lda, &b[0], &c[0], ldc, ad)
}

// dcnGemm6x32AVX2 is deform_gemm_amd64.s's AVX2 micro-kernel (see there).
//
//go:noescape
func dcnGemm6x32AVX2(kc int, a *float32, lda int, b *float32, c *float32, ldc int, add int)

// pixAVX2OK reports whether pixGemm runs its AVX2 kernel here
// (dcnGemm6x32AVX2): where the GEMM runs its AVX2 kernels (sgemmAVX2,
// 6×16 chains of fused multiply-adds), whose sums it reproduces.
func pixAVX2OK() bool { return sgemmKern == sgemmAVX2 }

// pixRows is the pixel rows of pixGemm's micro-kernel here: 8 with
// AVX-512 (dcnGemm8x32), 6 with AVX2 (dcnGemm6x32AVX2).
func pixRows() int {
	if pixGemmOK() {
		return 8
	}
	return 6
}

// pixKernelRows is pixGemm's micro-kernel here: pixRows() rows of a by 32
// output channels (pixKernel with AVX-512, dcnGemm6x32AVX2 with AVX2).
func pixKernelRows(kc int, a []float32, lda int, b []float32, c []float32, ldc int, add bool) {
	if pixGemmOK() {
		pixKernel(kc, a, lda, b, c, ldc, add)
		return
	}
	if !pixAVX2OK() {
		panic("nn: pixKernelRows without the AVX2 GEMM")
	}
	ad := 0
	if add {
		ad = 1
	}
	// The kernel reads 6 rows of kc values and writes 6 rows of 32.
	_, _, _ = a[5*lda+kc-1], b[32*kc-1], c[5*ldc+31]
	dcnGemm6x32AVX2(kc, &a[0], lda, &b[0], &c[0], ldc, ad)
}

// narrowKernel is narrowDcol's micro-kernel: pixRows() rows of a by 32
// output channels stored (not added) at c's row stride ldc, which may be
// less than 32: each row's 32−ldc values past ldc land on the following
// rows' first ones (several rows where ldc < 16), which their stores
// write over (pixKernel with AVX-512, whose rows are stored whole in
// order; dcnGemm6x32AVX2 with AVX2, told to store its upper 16 channels
// first, so that every row's lower half is stored after every upper half).
// c holds 5·ldc + 32 values or more.
func narrowKernel(kc int, a []float32, lda int, b []float32, c []float32, ldc int) {
	if pixGemmOK() {
		pixKernel(kc, a, lda, b, c, ldc, false)
		return
	}
	if !pixAVX2OK() {
		panic("nn: narrowKernel without the AVX2 GEMM")
	}
	_, _, _ = a[5*lda+kc-1], b[32*kc-1], c[5*ldc+31]
	dcnGemm6x32AVX2(kc, &a[0], lda, &b[0], &c[0], ldc, 2)
}

// pixBlock is the inner dimension's block of the GEMM pixGemm matches.
func pixBlock(k int) int { return balance(k, sgemmKern.kc, 1) }

// dcnGather512 is deform_vec_amd64.s's AVX-512 sampling (see there): n a
// multiple of 16.
//
//go:noescape
func dcnGather512(dst, img *float32, pix, row int, base *int32, wts *float32, count, n int)

// gather512 samples with dcnGather512 where it applies (AVX-512, runs of a
// multiple of 16 channels) and reports whether it did.
func gather512(dst, img []float32, pix, row int, base []int32, wts []float32, n int) bool {
	if n%16 != 0 || sgemmKern != sgemmAVX512 {
		return false
	}
	dcnGather512(&dst[0], &img[0], pix, row, &base[0], &wts[0], len(base), n)
	return true
}

// dcnScatter512 is deform_vec_amd64.s's AVX-512 sampling gradient (see
// there): n a multiple of 16.
//
//go:noescape
func dcnScatter512(dimg, img *float32, pix, row int, base *int32, wts, gr, s *float32, count, n int)

// scatter512 runs dcnScatter512 where it applies (AVX-512, runs of a
// multiple of 16 channels) and reports whether it did.
func scatter512(dimg, img []float32, pix, row int, base []int32, wts, g, s []float32, n int) bool {
	if n%16 != 0 || sgemmKern != sgemmAVX512 {
		return false
	}
	dcnScatter512(&dimg[0], &img[0], pix, row, &base[0], &wts[0], &g[0], &s[0], len(base), n)
	return true
}

// dcnScatterCols512 is deform_vec_amd64.s's sampling gradient that also
// writes the columns over the column gradient it reads (see there): n a
// multiple of 16.
//
//go:noescape
func dcnScatterCols512(dimg, img *float32, pix, row int, base *int32, wts, gr, s *float32, count, n int)

// scatterCols512OK reports whether scatterCols512 runs here for runs of n
// channels: AVX-512 with its 256-bit forms (VL: the kernel's upper
// halves are in Y16 and up), n a multiple of 16.
func scatterCols512OK(n int) bool {
	return n > 0 && n%16 == 0 && sgemmKern == sgemmAVX512 && vecOK && cpu.X86.HasAVX512VL
}

// scatterCols512Bound is scatterCols512 for entries whose bases are at
// most last (see dcnGatherBound). base is not empty.
func scatterCols512Bound(dimg, img []float32, pix, row int, base []int32, wts, g, s []float32, n, last int) {
	checkBound(base, last)
	if n <= 0 || n%16 != 0 { // the kernel's loop ends at exactly 0
		panic("nn: scatterCols512 on runs of a multiple of 16 channels only")
	}
	_, _, _, _ = g[len(base)*n-1], s[4*len(base)-1], img[last*pix+row+pix+n-1], dimg[last*pix+row+pix+n-1]
	_ = wts[4*len(base)-1]
	dcnScatterCols512(&dimg[0], &img[0], pix, row, &base[0], &wts[0], &g[0], &s[0], len(base), n)
}

// dcnScatterColsAVX is dcnScatterCols512 in AVX2 for n a multiple of 8
// (deform_vec_amd64.s).
//
//go:noescape
func dcnScatterColsAVX(dimg, img *float32, pix, row int, base *int32, wts, gr, s *float32, count, n int)

// scatterColsAVXOK reports whether dcnScatterColsAVX runs here for runs of
// n channels where scatterCols512 does not: AVX2 with FMA, n a multiple
// of 8.
func scatterColsAVXOK(n int) bool { return n > 0 && n%8 == 0 && vecOK && !scatterCols512OK(n) }

// scatterColsVecOK reports whether scatterColsVec runs here for runs of n
// channels: scatterCols512 or dcnScatterColsAVX.
func scatterColsVecOK(n int) bool { return scatterCols512OK(n) || scatterColsAVXOK(n) }

// scatterColsVec is scatterCols512's work by whichever of its kernels runs
// here (scatterColsVecOK(n) must hold): the gather's columns over g, the
// scatter's input gradient and corner sums, the same bits.
func scatterColsVec(dimg, img []float32, pix, row int, base []int32, wts, g, s []float32, n int) {
	if len(base) == 0 {
		return
	}
	scatterColsVecBound(dimg, img, pix, row, base, wts, g, s, n, maxBase(base))
}

// scatterColsVecBound is scatterColsVec for entries whose bases are at
// most last (see dcnGatherBound). base is not empty.
func scatterColsVecBound(dimg, img []float32, pix, row int, base []int32, wts, g, s []float32, n, last int) {
	if scatterCols512OK(n) {
		scatterCols512Bound(dimg, img, pix, row, base, wts, g, s, n, last)
		return
	}
	checkBound(base, last)
	if !scatterColsAVXOK(n) { // the kernel's loop ends at exactly 0
		panic("nn: scatterColsVec on runs of a multiple of 8 channels only, with AVX2")
	}
	_, _, _, _ = g[len(base)*n-1], s[4*len(base)-1], img[last*pix+row+pix+n-1], dimg[last*pix+row+pix+n-1]
	_ = wts[4*len(base)-1]
	dcnScatterColsAVX(&dimg[0], &img[0], pix, row, &base[0], &wts[0], &g[0], &s[0], len(base), n)
}

// dcnDots4AVX is deform_vec_amd64.s's corner sums without the input
// gradient (see there).
//
//go:noescape
func dcnDots4AVX(img *float32, pix, row int, base *int32, gr, s *float32, count, n int)

// dots4 sets the corner sums s of dcnScatter4 alone (dcnDots4AVX, the same
// bits) where it applies: AVX2, pixels of 4 values, n ≤ 4; it reports
// whether it ran.
func dots4(img []float32, pix, row int, base []int32, g, s []float32, n int) bool {
	if len(base) == 0 {
		return false
	}
	return dots4Bound(img, pix, row, base, g, s, n, maxBase(base))
}

// dots4Bound is dots4 for entries whose bases are at most last (see
// dcnGatherBound). base is not empty.
func dots4Bound(img []float32, pix, row int, base []int32, g, s []float32, n, last int) bool {
	checkBound(base, last)
	if !vecOK || pix != 4 || n > 4 {
		return false
	}
	_, _, _ = g[len(base)*n-1], s[4*len(base)-1], img[last*pix+row+pix+3]
	dcnDots4AVX(&img[0], pix, row, &base[0], &g[0], &s[0], len(base), n)
	return true
}

// dcnOutT8 is deform_vec_amd64.s's transpose with bias and ReLU (see
// there).
//
//go:noescape
func dcnOutT8(src *float32, lds int, dst *float32, ldd int, blocks int, bias *float32, floor float32, sstep, bstep, dstep int)

// outT8 writes 8 pixels of 8·blocks channels (dcnOutT8, see storePix).
func outT8(src []float32, lds int, dst []float32, ldd, blocks int, bias []float32, floor float32) {
	dcnOutT8(&src[0], lds, &dst[0], ldd, blocks, &bias[0], floor, 32, 32, 0)
}

// outT8Pix writes 8 channels of 8·blocks pixels (dcnOutT8, see storePix).
func outT8Pix(src []float32, lds int, dst []float32, ldd, blocks int, bias []float32, floor float32) {
	dcnOutT8(&src[0], lds, &dst[0], ldd, blocks, &bias[0], floor, 32*lds, 0, 32-32*ldd)
}
