package cropset

import (
	"bytes"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/deformscope/deformscope/model/coco/internal/jpeg"
)

// imagingCrop is how crops were cut before the resizer: imaging's crop and Linear resize, composed
// over black.
func imagingCrop(img image.Image, rect image.Rectangle, size int) []uint8 {
	rect = rect.Add(img.Bounds().Min)
	src := img.(subImager).SubImage(rect)
	out := imaging.Resize(src, size, size, imaging.Linear)
	plane := size * size
	dst := make([]uint8, 3*plane)
	for y := range size {
		for x := range size {
			p := out.Pix[y*out.Stride+4*x:]
			a := uint32(p[3])
			for c := range 3 {
				dst[c*plane+y*size+x] = uint8((uint32(p[c])*a + 127) / 255)
			}
		}
	}
	return dst
}

// noisyYCbCr returns a w×h YCbCr image of random samples with the given subsampling.
func noisyYCbCr(w, h int, ratio image.YCbCrSubsampleRatio, rng *rand.Rand) *image.YCbCr {
	m := image.NewYCbCr(image.Rect(0, 0, w, h), ratio)
	for _, p := range [][]uint8{m.Y, m.Cb, m.Cr} {
		for i := range p {
			p[i] = uint8(rng.IntN(256))
		}
	}
	return m
}

// TestCOCOResizerMatchesImaging checks that the crops are byte for byte those imaging.Resize made
// from the whole decoded photo before the resizer and the region decoder replaced them: on every
// crop of coco128 and on random images of every subsampling and grey, with crops that shrink, keep
// and enlarge, at even and odd offsets.
func TestCOCOResizerMatchesImaging(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var imgs []image.Image
	for _, r := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411,
		image.YCbCrSubsampleRatio410} {
		imgs = append(imgs, noisyYCbCr(203, 151, r, rng))
	}
	g := image.NewGray(image.Rect(0, 0, 203, 151))
	for i := range g.Pix {
		g.Pix[i] = uint8(rng.IntN(256))
	}
	imgs = append(imgs, g)
	rs := new(resizer)
	for k, m := range imgs {
		for _, rect := range []image.Rectangle{image.Rect(0, 0, 100, 100), image.Rect(3, 7, 103, 107),
			image.Rect(1, 1, 33, 33), image.Rect(5, 2, 69, 66), image.Rect(10, 11, 121, 122), image.Rect(0, 0, 1, 1)} {
			for _, size := range []int{8, 64} {
				got := make([]uint8, 3*size*size)
				cropInto(got, m, rect, size, rs)
				if want := imagingCrop(m, rect, size); !bytes.Equal(got, want) {
					t.Errorf("image %d (%T), rect %v, size %d: the resizer's crop differs from imaging's", k, m, rect, size)
				}
			}
		}
	}

	annPath, images := coco128(t)
	opt, _ := Options{Seed: 1}.withDefaults()
	p, err := makePlan(t.Context(), annPath, opt)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, j := range p.jobs {
		b, err := os.ReadFile(filepath.Join(images, j.image.FileName))
		if err != nil {
			t.Fatal(err)
		}
		m, _, err := image.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		var rects []image.Rectangle
		for _, a := range j.anns {
			rects = append(rects, cropRect(a.BBox, j.image.Width, j.image.Height, opt.Context))
		}
		// The build decodes only the crops' regions of a photo.
		mr, err := jpeg.DecodeRegions(bytes.NewReader(b), rects)
		if err != nil {
			t.Fatal(err)
		}
		for k, a := range j.anns {
			got := make([]uint8, 3*opt.Size*opt.Size)
			cropInto(got, mr, rects[k], opt.Size, rs)
			if want := imagingCrop(m, rects[k], opt.Size); !bytes.Equal(got, want) {
				t.Errorf("%s box %d (%T): the build's crop differs from imaging's of the whole photo", j.image.FileName, a.ID, m)
			}
			n++
		}
	}
	if n != 282 {
		t.Errorf("compared %d crops of coco128, want 282", n)
	}
}
