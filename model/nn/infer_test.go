package nn

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// inferNet is a small net of every layer kind Infer releases: a plain
// convolution of few channels (column route), one of many (tap route), a
// deformable block with offsets of a few pixels, pooling and a linear head.
func inferNet(t *testing.T, v1 bool) *Sequential[float32] {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	c1, err := NewConv2D[float32]("conv1", Conv2DConfig{In: 3, Out: 16, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}, rng)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := NewConv2D[float32]("conv2", Conv2DConfig{In: 16, Out: 16, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}, rng)
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDeformBlock[float32]("conv3", DeformBlockConfig{Conv2DConfig: Conv2DConfig{In: 16, Out: 8, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}, NoMask: v1}, rng)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range d.Params()[:2] {
		for i := range p.Value.Data() {
			p.Value.Data()[i] = float32(rng.NormFloat64() * 0.2)
		}
	}
	fc, err := NewLinear[float32]("fc", 8, 5, rng)
	if err != nil {
		t.Fatal(err)
	}
	return &Sequential[float32]{Layers: []Layer[float32]{c1, NewMaxPool2D[float32]("pool1", 2), c2, d, NewGlobalAvgPool[float32]("gap"), fc}}
}

// TestInferMatchesForward checks that Infer gives Forward(x, false)'s
// output and sampling bit for bit, keeps the sampling readable, and leaves
// the layers so that Backward is an error, not a panic.
func TestInferMatchesForward(t *testing.T) {
	for _, tc := range []struct {
		name string
		v1   bool
		h, w int
	}{
		{"dcnv2 square", false, 24, 24},
		{"dcnv2 wide", false, 22, 38},
		{"dcnv2 in bands", false, 150, 124},
		{"dcnv1", true, 30, 18},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := inferNet(t, tc.v1), inferNet(t, tc.v1)
			rng := rand.New(rand.NewPCG(5, 6))
			x := New[float32](1, 3, tc.h, tc.w)
			for i := range x.Data() {
				x.Data()[i] = float32(rng.NormFloat64())
			}
			want, err := a.Forward(x, false)
			if err != nil {
				t.Fatal(err)
			}
			got, err := b.Infer(x)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Data(), want.Data()) {
				t.Fatalf("Infer gave %v, Forward %v", got.Data(), want.Data())
			}
			wo, wm := a.DeformBlocks()[0].Sampling()
			go_, gm := b.DeformBlocks()[0].Sampling()
			if !slices.Equal(go_.Data(), wo.Data()) {
				t.Error("offsets differ after Infer")
			}
			if (wm == nil) != (gm == nil) || (wm != nil && !slices.Equal(gm.Data(), wm.Data())) {
				t.Error("masks differ after Infer")
			}
			for i := len(b.Layers) - 1; i >= 0; i-- {
				l := b.Layers[i]
				dy := New[float32](1, 5)
				if _, err := l.Backward(dy); err == nil {
					t.Errorf("%s: Backward after Infer gave no error", l.Name())
				}
			}
			// A Forward after Infer trains as before.
			if _, err := b.Forward(x, true); err != nil {
				t.Fatal(err)
			}
			if err := b.Backward(New[float32](1, 5)); err != nil {
				t.Fatalf("Backward after a new Forward: %v", err)
			}
		})
	}
}

