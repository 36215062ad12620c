package nn

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// placeEnv names the environment variable that makes benchConv print
// where the buffers its forward streams lie (session 13, lane15v: the
// spread of BenchmarkConvForward7 between processes); off by default.
const placeEnv = "NN_BENCH_PLACE"

// logPlace prints, to stderr on one line, where each buffer of the conv's
// forward lies: its address, the address mod 4096 and mod 64, and its
// pages' colours (pageColors).
func logPlace(name string, c *Conv2D[float32], x, y []float32) {
	if os.Getenv(placeEnv) == "" {
		return
	}
	line := "place " + name
	add := func(tag string, s []float32) {
		if len(s) == 0 {
			line += fmt.Sprintf(" %s=nil", tag)
			return
		}
		a := uintptr(unsafe.Pointer(&s[0]))
		line += fmt.Sprintf(" %s=%#x/%d/%d/%s", tag, a, a%4096, a%64, pageColors(a, len(s)*4))
	}
	add("x", x)
	add("y", y)
	add("wtap", c.wtap)
	var pad, ws []float32
	if len(c.pad.bufs) > 0 {
		pad = c.pad.bufs[0]
	}
	if len(c.ws.bufs) > 0 {
		ws = c.ws.bufs[0]
	}
	add("pad", pad)
	add("ws", ws)
	fmt.Fprintln(os.Stderr, line)
}

// pageColors returns, one hex digit a page, the physical frame number mod
// 16 of each page of the n bytes at a (the L2 set bits 12..15 of a 512 KiB
// 8-way cache of 64-byte lines), "?" where /proc/self/pagemap does not
// tell (not root, or not present).
func pageColors(a uintptr, n int) string {
	f, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return "?"
	}
	defer f.Close()
	out := make([]byte, 0, n/4096+1)
	var e [8]byte
	for p := a &^ 4095; p < a+uintptr(n); p += 4096 {
		if _, err := f.ReadAt(e[:], int64(p/4096*8)); err != nil {
			return "?"
		}
		v := binary.LittleEndian.Uint64(e[:])
		pfn := v & (1<<55 - 1)
		if v>>63 == 0 || pfn == 0 {
			out = append(out, '?')
			continue
		}
		out = append(out, "0123456789abcdef"[pfn%16])
	}
	return string(out)
}

// TestPlaceSweep (run only with NN_BENCH_PLACE set) times the 7×7 plain
// forward of benchConv on nc layers in one process, each with its own
// buffers (so its own pages), round-robin: if the layers' times differ by
// more than one layer's rounds do, where the buffers lie matters.
func TestPlaceSweep(t *testing.T) {
	if os.Getenv(placeEnv) == "" {
		t.Skip("set " + placeEnv)
	}
	const nc, rounds, iters = 12, 7, 60
	cfg := Conv2DConfig{In: 32, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}
	type layer struct {
		c *Conv2D[float32]
		x *Tensor[float32]
		t []float64
	}
	var ls []*layer
	for i := range nc {
		c, _ := NewConv2D[float32]("conv", cfg, rand.New(rand.NewPCG(1, 1)))
		rng := rand.New(rand.NewPCG(1, 2))
		x := New[float32](64, 32, 7, 7)
		for j := range x.data {
			x.data[j] = float32(rng.NormFloat64())
		}
		y, _ := c.Forward(x, true)
		logPlace(fmt.Sprintf("layer%d", i), c, x.data, y.data)
		ls = append(ls, &layer{c: c, x: x})
	}
	for range rounds {
		for _, l := range ls {
			c0 := cpuTime()
			for range iters {
				l.c.Forward(l.x, true)
			}
			l.t = append(l.t, float64(cpuTime()-c0)/iters/1000)
		}
	}
	for i, l := range ls {
		s := slices.Clone(l.t)
		slices.Sort(s)
		fmt.Fprintf(os.Stderr, "sweep layer%d median %.1f min %.1f max %.1f cpu-µs\n", i, s[len(s)/2], s[0], s[len(s)-1])
	}
}

