package nn

import (
	"testing"

	"golang.org/x/sys/cpu"
)

// TestMaskT8Route wants maskTranspose's kernel to run on every CPU with
// AVX2: dcnMaskT8 with AVX-512VL, else dcnMaskT8a (TestMaskTranspose and
// TestMaskTransposeGuardPages then test the kernel, not the Go loop twice).
func TestMaskT8Route(t *testing.T) {
	if !cpu.X86.HasAVX2 {
		t.Skip("no AVX2")
	}
	if maskT8OK == maskT8aOK {
		t.Fatalf("dcnMaskT8 %v, dcnMaskT8a %v: want exactly one", maskT8OK, maskT8aOK)
	}
}

// TestNarrowDwTRoute wants backwardNarrow to sum the weight gradient
// transposed (narrowDwT) where the GEMM runs its AVX2 kernels and not
// where it runs its AVX-512 ones (TestNarrowBackwardSameBits then holds
// that route to convBackward's bits here).
func TestNarrowDwTRoute(t *testing.T) {
	want := sgemmKern == sgemmAVX2
	if narrowDwT() != want {
		t.Fatalf("narrowDwT = %v, want %v", narrowDwT(), want)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA && !cpu.X86.HasAVX512F && !narrowDwT() {
		t.Fatal("AVX2 and FMA without AVX-512: narrowDwT should hold")
	}
}
