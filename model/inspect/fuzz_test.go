package inspect

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadImage feeds arbitrary bytes to ReadImage: an image or an error,
// never a panic, and never a decode of a huge declared size.
func FuzzReadImage(f *testing.F) {
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte("\xff\xd8\xff\xe0"))
	f.Add([]byte("GIF89a"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "img")
		os.WriteFile(p, b, 0o644)
		img, err := ReadImage(p)
		if err == nil && (img == nil || img.Bounds().Dx()*img.Bounds().Dy() > MaxImagePixels) {
			t.Errorf("ReadImage returned %v without error", img)
		}
	})
}
