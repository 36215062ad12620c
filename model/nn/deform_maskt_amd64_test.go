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
