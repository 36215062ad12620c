package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestKeptTablesSameBits runs a deformable layer's training Forward and
// Backward with the sampling tables kept from Forward (keptTables) and
// recomputed in Backward, and wants the same bits in every gradient: the
// banded passes and the whole-image ones, few channels and many, offset
// groups, on 1 and 3 workers. The kept layer runs a Forward with other
// offsets first, so a Backward that read a stale table would differ.
func TestKeptTablesSameBits(t *testing.T) {
	saved := bandMinColumns
	defer func() { bandMinColumns = saved }()
	for _, s := range []struct {
		c, o, hw, groups int
		bands, mask      bool
	}{
		{3, 8, 20, 1, true, true}, {3, 8, 7, 1, false, true}, {8, 16, 9, 2, false, false},
		{16, 8, 23, 1, true, true}, {32, 16, 12, 4, true, false}, {32, 32, 7, 1, false, true},
	} {
		t.Run(fmt.Sprintf("c%d_o%d_%dpx_g%d_bands%v_mask%v", s.c, s.o, s.hw, s.groups, s.bands, s.mask), func(t *testing.T) {
			bandMinColumns = saved
			if s.bands {
				bandMinColumns = 0
			}
			rng := rand.New(rand.NewPCG(uint64(s.c*s.hw), 11))
			cfg := Conv2DConfig{In: s.c, Out: s.o, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}
			const batch = 5
			gk := s.groups * 9
			x := New[float32](batch, s.c, s.hw, s.hw)
			off1 := New[float32](batch, 2*gk, s.hw, s.hw)
			off2 := New[float32](batch, 2*gk, s.hw, s.hw)
			dy := New[float32](batch, s.o, s.hw, s.hw)
			for _, tt := range []*Tensor[float32]{x, off1, off2, dy} {
				for i := range tt.data {
					tt.data[i] = float32(rng.NormFloat64() * 1.5)
				}
			}
			var mask *Tensor[float32]
			if s.mask {
				mask = New[float32](batch, gk, s.hw, s.hw)
				for i := range mask.data {
					mask.data[i] = float32(rng.Float64() * 2)
				}
			}
			run := func(keep bool) [][]float32 {
				d, err := NewDeformConv2D[float32]("dcn", cfg, s.groups, rand.New(rand.NewPCG(3, 4)))
				if err != nil {
					t.Fatal(err)
				}
				d.noKeep = !keep
				if keep {
					if _, err := d.Forward(x, off1, mask); err != nil {
						t.Fatal(err)
					}
				}
				y, err := d.Forward(x, off2, mask)
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := d.deformBands(); ok != (s.bands && haveSgemmKernels()) {
					t.Fatalf("banded passes taken: %v, want %v", ok, s.bands)
				}
				if kept := d.kept.gen == d.gen && d.kept.has(d.gen, batch-1); kept != keep {
					t.Fatalf("tables kept: %v, want %v", kept, keep)
				}
				dx, doff, _, err := d.Backward(dy)
				if err != nil {
					t.Fatal(err)
				}
				return [][]float32{y.data, dx.data, doff.data, dmaskData(d), d.Weight.Grad.data, d.Bias.Grad.data}
			}
			want := run(false)
			got := run(true)
			old := setWorkers(3)
			other := run(true)
			setWorkers(old)
			names := []string{"y", "dx", "doffset", "dmask", "dweight", "dbias"}
			for k := range want {
				for i := range want[k] {
					if math.Float32bits(got[k][i]) != math.Float32bits(want[k][i]) {
						t.Fatalf("%s[%d] = %v with kept tables, %v recomputed", names[k], i, got[k][i], want[k][i])
					}
					if math.Float32bits(other[k][i]) != math.Float32bits(want[k][i]) {
						t.Fatalf("%s[%d] = %v with kept tables on 3 workers, %v recomputed", names[k], i, other[k][i], want[k][i])
					}
				}
			}
		})
	}
}
