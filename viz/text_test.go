package viz

import (
	"image"
	"strings"
	"testing"
)

// inkBox returns the bounding box of the pixels of img with any alpha.
func inkBox(img *image.Alpha) image.Rectangle {
	var box image.Rectangle
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if img.AlphaAt(x, y).A > 0x40 {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return box
}

func TestDrawText(t *testing.T) {
	face, err := newFace(16)
	if err != nil {
		t.Fatal(err)
	}
	defer face.Close()
	tests := []struct {
		name string
		draw func(dst *image.Alpha)
		tall bool // ink taller than wide
	}{
		{"flat", func(dst *image.Alpha) { drawTextCentered(dst, face, "epoch 7 · |Δp|", 100, 100, textColor) }, false},
		{"turned up", func(dst *image.Alpha) { drawTextUp(dst, face, "epoch 7 · |Δp|", 100, 100, textColor) }, true},
	}
	w := textWidth(face, "epoch 7 · |Δp|")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := image.NewAlpha(image.Rect(0, 0, 200, 200))
			tc.draw(dst)
			box := inkBox(dst)
			if box.Empty() {
				t.Fatal("no ink: text not drawn")
			}
			long, short := box.Dx(), box.Dy()
			if tc.tall {
				long, short = short, long
			}
			if long < w*3/4 || long > w+2 || short > 20 {
				t.Errorf("ink box %v for text %d px wide (turned: %v)", box, w, tc.tall)
			}
			// Both are centred on x = 100.
			if c := (box.Min.X + box.Max.X) / 2; c < 95 || c > 105 {
				t.Errorf("ink centred at x = %d, want 100", c)
			}
		})
	}
}

func TestClipText(t *testing.T) {
	face, err := newFace(16)
	if err != nil {
		t.Fatal(err)
	}
	defer face.Close()
	long := strings.Repeat("sampling ", 20)
	tests := []struct {
		name  string
		s     string
		width int
		same  bool
	}{
		{"fits", "unit (3, 4)", 200, true},
		{"clipped", long, 200, false},
		{"nothing fits", long, 2, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := clipText(face, tc.s, tc.width)
			if (got == tc.s) != tc.same || textWidth(face, got) > tc.width {
				t.Errorf("clipText(%q, %d) = %q (%d px)", tc.s, tc.width, got, textWidth(face, got))
			}
			if !tc.same && got != "" && !strings.HasSuffix(got, "…") {
				t.Errorf("clipped text %q lacks the ellipsis", got)
			}
		})
	}
}

func TestFitFace(t *testing.T) {
	s := "dcnn conv5 · unit (3, 4) · epoch 7"
	big, err := fitFace(s, 16, 10, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer big.Close()
	small, err := fitFace(s, 16, 10, textWidth(big, s)*3/4)
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	if a, b := textWidth(big, s), textWidth(small, s); b >= a || b > a*3/4 {
		t.Errorf("fitted width %d, want at most 3/4 of %d", b, a)
	}
}
