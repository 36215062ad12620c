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
// (only it fills a table's pos) and, where the output pixels are not whole
// groups of 16, that it did not.
func TestDotsGradSameBits(t *testing.T) {
	if !dotsGrad512OK() {
		t.Skip("no AVX-512: dotsGrad does not run")
	}
	for _, s := range []struct {
		c, o, h, w, kh, kw, sh, sw, ph, pw, dil int
		falls                                   bool // Ho·Wo not a multiple of 16: the table's path
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
		{c: 3, o: 32, h: 10, w: 10, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dil: 1, falls: true},
	} {
		name := fmt.Sprintf("c%d_o%d_%dx%d_k%dx%d_s%dx%d_p%dx%d_d%d",
			s.c, s.o, s.h, s.w, s.kh, s.kw, s.sh, s.sw, s.ph, s.pw, s.dil)
		t.Run(name, func(t *testing.T) {
			cfg := Conv2DConfig{In: s.c, Out: s.o, Kernel: [2]int{s.kh, s.kw}, Padding: [2]int{s.ph, s.pw},
				Stride: [2]int{s.sh, s.sw}, Dilation: [2]int{s.dil, s.dil}, ReLU: true}
			K := s.kh * s.kw
			ho := (s.h+2*s.ph-s.dil*(s.kh-1)-1)/s.sh + 1
			wo := (s.w+2*s.pw-s.dil*(s.kw-1)-1)/s.sw + 1
			if whole := ho*wo%16 == 0; whole == s.falls {
				t.Fatalf("%d×%d outputs: whole groups of 16 is %v, the case says it falls back: %v",
					ho, wo, whole, s.falls)
			}
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
			if ran != !s.falls || ran3 != !s.falls {
				t.Fatalf("dotsGrad ran: %v (default workers), %v (3 workers); want %v", ran, ran3, !s.falls)
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
}

// TestDotsGrad512KeepsArgs calls dcnDotsGrad512 on two groups of 16 pixels
// and wants its argument block unchanged afterwards: the kernel forms each
// group's bases in registers and moves no pointer field past its
// allocation.
func TestDotsGrad512KeepsArgs(t *testing.T) {
	if !dotsGrad512OK() {
		t.Skip("no AVX-512: dotsGrad does not run")
	}
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
		groups: p / 16, idh: &idh[0], jdw: &jdw[0], k: k, pstride: 4 * p, rstride: 4 * k * c, c: c,
		pad: &pad[0], wp: w + 2, h: h, w: w}
	before := a
	dcnDotsGrad512(&a)
	if a != before {
		t.Fatalf("dcnDotsGrad512 changed its arguments: %+v, was %+v", a, before)
	}
	nonzero := 0
	for _, v := range dm {
		if v != 0 {
			nonzero++
		}
	}
	if nonzero == 0 {
		t.Fatal("dcnDotsGrad512 wrote no mask gradient")
	}
}
