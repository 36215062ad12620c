//go:build amd64

package nn

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

// pixBlock is the inner dimension's block of the GEMM pixGemm matches.
func pixBlock(k int) int { return balance(k, sgemmKern.kc, 1) }
