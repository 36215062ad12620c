package viz

import (
	"strings"
	"testing"
)

// TestNewCanvasLimits checks the one size check of the raster figures (#26 item 10).
func TestNewCanvasLimits(t *testing.T) {
	for _, c := range []struct {
		w, h int
		want string
	}{
		{800, 600, ""},
		{5000, 5000, ""},
		{16000, 6220, "megapixels"}, // offsets --box --width 8000: two panels, 99.5 MP
		{16384, 12288, "megapixels"},
		{16385, 10, "a side"},
		{0, 10, "empty"},
		{1 << 30, 1 << 30, "a side"},
	} {
		img, err := newCanvas(c.w, c.h, "test")
		if c.want == "" {
			if err != nil || img.Bounds().Dx() != c.w {
				t.Errorf("%d×%d: %v", c.w, c.h, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%d×%d: %v, want %q", c.w, c.h, err, c.want)
		}
	}
}
