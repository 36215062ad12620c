package nn

import (
	"fmt"
	"sync/atomic"
)

// The sampling gradient of a first layer with few input channels
// (dcnn-first's conv1: 3 channels, no input gradient) without a sampling
// table. There col2im's work is the table (filled again in Backward, 36
// bytes a pixel and tap), the four corner sums of each entry (dots4) and
// the offset and mask gradients from both (offGrads): 10–14 ms of the
// layer's 34 for 32 crops of 64×64 in the one-thread profile in
// docs/perf/s6-23d3-profiles.txt (dots4 4.8 ms, dcnOffGradAVX 2.4, and
// Backward's part of fillRange's 6.5), where its GEMMs take 7.
// dcnDotsGrad512 does the three in one AVX-512 pass, 16 pixels of one tap
// at a time: the sample point as dcnFill512T computes it, the corners and
// the column gradient gathered, the sums and the gradients in the
// operations of dcnDots4AVX and dcnOffGradAVX, lane for lane; nothing is
// stored but the gradients. dcnDotsGradAVX does the same in AVX2 (two
// halves of 8 pixels, the corners loaded two entries to a register as
// dcnDots4AVX loads them): 5.1 ms where col2im's banded table took 6.4
// for conv1's 32 images on Zen 3 (BenchmarkDotsGradConv1; the layer's
// Backward −9 %). The same bits (TestDotsGradSameBits).

// dcnDotsGradArgs is one image's run of dcnDotsGrad512 or dcnDotsGradAVX.
// The layout is read by the assembly, which leaves every field as it is
// (each group's bases are formed in registers).
type dcnDotsGradArgs struct {
	offY, mk *float32 // tap 0's offset (y) and mask planes at the group's first pixel
	doff, dm *float32 // tap 0's offset (y) and mask gradient planes there
	rows     *float32 // the column gradient's row of the group's first pixel
	pos      *int32   // fillRange's pos for the image
	groups   int      // groups of 16 pixels
	idh, jdw *int32   // i·DH and j·DW of each tap
	k        int      // taps
	pstride  int      // bytes from a plane to the next
	rstride  int      // bytes from a pixel's column-gradient row to the next (4·k·C)
	c        int      // input channels: 1 to 3 for dcnDotsGrad512, 1 to 4 for dcnDotsGradAVX
	pad      *float32 // the padded image, 4 values a pixel
	wp       int      // padded row width
	h, w     float32  // H and W
}

// dotsGradMaxPixels bounds the padded image ((H+2)·(W+2) pixels) that
// dcnDotsGrad512 takes: it gathers the corners with int32 byte offsets,
// 16 bytes a pixel (VPSLLD $4 on the pixel index), which stay below 2³¹
// only for fewer than 2²⁷ pixels.
const dotsGradMaxPixels = 1 << 27

// dotsGradRan records that dotsGrad ran (tests; atomic: workers run it
// at once).
var dotsGradRan atomic.Bool

// dotsGrad sets image b's offset and mask gradients from its column
// gradient rows (one row of ck values per output pixel) and reports
// whether it ran: with dcnDotsGrad512 where the AVX-512 kernels run and
// the layer has at most 3 input channels (it gathers 3), else with
// dcnDotsGradAVX where AVX2 does; float32, the corner sums alone
// (dotsOnly: no input gradient, pixels of 4 values, so at most 4
// channels, one offset group), a mask (the kernels always write the mask
// gradient), whole groups of 16 pixels and at most 64 taps (their tap
// tables), and a padded image of fewer than dotsGradMaxPixels pixels. It
// runs from col2im only: the banded backward (deform_bands.go, column
// matrices of at least bandMinColumns values) never calls col2im, so a
// layer on that route never takes this path.
func (dc deformCols[T]) dotsGrad(worker, b int, rows []T) bool {
	if !dc.dotsGradOK(rows) {
		return false
	}
	dc.dotsGradPad(worker, b)
	dc.dotsGradRange(worker, b, 0, dc.d.g.p(), rows)
	return true
}

// dotsGradOK reports whether dotsGrad runs for the layer (see dotsGrad);
// rows only says the element type.
func (dc deformCols[T]) dotsGradOK(rows []T) bool {
	d, g := dc.d, dc.d.g
	_, ok := any(rows).([]float32)
	const wide = 16 // pixels a group, either kernel's
	use512 := dotsGrad512OK() && g.C <= 3
	return ok && (use512 || dotsGradAVXOK()) && !d.noDotsGrad && dc.dotsOnly() && d.mask != nil &&
		g.p()%wide == 0 && g.k() <= 64 && (g.H+2)*(g.W+2) < dotsGradMaxPixels
}

// dotsGradPad readies image b's padded image in worker's table for
// dotsGradRange (kept from Forward, or padded here).
func (dc deformCols[T]) dotsGradPad(worker, b int) {
	d := dc.d
	t := dc.table(worker)
	if t.holds != (tableKey{d.gen, b}) {
		d.padImage(t, b)
		t.holds = tableKey{} // the pad is image b's, the table is not
	}
}

// dotsGradRange is dotsGrad's kernel run for image b's output pixels
// [q0, q1) (multiples of 16) from their column gradient rows, once
// dotsGradPad has readied the image: each pixel's gradients are its own,
// so any split of the pixels gives the same bits.
func (dc deformCols[T]) dotsGradRange(worker, b, q0, q1 int, rows []T) {
	d, g := dc.d, dc.d.g
	K, P := g.k(), g.p()
	nq := q1 - q0
	r32 := any(rows).([]float32)
	const wide = 16
	use512 := dotsGrad512OK() && g.C <= 3
	if q0%wide != 0 || nq%wide != 0 || nq <= 0 || q1 > P {
		panic(fmt.Sprintf("nn: dotsGradRange [%d, %d) is not in groups of %d pixels", q0, q1, wide))
	}
	t := dc.table(worker)
	pos, ok := d.pixelPos(q0, nq)
	if !ok {
		t.pos = grow(t.pos, 2*nq)
		putPixelPos(g, t.pos, q0)
		pos = t.pos
	}
	var idh, jdw [64]int32
	for k := range K {
		idh[k], jdw[k] = int32(k/g.KW*g.DH), int32(k%g.KW*g.DW)
	}
	n := K * P
	off := any(d.off.data[b*2*n : (b+1)*2*n]).([]float32)
	mask := any(d.mask.data[b*n : (b+1)*n]).([]float32)
	doff := any(d.doff.data[b*2*n : (b+1)*2*n]).([]float32)
	dmask := any(d.dmask.data[b*n : (b+1)*n]).([]float32)
	pad := any(t.pad).([]float32)
	_, _ = r32[nq*K*g.C-1], pad[(g.H+2)*(g.W+2)*4-1]
	a := dcnDotsGradArgs{
		offY: &off[q0], mk: &mask[q0], doff: &doff[q0], dm: &dmask[q0], rows: &r32[0], pos: &pos[0],
		groups: nq / wide, idh: &idh[0], jdw: &jdw[0], k: K, pstride: 4 * P, rstride: 4 * K * g.C, c: g.C,
		pad: &pad[0], wp: g.W + 2, h: float32(g.H), w: float32(g.W),
	}
	if use512 {
		dcnDotsGrad512(&a)
	} else {
		dcnDotsGradAVX(&a)
	}
	if !dotsGradRan.Load() {
		dotsGradRan.Store(true)
	}
}
