package imagemem

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// TestBytesBoundsDecoders decodes small images of every colour model Go's
// decoders produce and checks that Bytes is at least what the decoded
// image holds, and not far above it.
func TestBytesBoundsDecoders(t *testing.T) {
	const w, h = 64, 48
	r := image.Rect(0, 0, w, h)
	encPNG := func(img image.Image) []byte {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	encJPEG := func(img image.Image) []byte {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, nil); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	cases := []struct {
		name string
		file []byte
	}{
		{"png gray", encPNG(image.NewGray(r))},
		{"png gray16", encPNG(image.NewGray16(r))},
		{"png rgba", encPNG(image.NewNRGBA(r))},
		{"png rgba64", encPNG(image.NewNRGBA64(r))},
		{"png paletted", encPNG(image.NewPaletted(r, color.Palette{color.Black, color.White}))},
		{"jpeg gray", encJPEG(image.NewGray(r))},
		{"jpeg ycbcr", encJPEG(image.NewRGBA(r))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, _, err := image.DecodeConfig(bytes.NewReader(c.file))
			if err != nil {
				t.Fatal(err)
			}
			img, _, err := image.Decode(bytes.NewReader(c.file))
			if err != nil {
				t.Fatal(err)
			}
			held := pixBytes(img)
			got := Bytes(cfg)
			if got < held || got > 4*held {
				t.Errorf("Bytes = %d, the decoded %T holds %d", got, img, held)
			}
		})
	}
	if Bytes(image.Config{ColorModel: color.RGBA64Model, Width: 7000, Height: 7000}) <= MaxBytes {
		t.Error("a 7000×7000 16-bit image is within MaxBytes")
	}
	if Bytes(image.Config{ColorModel: color.YCbCrModel, Width: 7000, Height: 7000}) > MaxBytes {
		t.Error("a 7000×7000 RGB photo is over MaxBytes")
	}
}

// pixBytes is the size of the pixel buffers of a decoded image.
func pixBytes(img image.Image) int64 {
	switch m := img.(type) {
	case *image.Gray:
		return int64(len(m.Pix))
	case *image.Gray16:
		return int64(len(m.Pix))
	case *image.NRGBA:
		return int64(len(m.Pix))
	case *image.RGBA:
		return int64(len(m.Pix))
	case *image.NRGBA64:
		return int64(len(m.Pix))
	case *image.RGBA64:
		return int64(len(m.Pix))
	case *image.Paletted:
		return int64(len(m.Pix))
	case *image.YCbCr:
		return int64(len(m.Y) + len(m.Cb) + len(m.Cr))
	case *image.CMYK:
		return int64(len(m.Pix))
	}
	return 0
}
