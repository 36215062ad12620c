package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// statsReference is Stats as one loop over every sampling point, with
// math.Hypot: what the per-image, all-cores Stats must agree with.
func statsReference[T Float](b *DeformBlock[T]) SamplingStats {
	d := b.Regular
	g := d.g
	K, P := g.k(), g.p()
	var s SamplingStats
	for bi := range g.B {
		for gk := range d.groups * K {
			i, j := (gk%K)/g.KW, (gk%K)%g.KW
			base := (bi*2*d.groups*K + 2*gk) * P
			for p := range P {
				dy, dx := float64(b.off.data[base+p]), float64(b.off.data[base+P+p])
				y := float64((p/g.Wo)*g.SH-g.PH+i*g.DH) + dy
				x := float64((p%g.Wo)*g.SW-g.PW+j*g.DW) + dx
				s.SumAbs += math.Hypot(dy, dx)
				if y < 0 || y > float64(g.H-1) || x < 0 || x > float64(g.W-1) {
					s.Outside++
				}
			}
		}
	}
	s.Points = g.B * d.groups * K * P
	s.SumMask = float64(s.Points)
	if b.mask != nil {
		s.SumMask = 0
		for _, m := range b.mask.data {
			s.SumMask += float64(m)
		}
	}
	return s
}

func TestDeformBlockStats(t *testing.T) {
	for _, c := range []struct {
		name   string
		noMask bool
		groups int
		stride int
	}{{"dcnv2", false, 1, 1}, {"dcnv1", true, 1, 1}, {"groups 2, stride 2", false, 2, 2}} {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			b, err := NewDeformBlock[float32]("conv", DeformBlockConfig{NoMask: c.noMask, Groups: c.groups,
				Conv2DConfig: Conv2DConfig{In: 4, Out: 6, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1},
					Stride: [2]int{c.stride, c.stride}}}, rng)
			if err != nil {
				t.Fatal(err)
			}
			x := New[float32](7, 4, 11, 9)
			for i := range x.data {
				x.data[i] = float32(rng.NormFloat64())
			}
			// Zero offsets and a mask of 1: nothing moved, no point outside
			// but the padding taps at the border.
			if _, err := b.Forward(x, false); err != nil {
				t.Fatal(err)
			}
			s := b.Stats()
			want := statsReference(b)
			if s.Points != want.Points || s.SumAbs != 0 || s.Outside != want.Outside || s.Outside == 0 {
				t.Fatalf("zero offsets: %+v, want %+v with |Δp| 0 and the padding taps outside", s, want)
			}
			if s.MeanMask() != 1 {
				t.Errorf("zero modulator: mean mask %v, want 1", s.MeanMask())
			}
			// Every offset (3, 4): |Δp| is 5 at every point.
			for i := range b.off.data {
				b.off.data[i] = float32(3 + (i/b.Regular.g.p())%2)
			}
			if s := b.Stats(); math.Abs(s.MeanAbs()-5) > 1e-12 {
				t.Errorf("offsets (3, 4): mean |Δp| %v, want 5", s.MeanAbs())
			}
			// Random offsets and masks against the reference, on 1 core
			// and on 3: the same bits on both.
			for i := range b.off.data {
				b.off.data[i] = float32(rng.NormFloat64() * 3)
			}
			if b.mask != nil {
				for i := range b.mask.data {
					b.mask.data[i] = float32(2 * rng.Float64())
				}
			}
			old := setWorkers(1)
			one := b.Stats()
			setWorkers(3)
			three := b.Stats()
			setWorkers(old)
			if one != three {
				t.Errorf("1 core %+v, 3 cores %+v", one, three)
			}
			want = statsReference(b)
			if one.Points != want.Points || one.Outside != want.Outside ||
				math.Abs(one.SumAbs-want.SumAbs) > 1e-9*want.SumAbs || math.Abs(one.SumMask-want.SumMask) > 1e-9*want.SumMask {
				t.Errorf("random offsets: %+v, want %+v", one, want)
			}
		})
	}
}
