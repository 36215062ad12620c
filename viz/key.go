package viz

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"strings"

	"golang.org/x/image/font"
)

// KeyItem is one entry of a picture's key (its legend): a swatch and what
// it means.
type KeyItem struct {
	// Mark is "disc", "small disc", "ring", "box", "thick box", "dashed box",
	// "outline" (a heat map's image outline) or "bar" (a colour-bar swatch;
	// Color is ignored).
	Mark  string
	Color color.NRGBA
	Text  string
}

// Key geometry, in pixels.
const (
	keyPad    = 8
	keySwatch = 22
	keyGap    = 6
	keyColGap = 18
)

// OverlayKey returns the key of an Overlay or a Context picture: the unit
// marker, the points and how their size or opacity encodes the mask, plus
// extra entries (boxes, crop extent) as given.
func OverlayKey(weightBy string, points int, extra ...KeyItem) []KeyItem {
	pts := fmt.Sprintf("sampling location (%d: every tap through every deformable layer below)", points)
	switch weightBy {
	case "size":
		pts += "; area grows with the product of the DCNv2 masks along its path"
	case "alpha":
		pts += "; opacity grows with the product of the DCNv2 masks along its path"
	}
	items := []KeyItem{
		{Mark: "ring", Color: defaultUnitColor, Text: "the unit: centre of its receptive field"},
		{Mark: "disc", Color: defaultPointColor, Text: pts},
	}
	return append(items, extra...)
}

// WithKey returns img with a key band underneath: one entry a line, the
// swatch left of its text, on white. An entry too long for the width wraps
// onto more lines (never cut short with an ellipsis: a key must say all it
// means). It returns img itself when items is empty.
func WithKey(img *image.NRGBA, items []KeyItem) (*image.NRGBA, error) {
	if img == nil {
		return nil, fmt.Errorf("viz: key: nil image")
	}
	if len(items) == 0 {
		return img, nil
	}
	face, err := newFace(notePx)
	if err != nil {
		return nil, err
	}
	defer face.Close()
	asc, desc := lineMetrics(face)
	lineH := asc + desc + 2
	row := max(asc+desc, keySwatch-6) + 6
	b := img.Bounds()
	width := max(b.Dx(), 360)
	textX := keyPad + keySwatch + keyGap
	lines := make([][]string, len(items))
	height := b.Dy() + 2*keyPad
	for i, it := range items {
		lines[i] = wrapText(face, it.Text, width-textX-keyPad)
		height += row + (len(lines[i])-1)*lineH
	}
	out, err := newCanvas(width, height, "key")
	if err != nil {
		return nil, err
	}
	fillRect(out, out.Bounds(), white)
	draw.Draw(out, image.Rect(0, 0, b.Dx(), b.Dy()), img, b.Min, draw.Src)
	y := b.Dy() + keyPad
	for i, it := range items {
		cy := float64(y) + float64(row)/2 // the swatch sits by the first line
		drawSwatch(out, it, float64(keyPad), cy)
		for j, l := range lines[i] {
			drawText(out, face, l, textX, int(cy)+asc/2-1+j*lineH, textColor)
		}
		y += row + (len(lines[i])-1)*lineH
	}
	return out, nil
}

