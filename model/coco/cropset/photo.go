package cropset

import (
	"image"

	"github.com/deformscope/deformscope/model/coco"
)

// CropRect returns the square of whole pixels that training cuts out of a w×h photo for box b with
// context (the share of the box's longer side added on each side; training uses DefaultContext):
// the box's longer side plus context, centred on the box, shrunk to the photo's shorter side if
// larger and moved inside the photo. It is the rectangle Build cuts, exported so that the views cut
// the very same crop.
func CropRect(b coco.Box, w, h int, context float64) image.Rectangle {
	return cropRect(b, w, h, context)
}

// CropRGB cuts rect (relative to img's origin) out of img and resizes it to size×size exactly as
// Build does, returning 3 planes of RGB bytes (3·size·size). Grey and CMYK photos come out as RGB.
func CropRGB(img image.Image, rect image.Rectangle, size int) []uint8 {
	dst := make([]uint8, 3*size*size)
	cropInto(dst, img, rect, size, nil)
	return dst
}

// CropToPhoto maps a position in a size×size crop cut from rect to the photo's pixels. Both use
// pixel centres at whole numbers (the convention of trace): the crop's pixel i spans rect.Dx()/size
// photo pixels, so its centre (i + 0.5) cells from the crop's edge lies (i + 0.5)·rect.Dx()/size
// pixels from rect's edge.
func CropToPhoto(rect image.Rectangle, size int, y, x float64) (py, px float64) {
	sy := float64(rect.Dy()) / float64(size)
	sx := float64(rect.Dx()) / float64(size)
	return float64(rect.Min.Y) + (y+0.5)*sy - 0.5, float64(rect.Min.X) + (x+0.5)*sx - 0.5
}

// PhotoToCrop is the inverse of CropToPhoto: the crop position of photo position (py, px).
func PhotoToCrop(rect image.Rectangle, size int, py, px float64) (y, x float64) {
	sy := float64(size) / float64(rect.Dy())
	sx := float64(size) / float64(rect.Dx())
	return (py-float64(rect.Min.Y)+0.5)*sy - 0.5, (px-float64(rect.Min.X)+0.5)*sx - 0.5
}
