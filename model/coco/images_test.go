package coco

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/png"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/coco/internal/cocotest"
)

func TestCOCOLoadChecksImageFiles(t *testing.T) {
	annPath, images := cocotest.ImageFaults(t)
	for _, tc := range []struct {
		decode bool
		want   map[string]int
	}{
		// Reading headers only, the truncated JPEG passes.
		{false, map[string]int{ReasonBadImage: 2, ReasonTooLarge: 1, ReasonSizeMismatch: 1, ReasonMissingFile: 1,
			ReasonPathEscapes: 1}},
		{true, map[string]int{ReasonBadImage: 3, ReasonTooLarge: 1, ReasonSizeMismatch: 1, ReasonMissingFile: 1,
			ReasonPathEscapes: 1}},
	} {
		x, err := Load(t.Context(), annPath, LoadOptions{ImageDir: images, Decode: tc.decode})
		if err != nil {
			t.Fatal(err)
		}
		checkInvariants(t, x, LoadOptions{})
		if !maps.Equal(x.Skipped.Images, tc.want) {
			t.Errorf("decode %v: images skipped %v, want %v", tc.decode, x.Skipped.Images, tc.want)
		}
		n := 0
		for _, v := range tc.want {
			n += v
		}
		if x.Skipped.Annotations[ReasonImageSkipped] != n || len(x.Annotations) != 12-n {
			t.Errorf("decode %v: annotations skipped %v, %d kept", tc.decode, x.Skipped.Annotations, len(x.Annotations))
		}
	}
	if _, err := Load(t.Context(), annPath, LoadOptions{ImageDir: filepath.Join(images, "nope")}); err == nil {
		t.Error("a missing image folder is not an error")
	}
	if _, err := Load(t.Context(), filepath.Join(images, "nope.json"), LoadOptions{}); err == nil ||
		!strings.Contains(err.Error(), "nope.json") {
		t.Errorf("missing file: %v", err)
	}
}

// TestPNGTooLarge checks the header check openImage falls back on where image.DecodeConfig fails
// (32-bit builds refuse a PNG whose pixel count overflows an int): a valid PNG header over the
// caps is too large; a small one, a damaged one and other formats are not.
func TestPNGTooLarge(t *testing.T) {
	header := func(sig string, w, h uint32) []byte {
		b := append([]byte(sig), 0, 0, 0, 13)
		b = append(b, "IHDR"...)
		b = binary.BigEndian.AppendUint32(b, w)
		return binary.BigEndian.AppendUint32(b, h)
	}
	const png = "\x89PNG\r\n\x1a\n"
	for _, c := range []struct {
		name string
		data []byte
		want bool
	}{
		{"100000x100000", header(png, 100000, 100000), true},
		{"side over maxSide", header(png, maxSide+1, 1), true},
		{"small", header(png, 640, 480), false},
		{"at the pixel cap", header(png, 1000, 1000), false},
		{"zero width", header(png, 0, 5), false},
		{"width over 2^31-1", header(png, 1<<31, 1), false},
		{"not a PNG", header("\xff\xd8\xff\xe0JFIF", 100000, 100000), false},
		{"truncated", header(png, 100000, 100000)[:20], false},
	} {
		p := filepath.Join(t.TempDir(), "x.png")
		if err := os.WriteFile(p, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := pngTooLarge(f, 1000*1000); got != c.want {
			t.Errorf("%s: pngTooLarge = %v, want %v", c.name, got, c.want)
		}
		f.Close()
	}
}

// FuzzOpenImage feeds openImage arbitrary files: it never panics, and it either opens the file
// with no reason or closes it and gives one of the image reasons.
func FuzzOpenImage(f *testing.F) {
	var small bytes.Buffer
	if err := png.Encode(&small, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		f.Fatal(err)
	}
	f.Add(small.Bytes())
	huge := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), 0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0)
	f.Add(huge)
	f.Add([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"))
	f.Add([]byte{})
	known := map[string]bool{ReasonBadImage: true, ReasonTooLarge: true, ReasonSizeMismatch: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "x.png"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		root, err := os.OpenRoot(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer root.Close()
		fh, reason := openImage(root, Image{FileName: "x.png", Width: 2, Height: 2}, 1000*1000)
		if fh != nil {
			fh.Close()
			if reason != "" {
				t.Fatalf("an open file with reason %q", reason)
			}
			return
		}
		if !known[reason] {
			t.Fatalf("reason %q for a file that exists", reason)
		}
	})
}
