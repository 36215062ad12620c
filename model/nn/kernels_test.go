package nn

import (
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/cpu"
)

// TestKernelSet checks that KernelSet names the widest set this CPU has.
func TestKernelSet(t *testing.T) {
	s := KernelSet()
	want := "Go"
	if runtime.GOARCH == "amd64" {
		switch {
		case cpu.X86.HasAVX512F && cpu.X86.HasAVX2 && cpu.X86.HasFMA:
			want = "Winograd transforms AVX-512"
		case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
			want = "Winograd transforms AVX2"
		}
	}
	if !strings.Contains(s, want) {
		t.Fatalf("KernelSet() = %q, want it to say %q", s, want)
	}
}
