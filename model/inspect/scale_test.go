package inspect

import (
	"image"
	"image/color"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/experiment"
)

// TestScaleDigit: a 28×28 digit scaled by 0.5 keeps its centre and a
// quarter of its bright area; by 1 it stays as it was; a colour picture is
// refused by name.
func TestScaleDigit(t *testing.T) {
	rc := experiment.StudyProtocol()
	digit := image.NewGray(image.Rect(0, 0, 28, 28))
	for y := 6; y < 22; y++ {
		for x := 6; x < 22; x++ {
			digit.Pix[y*digit.Stride+x] = 255
		}
	}
	in, err := PrepareImage(rc, digit, true)
	if err != nil {
		t.Fatal(err)
	}
	bright := func(in *Input) (n int) {
		for _, p := range in.Picture.(*image.Gray).Pix {
			if p >= 128 {
				n++
			}
		}
		return n
	}
	for _, tc := range []struct {
		name   string
		scale  float64
		lo, hi int // bright pixels
	}{
		{"unchanged at 1", 1, 16 * 16, 16 * 16},
		{"half size", 0.5, 7 * 7, 9 * 9},
		{"one and a half", 1.5, 23 * 23, 25 * 25},
	} {
		out, err := ScaleDigit(rc, in, tc.scale)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if n := bright(out); n < tc.lo || n > tc.hi {
			t.Errorf("%s: %d bright pixels, want %d to %d", tc.name, n, tc.lo, tc.hi)
		}
		if s := out.X.Shape(); s[2] != 28 || s[3] != 28 {
			t.Errorf("%s: input %v", tc.name, s)
		}
	}
	photo := image.NewRGBA(image.Rect(0, 0, 28, 28))
	photo.Set(3, 3, color.RGBA{255, 0, 0, 255})
	if _, err := ScaleDigit(rc, &Input{Picture: photo}, 0.5); err == nil || !strings.Contains(err.Error(), "MNIST digit") {
		t.Errorf("a colour picture: %v", err)
	}
}
