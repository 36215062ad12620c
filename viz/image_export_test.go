package viz

import (
	"bytes"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSaveImageFormats(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 40, 20))
	img.Set(3, 4, color.NRGBA{R: 255, A: 255})
	dir := t.TempDir()
	for _, tc := range []struct{ ext, magic string }{{".png", "\x89PNG"}, {".svg", "<?xml"}, {".pdf", "%PDF"}} {
		path := filepath.Join(dir, "offsets"+tc.ext)
		if err := SaveImage(path, img, 96); err != nil {
			t.Fatalf("%s: %v", tc.ext, err)
		}
		b, err := os.ReadFile(path)
		if err != nil || !bytes.HasPrefix(b, []byte(tc.magic)) {
			t.Errorf("%s: file starts %q (%v), want %q", tc.ext, b[:min(len(b), 8)], err, tc.magic)
		}
		if tc.ext == ".svg" && !bytes.Contains(b, []byte("<image")) {
			t.Error("the SVG holds no picture")
		}
	}
	for _, tc := range []struct {
		path string
		img  image.Image
		dpi  float64
		want string
	}{
		{filepath.Join(dir, "x.gif"), img, 96, "unknown picture format"},
		{filepath.Join(dir, "x.svg"), nil, 96, "nil image"},
		{filepath.Join(dir, "x.pdf"), img, 0, "dpi"},
		{filepath.Join(dir, "missing", "x.svg"), img, 96, "missing"},
	} {
		if err := SaveImage(tc.path, tc.img, tc.dpi); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SaveImage(%s) = %v, want an error saying %q", tc.path, err, tc.want)
		}
	}
}
