package fetch

import (
	"archive/zip"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkExtract unpacks a zip of 2,000 small files (4 KB of incompressible bytes each, stored,
// in one folder as train2017.zip holds its 118,287 JPEGs) into a fresh folder, and reports the time
// per file.
func BenchmarkExtract(b *testing.B) {
	const files = 2000
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	rng := rand.New(rand.NewPCG(1, 2))
	body := make([]byte, 4096)
	for i := range files {
		for k := range body {
			body[k] = byte(rng.IntN(256))
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("train2017/%012d.jpg", i), Method: zip.Store})
		if err != nil {
			b.Fatal(err)
		}
		w.Write(body)
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	zipPath := filepath.Join(dir, "many.zip")
	if err := os.WriteFile(zipPath, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		out := filepath.Join(dir, fmt.Sprint("out", n))
		n++
		if err := Extract(zipPath, out, ExtractLimits{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*files), "µs/file")
}
