// Package nn is Deformscope's neural-network engine: tensors, layers with
// forward and backward passes, the deformable convolution, and the softmax
// cross-entropy loss.
//
// Every layer is generic over float32 (for training) and float64 (for checks
// against torchvision's reference numbers and finite differences). A tensor
// is a shape over a plain slice, and hot loops run over that slice (Data).
//
// Layouts follow PyTorch: activations are B×C×H×W in row-major order, a
// convolution weight is O×C×kh×kw, and the deformable convolution takes
// torchvision's offset layout (B×2·G·kh·kw×Ho×Wo, dy before dx for each tap)
// and mask layout (B×G·kh·kw×Ho×Wo).
//
// Work inside a layer is split over the batch in fixed chunks, run on all
// cores, and reduced in chunk order, so that the same inputs give the same
// bits whatever the number of cores.
//
// On amd64 the float32 hot loops are Go assembly: the GEMM micro-kernels
// (gemm_amd64.s) and AVX2 element-wise kernels (vec_amd64.s: bias and fused
// ReLU, gradient masks, pooling, the deformable bilinear gather and its
// transpose). float64, other CPUs and other architectures run the same
// algorithms as Go loops, and the tests check the two against each other.
//
// The assembly is ours rather than a library's because the kernels are
// fused to this engine's layouts (the Winograd route's planes, the
// deformable layer's sampling table) and must give the Go loops' bits. The
// CPU picks the set at start-up (KernelSet names it): AVX-512 where the CPU
// has it, else AVX2 with FMA (the GEMM at 6×16, the Winograd F(4×4, 3×3)
// transforms and copies, the deformable layer's pixel GEMM, its sampling
// of runs of 3 and of 32 channels, its table fill, the 7-wide pad of its
// input, its narrow backward and the table-free sampling gradient of a
// first layer (dcnDotsGradAVX), the scatter that also writes the columns
// (dcnScatterColsAVX), the element-wise loops), else Go. The AVX-512 set
// has more fused kernels; the AVX2 set is the one most desktops run.
package nn
