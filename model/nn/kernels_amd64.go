package nn

import "fmt"

func kernelSet() string {
	gemm := "Go (gonum)"
	if k := sgemmKern; k != nil {
		gemm = fmt.Sprintf("%s %d×%d", k.name, k.mr, k.nr)
	}
	set := func(avx512, avx2 bool) string {
		switch {
		case avx512:
			return "AVX-512"
		case avx2:
			return "AVX2"
		}
		return "Go"
	}
	return fmt.Sprintf("GEMM %s; Winograd transforms %s, copies %s; deformable sampling %s; element-wise %s",
		gemm, set(wino4XformOK, wino4XformAVX2), set(winoCopyOK, winoCopyAVX2),
		set(gather3OK, vecOK), set(false, vecOK))
}
