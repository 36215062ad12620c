package nn

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// chunkColumns is the number of output columns (images × output pixels) one
// chunk of a convolution aims for. It depends only on the layer's shape, not
// on the number of cores, so results are bit-identical across machines.
const chunkColumns = 256

// chunking splits batch images into chunks of about chunkColumns output
// columns each.
func chunking(batch, pixels int) (per, n int) {
	per = max(1, chunkColumns/max(1, pixels))
	per = min(per, max(1, batch))
	return per, (batch + per - 1) / per
}

// Workers returns how many goroutines a layer uses at most; it follows
// GOMAXPROCS.
func Workers() int { return runtime.GOMAXPROCS(0) }

// parallel runs fn(worker, job) for job in [0, jobs) on up to Workers()
// goroutines. Worker indices are in [0, workers) and let fn use per-worker
// scratch space; which worker runs which job must not affect the result.
func parallel(jobs int, fn func(worker, job int)) int {
	return parallelN(Workers(), jobs, fn)
}

// parallelN is parallel with at most workers goroutines; callers that keep
// per-worker scratch reserve it for workers first.
func parallelN(workers, jobs int, fn func(worker, job int)) int {
	workers = min(workers, jobs)
	if workers <= 1 {
		for j := range jobs {
			fn(0, j)
		}
		return 1
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for {
				j := int(next.Add(1)) - 1
				if j >= jobs {
					return
				}
				fn(w, j)
			}
		})
	}
	wg.Wait()
	return workers
}

// scratch is per-worker reusable memory.
type scratch[T Float] struct{ bufs [][]T }

// reserve makes room for workers buffers; it must be called before the
// workers start, since get does not grow the list.
func (s *scratch[T]) reserve(workers int) {
	for len(s.bufs) < workers {
		s.bufs = append(s.bufs, nil)
	}
}

// get returns worker w's buffer of at least n elements (contents undefined).
func (s *scratch[T]) get(w, n int) []T {
	if cap(s.bufs[w]) < n {
		s.bufs[w] = make([]T, n)
	}
	return s.bufs[w][:n]
}

// setWorkers overrides GOMAXPROCS for tests and returns the old value.
func setWorkers(n int) int { return runtime.GOMAXPROCS(n) }

// elementChunk is the number of elements one job of an element-wise loop
// takes: big enough to pay for scheduling, fixed so results do not depend
// on the number of cores (element-wise loops have no reductions anyway).
const elementChunk = 1 << 15

// parallelRange runs fn over [0, n) in chunks of elementChunk on all cores.
func parallelRange(n int, fn func(lo, hi int)) {
	jobs := (n + elementChunk - 1) / elementChunk
	parallel(jobs, func(_, j int) {
		fn(j*elementChunk, min(n, (j+1)*elementChunk))
	})
}
