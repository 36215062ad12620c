// Package imagemem says how much memory an image will take once decoded,
// from its header alone, so that readers can refuse an image by the bytes
// it would cost rather than by its pixel count: a 7000×7000 16-bit RGBA PNG
// has as many pixels as a 7000×7000 greyscale one, but decodes to 392 MB
// instead of 49 MB.
package imagemem

import (
	"image"
	"image/color"
)

// MaxBytes is the default limit on one decoded image: a 50-megapixel
// 8-bit RGB photo (150 MB at worst, 4:4:4 JPEG) fits; 16-bit images of that
// size do not.
const MaxBytes = 200 << 20

// Bytes returns the memory that Go's decoders (image/jpeg, image/png)
// allocate for the pixels of an image with header cfg: bytes per pixel by
// colour model, times the pixel count. JPEG's YCbCr is counted at 4:4:4
// (its header does not tell the subsampling) and CMYK at twice its size
// (the decoder keeps the YCbCr planes while converting), so the figure is
// an upper bound. Unknown models count 8 bytes a pixel.
func Bytes(cfg image.Config) int64 {
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return 0
	}
	return int64(cfg.Width) * int64(cfg.Height) * perPixel(cfg.ColorModel)
}

func perPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3
	case color.RGBAModel, color.NRGBAModel, color.NYCbCrAModel:
		return 4
	case color.CMYKModel:
		return 8
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8
}
