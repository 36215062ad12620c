package fetch

import (
	"archive/zip"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzExtract feeds arbitrary bytes to Extract as a zip file: it must never
// panic, never write outside its folder, and never exceed its limits.
func FuzzExtract(f *testing.F) {
	for _, entries := range [][][2]string{
		{{"a.txt", "hello"}},
		{{"dir/", ""}, {"dir/b.json", "{}"}},
		{{"../evil", "x"}},
		{{"annotations/instances_val2017.json", `{"images":[]}`}, {"val2017/1.jpg", "\xff\xd8"}},
	} {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, e := range entries {
			w, err := zw.Create(e[0])
			if err != nil {
				f.Fatal(err)
			}
			w.Write([]byte(e[1]))
		}
		zw.Close()
		f.Add(buf.Bytes())
	}
	f.Add([]byte("PK\x03\x04 not really a zip"))
	f.Fuzz(func(t *testing.T, b []byte) {
		root := t.TempDir()
		zipPath := filepath.Join(root, "in.zip")
		if err := os.WriteFile(zipPath, b, 0o644); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(root, "out")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		lim := ExtractLimits{MaxBytes: 1 << 16, MaxEntries: 64}
		_ = Extract(zipPath, dir, lim)
		var total int64
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || p == root || p == zipPath || p == dir {
				return nil
			}
			if !strings.HasPrefix(p, dir+string(filepath.Separator)) {
				t.Errorf("Extract wrote %s outside %s", p, dir)
			}
			if info, err := d.Info(); err == nil && !d.IsDir() {
				total += info.Size()
			}
			return nil
		})
		if total > lim.MaxBytes {
			t.Errorf("Extract wrote %d bytes, limit %d", total, lim.MaxBytes)
		}
	})
}
