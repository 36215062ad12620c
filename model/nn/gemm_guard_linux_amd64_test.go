package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"syscall"
	"testing"
	"unsafe"
)

// guardSlice returns a float32 slice of length and capacity n whose last
// element ends exactly where a PROT_NONE page begins: a read one value
// past its end faults.
func guardSlice(t *testing.T, n int) []float32 {
	t.Helper()
	ps := syscall.Getpagesize()
	pages := (4*n+ps-1)/ps + 1
	mem, err := syscall.Mmap(-1, 0, pages*ps, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[(pages-1)*ps:], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&mem[(pages-1)*ps-4*n])), n)
}

// TestSgemmGuardPages runs sgemmWith on operands of their exact minimum
// lengths ((rows−1)·ld + cols) that end on a PROT_NONE page, A read in
// place (directA) and packed, in all four transposition cases, n on both
// sides of sgemmDirectACols and k = 1024 with no padding (an lda of 1024,
// which directA leaves to packing): no read past any operand faults, and
// both give the same bits.
func TestSgemmGuardPages(t *testing.T) {
	kn := sgemmKern
	if kn == nil || kn.fs[0] == nil {
		t.Skip("no kernels reading A in place on this CPU")
	}
	t.Logf("kernels %s", kn.name)
	saved := sgemmDirectACols
	defer func() { sgemmDirectACols = saved }()
	ms := []int{6, 7, 8, 9, 12, 13, 15, 16, 18, 24, 33, 136, 145}
	ns := []int{1, 16, 17, 32, 33, 255, 256, 257}
	ks := []int{1, 3, 4, 5, 8, 9, 256, 257, 300, 1024}
	if testing.Short() || raceEnabled {
		ms, ns, ks = []int{8, 17}, []int{17, 256, 257}, []int{3, 257, 1024}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, m := range ms {
		// One subtest per m, so that its guarded mappings are released
		// (t.Cleanup) before the next: all at once pass the kernel's limit
		// on mappings (vm.max_map_count).
		t.Run(fmt.Sprint("m=", m), func(t *testing.T) {
			for _, n := range ns {
				for _, k := range ks {
					for _, pad := range []int{0, 1, 5} {
						for tr := range 4 {
							transA, transB := tr&1 != 0, tr&2 != 0
							name := fmt.Sprintf("%dx%dx%d/pad=%d/transA=%v/transB=%v", m, n, k, pad, transA, transB)
							guardOnce(t, kn, name, m, n, k, pad, transA, transB, rng)
						}
					}
				}
			}
		})
	}
}

// guardOnce is one case of TestSgemmGuardPages.
func guardOnce(t *testing.T, kn *sgemmKernel, name string, m, n, k, pad int, transA, transB bool, rng *rand.Rand) {
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	lda := ac + pad
	a := guardSlice(t, (ar-1)*lda+ac)
	for i := range a {
		a[i] = float32(rng.NormFloat64())
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	ldb := bc + pad
	b := guardSlice(t, (br-1)*ldb+bc)
	for i := range b {
		b[i] = float32(rng.NormFloat64())
	}
	ldc := n + pad
	var outs [2][]float32
	for d, cols := range []int{-1, math.MaxInt} {
		sgemmDirectACols = cols
		c := guardSlice(t, (m-1)*ldc+n)
		for i := range c {
			c[i] = 0.5
		}
		sgemmWith(kn, transA, transB, m, n, k, 1, a, lda, b, ldb, 0.25, c, ldc)
		outs[d] = append([]float32(nil), c...)
	}
	for i := range outs[0] {
		if math.Float32bits(outs[0][i]) != math.Float32bits(outs[1][i]) {
			t.Fatalf("%s: packed and in place differ at %d: %g, %g", name, i, outs[0][i], outs[1][i])
		}
	}
}

// TestGuardSliceFaults checks the guard itself: a transposed-A kernel
// asked for one step more than its operand holds faults.
func TestGuardSliceFaults(t *testing.T) {
	kn := sgemmKern
	if kn == nil || kn.ft[0] == nil {
		t.Skip("no kernels reading A in place on this CPU")
	}
	mr, nr := kn.mr, kn.nr
	a := guardSlice(t, mr*5) // 5 steps of mr
	b := make([]float32, 6*nr)
	c := make([]float32, mr*nr)
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() {
		if recover() == nil {
			t.Fatal("reading a sixth step of a 5-step operand did not fault: the guard page does not guard")
		}
	}()
	if kn == sgemmAVX512 {
		sgemmKernel8x32T(6, &a[0], 8, &b[0], 32, &c[0], 32, 1, 0)
	} else {
		sgemmKernel6x16T(6, &a[0], 6, &b[0], 16, &c[0], 16, 1, 0)
	}
}
