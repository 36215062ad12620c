package jpeg

import (
	"bytes"
	"math/rand/v2"
	"syscall"
	"testing"
)

// TestIDCTStoreAVX2GuardPages stores blocks into destinations of their exact length, 7·stride + 8
// bytes, that end where a PROT_NONE page starts (strides 8 to 40): no write past them faults, and
// the pixels are storeBlock's.
func TestIDCTStoreAVX2GuardPages(t *testing.T) {
	if !idctAVX2 {
		t.Skip("no AVX2 here: idctStoreAVX2 does not run")
	}
	ps := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 2*ps, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(mem)
	if err := syscall.Mprotect(mem[ps:], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(13, 12))
	for k, b := range idctCases(rng)[:200] {
		stride := 8 + k%33
		n := 7*stride + 8
		dst := mem[ps-n : ps : ps]
		bg, bw := b, b
		idctStoreAVX2(&bg, &dst[0], stride, &idctK)
		want := make([]byte, n)
		copy(want, dst)
		idct(&bw)
		storeBlock(&bw, want, stride)
		if bg != bw || !bytes.Equal(dst, want) {
			t.Fatalf("case %d stride %d: idctStoreAVX2 differs from idct and storeBlock", k, stride)
		}
	}
}