// TestDeformBandsMatchColumns checks that the banded inference Forward of a
// deformable convolution (NoColumnCache on an output larger than
// deformBandPixels) equals the whole-image column route bit for bit, with
// one and with several offset groups, with and without a mask, on sizes
// whose last band is not a multiple of the GEMM's panels.
func TestDeformBandsMatchColumns(t *testing.T) {
	for _, tc := range []struct {
		name         string
		c, o, groups int
		h, w         int
		mask, noBias bool
		relu         bool
	}{
		{"dcnv2 one group", 8, 16, 1, 67, 91, true, false, true},
		{"dcnv1 two groups", 8, 12, 2, 73, 61, false, false, true},
		{"no bias no relu", 4, 7, 1, 65, 130, true, true, false},
		{"one band", 6, 8, 1, 40, 50, true, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(tc.h)))
			cfg := Conv2DConfig{In: tc.c, Out: tc.o, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, NoBias: tc.noBias, ReLU: tc.relu}
			a, err := NewDeformConv2D[float32]("d", cfg, tc.groups, rng)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := NewDeformConv2D[float32]("d", cfg, tc.groups, nil)
			copy(b.Weight.Value.Data(), a.Weight.Value.Data())
			if a.Bias != nil {
				copy(b.Bias.Value.Data(), a.Bias.Value.Data())
			}
			b.NoColumnCache = true
			gk := tc.groups * 9
			x := New[float32](2, tc.c, tc.h, tc.w)
			off := New[float32](2, 2*gk, tc.h, tc.w)
			for i := range x.Data() {
				x.Data()[i] = float32(rng.NormFloat64())
			}
			for i := range off.Data() {
				off.Data()[i] = float32(rng.NormFloat64() * 3)
			}
			var mask *Tensor[float32]
			if tc.mask {
				mask = New[float32](2, gk, tc.h, tc.w)
				for i := range mask.Data() {
					mask.Data()[i] = float32(rng.Float64() * 2)
				}
			}
			want, err := a.Forward(x, off, mask)
			if err != nil {
				t.Fatal(err)
			}
			got, err := b.Forward(x, off, mask)
			if err != nil {
				t.Fatal(err)
			}
			if d := slices.Compare(got.Data(), want.Data()); d != 0 {
				for i := range got.Data() {
					if got.Data()[i] != want.Data()[i] {
						t.Fatalf("output %d: bands %v, columns %v", i, got.Data()[i], want.Data()[i])
					}
				}
			}
		})
	}
}

// TestReleaseDropsKeptTables checks that release (Release, Infer) lets go of the sampling
// tables and padded images a training Forward keeps for Backward
// (keepTables), not only the column matrix: a 32-channel 14×14 layer of
// batch 64 keeps 7.9 MB in them.
func TestReleaseDropsKeptTables(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	cfg := Conv2DConfig{In: 32, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}
	d, err := NewDeformConv2D[float32]("dcn", cfg, 1, rng)
	if err != nil {
		t.Fatal(err)
	}
	x, off := New[float32](4, 32, 7, 7), New[float32](4, 18, 7, 7)
	for i := range off.data {
		off.data[i] = float32(rng.NormFloat64())
	}
	y, err := d.Forward(x, off, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := d.Backward(y); err != nil {
		t.Fatal(err)
	}
	if !d.keepTabs || len(d.kept) == 0 {
		t.Fatal("the training Forward kept no tables: the test no longer covers them")
	}
	// The fill's and the pad's scratch are the workers', lent to a kept
	// table while it is filled, never kept with it.
	for b, k := range d.kept {
		if k.scr != nil || k.flat != nil {
			t.Errorf("kept table %d holds %d values of the fill's scratch and %d of the pad's", b, len(k.scr), len(k.flat))
		}
	}
	d.release()
	if d.kept != nil || d.views != nil || d.keepTabs || d.permBuf != nil || d.cacheBuf != nil || d.tabs != nil {
		t.Errorf("after release: %d kept tables, %d views, keepTabs %v, permBuf %d, cacheBuf %d, tabs %d",
			len(d.kept), len(d.views), d.keepTabs, len(d.permBuf), len(d.cacheBuf), len(d.tabs))
	}
	// An evaluation Forward of small images (forwardBlocks, fillSmall on
	// the AVX2 route) keeps the pixels' positions and each worker's tail
	// scratch: release lets go of them too.
	d.NoColumnCache = true
	x, off = New[float32](16, 32, 7, 7), New[float32](16, 18, 7, 7)
	if _, err := d.Forward(x, off, nil); err != nil {
		t.Fatal(err)
	}
	if d.fillSmallRan && (d.pixPos == nil || d.fsTails == nil) {
		t.Fatal("fillSmall ran and kept no positions or tails: the test no longer covers them")
	}
	d.release()
	if d.pixPos != nil || d.fsTails != nil {
		t.Errorf("after release: %d positions, %d tails kept", len(d.pixPos), len(d.fsTails))
	}
}
