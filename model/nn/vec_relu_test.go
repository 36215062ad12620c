package nn

import (
	"math/rand/v2"
	"testing"
)

// TestVecReluMask checks vbiasM against vbias (the same bits, and a mask
// bit set exactly where the stored value is > 0) and vmaskM with that mask
// against vmask reading the stored values, with NaN, ±0 and ±Inf mixed in.
func TestVecReluMask(t *testing.T) {
	if !vecOK {
		t.Skip("no AVX2 here; the mask is not recorded")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, cols := range []int{8, 16, 24, 40, 64, 72} {
		for _, shape := range [][3]int{{1, 0, 0}, {3, 0, 1}, {4, 3, 0}, {5, 1, 2}} {
			rows, lds, ldd := shape[0], cols+shape[1], cols+shape[2]
			src := vecInput(rng, (rows-1)*lds+cols)
			b := float32(rng.NormFloat64())
			n := (rows-1)*ldd + cols
			want := make([]float32, n)
			vbias(&want[0], ldd, &src[0], lds, rows, cols, b, 0)
			got, check := guarded(t, n)
			mbuf := make([]uint8, rows*cols/8+2)
			for i := range mbuf {
				mbuf[i] = 0xa5
			}
			m := mbuf[1 : 1+rows*cols/8]
			vbiasM(&got[0], ldd, &src[0], lds, rows, cols, b, 0, &m[0])
			check()
			if mbuf[0] != 0xa5 || mbuf[len(mbuf)-1] != 0xa5 {
				t.Fatalf("vbiasM rows=%d cols=%d wrote outside its %d mask bytes", rows, cols, len(m))
			}
			for r := range rows {
				for c := range cols {
					i := r*ldd + c
					if !same(got[i], want[i]) {
						t.Fatalf("vbiasM rows=%d cols=%d [%d,%d]: %v, vbias gives %v", rows, cols, r, c, got[i], want[i])
					}
					k := r*cols + c
					if bit := m[k/8]>>(k%8)&1 == 1; bit != (got[i] > 0) {
						t.Fatalf("vbiasM rows=%d cols=%d [%d,%d]: mask bit %v for y = %v", rows, cols, r, c, bit, got[i])
					}
				}
			}
			// vmask reads y with row stride lds: lay the stored values out so.
			y := make([]float32, len(src))
			for r := range rows {
				copy(y[r*lds:][:cols], got[r*ldd:][:cols])
			}
			dy := vecInput(rng, len(src))
			wantG := make([]float32, (rows-1)*ldd+ldd)
			vmask(&wantG[0], ldd, &dy[0], lds, &y[0], rows, cols)
			gotG, check := guarded(t, len(wantG))
			for i := range gotG {
				gotG[i] = 7 // the padding columns must be cleared
			}
			vmaskM(&gotG[0], ldd, &dy[0], lds, &m[0], rows, cols)
			check()
			for i := range gotG {
				if !same(gotG[i], wantG[i]) {
					t.Fatalf("vmaskM rows=%d cols=%d ldd=%d [%d]: %v, vmask gives %v", rows, cols, ldd, i, gotG[i], wantG[i])
				}
			}
		}
	}
}

// TestConvReluMaskSameBits runs fused-ReLU convolutions whose training
// forward records the mask (Wo a multiple of 8), on the tap-sum and the
// column routes, and checks every output and gradient against the same
// layer masking with y: the same bits.
func TestConvReluMaskSameBits(t *testing.T) {
	if !vecOK {
		t.Skip("no AVX2 here; the mask is not recorded")
	}
	defer func() { noReluMask = false }()
	cfgs := []Conv2DConfig{
		{In: 3, Out: 8, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true},
		{In: 16, Out: 12, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true},
		{In: 4, Out: 5, Kernel: [2]int{3, 3}, Padding: [2]int{0, 0}, ReLU: true, NoBias: true},
	}
	for _, cfg := range cfgs {
		for _, hw := range [][2]int{{8, 8}, {10, 16}, {9, 18}} {
			ho, wo := cfg.OutSize(hw[0], hw[1])
			for _, route := range []string{"taps", "columns"} {
				var res [2][4][]float64
				for k, off := range []bool{true, false} {
					noReluMask = off
					rng := rand.New(rand.NewPCG(uint64(hw[1]), uint64(cfg.In)))
					c, err := NewConv2D[float32]("c", cfg, rng)
					if err != nil {
						t.Fatal(err)
					}
					c.forceTaps, c.noTaps, c.noWino = route == "taps", route == "columns", true
					x := New[float32](3, cfg.In, hw[0], hw[1])
					for i := range x.data {
						x.data[i] = float32(rng.NormFloat64())
					}
					res[k] = runConv(t, c, x)
					if recorded := c.mask != nil; recorded != (!off && wo%8 == 0) {
						t.Fatalf("%+v on %v (%s): mask recorded %v with Wo %d", cfg, hw, route, recorded, wo)
					}
				}
				for k, name := range []string{"y", "dx", "dW", "db"} {
					for i := range res[0][k] {
						if a, b := res[1][k][i], res[0][k][i]; a != b && !(a != a && b != b) {
							t.Fatalf("%+v on %v (%s, %d×%d out): %s[%d] = %v with the mask bits, %v with y",
								cfg, hw, route, ho, wo, name, i, a, b)
						}
					}
				}
			}
		}
	}
}

// BenchmarkReluMask is the forward's bias-and-ReLU pass and the
// backward's masking pass of one 32→32 layer at 64×64, batch 32 (conv2
// of the COCO net): the output and its gradient are 16 MiB each, the
// layer's chunk buffer (src, dst) is one image's. "y" reads y in the
// backward, "bits" the mask the forward recorded.
func BenchmarkReluMask(b *testing.B) {
	if !vecOK {
		b.Skip("no AVX2 here")
	}
	const imgs, ch, h, w, lw = 32, 32, 64, 64, 65
	p := h * w
	rng := rand.New(rand.NewPCG(1, 2))
	src := vecInput(rng, ch*h*lw)
	y := make([]float32, imgs*ch*p)
	dy := vecInput(rng, imgs*ch*p)
	gy := make([]float32, ch*h*lw)
	m := make([]uint8, imgs*ch*p/8)
	b.Run("forward/y", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(4 * len(y)))
		for b.Loop() {
			for i := range imgs * ch {
				vbias(&y[i*p], w, &src[i%ch*h*lw], lw, h, w, 0.1, 0)
			}
		}
	})
	b.Run("forward/bits", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(4 * len(y)))
		for b.Loop() {
			for i := range imgs * ch {
				vbiasM(&y[i*p], w, &src[i%ch*h*lw], lw, h, w, 0.1, 0, &m[i*p/8])
			}
		}
	})
	b.Run("backward/y", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(4 * len(y)))
		for b.Loop() {
			for i := range imgs * ch {
				vmask(&gy[i%ch*h*lw], lw, &dy[i*p], w, &y[i*p], h, w)
			}
		}
	})
	b.Run("backward/bits", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(4 * len(y)))
		for b.Loop() {
			for i := range imgs * ch {
				vmaskM(&gy[i%ch*h*lw], lw, &dy[i*p], w, &m[i*p/8], h, w)
			}
		}
	})
}
