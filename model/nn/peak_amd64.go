package nn

import "golang.org/x/sys/cpu"

//go:noescape
func fmaPeak512(iters int)

//go:noescape
func fmaPeak256(iters int)

// peakKernel returns the widest FMA loop this CPU runs, the float32 flops
// one iteration of it does, and its name.
func peakKernel() (func(int), float64, string) {
	switch {
	case cpu.X86.HasAVX512F:
		return fmaPeak512, 12 * 16 * 2, "AVX-512 FMA"
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return fmaPeak256, 12 * 8 * 2, "AVX2 FMA"
	}
	return nil, 0, ""
}
