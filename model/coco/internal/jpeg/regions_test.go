package jpeg

import (
	"bytes"
	"image"
	stdjpeg "image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/deformscope/deformscope/model/coco/internal/cocotest"
)

// sameInside reports the first pixel inside r where got and want differ.
func sameInside(got, want image.Image, r image.Rectangle) (image.Point, bool) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if got.At(x, y) != want.At(x, y) {
				return image.Pt(x, y), false
			}
		}
	}
	return image.Point{}, true
}

// TestDecodeRegionsMatchesImageJPEG checks that every pixel inside the regions is what image/jpeg
// decodes, for the photos of coco128 (with random regions, at odd places and of odd sizes) and for
// grey, 4:2:0 colour and CMYK files; and that without regions the whole image is image/jpeg's.
func TestDecodeRegionsMatchesImageJPEG(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var files [][]byte
	grey := image.NewGray(image.Rect(0, 0, 61, 45))
	colour := image.NewRGBA(image.Rect(0, 0, 77, 53))
	for i := range grey.Pix {
		grey.Pix[i] = uint8(rng.IntN(256))
	}
	for i := range colour.Pix {
		colour.Pix[i] = uint8(rng.IntN(256))
	}
	files = append(files, cocotest.JPEG(t, grey), cocotest.JPEG(t, colour),
		cocotest.CMYKJPEG(40, 24, func(bx, by int) [4]uint8 { return [4]uint8{uint8(40 * bx), 90, uint8(60 * by), 30} }))
	dir := os.Getenv("DEFORMSCOPE_COCO128")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "..", "shared", "coco128")
	}
	names, _ := filepath.Glob(filepath.Join(dir, "images", "train2017", "*.jpg"))
	if len(names) == 0 {
		t.Logf("coco128 is not available in %s: only the generated files are tried", dir)
	}
	for i, n := range names {
		if i%4 != 0 {
			// A quarter of coco128 keeps the test short; every photo was tried when it was written.
			continue
		}
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	for k, b := range files {
		want, err := stdjpeg.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		w, h := want.Bounds().Dx(), want.Bounds().Dy()
		whole, err := DecodeRegions(bytes.NewReader(b), nil)
		if err != nil {
			t.Fatal(err)
		}
		if wy, ok := want.(*image.YCbCr); ok {
			gy := whole.(*image.YCbCr)
			if !bytes.Equal(gy.Y, wy.Y) || !bytes.Equal(gy.Cb, wy.Cb) || !bytes.Equal(gy.Cr, wy.Cr) {
				t.Errorf("file %d: the whole image differs from image/jpeg's", k)
			}
		} else if at, ok := sameInside(whole, want, want.Bounds()); !ok {
			t.Errorf("file %d: the whole image differs from image/jpeg's at %v", k, at)
		}
		var rects []image.Rectangle
		for range 3 {
			x0, y0 := rng.IntN(w), rng.IntN(h)
			rects = append(rects, image.Rect(x0, y0, x0+1+rng.IntN(w-x0), y0+1+rng.IntN(h-y0)))
		}
		got, err := DecodeRegions(bytes.NewReader(b), rects)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rects {
			if at, ok := sameInside(got, want, r); !ok {
				t.Errorf("file %d (%T), region %v: differs from image/jpeg at %v", k, want, r, at)
			}
		}
		// Far from every region, nothing was decoded (for a photo whose regions leave room).
		if k >= 3 && w > 200 {
			far := image.Rect(0, 0, 1, 1)
			for _, r := range rects {
				if r.Inset(-16).Overlaps(far) {
					far = image.Rectangle{}
				}
			}
			gy, ok1 := got.(*image.YCbCr)
			wy, ok2 := want.(*image.YCbCr)
			if !far.Empty() && ok1 && ok2 && wy.Y[0] != 0 && gy.Y[0] != 0 {
				t.Errorf("file %d: pixel (0,0), outside every region, was decoded (Y %d)", k, gy.Y[0])
			}
		}
	}
}

// FuzzDecodeRegions checks that no input makes the region decoder panic, and that what it accepts
// image/jpeg decodes to the same pixels inside the region.
func FuzzDecodeRegions(f *testing.F) {
	rng := rand.New(rand.NewPCG(5, 6))
	m := image.NewRGBA(image.Rect(0, 0, 24, 17))
	for i := range m.Pix {
		m.Pix[i] = uint8(rng.IntN(256))
	}
	f.Add(cocotest.JPEG(f, m), 3, 2, 9, 11)
	f.Fuzz(func(t *testing.T, b []byte, x, y, w, h int) {
		// As its caller does (coco.DecodeImageRegions checks the header against a pixel cap first):
		// a header may claim 65535×65535 pixels, and image/jpeg allocates what the header says.
		if cfg, err := DecodeConfig(bytes.NewReader(b)); err != nil || cfg.Width*cfg.Height > 1<<16 {
			return
		}
		r := image.Rect(x, y, x+w, y+h)
		got, err := DecodeRegions(bytes.NewReader(b), []image.Rectangle{r})
		if err != nil {
			return
		}
		want, err := stdjpeg.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("image/jpeg refuses what DecodeRegions accepts: %v", err)
		}
		if at, ok := sameInside(got, want, r.Intersect(want.Bounds())); !ok {
			t.Errorf("differs from image/jpeg at %v", at)
		}
	})
}
