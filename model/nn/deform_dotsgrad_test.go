package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestDotsGradSameBits runs a first deformable layer's Backward (no input
// gradient, 1 to 3 channels, a mask) with dotsGrad (no table) and through
// the table (fill, dots4, offGrads) and wants the same bits in the offset,
// mask, weight and bias gradients: offsets that put sample points outside
// the map, on its edges and on whole pixels; 1×1, 3×3 and 5×5 kernels;
// stride 2, dilation 2 and an asymmetric stride and padding on a
// rectangular map; the narrow backward (32 outputs) and convBackward (8);
// at the default GOMAXPROCS and on 3 workers. It checks that dotsGrad ran
// (dotsGradRan) and, where the output pixels are not whole groups of 16
// (either kernel's: dcnDotsGrad512 with AVX-512, dcnDotsGradAVX with
// AVX2), that it did not.
func TestDotsGradSameBits(t *testing.T) {
	if !dotsGrad512OK() && !dotsGradAVXOK() {
		t.Skip("no AVX-512 or AVX2: dotsGrad does not run")
	}
	const wide = 16
	ranSome, fellSome := false, false
	for _, s := range []struct {
		c, o, h, w, kh, kw, sh, sw, ph, pw, dil int
	}{
		{c: 3, o: 32, h: 16, w: 16, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dil: 1},
		{c: 3, o: 8, h: 16, w: 16, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dil: 1},
		{c: 1, o: 32, h: 12, w: 12, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dil: 1},
		{c: 2, o: 32, h: 16, w: 16, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, dil: 1},
		{c: 3, o: 32, h: 12, w: 12, kh: 3, kw: 3, sh: 1, sw: 1, ph: 2, pw: 2, dil: 2},
		{c: 3, o: 32, h: 64, w: 64, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dil: 1},
		{c: 3, o: 32, h: 16, w: 16, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, dil: 1},
		{c: 3, o: 32, h: 16, w: 16, kh: 5, kw: 5, sh: 1, sw: 1, ph: 2, pw: 2, dil: 1},
		{c: 2, o: 32, h: 16, w: 20, kh: 3, kw: 3, sh: 2, sw: 1, ph: 1, pw: 0, dil: 1}, // 8×18
		// 100 and 72 pixels: the table; 520: the table in col2im's bands;
		// 624: 39 groups of 16.
		{c: 3, o: 32, h: 10, w: 10, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dil: 1},
		{c: 3, o: 32, h: 8, w: 9, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dil: 1},
		{c: 1, o: 8, h: 20, w: 26, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dil: 1},
		{c: 2, o: 8, h: 24, w: 26, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dil: 1},
		// 4 channels: dcnDotsGradAVX (dcnDotsGrad512 gathers 3).
		{c: 4, o: 8, h: 16, w: 16, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dil: 1},
	} {
		name := fmt.Sprintf("c%d_o%d_%dx%d_k%dx%d_s%dx%d_p%dx%d_d%d",
			s.c, s.o, s.h, s.w, s.kh, s.kw, s.sh, s.sw, s.ph, s.pw, s.dil)
		t.Run(name, func(t *testing.T) {
			cfg := Conv2DConfig{In: s.c, Out: s.o, Kernel: [2]int{s.kh, s.kw}, Padding: [2]int{s.ph, s.pw},
				Stride: [2]int{s.sh, s.sw}, Dilation: [2]int{s.dil, s.dil}, ReLU: true}
			K := s.kh * s.kw
			ho := (s.h+2*s.ph-s.dil*(s.kh-1)-1)/s.sh + 1
			wo := (s.w+2*s.pw-s.dil*(s.kw-1)-1)/s.sw + 1
			falls := ho*wo%wide != 0 // the table's path
			ranSome, fellSome = ranSome || !falls, fellSome || falls
			rng := rand.New(rand.NewPCG(uint64(s.c*s.h*s.w+s.o+K), 3))
			x := New[float32](3, s.c, s.h, s.w)
			for i := range x.data {
				x.data[i] = float32(rng.NormFloat64())
			}
			off := New[float32](3, 2*K, ho, wo)
			for i := range off.data {
				switch i % 5 {
				case 0:
					off.data[i] = float32(rng.IntN(7) - 3) // whole pixels
				case 1:
					off.data[i] = float32(rng.NormFloat64() * 8) // often outside
				default:
					off.data[i] = float32(rng.NormFloat64() * 1.5)
				}
			}
			mask := New[float32](3, K, ho, wo)
			for i := range mask.data {
				mask.data[i] = float32(rng.Float64() * 2)
			}
			dy := New[float32](3, s.o, ho, wo)
			for i := range dy.data {
				dy.data[i] = float32(rng.NormFloat64())
			}
			// run returns the gradients of two passes and whether dotsGrad ran.
			run := func(table bool) ([][]float32, bool) {
				dotsGradRan.Store(false)
				d, err := NewDeformConv2D[float32]("dcn", cfg, 1, rand.New(rand.NewPCG(3, 4)))
				if err != nil {
					t.Fatal(err)
				}
				d.NoInputGrad, d.noDotsGrad = true, table
				var out [][]float32
				for range 2 { // the second pass starts from the first's scratch
					for _, p := range d.Params() {
						clear(p.Grad.data)
					}
					if _, err := d.Forward(x, off, mask); err != nil {
						t.Fatal(err)
					}
					_, doff, dmask, err := d.Backward(dy)
					if err != nil {
						t.Fatal(err)
					}
					for _, tt := range []*Tensor[float32]{doff, dmask, d.Weight.Grad, d.Bias.Grad} {
						out = append(out, tt.Clone().data)
					}
				}
				return out, dotsGradRan.Load()
			}
			want, tableRan := run(true)
			got, ran := run(false)
			old := setWorkers(3) // the same bits on any number of cores
			other, ran3 := run(false)
			setWorkers(old)
			if tableRan {
				t.Fatal("dotsGrad ran with noDotsGrad set")
			}
			if ran != !falls || ran3 != !falls {
				t.Fatalf("dotsGrad ran: %v (default workers), %v (3 workers); want %v", ran, ran3, !falls)
			}
			names := []string{"doffset", "dmask", "dweight", "dbias"}
			for k := range want {
				for i := range want[k] {
					if math.Float32bits(got[k][i]) != math.Float32bits(want[k][i]) {
						t.Fatalf("%s[%d] = %v without the table, %v with it", names[k%4], i, got[k][i], want[k][i])
					}
					if math.Float32bits(other[k][i]) != math.Float32bits(want[k][i]) {
						t.Fatalf("%s[%d] = %v on 3 workers, %v with the table", names[k%4], i, other[k][i], want[k][i])
					}
				}
			}
		})
	}
	if !ranSome || !fellSome {
		t.Fatalf("groups of %d: some case ran dotsGrad: %v, some fell back: %v", wide, ranSome, fellSome)
	}
}

