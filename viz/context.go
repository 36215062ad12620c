package viz

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/disintegration/imaging"
	"golang.org/x/image/font"

	"github.com/deformscope/deformscope/model/trace"
)

// Box is an annotated box in a photo, in COCO's frame: the top-left corner
// and size in pixels, pixel i spanning [i, i+1).
type Box struct {
	X, Y, W, H float64
	Label      string
}

// Viewport is the part of a photo a Context picture shows, in COCO's frame
// (pixel i spans [i, i+1)): X0..X1 across, Y0..Y1 down.
type Viewport struct{ X0, Y0, X1, Y1 float64 }

// Empty reports whether v has no area.
func (v Viewport) Empty() bool { return !(v.X1 > v.X0 && v.Y1 > v.Y0) }

// ContextSpec describes a unit's sampling points drawn over the whole photo
// the crop came from, with its boxes and the crop's extent.
type ContextSpec struct {
	Photo image.Image
	// Boxes are the photo's annotated boxes; Chosen indexes the one whose
	// crop the net ran on (−1: none), drawn thicker.
	Boxes  []Box
	Chosen int
	// Crop is the square the net's input was cut from (empty: none), drawn
	// dashed.
	Crop image.Rectangle
	// Unit and Points are in photo pixels, pixel centres at whole numbers
	// (trace's convention), already mapped back from the crop.
	Unit   trace.Point
	Points []trace.Point
	// WeightBy is as in OverlaySpec.
	WeightBy string
	// View is the part of the photo shown; empty shows it whole.
	View Viewport
	// Width is the picture's width in pixels (the height follows the view's
	// aspect); 0 means 640.
	Width int
	// Caption is drawn under the picture.
	Caption string
}

// Colours of the context picture.
var (
	boxColor    = color.NRGBA{0xff, 0xd7, 0x00, 0xff} // annotated boxes: gold
	chosenColor = color.NRGBA{0x2c, 0xa0, 0x2c, 0xff} // the chosen box: green
	cropColor   = color.NRGBA{0x1f, 0x77, 0xb4, 0xff} // the crop's extent: blue
)

// ContextKey returns the key entries of a context picture beyond
// OverlayKey's.
func ContextKey() []KeyItem {
	return []KeyItem{
		{Mark: "thick box", Color: chosenColor, Text: "the chosen object's annotated box"},
		{Mark: "box", Color: boxColor, Text: "other annotated boxes"},
		{Mark: "dashed box", Color: cropColor, Text: "the crop the net saw (box squared, 10 % context, resized as in training)"},
	}
}