// wrapText breaks s into lines of at most width pixels, between words; a
// word wider than a line on its own is broken between letters.
func wrapText(face font.Face, s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		try := w
		if line != "" {
			try = line + " " + w
		}
		if textWidth(face, try) <= width {
			line = try
			continue
		}
		if line != "" {
			lines = append(lines, line)
		}
		line = w
		for textWidth(face, line) > width {
			r := []rune(line)
			n := len(r) - 1
			for n > 1 && textWidth(face, string(r[:n])) > width {
				n--
			}
			lines = append(lines, string(r[:n]))
			line = string(r[n:])
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}

// drawSwatch draws an item's mark in a keySwatch-wide cell whose left edge
// is x and whose vertical centre is cy.
func drawSwatch(img *image.NRGBA, it KeyItem, x, cy float64) {
	cx := x + keySwatch/2
	switch it.Mark {
	case "disc":
		fillDisc(img, cx, cy, 4, it.Color, 1)
	case "small disc":
		fillDisc(img, cx, cy, 2.5, it.Color, 1)
	case "ring":
		fillRing(img, cx, cy, 5, 8, it.Color, 1)
	case "box", "thick box", "dashed box":
		r := image.Rect(int(x+2), int(cy-7), int(x+keySwatch-2), int(cy+7))
		switch it.Mark {
		case "box":
			strokeRect(img, r, it.Color)
		case "thick box":
			strokeRect(img, r, it.Color)
			strokeRect(img, r.Inset(1), it.Color)
		default:
			dashRect(img, r, it.Color, 1)
		}
	case "outline":
		fillRect(img, image.Rect(int(x), int(cy-6), int(x)+keySwatch, int(cy+6)), color.NRGBA{0x44, 0x44, 0x88, 0xff})
		fillRect(img, image.Rect(int(x), int(cy), int(x)+keySwatch, int(cy+1)), white)
		fillRect(img, image.Rect(int(x), int(cy+1), int(x)+keySwatch, int(cy+2)), color.NRGBA{0x10, 0x10, 0x10, 0xff})
	case "bar":
		stops, _ := colormapStops("")
		for i := 0; i < keySwatch; i++ {
			c := interpolate(stops, float64(i)/float64(keySwatch-1))
			fillRect(img, image.Rect(int(x)+i, int(cy-6), int(x)+i+1, int(cy+6)), c)
		}
	}
}

// dashRect draws the outline of r in dashes of 4 px, w px thick.
func dashRect(img *image.NRGBA, r image.Rectangle, c color.NRGBA, w int) {
	on := func(i int) bool { return (i/4)%2 == 0 }
	for x := r.Min.X; x < r.Max.X; x++ {
		if on(x - r.Min.X) {
			fillRect(img, image.Rect(x, r.Min.Y, x+1, r.Min.Y+w), c)
			fillRect(img, image.Rect(x, r.Max.Y-w, x+1, r.Max.Y), c)
		}
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		if on(y - r.Min.Y) {
			fillRect(img, image.Rect(r.Min.X, y, r.Min.X+w, y+1), c)
			fillRect(img, image.Rect(r.Max.X-w, y, r.Max.X, y+1), c)
		}
	}
}

// HeatmapKey returns the key of a Heatmap drawn with Outline: what the
// colours and the line mean, and which scale the colours run to.
func HeatmapKey(quantity, scale string) []KeyItem {
	return []KeyItem{
		{Mark: "bar", Text: quantity + ", per unit of the layer's output, spread over the pixels it covers; colours as on the bar (" + scale + ")"},
		{Mark: "outline", Text: "outline of the image's bright parts (its mean brightness), drawn over the colours"},
	}
}

// Column stacks pictures top to bottom on white, left-aligned, with gap
// pixels between them: rows of SideBySide panels into one figure.
func Column(gap int, rows ...*image.NRGBA) (*image.NRGBA, error) {
	w, h := 0, 0
	for i, r := range rows {
		if r == nil {
			return nil, fmt.Errorf("viz: column: row %d is nil", i)
		}
		w = max(w, r.Bounds().Dx())
		h += r.Bounds().Dy()
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("viz: column: no rows")
	}
	h += gap * (len(rows) - 1)
	out, err := newCanvas(w, h, "column")
	if err != nil {
		return nil, err
	}
	fillRect(out, out.Bounds(), white)
	y := 0
	for _, r := range rows {
		b := r.Bounds()
		draw.Draw(out, image.Rect(0, y, b.Dx(), y+b.Dy()), r, b.Min, draw.Src)
		y += b.Dy() + gap
	}
	return out, nil
}