// TestDotsGradKeepsArgs calls dcnDotsGrad512 (dcnDotsGradAVX without
// AVX-512) on two groups of 16 pixels and wants its argument
// block unchanged afterwards: the kernel forms each group's bases in
// registers and moves no pointer field past its allocation.
func TestDotsGradKeepsArgs(t *testing.T) {
	if !dotsGrad512OK() && !dotsGradAVXOK() {
		t.Skip("no AVX-512 or AVX2: dotsGrad does not run")
	}
	kernel := dcnDotsGrad512
	if !dotsGrad512OK() {
		kernel = dcnDotsGradAVX
	}
	const wide = 16
	const h, w, c, k, p = 4, 8, 2, 1, 32
	pos := make([]int32, 2*p)
	for q := range p {
		at := q/8*16 + q%8
		pos[at], pos[at+8] = int32(q/w), int32(q%w)
	}
	off, doff := make([]float32, 2*k*p), make([]float32, 2*k*p)
	mask, dm := make([]float32, k*p), make([]float32, k*p)
	rows, pad := make([]float32, p*k*c), make([]float32, (h+2)*(w+2)*4)
	for i := range mask {
		mask[i] = 1
	}
	for i := range rows {
		rows[i] = float32(i%7) - 3
	}
	for i := range pad {
		pad[i] = float32(i % 5)
	}
	idh, jdw := []int32{0}, []int32{0}
	a := dcnDotsGradArgs{offY: &off[0], mk: &mask[0], doff: &doff[0], dm: &dm[0], rows: &rows[0], pos: &pos[0],
		groups: p / wide, idh: &idh[0], jdw: &jdw[0], k: k, pstride: 4 * p, rstride: 4 * k * c, c: c,
		pad: &pad[0], wp: w + 2, h: h, w: w}
	before := a
	kernel(&a)
	if a != before {
		t.Fatalf("the kernel changed its arguments: %+v, was %+v", a, before)
	}
	nonzero := 0
	for _, v := range dm {
		if v != 0 {
			nonzero++
		}
	}
	if nonzero == 0 {
		t.Fatal("the kernel wrote no mask gradient")
	}
}

