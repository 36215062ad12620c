package coco

import (
	"os"
	"runtime"
	"testing"
	"time"
)

// bigFile returns the train2017-sized instances file that /work/shared/anchors/make_big_coco.py writes, named by
// DEFORMSCOPE_BIG_COCO, or skips.
func bigFile(tb testing.TB) string {
	tb.Helper()
	p := os.Getenv("DEFORMSCOPE_BIG_COCO")
	if p == "" {
		tb.Skip("set DEFORMSCOPE_BIG_COCO to a train2017-sized instances file (make_big_coco.py writes one)")
	}
	return p
}

// TestCOCOScaleMeasure indexes the big file once and logs the time and the peak heap, for comparison with Python's
// json.load of the same file (see BenchmarkCOCOLoadBig for repeated runs).
func TestCOCOScaleMeasure(t *testing.T) {
	p := bigFile(t)
	runtime.GC()
	t0 := time.Now()
	x, err := Load(t.Context(), p, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d := time.Since(t0)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("%s: %d images, %d annotations (%d kept) in %v; heap now %d MiB, runtime Sys %d MiB",
		p, x.Entries.Images, x.Entries.Annotations, len(x.Annotations), d, ms.HeapAlloc>>20, ms.Sys>>20)
}

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
}
