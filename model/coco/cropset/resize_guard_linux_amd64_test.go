package cropset

import (
	"bytes"
	"image/color"
	"math"
	"math/rand/v2"
	"syscall"
	"testing"
	"unsafe"
)

// guardBytes returns n bytes that end where a PROT_NONE page starts: reading or writing past them
// faults.
func guardBytes(t *testing.T, n int) []byte {
	t.Helper()
	ps := syscall.Getpagesize()
	pages := (n+ps-1)/ps + 1
	mem, err := syscall.Mmap(-1, 0, pages*ps, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[(pages-1)*ps:], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	return mem[(pages-1)*ps-n : (pages-1)*ps : (pages-1)*ps]
}

// TestResizeAVX2GuardPages runs hpass4 (4 rows and 1) and vaxpy on operands of their exact minimum
// lengths, each ending on a PROT_NONE page: 3·sstride + 3·sw + 1 source bytes (the byte hpass4
// reads past the last triple), 3·dstride + 3·size output bytes, n sums and n bytes for vaxpy, at
// sides 1 to 80 and sizes that shrink and enlarge. No access past them faults, and each gives the
// Go loops' bits.
func TestResizeAVX2GuardPages(t *testing.T) {
	needResizeAVX2(t)
	rng := rand.New(rand.NewPCG(13, 8))
	rs := new(resizer)
	for sw := 1; sw <= 80; sw++ {
		for _, size := range []int{1, 3, 8, 64, sw, sw + 9} {
			rs.store = rs.store[:0]
			rs.wx = rs.weights(rs.wx, size, sw)
			for _, rows := range []int{1, 4} {
				sstride, dstride := 3*sw+1+rng.IntN(3), 3*size+rng.IntN(3)
				if rows == 1 {
					sstride, dstride = 0, 0
				}
				src := guardBytes(t, (rows-1)*sstride+3*sw+1)
				for i := range src {
					src[i] = uint8(rng.IntN(256))
				}
				dst := guardBytes(t, (rows-1)*dstride+3*size)
				hpass4(&src[0], sstride, &dst[0], dstride, rs.wx)
				for j := range rows {
					want := make([]uint8, 3*size)
					hpassGo(want, src[j*sstride:j*sstride+3*sw], rs.wx)
					if got := dst[j*dstride : j*dstride+3*size]; !bytes.Equal(got, want) {
						t.Fatalf("hpass4 side %d size %d rows %d: row %d differs from the Go loop's", sw, size, rows, j)
					}
				}
			}
			n := 3 * size
			accB := guardBytes(t, 8*n)
			acc := unsafe.Slice((*float64)(unsafe.Pointer(&accB[0])), n)
			srcV := guardBytes(t, n)
			want := make([]float64, n)
			for k := range n {
				srcV[k] = uint8(rng.IntN(256))
				acc[k] = rng.Float64() * 1000
				want[k] = acc[k]
			}
			w := rng.Float64() * 255
			vaxpy(&acc[0], &srcV[0], n, w)
			for k, v := range srcV {
				want[k] += float64(v) * w
			}
			for k := range n {
				if math.Float64bits(acc[k]) != math.Float64bits(want[k]) {
					t.Fatalf("vaxpy n %d: sum %d = %v, Go %v", n, k, acc[k], want[k])
				}
			}
		}
	}
}

// hpassGo is resize's horizontal Go loop for one row.
func hpassGo(out, row []uint8, wx []taps) {
	for x, w := range wx {
		var r, g, b float64
		for _, t := range w.t {
			s := row[3*t.index : 3*t.index+3 : 3*t.index+3]
			r += float64(s[0]) * t.weight
			g += float64(s[1]) * t.weight
			b += float64(s[2]) * t.weight
		}
		out[3*x], out[3*x+1], out[3*x+2] = clamp(r*w.inv), clamp(g*w.inv), clamp(b*w.inv)
	}
}

// TestYCbCr16GuardPages runs ycbcr16 and ycbcr16full on 1 to 12 blocks with operands of their
// exact lengths (16 luma and 8 or 16 of each chroma bytes a block in, 48 bytes out), each ending
// on a PROT_NONE page: no access past them faults, and the triples are color.YCbCrToRGB's.
func TestYCbCr16GuardPages(t *testing.T) {
	if !yccAVX2 {
		t.Skip("no AVX2 here: ycbcr16 does not run")
	}
	rng := rand.New(rand.NewPCG(13, 10))
	for blocks := 1; blocks <= 12; blocks++ {
		lum, cb, cr := guardBytes(t, 16*blocks), guardBytes(t, 8*blocks), guardBytes(t, 8*blocks)
		for _, p := range [][]uint8{lum, cb, cr} {
			for i := range p {
				p[i] = uint8(rng.IntN(256))
			}
		}
		row := guardBytes(t, 48*blocks)
		ycbcr16(&lum[0], &cb[0], &cr[0], blocks, &row[0])
		for i, y := range lum {
			r, g, b := color.YCbCrToRGB(y, cb[i/2], cr[i/2])
			if row[3*i] != r || row[3*i+1] != g || row[3*i+2] != b {
				t.Fatalf("ycbcr16 blocks %d pixel %d: %v, want %v", blocks, i, row[3*i:3*i+3], []uint8{r, g, b})
			}
		}
		cb, cr = guardBytes(t, 16*blocks), guardBytes(t, 16*blocks)
		for _, p := range [][]uint8{cb, cr} {
			for i := range p {
				p[i] = uint8(rng.IntN(256))
			}
		}
		ycbcr16full(&lum[0], &cb[0], &cr[0], blocks, &row[0])
		for i, y := range lum {
			r, g, b := color.YCbCrToRGB(y, cb[i], cr[i])
			if row[3*i] != r || row[3*i+1] != g || row[3*i+2] != b {
				t.Fatalf("ycbcr16full blocks %d pixel %d: %v, want %v", blocks, i, row[3*i:3*i+3], []uint8{r, g, b})
			}
		}
	}
}