// BenchmarkDotsGradConv1 runs col2im's sampling gradient for the 32 images
// of dcnn-first's conv1 (3 channels, 64×64, 9 taps, a mask, no input
// gradient) after a training step of its block: "fused" by dotsGrad
// (dcnDotsGradAVX with AVX2, dcnDotsGrad512 with AVX-512), "table" through
// the table in col2im's bands (fill, dots4, offGrads). Session 15's raw
// files call it ZZDotsGrad.
func BenchmarkDotsGradConv1(b *testing.B) {
	const n, hw = 32, 64
	cfg := DeformBlockConfig{Conv2DConfig: Conv2DConfig{In: 3, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1},
		ReLU: true}}
	blk, err := NewDeformBlock[float32]("conv1", cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		b.Fatal(err)
	}
	x, dy := benchInput(b, n, 3, hw, hw), benchInput(b, n, 32, hw, hw)
	if _, err := blk.Forward(x, true); err != nil {
		b.Fatal(err)
	}
	d := blk.Regular
	d.NoInputGrad = true
	if _, _, _, err := d.Backward(dy); err != nil {
		b.Fatal(err)
	}
	rows := benchInput(b, 1, hw*hw*27).data
	dc := deformCols[float32]{d}
	for _, mode := range []string{"fused", "table"} {
		b.Run(mode, func(b *testing.B) {
			d.noDotsGrad = mode == "table"
			defer func() { d.noDotsGrad = false }()
			cpuLoop(b, 0, func() {
				for i := range n {
					dc.col2im(0, i, rows, hw*hw, 0)
				}
			})
		})
	}
}

// TestDotsGradSpecialValues runs dotsGrad and the table's path (noDotsGrad)
// on a first layer of 1, 3 and 4 channels whose offsets, mask, image and
// output gradient hold NaNs of several payloads, ±Inf, huge values, −0,
// negative masks and offsets a unit in the last place either side of the
// map's edges, and wants the same bits in the offset and mask gradients.
func TestDotsGradSpecialValues(t *testing.T) {
	if !dotsGrad512OK() && !dotsGradAVXOK() {
		t.Skip("no AVX-512 or AVX2: dotsGrad does not run")
	}
	nan := func(payload uint32) float32 { return math.Float32frombits(0x7fc00000 | payload) }
	inf := float32(math.Inf(1))
	const h, w, k = 16, 16, 9
	special := []float32{nan(1), nan(0x1234), -nan(7), inf, -inf, 1e30, -1e30, 3e9, 16777217,
		float32(math.Copysign(0, -1)), -1, math.Nextafter32(-1, 0), math.Nextafter32(-1, -2),
		math.Nextafter32(h, 0), math.Nextafter32(h, 2*h), h}
	for _, c := range []int{1, 3, 4} {
		t.Run(fmt.Sprintf("c%d", c), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(c), 77))
			pick := func(v []float32, normal func() float32) {
				for i := range v {
					if rng.IntN(6) == 0 {
						v[i] = special[rng.IntN(len(special))]
					} else {
						v[i] = normal()
					}
				}
			}
			x, dy := New[float32](2, c, h, w), New[float32](2, 8, h, w)
			off, mask := New[float32](2, 2*k, h, w), New[float32](2, k, h, w)
			pick(x.data, func() float32 { return float32(rng.NormFloat64()) })
			pick(dy.data, func() float32 { return float32(rng.NormFloat64()) })
			pick(off.data, func() float32 { return float32(rng.NormFloat64() * 3) })
			// Masks of both signs.
			pick(mask.data, func() float32 { return float32(rng.NormFloat64()) })
			cfg := Conv2DConfig{In: c, Out: 8, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}
			run := func(table bool) [][]float32 {
				dotsGradRan.Store(false)
				d, err := NewDeformConv2D[float32]("dcn", cfg, 1, rand.New(rand.NewPCG(3, 4)))
				if err != nil {
					t.Fatal(err)
				}
				d.NoInputGrad, d.noDotsGrad = true, table
				if _, err := d.Forward(x, off, mask); err != nil {
					t.Fatal(err)
				}
				_, doff, dmask, err := d.Backward(dy)
				if err != nil {
					t.Fatal(err)
				}
				if dotsGradRan.Load() == table {
					t.Fatalf("table %v: dotsGrad ran: %v", table, !table)
				}
				return [][]float32{doff.Clone().data, dmask.Clone().data}
			}
			want, got := run(true), run(false)
			for q, name := range []string{"doffset", "dmask"} {
				for i := range want[q] {
					if math.Float32bits(got[q][i]) != math.Float32bits(want[q][i]) {
						t.Fatalf("%s[%d] = %v (%#x) without the table, %v (%#x) with it", name, i, got[q][i],
							math.Float32bits(got[q][i]), want[q][i], math.Float32bits(want[q][i]))
					}
				}
			}
		})
	}
}
