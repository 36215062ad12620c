package nn

// KernelSet names the hand-written kernel sets this CPU runs, for the
// headers of benchmarks and reports: the GEMM's micro-kernel, the
// Winograd route's transforms and copies, the deformable layer's sampling
// and the element-wise loops ("AVX-512", "AVX2" or "Go"). Timings taken on
// one set say little about another: on the same code a COCO training step
// took 2–3 times longer where only the portable Go loops stood in for the
// AVX-512 Winograd kernels.
func KernelSet() string { return kernelSet() }
