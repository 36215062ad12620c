package coco

import (
	"os"
	"runtime"
	"testing"
)

// bigFile returns the train2017-sized instances file that /work/shared/anchors/make_big_coco.py
// writes, named by DEFORMSCOPE_BIG_COCO, or skips.
func bigFile(tb testing.TB) string {
	tb.Helper()
	p := os.Getenv("DEFORMSCOPE_BIG_COCO")
	if p == "" {
		tb.Skip("set DEFORMSCOPE_BIG_COCO to a train2017-sized instances file (make_big_coco.py writes one)")
	}
	return p
}

// pythonPeakPerByte is the peak memory of Python's json.load per byte of the train2017-sized file:
// 1,241 MB for 268 MB (docs/PERFORMANCE.md, "COCO annotations at scale").
const pythonPeakPerByte = 1241.0 / 268.0

// TestCOCOLoadBigMemory indexes the big file once and checks the target of docs/PERFORMANCE.md: at
// most a quarter of the memory Python's json.load takes for the same file. The runtime's Sys
// (memory obtained from the system) stands for the peak; it never shrinks. Time is
// BenchmarkCOCOLoadBig's job.
func TestCOCOLoadBigMemory(t *testing.T) {
	p := bigFile(t)
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	x, err := Load(t.Context(), p, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if x.Entries.Images == 0 || len(x.Annotations) == 0 || len(x.Annotations) > x.Entries.Annotations {
		t.Errorf("%s: %d images, %d annotations, %d kept: want some images and kept ≤ annotations",
			p, x.Entries.Images, x.Entries.Annotations, len(x.Annotations))
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	limit := uint64(float64(st.Size()) * pythonPeakPerByte / 4)
	if ms.Sys > limit {
		t.Errorf("%s (%d MiB): runtime Sys %d MiB, want ≤ %d MiB (a quarter of Python's json.load)",
			p, st.Size()>>20, ms.Sys>>20, limit>>20)
	}
}

// BenchmarkCOCOLoadBig indexes the big file; sys-MiB is the runtime's peak memory from the system.
func BenchmarkCOCOLoadBig(b *testing.B) {
	p := bigFile(b)
	st, err := os.Stat(p)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(b.Context(), p, LoadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.Sys>>20), "sys-MiB")
}
