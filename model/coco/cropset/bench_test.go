//go:build unix

package cropset

import (
	"bytes"
	"image"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/deformscope/deformscope/model/coco/internal/jpeg"
)

// benchJobs returns coco128's crop jobs with the default options and each job's JPEG bytes, read
// once so that the benchmarks below time the CPU work of a build (the page cache serves a real
// build's reads the same way).
func benchJobs(b *testing.B) ([]job, [][]byte, Options) {
	annPath, images := coco128(b)
	opt, err := Options{Seed: 1}.withDefaults()
	if err != nil {
		b.Fatal(err)
	}
	p, err := makePlan(b.Context(), annPath, opt)
	if err != nil {
		b.Fatal(err)
	}
	files := make([][]byte, len(p.jobs))
	for i, j := range p.jobs {
		if files[i], err = os.ReadFile(filepath.Join(images, j.image.FileName)); err != nil {
			b.Fatal(err)
		}
	}
	return p.jobs, files, opt
}

// cpuSeconds returns the process's CPU time so far (user and system). On a machine that others
// share, a benchmark's CPU time per image moves far less than its wall time; run with -cpu 1 so
// that it is this goroutine's.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// perImage reports the wall and CPU milliseconds per image of a benchmark that ran n images per op
// since cpu0.
func perImage(b *testing.B, n int, cpu0 float64) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/1e6, "ms/image")
	b.ReportMetric((cpuSeconds()-cpu0)*1e3/float64(b.N*n), "cpu-ms/image")
}

// BenchmarkCOCOBuildImage splits the per-image work of a build (one op: every image of coco128 that
// has crops, 128 images and 282 crops; the figures per image are ns/op ÷ images): JPEG decode alone
// (image/jpeg, the whole photo), decode of the crops' regions alone (internal/jpeg), cropping and
// resampling alone (from decoded images), and what the build does (regions, then crops).
func BenchmarkCOCOBuildImage(b *testing.B) {
	jobs, files, opt := benchJobs(b)
	sample := 3 * opt.Size * opt.Size
	decoded := make([]image.Image, len(jobs))
	for i := range jobs {
		m, _, err := image.Decode(bytes.NewReader(files[i]))
		if err != nil {
			b.Fatal(err)
		}
		decoded[i] = m
	}
	crops := 0
	rects := make([][]image.Rectangle, len(jobs))
	for i, j := range jobs {
		crops += len(j.anns)
		for _, a := range j.anns {
			rects[i] = append(rects[i], cropRect(a.BBox, j.image.Width, j.image.Height, opt.Context))
		}
	}
	buf := make([]uint8, sample*64)
	rs := new(resizer)
	cropAll := func(i int, m image.Image) {
		j := jobs[i]
		for n, a := range j.anns {
			dst := buf[(n%64)*sample : (n%64+1)*sample]
			cropInto(dst, m, cropRect(a.BBox, j.image.Width, j.image.Height, opt.Context), opt.Size, rs)
		}
	}
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cpuSeconds()
		for b.Loop() {
			for i := range jobs {
				if _, _, err := image.Decode(bytes.NewReader(files[i])); err != nil {
					b.Fatal(err)
				}
			}
		}
		perImage(b, len(jobs), cpu0)
	})
	b.Run("decode-regions", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cpuSeconds()
		for b.Loop() {
			for i := range jobs {
				if _, err := jpeg.DecodeRegions(bytes.NewReader(files[i]), rects[i]); err != nil {
					b.Fatal(err)
				}
			}
		}
		perImage(b, len(jobs), cpu0)
	})
	b.Run("crop", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cpuSeconds()
		for b.Loop() {
			for i, m := range decoded {
				cropAll(i, m)
			}
		}
		perImage(b, len(jobs), cpu0)
	})
	// What the build does with each photo: decode the crops' regions, then cut and resample the
	// crops.
	b.Run("both", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cpuSeconds()
		for b.Loop() {
			for i := range jobs {
				m, err := jpeg.DecodeRegions(bytes.NewReader(files[i]), rects[i])
				if err != nil {
					b.Fatal(err)
				}
				cropAll(i, m)
			}
		}
		perImage(b, len(jobs), cpu0)
	})
	b.Logf("%d images, %d crops", len(jobs), crops)
}