// Context draws spec: the viewport of the photo resampled to Width pixels
// across, the boxes, the crop's extent, the points and the unit, and the
// caption underneath. Points outside the view are left out and counted in a
// note. It returns an error for a nil or empty photo, a bad width or
// WeightBy, or a viewport that does not overlap the photo.
func Context(spec ContextSpec) (*image.NRGBA, error) {
	pw, ph, err := imageSize("context", spec.Photo)
	if err != nil {
		return nil, err
	}
	switch spec.WeightBy {
	case "", "size", "alpha":
	default:
		return nil, fmt.Errorf("viz: context: unknown WeightBy %q (want \"\", \"size\" or \"alpha\")", spec.WeightBy)
	}
	v := spec.View
	if v.Empty() {
		v = Viewport{0, 0, float64(pw), float64(ph)}
	}
	if !finite(v.X0) || !finite(v.X1) || !finite(v.Y0) || !finite(v.Y1) || v.X1 <= 0 || v.Y1 <= 0 || v.X0 >= float64(pw) || v.Y0 >= float64(ph) {
		return nil, fmt.Errorf("viz: context: view %v does not overlap the %d×%d photo", v, pw, ph)
	}
	width := spec.Width
	if width == 0 {
		width = 640
	}
	if width < 16 || width > maxSidePx {
		return nil, fmt.Errorf("viz: context: width %d px is outside 16..%d", width, maxSidePx)
	}
	k := float64(width) / (v.X1 - v.X0)
	height := int(math.Round((v.Y1 - v.Y0) * k))
	if height < 1 || height > maxSidePx {
		return nil, fmt.Errorf("viz: context: the view is %d px high at %d px wide; at most %d", height, width, maxSidePx)
	}
	// toCanvas maps a point of the COCO frame onto the canvas.
	toCanvas := func(x, y float64) (float64, float64) { return (x - v.X0) * k, (y - v.Y0) * k }

	capFace, err := fitFace(spec.Caption, captionPx, minTextPx, width-2*textPad)
	if err != nil {
		return nil, err
	}
	defer capFace.Close()
	noteFace, err := newFace(notePx)
	if err != nil {
		return nil, err
	}
	defer noteFace.Close()
	labelFace, err := newFace(notePx - 1)
	if err != nil {
		return nil, err
	}
	defer labelFace.Close()

	// The points, in canvas coordinates, so that the note's band is known.
	r0 := min(max(2.2, 0.9*math.Sqrt(k)*2.2), 6)
	if len(spec.Points) > 81 {
		r0 = max(1.6, r0*0.6)
	}
	wmax := 0.0
	for _, p := range spec.Points {
		wmax = max(wmax, weight(p.Weight))
	}
	var marks []mark
	beyond, bad := 0, 0
	for _, p := range spec.Points {
		if !finite(p.X) || !finite(p.Y) {
			bad++
			continue
		}
		cx, cy := toCanvas(p.X+0.5, p.Y+0.5)
		wn := 1.0
		if wmax > 0 {
			wn = weight(p.Weight) / wmax
		} else if spec.WeightBy != "" {
			wn = 0
		}
		mk := mark{cx: cx, cy: cy, r: r0, alpha: 1, w: wn}
		switch spec.WeightBy {
		case "size":
			mk.r = max(minPointRadius, 1.25*r0*math.Sqrt(wn))
		case "alpha":
			mk.alpha = max(0.1, wn)
		}
		if cx < 0 || cy < 0 || cx > float64(width) || cy > float64(height) {
			beyond++
			continue
		}
		marks = append(marks, mk)
	}
	note := pointsNote(len(spec.Points), beyond, bad)
	if note != "" {
		note += " (the view)"
	}
	band := 0
	ca, cd := lineMetrics(capFace)
	na, nd := lineMetrics(noteFace)
	if spec.Caption != "" {
		band += textPad + ca + cd
	}
	if note != "" {
		band += textPad + na + nd
	}
	if band > 0 {
		band += textPad
	}
	img, err := newCanvas(width, height+band, "photo")
	if err != nil {
		return nil, err
	}
	fillRect(img, img.Bounds(), white)
	drawPhoto(img, spec.Photo, v, width, height)

	la, _ := lineMetrics(labelFace)
	full := img
	// Boxes, crop and points are drawn on the picture only, never over the caption.
	img = img.SubImage(image.Rect(0, 0, width, height)).(*image.NRGBA)
	for i, b := range spec.Boxes {
		if i == spec.Chosen {
			continue
		}
		drawBox(img, labelFace, la, b, toCanvas, boxColor, 1)
	}
	if !spec.Crop.Empty() {
		x0, y0 := toCanvas(float64(spec.Crop.Min.X), float64(spec.Crop.Min.Y))
		x1, y1 := toCanvas(float64(spec.Crop.Max.X), float64(spec.Crop.Max.Y))
		r := image.Rect(int(math.Round(x0)), int(math.Round(y0)), int(math.Round(x1)), int(math.Round(y1)))
		dashRect(img, r.Inset(-1), white, 1)
		dashRect(img, r, cropColor, 2)
	}
	if spec.Chosen >= 0 && spec.Chosen < len(spec.Boxes) {
		drawBox(img, labelFace, la, spec.Boxes[spec.Chosen], toCanvas, chosenColor, 2)
	}
	// The ring first, the points over it: on a wide framing (the whole
	// photo) the points of a unit may all lie within the ring's radius,
	// and must not hide under it.
	if finite(spec.Unit.X) && finite(spec.Unit.Y) {
		cx, cy := toCanvas(spec.Unit.X+0.5, spec.Unit.Y+0.5)
		in, out := unitRing(r0)
		fillRing(img, cx, cy, in-1.5, out+1.5, white, 0.9)
		fillRing(img, cx, cy, in, out, defaultUnitColor, 1)
	}
	sortMarks(marks)
	for _, m := range marks {
		fillDisc(img, m.cx, m.cy, m.r+1, white, 0.6*m.alpha)
		fillDisc(img, m.cx, m.cy, m.r, defaultPointColor, m.alpha)
	}
	img = full
	y := height
	if spec.Caption != "" {
		y += textPad + ca
		drawTextCentered(img, capFace, clipText(capFace, spec.Caption, width-2*textPad), width/2, y, textColor)
		y += cd
	}
	if note != "" {
		y += textPad + na
		drawTextCentered(img, noteFace, clipText(noteFace, note, width-2*textPad), width/2, y, noteColor)
	}
	return img, nil
}

