package nn

import (
	"math"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the process's user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuLoop runs b.Loop around body and reports, besides the wall time, the
// process's CPU time per op (cpu-ns/op) and, with flops set, the GFLOP/s
// that CPU time gives per core busy (GFLOP/s-core): on a machine shared
// with other jobs these are steadier than the wall time.
func cpuLoop(b *testing.B, flops float64, body func()) {
	b.ReportAllocs()
	c0 := cpuTime()
	for b.Loop() {
		body()
	}
	cpu := float64(cpuTime()-c0) / float64(b.N)
	b.ReportMetric(cpu, "cpu-ns/op")
	if flops > 0 && cpu > 0 {
		b.ReportMetric(flops/cpu, "GFLOP/s-core")
	}
}

// The course study's MNIST shapes: batch 64, 32→32 channels, 3×3, padding 1, on the
// 14×14 map (conv2) and the 7×7 map (conv3..conv5).

func benchInput(b *testing.B, shape ...int) *Tensor[float32] {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	x := New[float32](shape...)
	for i := range x.data {
		x.data[i] = float32(rng.NormFloat64())
	}
	return x
}

func benchConv(b *testing.B, hw int, backward bool) {
	cfg := Conv2DConfig{In: 32, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}
	c, _ := NewConv2D[float32]("conv", cfg, rand.New(rand.NewPCG(1, 1)))
	x := benchInput(b, 64, 32, hw, hw)
	y, _ := c.Forward(x, true)
	logPlace("conv", c, x.data, y.data)
	dy := y.Clone()
	flops := 2.0 * 64 * 32 * 32 * 9 * float64(hw*hw)
	if backward {
		flops *= 3
	}
	cpuLoop(b, flops, func() {
		c.Forward(x, true)
		if backward {
			c.Backward(dy)
		}
	})
}

func BenchmarkConvForward7(b *testing.B) { benchConv(b, 7, false) }
func BenchmarkConvFwdBwd7(b *testing.B)  { benchConv(b, 7, true) }
func BenchmarkConvFwdBwd14(b *testing.B) { benchConv(b, 14, true) }

func benchDeform(b *testing.B, backward bool) {
	cfg := DeformBlockConfig{Conv2DConfig: Conv2DConfig{In: 32, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}}
	blk, _ := NewDeformBlock[float32]("conv4", cfg, rand.New(rand.NewPCG(1, 1)))
	rng := rand.New(rand.NewPCG(3, 3))
	for _, p := range blk.Params() {
		for i := range p.Value.data {
			p.Value.data[i] += float32(rng.NormFloat64() * 0.05)
		}
	}
	x := benchInput(b, 64, 32, 7, 7)
	y, _ := blk.Forward(x, true)
	dy := y.Clone()
	b.ReportAllocs()
	for b.Loop() {
		blk.Forward(x, true)
		if backward {
			blk.Backward(dy)
		}
	}
}

// The deformable layer alone (torchvision's deform_conv2d at the anchor's
// shape), with given offsets and mask.
func BenchmarkDeformConvFwdBwd7(b *testing.B) {
	cfg := Conv2DConfig{In: 32, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}
	d, _ := NewDeformConv2D[float32]("dcn", cfg, 1, rand.New(rand.NewPCG(1, 1)))
	x := benchInput(b, 64, 32, 7, 7)
	off := benchInput(b, 64, 18, 7, 7)
	mask := benchInput(b, 64, 9, 7, 7)
	y, _ := d.Forward(x, off, mask)
	dy := y.Clone()
	cpuLoop(b, 0, func() {
		d.Forward(x, off, mask)
		d.Backward(dy)
	})
}

// The 7×7 pair as `dcn bench`'s "MNIST net conv3–5 forward+backward" row
// runs it: the ReLU fused, dL/dy = 1, the deformable layer's mask a
// sigmoid, the plain layer its twin (issue 23, item 2's ≤ 1.15).
func BenchmarkConvFwdBwd7ReLU(b *testing.B)       { benchPair7ReLU(b, false) }
func BenchmarkDeformConvFwdBwd7ReLU(b *testing.B) { benchPair7ReLU(b, true) }

func benchPair7ReLU(b *testing.B, deform bool) {
	cfg := Conv2DConfig{In: 32, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}
	x := benchInput(b, 64, 32, 7, 7)
	ones := func(y *Tensor[float32]) *Tensor[float32] {
		dy := y.Clone()
		for i := range dy.data {
			dy.data[i] = 1
		}
		return dy
	}
	if !deform {
		c, _ := NewConv2D[float32]("conv", cfg, rand.New(rand.NewPCG(1, 1)))
		y, _ := c.Forward(x, true)
		dy := ones(y)
		cpuLoop(b, 0, func() {
			c.Forward(x, true)
			c.Backward(dy)
		})
		return
	}
	d, _ := NewDeformConv2D[float32]("dcn", cfg, 1, rand.New(rand.NewPCG(1, 1)))
	off := benchInput(b, 64, 18, 7, 7)
	mask := benchInput(b, 64, 9, 7, 7)
	for i := range mask.data {
		mask.data[i] = 1 / (1 + float32(math.Exp(float64(-mask.data[i]))))
	}
	y, _ := d.Forward(x, off, mask)
	dy := ones(y)
	cpuLoop(b, 0, func() {
		d.Forward(x, off, mask)
		d.Backward(dy)
	})
}

func BenchmarkDeformBlockForward7(b *testing.B) { benchDeform(b, false) }
func BenchmarkDeformBlockFwdBwd7(b *testing.B)  { benchDeform(b, true) }

func BenchmarkMaxPool28(b *testing.B) {
	p := NewMaxPool2D[float32]("pool", 2)
	x := benchInput(b, 64, 32, 28, 28)
	b.ReportAllocs()
	for b.Loop() {
		p.Forward(x, true)
	}
}

func BenchmarkIm2col14(b *testing.B) {
	cfg := Conv2DConfig{In: 32, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}
	c, _ := NewConv2D[float32]("conv", cfg, rand.New(rand.NewPCG(1, 1)))
	x := benchInput(b, 1, 32, 14, 14)
	c.Forward(x, true)
	col := make([]float32, 32*9*196)
	b.ReportAllocs()
	for b.Loop() {
		plainCols[float32]{c}.im2col(0, 0, col, 196, 0)
	}
}

// BenchmarkPeakFMA is the machine's float32 FMA ceiling (register-resident
// chains, no memory), per core: the conv benchmarks' GFLOP/s-core are read
// against it.
func BenchmarkPeakFMA(b *testing.B) {
	fn, per, _ := peakKernel()
	if fn == nil {
		fn, per = goFMA, 16
	}
	const iters = 1 << 14
	cpuLoop(b, per*iters, func() { fn(iters) })
}

func TestMeasurePeak(t *testing.T) {
	p := MeasurePeak(1, 30*time.Millisecond)
	if p.GFLOPS <= 0 || p.Threads != 1 || p.Kernel == "" {
		t.Fatalf("MeasurePeak: %+v", p)
	}
	peakSink = 0
	goFMA(10)
	if peakSink <= 0 {
		t.Fatalf("goFMA: sum %v, want > 0", peakSink)
	}
}

// BenchmarkConvCOCO is the COCO net's convolutions on 32 crops (fwd+bwd),
// each on the route the layer picks ("default"), the Winograd route
// ("wino", forced), the tap-sum route ("taps") and the column-matrix route
// ("columns"):
// conv1 (3→32 at 64×64, no input gradient, as a net's first layer), conv2
// (32→32 at 64×64), conv3 (32→64 at 32×32), conv4 (64→64 at 32×32),
// conv5 (64→128 at 16×16) and conv6 (128→128 at 16×16).
func BenchmarkConvCOCO(b *testing.B) {
	for _, s := range []struct {
		name        string
		in, out, hw int
		noInput     bool
	}{{"conv1", 3, 32, 64, true}, {"conv2", 32, 32, 64, false}, {"conv3", 32, 64, 32, false},
		{"conv4", 64, 64, 32, false}, {"conv5", 64, 128, 16, false}, {"conv6", 128, 128, 16, false}} {
		for _, route := range []string{"default", "wino", "taps", "columns"} {
			b.Run(s.name+"/"+route, func(b *testing.B) {
				cfg := Conv2DConfig{In: s.in, Out: s.out, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}
				c, _ := NewConv2D[float32]("conv", cfg, rand.New(rand.NewPCG(1, 1)))
				c.NoInputGrad, c.noTaps = s.noInput, route == "columns"
				c.noWino, c.forceWino = route == "taps" || route == "columns", route == "wino"
				x := benchInput(b, 32, s.in, s.hw, s.hw)
				y, _ := c.Forward(x, true)
				dy := y.Clone()
				flops := 3 * 2.0 * 32 * float64(s.in*s.out*9*s.hw*s.hw)
				if s.noInput {
					flops = flops * 2 / 3
				}
				cpuLoop(b, flops, func() {
					c.Forward(x, true)
					c.Backward(dy)
				})
			})
		}
	}
}

// BenchmarkDeformCOCO is the deformable layer alone at the COCO net's
// full-resolution shapes (32 crops of 64×64, fwd+bwd, offsets of about a
// pixel and a mask, as dcnn-first's conv1 and conv2): compare with
// BenchmarkConvCOCO's plain convolution of the same shape. flops counts
// the convolution's multiply-adds only (as for the plain layer), so
// GFLOP/s-core says how close the whole layer comes to a plain one.
func BenchmarkDeformCOCO(b *testing.B) {
	for _, s := range []struct {
		name    string
		in, out int
	}{{"conv1", 3, 32}, {"conv2", 32, 32}} {
		b.Run(s.name, func(b *testing.B) {
			const n, hw = 32, 64
			cfg := Conv2DConfig{In: s.in, Out: s.out, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}
			d, _ := NewDeformConv2D[float32]("dcn", cfg, 1, rand.New(rand.NewPCG(1, 1)))
			x := benchInput(b, n, s.in, hw, hw)
			off := benchInput(b, n, 18, hw, hw)
			mask := benchInput(b, n, 9, hw, hw)
			for i := range mask.data {
				mask.data[i] = 1 / (1 + float32(math.Exp(float64(-mask.data[i]))))
			}
			y, _ := d.Forward(x, off, mask)
			dy := y.Clone()
			flops := 3 * 2.0 * n * float64(s.in*s.out*9*hw*hw)
			cpuLoop(b, flops, func() {
				d.Forward(x, off, mask)
				d.Backward(dy)
			})
		})
	}
}

// BenchmarkCOCOForward is the forward pass alone, as evaluation runs it, at
// BenchmarkConvCOCO's and BenchmarkDeformCOCO's shapes (32 crops of 64×64):
// "plain" is the tap-sum convolution, "deform" the deformable layer without its
// column cache (a DeformBlock's Forward with train false). flops counts the
// convolution's multiply-adds only.
func BenchmarkCOCOForward(b *testing.B) {
	for _, s := range []struct {
		name    string
		in, out int
	}{{"conv1", 3, 32}, {"conv2", 32, 32}} {
		const n, hw = 32, 64
		cfg := Conv2DConfig{In: s.in, Out: s.out, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ReLU: true}
		flops := 2.0 * n * float64(s.in*s.out*9*hw*hw)
		x := benchInput(b, n, s.in, hw, hw)
		b.Run(s.name+"/plain", func(b *testing.B) {
			c, _ := NewConv2D[float32]("conv", cfg, rand.New(rand.NewPCG(1, 1)))
			c.NoInputGrad = s.in == 3
			cpuLoop(b, flops, func() { c.Forward(x, false) })
		})
		b.Run(s.name+"/deform", func(b *testing.B) {
			d, _ := NewDeformConv2D[float32]("dcn", cfg, 1, rand.New(rand.NewPCG(1, 1)))
			d.NoColumnCache = true
			off := benchInput(b, n, 18, hw, hw)
			mask := benchInput(b, n, 9, hw, hw)
			for i := range mask.data {
				mask.data[i] = 1 / (1 + float32(math.Exp(float64(-mask.data[i]))))
			}
			cpuLoop(b, flops, func() { d.Forward(x, off, mask) })
		})
	}
}
