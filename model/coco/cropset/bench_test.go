package cropset

import (
	"bytes"
	"image"
	"os"
	"path/filepath"
	"testing"
)

// benchJobs returns coco128's crop jobs with the default options and each job's JPEG bytes, read once so that the
// benchmarks below time the CPU work of a build (the page cache serves a real build's reads the same way).
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

// BenchmarkCOCOBuildImage splits the per-image work of a build (one op: every image of coco128 that has crops, 128
// images and 282 crops; the figures per image are ns/op ÷ images): JPEG decode alone, cropping and resampling
// alone (from decoded images), and both.
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
	for _, j := range jobs {
		crops += len(j.anns)
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
		for b.Loop() {
			for i := range jobs {
				if _, _, err := image.Decode(bytes.NewReader(files[i])); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(jobs))/1e6, "ms/image")
	})
	b.Run("crop", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i, m := range decoded {
				cropAll(i, m)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(jobs))/1e6, "ms/image")
	})
	b.Run("both", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i := range jobs {
				m, _, err := image.Decode(bytes.NewReader(files[i]))
				if err != nil {
					b.Fatal(err)
				}
				cropAll(i, m)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(jobs))/1e6, "ms/image")
	})
	b.Logf("%d images, %d crops", len(jobs), crops)
}
