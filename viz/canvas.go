package viz

import (
	"fmt"
	"image"
)

// newCanvas allocates every raster figure of this package, after checking its size against the
// limits that RenderOptions promises (maxSidePx a side, maxPixels in all): the one size check of
// the pictures, made before any pixel is allocated. `dcn offsets --box --width 8000` wrote a 99.5
// MP PNG, and `--width 16384` took 3.28 GB before a later side check refused it.
func newCanvas(w, h int, what string) (*image.NRGBA, error) {
	if err := checkCanvas(w, h, what); err != nil {
		return nil, err
	}
	return image.NewNRGBA(image.Rect(0, 0, w, h)), nil
}

// checkCanvas is newCanvas's check alone.
func checkCanvas(w, h int, what string) error {
	switch {
	case w <= 0 || h <= 0:
		return fmt.Errorf("viz: %s: %d×%d px is empty", what, w, h)
	case w > maxSidePx || h > maxSidePx:
		return fmt.Errorf("viz: %s: %d×%d px exceeds %d px a side", what, w, h, maxSidePx)
	case int64(w)*int64(h) > maxPixels:
		return fmt.Errorf("viz: %s: %d×%d px is %.1f megapixels, above the limit of %d (draw it smaller)", what, w, h,
			float64(w)*float64(h)/1e6, maxPixels/1_000_000)
	}
	return nil
}
