package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestIm2colTiles runs deformable layers whose Forward fills a lean table
// (no kept tables: fewer than 16 channels a group) through im2col's tiles
// of im2colTile pixels and with the tiles off (noIm2colTiles: the whole
// table, then the gather), and wants the same bits in the output and
// Backward's gradients: maps of fewer pixels than a tile, of several tiles
// and a ragged last one, stride 2, two offset groups (runs of one pixel's
// taps), with and without a mask and a column cache, float32 and float64.
func TestIm2colTiles(t *testing.T) {
	for _, s := range []struct {
		c, o, groups, h, w, stride int
		mask, noCache              bool
	}{
		{3, 8, 1, 9, 11, 1, true, false}, {3, 8, 1, 17, 19, 1, false, true}, {3, 16, 1, 23, 13, 2, true, true},
		{8, 8, 2, 15, 17, 1, true, false}, {4, 8, 1, 64, 64, 1, true, true}, {3, 32, 1, 64, 64, 1, true, false},
	} {
		t.Run(fmt.Sprintf("c%d_g%d_%dx%d_s%d_mask%v_nocache%v", s.c, s.groups, s.h, s.w, s.stride, s.mask, s.noCache), func(t *testing.T) {
			tilesCase[float32](t, s.c, s.o, s.groups, s.h, s.w, s.stride, s.mask, s.noCache)
			if s.h < 32 {
				tilesCase[float64](t, s.c, s.o, s.groups, s.h, s.w, s.stride, s.mask, s.noCache)
			}
		})
	}
}

func tilesCase[T Float](t *testing.T, c, o, groups, h, w, stride int, withMask, noCache bool) {
	t.Helper()
	cfg := Conv2DConfig{In: c, Out: o, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, Stride: [2]int{stride, stride}}
	const B = 3
	ho, wo := (h-1)/stride+1, (w-1)/stride+1
	rng := rand.New(rand.NewPCG(uint64(h), uint64(c)))
	x := New[T](B, c, h, w)
	for i := range x.data {
		x.data[i] = T(rng.NormFloat64())
	}
	off := New[T](B, 2*groups*9, ho, wo)
	for i := range off.data {
		switch rng.IntN(10) {
		case 0:
			off.data[i] = 1e6
		case 1:
			off.data[i] = -1e6
		default:
			off.data[i] = T(rng.NormFloat64() * 2)
		}
	}
	var mask *Tensor[T]
	if withMask {
		mask = New[T](B, groups*9, ho, wo)
		for i := range mask.data {
			mask.data[i] = T(rng.Float64())
		}
	}
	dy := New[T](B, o, ho, wo)
	for i := range dy.data {
		dy.data[i] = T(rng.NormFloat64())
	}
	run := func(tiles bool) []*Tensor[T] {
		noIm2colTiles = !tiles
		defer func() { noIm2colTiles = false }()
		d, err := NewDeformConv2D[T]("dcn", cfg, groups, rand.New(rand.NewPCG(5, 6)))
		if err != nil {
			t.Fatal(err)
		}
		d.NoColumnCache = noCache
		if d.keepTables() {
			t.Fatal("the layer keeps its tables: im2col's tiles do not run")
		}
		y, err := d.Forward(x, off, mask)
		if err != nil {
			t.Fatal(err)
		}
		y = y.Clone()
		dx, doff, dmask, err := d.Backward(dy)
		if err != nil {
			t.Fatal(err)
		}
		out := []*Tensor[T]{y}
		for _, v := range []*Tensor[T]{dx, doff, dmask} {
			if v != nil {
				out = append(out, v.Clone())
			}
		}
		return out
	}
	want, got := run(false), run(true)
	for k := range want {
		for i := range want[k].data {
			if math.Float64bits(float64(got[k].data[i])) != math.Float64bits(float64(want[k].data[i])) {
				t.Fatalf("operand %d [%d] = %v with tiles, %v without", k, i, got[k].data[i], want[k].data[i])
			}
		}
	}
}
