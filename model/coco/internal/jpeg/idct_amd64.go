package jpeg

import "golang.org/x/sys/cpu"

// idctAVX2 reports whether idctStore runs idctStoreAVX2 (idct_amd64.s): idct's int32 arithmetic on
// 8 rows or columns at once, in assembly for speed (the Go loops are a fifth of a region decode),
// with the same bits (the same operations in the same places; integer sums and products wrap the
// same way in any order).
var idctAVX2 = cpu.X86.HasAVX2

// idctK holds idctStoreAVX2's constants, each in 8 int32 lanes: for every dctBox call of idct its
// kcos, ksin−kcos and kcos+ksin (dctBox's factors), the 1/√2 factors, the rounding term, the level
// shift and the order of a store's rows (see idct_amd64.s for the layout).
var idctK = func() (k [17][8]int32) {
	set := func(i int, v int32) {
		for j := range k[i] {
			k[i][j] = v
		}
	}
	box := func(i int, kcos, ksin int32) {
		set(i, kcos)
		set(i+1, ksin-kcos)
		set(i+2, kcos+ksin)
	}
	box(0, c(sqrt2inv_cos6, 18), -c(sqrt2inv_sin6, 18))
	box(3, c(cos3, 12), -c(sin3, 12))
	box(6, c(cos1, 12), -c(sin1, 12))
	set(9, c(sqrt2inv, 8))
	box(10, c(sqrt2inv_cos6, 12), -c(sqrt2inv_sin6, 12))
	set(13, c(sqrt2inv, 14))
	set(14, 1<<19)
	set(15, 128)
	k[16] = [8]int32{0, 4, 1, 5, 2, 6, 3, 7}
	return k
}()

// idctStoreAVX2 is idct(b) then storeBlock(b, dst, stride): b holds idct's output afterwards and
// dst's 8 rows of 8 bytes (at dst, dst+stride, …) the level-shifted, clipped pixels.
//
//go:noescape
func idctStoreAVX2(b *block, dst *byte, stride int, k *[17][8]int32)

// idctStore is idct(b) then storeBlock(b, dst, stride), with idctStoreAVX2 where AVX2 is.
func idctStore(b *block, dst []byte, stride int) {
	if idctAVX2 {
		_ = dst[7*stride+7]
		idctStoreAVX2(b, &dst[0], stride, &idctK)
		return
	}
	idct(b)
	storeBlock(b, dst, stride)
}
