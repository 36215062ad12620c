package nn

import (
	"math"
	"runtime"
	"sync"
	"time"
)

// Peak is a measured float32 multiply-add rate of this machine.
type Peak struct {
	Kernel  string  // what ran: "AVX-512 FMA", "AVX2 FMA" or "Go loop"
	Threads int     // goroutines, one per core
	GFLOPS  float64 // all threads together
}

// PerCore is the rate of one thread.
func (p Peak) PerCore() float64 { return p.GFLOPS / float64(max(1, p.Threads)) }

// MeasurePeak runs independent register-resident FMA chains (no memory
// traffic) on threads goroutines, each locked to its OS thread, for about
// d, and returns the best of three rounds: the ceiling that the
// convolution kernels' GFLOP/s are measured against. Other jobs on the
// machine lower it; run it beside them and read shares with that in mind.
func MeasurePeak(threads int, d time.Duration) Peak {
	threads = max(1, threads)
	fn, per, name := peakKernel()
	if fn == nil {
		fn, per, name = goFMA, 8*2, "Go loop"
	}
	// Calibrate the iterations of one round on a short run.
	iters := 1 << 16
	for {
		t := time.Now()
		fn(iters)
		if e := time.Since(t); e > d/50 || iters > min(1<<34, math.MaxInt/4) {
			iters = int(float64(iters) * float64(d/3) / float64(max(e, time.Microsecond)))
			break
		}
		iters *= 4
	}
	iters = max(iters, 1)
	var best float64
	for range 3 {
		var wg sync.WaitGroup
		start := time.Now()
		for range threads {
			wg.Go(func() {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				fn(iters)
			})
		}
		wg.Wait()
		if g := float64(iters) * per * float64(threads) / float64(time.Since(start).Nanoseconds()); g > best {
			best = g
		}
	}
	return Peak{Kernel: name, Threads: threads, GFLOPS: best}
}

// goFMA is the portable stand-in: 8 independent multiply-add chains.
func goFMA(iters int) {
	var a0, a1, a2, a3, a4, a5, a6, a7 float32
	x, y := float32(1e-9), float32(0.999)
	for range iters {
		a0 = a0*y + x
		a1 = a1*y + x
		a2 = a2*y + x
		a3 = a3*y + x
		a4 = a4*y + x
		a5 = a5*y + x
		a6 = a6*y + x
		a7 = a7*y + x
	}
	peakSink = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7
}

var peakSink float32
