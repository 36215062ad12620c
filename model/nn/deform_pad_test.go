package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestPadUnpad checks padImage and unpad against their definitions: the
// padded image is pixel-major with a ring of zeros (pixel stride pix(),
// lanes past C zero), and unpad reads the ring's inside back into C×H×W.
// Rows of a multiple of 8 pixels and narrow ones (the whole-image route),
// few channels and many; the padded buffer starts full of garbage.
func TestPadUnpad(t *testing.T) {
	for _, s := range []struct{ c, h, w int }{{32, 7, 7}, {32, 14, 14}, {8, 5, 13}, {16, 8, 16}, {3, 7, 9}, {12, 3, 6}, {32, 4, 64}} {
		t.Run(fmt.Sprintf("c%d_%dx%d", s.c, s.h, s.w), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(s.c), uint64(s.w)))
			d, err := NewDeformConv2D[float32]("dcn", Conv2DConfig{In: s.c, Out: 4, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, 1, nil)
			if err != nil {
				t.Fatal(err)
			}
			x := New[float32](2, s.c, s.h, s.w)
			for i := range x.data {
				x.data[i] = float32(rng.NormFloat64())
			}
			g, err := geometry("dcn", d.cfg, x)
			if err != nil {
				t.Fatal(err)
			}
			d.g, d.x = g, x
			pix, wp, hw := d.pix(), s.w+2, s.h*s.w
			var tab sampleTable[float32]
			tab.pad = make([]float32, (s.h+2)*wp*pix)
			for i := range tab.pad {
				tab.pad[i] = 99
			}
			d.padImage(&tab, 1)
			for r := -1; r <= s.h; r++ {
				for q := -1; q <= s.w; q++ {
					for c := range pix {
						want := float32(0)
						if r >= 0 && r < s.h && q >= 0 && q < s.w && c < s.c {
							want = x.data[(s.c+c)*hw+r*s.w+q]
						}
						if got := tab.pad[((r+1)*wp+q+1)*pix+c]; got != want {
							t.Fatalf("pad at row %d, column %d, channel %d = %v, want %v", r, q, c, got, want)
						}
					}
				}
			}
			tab.dpad = make([]float32, len(tab.pad))
			for i := range tab.dpad {
				tab.dpad[i] = float32(rng.NormFloat64())
			}
			dx := make([]float32, s.c*hw)
			d.unpad(&tab, dx)
			for c := range s.c {
				for r := range s.h {
					for q := range s.w {
						if got, want := dx[c*hw+r*s.w+q], tab.dpad[((r+1)*wp+q+1)*pix+c]; got != want {
							t.Fatalf("dx[%d][%d][%d] = %v, want %v", c, r, q, got, want)
						}
					}
				}
			}
		})
	}
}
