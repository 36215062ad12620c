package fetch

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// deflated returns n zero bytes, deflated: a tiny body that inflates far.
func deflated(t *testing.T, n int) []byte {
	t.Helper()
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	fw.Write(make([]byte, n))
	fw.Close()
	return comp.Bytes()
}

// TestExtractExpansionRatio is issue 17 item 15: a 23 KB zip of
// overlapping entries expanded to 1.26 GB, within the 32 GB and 250,000
// entry caps. The expansion is now capped at 100 times the zip's size, and
// entries whose compressed data add up to more than the zip are refused.
func TestExtractExpansionRatio(t *testing.T) {
	const n = 20 << 20
	body := deflated(t, n)
	raw := func(name string, data []byte, compressed int) *zip.FileHeader {
		return &zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(make([]byte, n)),
			CompressedSize64: uint64(compressed), UncompressedSize64: n}
	}
	build := func(overlap bool) []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		w, err := zw.CreateRaw(raw("zeros.bin", body, len(body)))
		if err != nil {
			t.Fatal(err)
		}
		w.Write(body)
		if overlap {
			// Entries that claim the same compressed data again.
			for i := range 10 {
				if _, err := zw.CreateRaw(raw(fmt.Sprintf("copy%d.bin", i), nil, len(body))); err != nil {
					t.Fatal(err)
				}
			}
		}
		zw.Close()
		return b.Bytes()
	}
	cases := []struct {
		name    string
		zip     []byte
		wantErr string
	}{
		{"high ratio", build(false), "at most 100 times the zip's size"},
		{"overlapping entries", build(true), "entries overlap"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "bomb.zip")
			os.WriteFile(p, c.zip, 0o644)
			dir := filepath.Join(t.TempDir(), "out")
			err := Extract(p, dir, ExtractLimits{})
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("Extract of a %d-byte zip: %v, want an error with %q", len(c.zip), err, c.wantErr)
			}
			if left, _ := os.ReadDir(dir); len(left) > 0 {
				t.Errorf("the refused zip left %d entries", len(left))
			}
		})
	}
}

// TestExtractWritesThroughRoot is issue 17 item 2: extraction checked a
// path through os.Root and then wrote through the plain path, so a local
// process that swapped a subfolder for a symbolic link in between
// redirected the write outside. The hook swaps the folder at that moment.
func TestExtractWritesThroughRoot(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	zipPath := writeZip(t, makeZip(t, zipEntry{name: "val2017/a.jpg", body: []byte("x")}))
	extractHook = func(name string) {
		sub := filepath.Join(dir, "val2017")
		os.RemoveAll(sub)
		if err := os.Symlink(outside, sub); err != nil {
			t.Skipf("cannot make a symbolic link: %v", err)
		}
	}
	defer func() { extractHook = nil }()
	err := Extract(zipPath, dir, ExtractLimits{})
	if err == nil {
		t.Error("extracted through a link swapped in during extraction")
	}
	if entries, _ := os.ReadDir(outside); len(entries) > 0 {
		t.Errorf("%s written outside the folder", entries[0].Name())
	}
}

// TestDownloadStallingServer is issue 17 item 8: dcn coco fetch waited for
// ever on a server that accepted and stalled, before the headers or
// mid-body. The stall timer abandons the attempt, and the retry resumes.
func TestDownloadStallingServer(t *testing.T) {
	content := randomBytes(300000)
	for _, mode := range []string{"stall-headers-once", "stall-once"} {
		t.Run(mode, func(t *testing.T) {
			z := &zipServer{files: map[string][]byte{"zips/x.zip": content}, mode: mode, cutAt: 100000}
			dir := t.TempDir()
			f := Fetcher{BaseURL: serve(t, z), StallTimeout: 300 * time.Millisecond}
			done := make(chan error, 1)
			go func() {
				_, _, err := f.Download(t.Context(), Archive{Path: "zips/x.zip", Size: int64(len(content)), SHA256: sumHex(content)}, dir)
				done <- err
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the download hung on a stalling server")
			}
			checkDownloaded(t, dir, "x.zip", content)
			got := z.requests()
			want := ""
			if mode == "stall-once" {
				want = "bytes=100000-" // resumed where the stall began
			}
			if len(got) != 2 || got[1] != want {
				t.Errorf("requests with Range %q, want a second one with %q", got, want)
			}
		})
	}
}

// TestExtractReplacesALinkAtAFileName checks that a file written in place replaces a symbolic link
// at its name instead of writing through it, even to a file inside the folder.
func TestExtractReplacesALinkAtAFileName(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "val2017"), 0o755); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(keep, filepath.Join(dir, "val2017", "a.jpg")); err != nil {
		t.Skipf("cannot make a symbolic link: %v", err)
	}
	zipPath := writeZip(t, makeZip(t, zipEntry{name: "val2017/a.jpg", body: []byte("jpeg")}))
	if err := Extract(zipPath, dir, ExtractLimits{}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(keep); string(b) != "mine" {
		t.Errorf("the link's target was overwritten: %q", b)
	}
	st, err := os.Lstat(filepath.Join(dir, "val2017", "a.jpg"))
	if err != nil || !st.Mode().IsRegular() {
		t.Errorf("val2017/a.jpg is not a regular file (%v, %v)", st, err)
	}
}
