package cropset

import (
	"image"
	"math"

	"github.com/disintegration/imaging"

	"github.com/deformscope/deformscope/model/coco"
)

// cropRect returns the square of whole pixels that the crop of box b covers in a w×h image: the box's longer side
// plus context on each side, centred on the box, shrunk to the image's shorter side if larger, and moved inside
// the image (so the crop is never padded and never distorted).
func cropRect(b coco.Box, w, h int, context float64) image.Rectangle {
	side := max(b.W, b.H) * (1 + 2*context)
	s := int(math.Round(min(side, float64(min(w, h)))))
	s = max(1, min(s, w, h))
	x0 := int(math.Round(b.X + b.W/2 - float64(s)/2))
	y0 := int(math.Round(b.Y + b.H/2 - float64(s)/2))
	x0 = max(0, min(x0, w-s))
	y0 = max(0, min(y0, h-s))
	return image.Rect(x0, y0, x0+s, y0+s)
}

type subImager interface {
	SubImage(r image.Rectangle) image.Image
}

// cropInto cuts rect (relative to img's origin) out of img, resizes it to size×size with a linear filter (which
// imaging widens when it shrinks, so it averages rather than skips pixels) and writes it to dst as 3 planes of
// RGB bytes. Grey and CMYK images come out as RGB; transparent pixels are composed over black.
func cropInto(dst []uint8, img image.Image, rect image.Rectangle, size int) {
	rect = rect.Add(img.Bounds().Min)
	var src image.Image
	if si, ok := img.(subImager); ok {
		src = si.SubImage(rect)
	} else {
		src = imaging.Crop(img, rect)
	}
	out := imaging.Resize(src, size, size, imaging.Linear)
	plane := size * size
	r, g, b := dst[:plane], dst[plane:2*plane], dst[2*plane:3*plane]
	for y := range size {
		row := out.Pix[y*out.Stride : y*out.Stride+4*size]
		for x := range size {
			p := row[4*x : 4*x+4]
			i := y*size + x
			if a := uint32(p[3]); a == 255 {
				r[i], g[i], b[i] = p[0], p[1], p[2]
			} else {
				r[i] = uint8((uint32(p[0])*a + 127) / 255)
				g[i] = uint8((uint32(p[1])*a + 127) / 255)
				b[i] = uint8((uint32(p[2])*a + 127) / 255)
			}
		}
	}
}
