package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestDeformBandsSameBits runs a deformable layer's Forward and Backward
// in bands and through the whole-image column matrices (convForward,
// convBackward) and wants the same bits in the output and every gradient:
// few channels (pixels padded to 4) and many, offset groups, a mask or
// none, a fused ReLU, with and without the column cache (the banded
// passes keep none: they sample again; with the scatter that writes the
// columns and without), and images whose pixels make one
// band or several of unequal size, ck a multiple of 32 or not, up to 264
// output channels (the column gradient through dcolPix or the GEMM; two
// blocks of the inner dimension; forwardChunks' output in several blocks
// of pixels); and the same bits on 1, 2 and 3 workers.
func TestDeformBandsSameBits(t *testing.T) {
	withBaseChecks(t)
	if !haveSgemmKernels() {
		t.Skip("no assembly GEMM kernels: the banded passes do not run")
	}
	saved := bandMinColumns
	bandMinColumns = 0 // small images, to keep the test quick
	defer func() { bandMinColumns = saved }()
	for _, s := range []struct {
		c, o, hw, groups int
		mask, relu, keep bool
	}{
		{3, 8, 20, 1, true, true, true}, {3, 8, 20, 1, true, true, false}, {8, 16, 17, 2, false, false, false},
		{16, 8, 23, 1, true, false, true}, {2, 4, 12, 1, false, true, false}, {32, 32, 16, 1, true, true, false}, {32, 16, 64, 1, true, false, false},
		{64, 64, 12, 1, true, true, true}, {32, 264, 16, 2, true, false, false},
		// dcolPix over several bands, the last ragged (181 and 180 pixels).
		{32, 128, 19, 1, true, false, false},
		// forwardChunks (noBands) in several blocks of pixBlockOut, the last ragged.
		{4, 32, 19, 1, true, true, false}, {8, 64, 19, 1, false, false, true},
		// Runs of 24, 40 and 48 channels: dcnScatterColsAVX (AVX2) alone.
		{24, 32, 16, 1, true, true, false}, {48, 32, 12, 2, true, false, false}, {40, 16, 13, 1, false, true, true},
	} {
		t.Run(fmt.Sprintf("c%d_o%d_%dpx_g%d_mask%v_relu%v_cache%v", s.c, s.o, s.hw, s.groups, s.mask, s.relu, s.keep), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(s.c*s.hw), 9))
			cfg := Conv2DConfig{In: s.c, Out: s.o, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: s.relu}
			x := New[float32](3, s.c, s.hw, s.hw)
			gk := s.groups * 9
			off := New[float32](3, 2*gk, s.hw, s.hw)
			dy := New[float32](3, s.o, s.hw, s.hw)
			fillNorm(rng, 1.5, x, off, dy)
			var mask *Tensor[float32]
			if s.mask {
				mask = New[float32](3, gk, s.hw, s.hw)
				for i := range mask.data {
					mask.data[i] = float32(rng.Float64() * 2)
				}
			}
			run := func(bands bool) [][]float32 {
				d, err := NewDeformConv2D[float32]("dcn", cfg, s.groups, rand.New(rand.NewPCG(3, 4)))
				if err != nil {
					t.Fatal(err)
				}
				// The column matrices without maskTranspose (which
				// backwardNarrow takes below 32 column values a pixel): the
				// bias gradient in convBackward's order, as the bands sum it.
				d.noBands, d.NoColumnCache, d.noMaskT = !bands, !s.keep, !bands
				for pass := range 2 { // the second pass starts from the first's scratch
					for _, p := range d.Params() {
						clear(p.Grad.data)
					}
					if pass == 1 {
						// What the first pass wrote must be written again: a
						// missed write shows as a NaN.
						for _, tt := range []*Tensor[float32]{d.y, d.dx, d.doff, d.dmask} {
							if tt != nil {
								for i := range tt.data {
									tt.data[i] = float32(math.NaN())
								}
							}
						}
					}
					y, err := d.Forward(x, off, mask)
					if err != nil {
						t.Fatal(err)
					}
					if _, ok := d.deformBands(); ok != bands {
						t.Fatalf("banded passes taken: %v, want %v", ok, bands)
					}
					if bands && d.cache != nil {
						t.Fatal("the banded passes kept a column matrix; they sample again in Backward")
					}
					d.dcolPixRan = false
					dx, doff, dmask, err := d.Backward(dy)
					if err != nil {
						t.Fatal(err)
					}
					// ck = 9·C a multiple of 32, O ≥ 128: the column
					// gradient through pixGemm (deform_dcol.go).
					if want := bands && pixGemmOK() && 9*s.c%32 == 0 && s.o >= dcolPixMinOut; d.dcolPixRan != want {
						t.Fatalf("dcolPix taken: %v, want %v", d.dcolPixRan, want)
					}
					// Runs with a scatterColsVec kernel (AVX-512: a multiple
					// of 16 channels; AVX2: of 8): the scatter writes the
					// columns (scatterCols), no second gather.
					if want := bands && scatterColsVecOK(s.c/s.groups) && !noScatterCols; d.scatterColsRan != want {
						t.Fatalf("scatterCols taken: %v, want %v", d.scatterColsRan, want)
					}
					out := [][]float32{y.data, dx.data, doff.data, d.Weight.Grad.data, d.Bias.Grad.data}
					if dmask != nil {
						out = append(out, dmask.data)
					}
					if !bands {
						return out
					}
				}
				return [][]float32{d.y.data, d.dx.data, d.doff.data, d.Weight.Grad.data, d.Bias.Grad.data, dmaskData(d)}
			}
			want := run(false)
			// The same bits on any number of cores.
			old := setWorkers(1)
			got := run(true)
			setWorkers(2)
			two := run(true)
			setWorkers(3)
			three := run(true)
			setWorkers(old)
			// The banded Backward with the gather again and the plain
			// scatter (where scatterCols would run): the same bits.
			noScatterCols = true
			unfused := run(true)
			noScatterCols = false
			names := []string{"y", "dx", "doffset", "dweight", "dbias", "dmask"}
			for k := range want {
				for i := range want[k] {
					if math.Float32bits(got[k][i]) != math.Float32bits(want[k][i]) {
						t.Fatalf("%s[%d] = %v banded, %v through the column matrices", names[k], i, got[k][i], want[k][i])
					}
					for w, other := range map[int][][]float32{2: two, 3: three} {
						if math.Float32bits(other[k][i]) != math.Float32bits(got[k][i]) {
							t.Fatalf("%s[%d] = %v banded on %d workers, %v on 1", names[k], i, other[k][i], w, got[k][i])
						}
					}
					if math.Float32bits(unfused[k][i]) != math.Float32bits(got[k][i]) {
						t.Fatalf("%s[%d] = %v banded without scatterCols, %v with", names[k], i, unfused[k][i], got[k][i])
					}
				}
			}
		})
	}
}

func dmaskData(d *DeformConv2D[float32]) []float32 {
	if d.mask == nil {
		return nil
	}
	return d.dmask.data
}

// fillNorm fills the tensors' elements, one tensor after the other, with
// normal values of standard deviation sd drawn from rng.
func fillNorm[T Float](rng *rand.Rand, sd float64, ts ...*Tensor[T]) {
	for _, tt := range ts {
		for i := range tt.data {
			tt.data[i] = T(rng.NormFloat64() * sd)
		}
	}
}
