package viz

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"sync"

	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Text on the raster pictures (overlays, heat maps) is set in Liberation Sans
// Regular, the font gonum/plot embeds for the curves, so that no system font
// is needed and every machine draws the same glyphs.

// textColor is the colour of captions and labels; noteColor of secondary
// notes.
var (
	textColor = color.NRGBA{0x22, 0x22, 0x22, 0xff}
	noteColor = color.NRGBA{0x66, 0x66, 0x66, 0xff}
)

// sansFont is the parsed font, shared: a parsed font is safe for concurrent
// use, a face made from it is not.
var sansFont = sync.OnceValues(func() (*opentype.Font, error) {
	return opentype.Parse(liberationsansregular.TTF)
})

// newFace returns a new face of Liberation Sans at px pixels per em. Each
// picture makes its own, since a face is not safe for concurrent use.
func newFace(px float64) (font.Face, error) {
	f, err := sansFont()
	if err != nil {
		return nil, fmt.Errorf("viz: font: %w", err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("viz: font: %w", err)
	}
	return face, nil
}

// textWidth returns the advance width of s in face, in whole pixels.
func textWidth(face font.Face, s string) int {
	return font.MeasureString(face, s).Ceil()
}

// lineMetrics returns the ascent and descent of face in whole pixels.
func lineMetrics(face font.Face) (ascent, descent int) {
	m := face.Metrics()
	return m.Ascent.Ceil(), m.Descent.Ceil()
}

// drawText draws s with its left end at x and its baseline at y.
func drawText(dst draw.Image, face font.Face, s string, x, y int, c color.Color) {
	d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: face, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// drawTextCentered draws s centred on x, baseline at y.
func drawTextCentered(dst draw.Image, face font.Face, s string, x, y int, c color.Color) {
	drawText(dst, face, s, x-textWidth(face, s)/2, y, c)
}

// drawTextUp draws s rotated a quarter turn anticlockwise (reading upwards,
// as a colour bar's label), centred on (cx, cy).
func drawTextUp(dst draw.Image, face font.Face, s string, cx, cy int, c color.Color) {
	w := textWidth(face, s)
	asc, desc := lineMetrics(face)
	h := asc + desc
	if w <= 0 || h <= 0 {
		return
	}
	flat := image.NewAlpha(image.Rect(0, 0, w, h))
	drawText(flat, face, s, 0, asc, color.Opaque)
	// Quarter turn anticlockwise: flat (x, y) goes to up (y, w-1-x).
	up := image.NewAlpha(image.Rect(0, 0, h, w))
	for y := range h {
		for x := range w {
			up.Pix[(w-1-x)*up.Stride+y] = flat.Pix[y*flat.Stride+x]
		}
	}
	r := image.Rect(cx-h/2, cy-w/2, cx-h/2+h, cy-w/2+w)
	draw.DrawMask(dst, r, image.NewUniform(c), image.Point{}, up, image.Point{}, draw.Over)
}

// fitFace returns a face at px pixels, or smaller down to minPx, in which s
// fits in width pixels; at minPx s may still be wider.
func fitFace(s string, px, minPx float64, width int) (font.Face, error) {
	for {
		face, err := newFace(px)
		if err != nil {
			return nil, err
		}
		if px <= minPx || textWidth(face, s) <= width {
			return face, nil
		}
		face.Close()
		px = max(minPx, px-1)
	}
}

// clipText shortens s with an ellipsis until it fits in width pixels.
func clipText(face font.Face, s string, width int) string {
	if textWidth(face, s) <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 0 {
		r = r[:len(r)-1]
		if t := string(r) + "…"; textWidth(face, t) <= width {
			return t
		}
	}
	return ""
}