// drawPhoto resamples the viewport v of photo into the top-left width×height
// of img (bilinear, Lanczos when shrinking through imaging), grey beyond the
// photo's edge.
func drawPhoto(img *image.NRGBA, photo image.Image, v Viewport, width, height int) {
	b := photo.Bounds()
	fillRect(img, image.Rect(0, 0, width, height), marginColor)
	// The whole pixels the view touches, cut and resized; then placed so
	// that the view's fractional edges land right.
	x0, y0 := max(int(math.Floor(v.X0)), 0), max(int(math.Floor(v.Y0)), 0)
	x1, y1 := min(int(math.Ceil(v.X1)), b.Dx()), min(int(math.Ceil(v.Y1)), b.Dy())
	if x1 <= x0 || y1 <= y0 {
		return
	}
	k := float64(width) / (v.X1 - v.X0)
	dw, dh := int(math.Round(float64(x1-x0)*k)), int(math.Round(float64(y1-y0)*k))
	if dw < 1 || dh < 1 {
		return
	}
	filter := imaging.Linear
	if k >= 2 {
		filter = imaging.Box // enlarged pixels stay crisp enough to count, without ringing
	}
	part := imaging.Resize(imaging.Crop(photo, image.Rect(x0, y0, x1, y1).Add(b.Min)), dw, dh, filter)
	ox, oy := int(math.Round((float64(x0)-v.X0)*k)), int(math.Round((float64(y0)-v.Y0)*k))
	for y := range dh {
		for x := range dw {
			cx, cy := ox+x, oy+y
			if cx < 0 || cy < 0 || cx >= width || cy >= height {
				continue
			}
			img.SetNRGBA(cx, cy, overWhite(part.NRGBAAt(x, y)))
		}
	}
}

// drawBox outlines b (with a white rim so that it shows on any photo) and
// writes its label above its top-left corner.
func drawBox(img *image.NRGBA, face font.Face, asc int, b Box, toCanvas func(x, y float64) (float64, float64), c color.NRGBA, w int) {
	x0, y0 := toCanvas(b.X, b.Y)
	x1, y1 := toCanvas(b.X+b.W, b.Y+b.H)
	r := image.Rect(int(math.Round(x0)), int(math.Round(y0)), int(math.Round(x1)), int(math.Round(y1)))
	strokeRect(img, r.Inset(-1), white)
	for i := range w {
		strokeRect(img, r.Inset(i), c)
	}
	if b.Label != "" {
		tw := textWidth(face, b.Label)
		ly := max(r.Min.Y-2, asc+2)
		fillRect(img, image.Rect(r.Min.X, ly-asc-2, r.Min.X+tw+4, ly+3), c)
		drawText(img, face, b.Label, r.Min.X+2, ly, textColor)
	}
}

// sortMarks orders marks lightest first, so heavy points lie on top.
func sortMarks(m []mark) {
	for i := 1; i < len(m); i++ {
		for j := i; j > 0 && m[j].w < m[j-1].w; j-- {
			m[j], m[j-1] = m[j-1], m[j]
		}
	}
}

// ContextFigure draws the deformable net's sampling points in context
// beside the plain CNN's regular grid (nil leaves that panel out), under
// title, with the key underneath: the picture both the app's in-context
// view and `dcn offsets --box` show.
func ContextFigure(title string, points ContextSpec, grid *ContextSpec) (*image.NRGBA, error) {
	var panels []*image.NRGBA
	if grid != nil {
		g, err := Context(*grid)
		if err != nil {
			return nil, err
		}
		panels = append(panels, g)
	}
	p, err := Context(points)
	if err != nil {
		return nil, err
	}
	panels = append(panels, p)
	img, err := SideBySide(title, panels...)
	if err != nil {
		return nil, err
	}
	return WithKey(img, OverlayKey(points.WeightBy, len(points.Points), ContextKey()...))
}