// TestPlaceSeries (run only with NN_BENCH_PLACE set) times one 7×7 plain
// forward layer (benchConv's) in slices of a few dozen calls, each slice
// followed by a slice of the FMA peak kernel (registers only) and one of
// the deformable forward (BenchmarkDeformConvForward7's layer), and
// prints each slice's CPU time per call, its median and longest call, and
// CPU 0's busy time over it (run it pinned to CPU 1): the buffers stay
// where they are over the series, so slices that differ say the machine
// changed, not the placement.
func TestPlaceSeries(t *testing.T) {
	if os.Getenv(placeEnv) == "" {
		t.Skip("set " + placeEnv)
	}
	const slicesN, convIters, dcnIters, fmaIters = 150, 30, 24, 1 << 14
	cfg := Conv2DConfig{In: 32, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}
	c, _ := NewConv2D[float32]("conv", cfg, rand.New(rand.NewPCG(1, 1)))
	rng := rand.New(rand.NewPCG(1, 2))
	in := func(shape ...int) *Tensor[float32] {
		x := New[float32](shape...)
		for j := range x.data {
			x.data[j] = float32(rng.NormFloat64())
		}
		return x
	}
	x := in(64, 32, 7, 7)
	y, _ := c.Forward(x, true)
	logPlace("series", c, x.data, y.data)
	d, _ := NewDeformConv2D[float32]("dcn", cfg, 1, rand.New(rand.NewPCG(1, 1)))
	d.NoColumnCache = true
	off, mask := in(64, 18, 7, 7), in(64, 9, 7, 7)
	d.Forward(x, off, mask)
	fn, per, _ := peakKernel()
	if fn == nil {
		fn, per = goFMA, 16
	}
	// timed runs body n times and returns the CPU µs per call, and the
	// median and the longest call's wall µs.
	timed := func(n int, body func()) (cpu, med, long float64) {
		ws := make([]float64, n)
		c0 := cpuTime()
		for k := range n {
			w0 := time.Now()
			body()
			ws[k] = float64(time.Since(w0)) / 1000
		}
		cpu = float64(cpuTime()-c0) / float64(n) / 1000
		slices.Sort(ws)
		return cpu, ws[n/2], ws[n-1]
	}
	for i := range slicesN {
		b0 := otherBusy()
		cc, cm, cl := timed(convIters, func() { c.Forward(x, true) })
		fc, fm, _ := timed(8, func() { fn(fmaIters) })
		dc, dm, dl := timed(dcnIters, func() { d.Forward(x, off, mask) })
		b1 := otherBusy()
		fmt.Fprintf(os.Stderr, "series %d conv %.1f %.1f %.1f fma %.1f %.1f dcn %.1f %.1f %.1f other %.2f\n",
			i, cc, cm, cl, per*fmaIters/fc/1000, per*fmaIters/fm/1000, dc, dm, dl, b1-b0)
	}
}

// otherBusy returns CPU 0's busy seconds so far (all but idle and iowait
// in /proc/stat, 10 ms ticks): the series runs pinned to CPU 1.
func otherBusy() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 || f[0] != "cpu0" {
			continue
		}
		var s float64
		for k, v := range f[1:8] {
			if k == 3 || k == 4 { // idle, iowait
				continue
			}
			n, _ := strconv.ParseFloat(v, 64)
			s += n
		}
		return s / 100
	}
	return 0
}

// TestPlaceLayout (run only with NN_BENCH_PLACE set) times benchConv's
// 7×7 forward on layers whose two workspaces (the padded planes, c.pad,
// and the sums, c.ws) are either one allocation (the planes, then the
// sums) or two with 1 to 15 pages of other allocations between them,
// round-robin, and prints each kind's median of the layers' medians.
func TestPlaceLayout(t *testing.T) {
	if os.Getenv(placeEnv) == "" {
		t.Skip("set " + placeEnv)
	}
	const perKind, rounds, iters = 8, 7, 30
	const npad, nws = 32 * 1296, 32*49*16 + 49*16 // tapsForwardInner's sizes
	cfg := Conv2DConfig{In: 32, Out: 32, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}
	rng := rand.New(rand.NewPCG(1, 2))
	x := New[float32](64, 32, 7, 7)
	for j := range x.data {
		x.data[j] = float32(rng.NormFloat64())
	}
	type layer struct {
		c     *Conv2D[float32]
		split bool
		t     []float64
	}
	var ls []*layer
	var keep [][]byte
	for i := range 2 * perKind {
		c, _ := NewConv2D[float32]("conv", cfg, rand.New(rand.NewPCG(1, 1)))
		c.pad.reserve(1)
		c.ws.reserve(1)
		split := i%2 == 1
		if split {
			c.pad.bufs[0] = make([]float32, npad)
			keep = append(keep, make([]byte, 4096*(1+rng.IntN(15))))
			c.ws.bufs[0] = make([]float32, nws)
		} else {
			b := make([]float32, npad+nws)
			c.pad.bufs[0], c.ws.bufs[0] = b[:npad:npad], b[npad:]
		}
		p0, w0 := &c.pad.bufs[0][0], &c.ws.bufs[0][0]
		y, _ := c.Forward(x, true)
		if &c.pad.bufs[0][0] != p0 || &c.ws.bufs[0][0] != w0 {
			t.Fatal("Forward replaced the workspaces: the layout is not the one timed")
		}
		logPlace(fmt.Sprintf("layout%d-split=%v", i, split), c, x.data, y.data)
		ls = append(ls, &layer{c: c, split: split})
	}
	for range rounds {
		for _, l := range ls {
			c0 := cpuTime()
			for range iters {
				l.c.Forward(x, true)
			}
			l.t = append(l.t, float64(cpuTime()-c0)/iters/1000)
		}
	}
	var meds [2][]float64
	for i, l := range ls {
		s := slices.Clone(l.t)
		slices.Sort(s)
		k := 0
		if l.split {
			k = 1
		}
		meds[k] = append(meds[k], s[len(s)/2])
		fmt.Fprintf(os.Stderr, "layout layer%d split=%v median %.1f cpu-µs\n", i, l.split, s[len(s)/2])
	}
	for k, name := range []string{"one", "split"} {
		s := slices.Clone(meds[k])
		slices.Sort(s)
		fmt.Fprintf(os.Stderr, "layout %s: median of medians %.1f min %.1f max %.1f cpu-µs\n", name, s[len(s)/2], s[0], s[len(s)-1])
	}
	runtime.KeepAlive(keep)
}
