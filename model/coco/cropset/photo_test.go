package cropset

import (
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/deformscope/deformscope/model/coco"
)

// TestCOCOCropToPhoto maps crop positions back to the photo for hand-built boxes: with context,
// squared, and moved inside at the photo's edge.
func TestCOCOCropToPhoto(t *testing.T) {
	for _, tc := range []struct {
		name       string
		b          coco.Box
		w, h, size int
		y, x       float64 // crop position
		py, px     float64 // want: photo position
	}{
		// coco.Box 20×20 at (40, 40), 10 % context: rect 38..62 (24 px) into 12 px: 2 photo px per
		// crop px.
		{"context, crop's first pixel centre", coco.Box{X: 40, Y: 40, W: 20, H: 20}, 100, 100, 12, 0, 0, 38.5, 38.5},
		{"context, crop's last pixel centre", coco.Box{X: 40, Y: 40, W: 20, H: 20}, 100, 100, 12, 11, 11, 60.5, 60.5},
		{"context, the box's corner", coco.Box{X: 40, Y: 40, W: 20, H: 20}, 100, 100, 12, 0.5, 0.5, 39.5, 39.5},
		// Wide box 40×20 at (10, 40), no context: squared to rect (10, 30)-(50, 70), 40 px into 8:
		// 5 px each.
		{"squared wide box, centre", coco.Box{X: 10, Y: 40, W: 40, H: 20}, 100, 100, 8, 3.5, 3.5, 49.5, 29.5},
		{"squared wide box, top-left", coco.Box{X: 10, Y: 40, W: 40, H: 20}, 100, 100, 8, -0.5, -0.5, 29.5, 9.5},
		// coco.Box at the bottom-right corner with 50 % context: moved inside to (60, 60)-(100,
		// 100), 40 px into 40.
		{"clipped at the edge", coco.Box{X: 80, Y: 80, W: 20, H: 20}, 100, 100, 40, 39, 39, 99, 99},
		{"clipped at the edge, box corner", coco.Box{X: 80, Y: 80, W: 20, H: 20}, 100, 100, 40, 20, 20, 80, 80},
	} {
		ctx := 0.0
		switch tc.name[:4] {
		case "cont":
			ctx = 0.1
		case "clip":
			ctx = 0.5
		}
		r := CropRect(tc.b, tc.w, tc.h, ctx)
		py, px := CropToPhoto(r, tc.size, tc.y, tc.x)
		if math.Abs(py-tc.py) > 1e-9 || math.Abs(px-tc.px) > 1e-9 {
			t.Errorf("%s: crop (%g, %g) in %v → photo (%g, %g), want (%g, %g)", tc.name, tc.y, tc.x, r, py, px, tc.py, tc.px)
		}
		y, x := PhotoToCrop(r, tc.size, py, px)
		if math.Abs(y-tc.y) > 1e-9 || math.Abs(x-tc.x) > 1e-9 {
			t.Errorf("%s: back to crop (%g, %g), want (%g, %g)", tc.name, y, x, tc.y, tc.x)
		}
	}
}

// TestCOCOCropRGBIsTrainingCrop checks that CropRGB cuts the pixels Build stores: a photo whose
// left half is red and right half blue, cut around the boundary, gives a crop red on the left and
// blue on the right.
func TestCOCOCropRGBIsTrainingCrop(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 100, 60))
	for y := range 60 {
		for x := range 100 {
			c := color.RGBA{255, 0, 0, 255}
			if x >= 50 {
				c = color.RGBA{0, 0, 255, 255}
			}
			img.Set(x, y, c)
		}
	}
	r := CropRect(coco.Box{X: 30, Y: 10, W: 40, H: 40}, 100, 60, 0)
	pix := CropRGB(img, r, 8)
	plane := 64
	if pix[0] != 255 || pix[2*plane] != 0 || pix[7] != 0 || pix[2*plane+7] != 255 {
		t.Errorf("crop corners: R %d, %d; B %d, %d", pix[0], pix[7], pix[2*plane], pix[2*plane+7])
	}
	want := make([]uint8, 3*64)
	cropInto(want, img, r, 8, nil)
	for i := range want {
		if want[i] != pix[i] {
			t.Fatalf("byte %d: %d, training's crop has %d", i, pix[i], want[i])
		}
	}
}
