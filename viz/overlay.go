package viz

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"slices"

	"github.com/deformscope/deformscope/internal/atomicfile"
	"github.com/deformscope/deformscope/model/trace"
)

// OverlaySpec describes sampling points drawn over an input image, as in
// figures 5 to 7 of the Deformable ConvNets papers (arXiv 1703.06211).
type OverlaySpec struct {
	// Image is the network's input image (greyscale or colour), drawn at
	// Scale× its native resolution, nearest-neighbour, so that its pixels
	// show. Transparent pixels are drawn over white.
	Image image.Image
	// Scale is the integer upscale; 0 picks the smallest integer that makes
	// the longer side at least 448 px.
	Scale int
	// Unit is the activation unit's centre, in input pixels, drawn as a ring
	// in UnitColor; a NaN coordinate leaves the ring out.
	Unit trace.Point
	// Points are the sampling locations (9, 81 or 729), in input pixels,
	// drawn as small discs in PointColor. Points with a NaN or infinite
	// coordinate, and points beyond the canvas, are left out and counted in
	// a note under the caption.
	Points []trace.Point
	// WeightBy is "" (every point alike), "size" (disc area proportional to
	// Point.Weight, the product of the DCNv2 masks along its path, with a
	// radius of at least 1.5 px) or "alpha" (opacity proportional to it, at
	// least 10 %). Weights are normalised by their maximum; negative and
	// non-finite weights count as 0.
	WeightBy string
	// Caption is drawn under the image, e.g. "dcnn conv5 · unit (3, 4) ·
	// epoch 7"; empty leaves the band out unless a note needs it.
	Caption string
	// UnitColor and PointColor default (at their zero value) to green
	// #2ca02c and red #d62728.
	UnitColor, PointColor color.NRGBA
}

// Sizes of the raster pictures, in pixels.
const (
	minPictureSide = 448 // Scale 0 upscales the longer image side to at least this
	captionPx      = 16  // caption font size
	notePx         = 13  // note and tick label font size
	titlePx        = 18  // SideBySide title font size
	minTextPx      = 10  // long captions shrink down to this, then are clipped
	textPad        = 8   // space above and below a line of text
	panelGap       = 16  // space between SideBySide panels
	outerPad       = 8   // white border of a SideBySide figure
	minPointRadius = 1.5 // WeightBy "size": the lightest points stay visible
)

// Colours of the overlay.
var (
	defaultUnitColor  = color.NRGBA{0x2c, 0xa0, 0x2c, 0xff}
	defaultPointColor = color.NRGBA{0xd6, 0x27, 0x28, 0xff}
	marginColor       = color.NRGBA{0xe4, 0xe4, 0xe4, 0xff} // outside the image: zero padding
	frameColor        = color.NRGBA{0x80, 0x80, 0x80, 0xff} // the image's edge
	white             = color.NRGBA{0xff, 0xff, 0xff, 0xff}
)

// overlayLayout places input pixels on the overlay canvas. The image sits
// in a margin of a quarter of its longer side (a whole number of input
// pixels) on every side, so that sampling points that leave the image
// (where the convolution reads zero padding) still show.
type overlayLayout struct {
	scale, margin int
	imgW, imgH    int // input pixels
	frameW        int // canvas width: margin, image, margin
	frameH        int // height of the margin, image, margin band
}

func newOverlayLayout(w, h, scale int) (overlayLayout, error) {
	s, err := pictureScale(w, h, scale)
	if err != nil {
		return overlayLayout{}, err
	}
	m := s * ((max(w, h) + 3) / 4)
	l := overlayLayout{scale: s, margin: m, imgW: w, imgH: h, frameW: w*s + 2*m, frameH: h*s + 2*m}
	if l.frameW > maxSidePx || l.frameH > maxSidePx {
		return overlayLayout{}, fmt.Errorf("viz: overlay of a %d×%d image at scale %d exceeds %d px a side", w, h, s, maxSidePx)
	}
	return l, nil
}

// toCanvas returns the canvas position of input position (y, x): pixel
// centres map to the centres of their scale×scale blocks, so the centre of
// input pixel (y, x) is at ((y+0.5)·scale + margin, (x+0.5)·scale + margin)
// in continuous canvas coordinates, where canvas pixel (i, j) spans
// [i, i+1)×[j, j+1).
func (l overlayLayout) toCanvas(y, x float64) (cy, cx float64) {
	s, m := float64(l.scale), float64(l.margin)
	return (y+0.5)*s + m, (x+0.5)*s + m
}

// OverlayPoint maps a position on the canvas of an Overlay of an imgW×imgH
// image drawn at scale (0 picks it as Overlay does) back to input-image
// coordinates (pixel centres at whole numbers, as trace uses): the inverse
// of where Overlay draws a point, for picking a unit by clicking the
// picture. (cx, cy) is in continuous canvas pixels, where pixel (i, j)
// spans [i, i+1)×[j, j+1). ok is false for an unusable size or scale, or a
// position outside the image and its margin (the caption band included).
func OverlayPoint(imgW, imgH, scale int, cx, cy float64) (y, x float64, ok bool) {
	if imgW <= 0 || imgH <= 0 {
		return 0, 0, false
	}
	l, err := newOverlayLayout(imgW, imgH, scale)
	if err != nil || !(cx >= 0 && cx < float64(l.frameW) && cy >= 0 && cy < float64(l.frameH)) {
		return 0, 0, false
	}
	s, m := float64(l.scale), float64(l.margin)
	return (cy-m)/s - 0.5, (cx-m)/s - 0.5, true
}

// pictureScale checks scale for a w×h image, or picks it if 0.
func pictureScale(w, h, scale int) (int, error) {
	switch {
	case scale < 0:
		return 0, fmt.Errorf("viz: scale %d is negative", scale)
	case scale > maxSidePx:
		return 0, fmt.Errorf("viz: scale %d exceeds %d", scale, maxSidePx)
	case scale == 0:
		long := max(w, h)
		return max(1, (minPictureSide+long-1)/long), nil
	}
	return scale, nil
}

// imageSize checks that img is usable and returns its size.
func imageSize(what string, img image.Image) (w, h int, err error) {
	if img == nil {
		return 0, 0, fmt.Errorf("viz: %s: nil image", what)
	}
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return 0, 0, fmt.Errorf("viz: %s: image is %d×%d px, want at least 1×1", what, b.Dx(), b.Dy())
	}
	return b.Dx(), b.Dy(), nil
}

// Overlay draws spec's sampling points and unit over its image, scaled up,
// in a grey margin, with the caption underneath. It returns a new image, or
// an error for a nil or empty image, a negative or too large scale, or an
// unknown WeightBy.
func Overlay(spec OverlaySpec) (*image.NRGBA, error) {
	w, h, err := imageSize("overlay", spec.Image)
	if err != nil {
		return nil, err
	}
	switch spec.WeightBy {
	case "", "size", "alpha":
	default:
		return nil, fmt.Errorf("viz: overlay: unknown WeightBy %q (want \"\", \"size\" or \"alpha\")", spec.WeightBy)
	}
	l, err := newOverlayLayout(w, h, spec.Scale)
	if err != nil {
		return nil, err
	}
	unitColor, pointColor := spec.UnitColor, spec.PointColor
	if unitColor == (color.NRGBA{}) {
		unitColor = defaultUnitColor
	}
	if pointColor == (color.NRGBA{}) {
		pointColor = defaultPointColor
	}

	marks, beyond, bad := placePoints(l, spec.Points, spec.WeightBy)
	note := pointsNote(len(spec.Points), beyond, bad)
	capFace, err := fitFace(spec.Caption, captionPx, minTextPx, l.frameW-2*textPad)
	if err != nil {
		return nil, err
	}
	defer capFace.Close()
	noteFace, err := newFace(notePx)
	if err != nil {
		return nil, err
	}
	defer noteFace.Close()
	band := 0
	capAsc, capDesc := lineMetrics(capFace)
	noteAsc, noteDesc := lineMetrics(noteFace)
	if spec.Caption != "" {
		band += textPad + capAsc + capDesc
	}
	if note != "" {
		band += textPad + noteAsc + noteDesc
	}
	if band > 0 {
		band += textPad
	}

	img, err := newCanvas(l.frameW, l.frameH+band, "overlay")
	if err != nil {
		return nil, err
	}
	fillRect(img, img.Bounds(), white)
	fillRect(img, image.Rect(0, 0, l.frameW, l.frameH), marginColor)
	m, s := l.margin, l.scale
	strokeRect(img, image.Rect(m-1, m-1, m+w*s+1, m+h*s+1), frameColor)
	drawScaled(img, spec.Image, image.Pt(m, m), s)

	for _, p := range marks {
		fillDisc(img, p.cx, p.cy, p.r, pointColor, p.alpha)
	}
	drawUnit(img, l, spec.Unit, unitColor, baseRadius(l.scale, len(spec.Points)))

	y := l.frameH
	if spec.Caption != "" {
		y += textPad + capAsc
		drawTextCentered(img, capFace, clipText(capFace, spec.Caption, l.frameW-2*textPad), l.frameW/2, y, textColor)
		y += capDesc
	}
	if note != "" {
		y += textPad + noteAsc
		drawTextCentered(img, noteFace, clipText(noteFace, note, l.frameW-2*textPad), l.frameW/2, y, noteColor)
	}
	return img, nil
}

// mark is a sampling point ready to draw, in canvas coordinates.
type mark struct {
	cx, cy, r, alpha float64
	w                float64 // normalised weight, for the drawing order
}

// baseRadius is the radius of an unweighted point: smaller when there are
// more points, so that 729 points do not merge into one blot.
func baseRadius(scale, n int) float64 {
	k := 0.32
	switch {
	case n > 81:
		k = 0.17
	case n > 9:
		k = 0.25
	}
	return min(max(k*float64(scale), 2), 7)
}

// placePoints maps the points to the canvas and sizes them. It returns the
// drawable marks, lightest first (so that heavy points lie on top), and the
// counts of points beyond the canvas and with non-finite coordinates.
func placePoints(l overlayLayout, pts []trace.Point, weightBy string) (marks []mark, beyond, bad int) {
	wmax := 0.0
	for _, p := range pts {
		wmax = max(wmax, weight(p.Weight))
	}
	r0 := baseRadius(l.scale, len(pts))
	for _, p := range pts {
		if !finite(p.Y) || !finite(p.X) {
			bad++
			continue
		}
		cy, cx := l.toCanvas(p.Y, p.X)
		wn := 1.0
		if wmax > 0 {
			wn = weight(p.Weight) / wmax
		} else if weightBy != "" {
			wn = 0
		}
		mk := mark{cx: cx, cy: cy, r: r0, alpha: 1, w: wn}
		switch weightBy {
		case "size":
			mk.r = max(minPointRadius, 1.25*r0*math.Sqrt(wn))
		case "alpha":
			mk.alpha = max(0.1, wn)
		}
		if cx+mk.r < 0 || cy+mk.r < 0 || cx-mk.r > float64(l.frameW) || cy-mk.r > float64(l.frameH) {
			beyond++
			continue
		}
		marks = append(marks, mk)
	}
	slices.SortStableFunc(marks, func(a, b mark) int {
		switch {
		case a.w < b.w:
			return -1
		case a.w > b.w:
			return 1
		}
		return 0
	})
	return marks, beyond, bad
}

// weight returns w as a drawing weight: negative, NaN and infinite weights
// count as 0.
func weight(w float64) float64 {
	if !finite(w) || w < 0 {
		return 0
	}
	return w
}

// pointsNote says how many of n points could not be drawn.
func pointsNote(n, beyond, bad int) string {
	switch {
	case beyond > 0 && bad > 0:
		return fmt.Sprintf("%d of %d points lie beyond the frame, %d are not finite", beyond, n, bad)
	case beyond > 0:
		return fmt.Sprintf("%d of %d points lie beyond the frame", beyond, n)
	case bad > 0:
		return fmt.Sprintf("%d of %d points are not finite", bad, n)
	}
	return ""
}

// drawUnit draws the unit's centre as a ring with a white rim, sized to
// stand out from points of radius r0. A unit with a non-finite coordinate is
// not drawn.
func drawUnit(img *image.NRGBA, l overlayLayout, u trace.Point, c color.NRGBA, r0 float64) {
	if !finite(u.Y) || !finite(u.X) {
		return
	}
	cy, cx := l.toCanvas(u.Y, u.X)
	in, out := unitRing(r0)
	if cx+out < 0 || cy+out < 0 || cx-out > float64(l.frameW) || cy-out > float64(l.frameH) {
		return
	}
	fillRing(img, cx, cy, in-1.5, out+1.5, white, 0.9)
	fillRing(img, cx, cy, in, out, c, 1)
}

// unitRing returns the inner and outer radii of the unit's ring beside
// points of radius r0: wide enough to enclose a point, thick enough to see.
func unitRing(r0 float64) (in, out float64) {
	out = max(2.5*r0, 10)
	return out - max(3, out/3.5), out
}

// SideBySide places panels left to right with a gap, aligned at the top, on
// white, with title centred above them if it is not empty: for example the
// plain CNN's regular grid beside the DCNN's deformed points. It returns an
// error if there are no panels, a panel is nil or empty, or the result would
// exceed the size limit.
func SideBySide(title string, panels ...*image.NRGBA) (*image.NRGBA, error) {
	if len(panels) == 0 {
		return nil, fmt.Errorf("viz: side by side: no panels")
	}
	width, height := 2*outerPad+panelGap*(len(panels)-1), 0
	for i, p := range panels {
		if p == nil {
			return nil, fmt.Errorf("viz: side by side: panel %d is nil", i)
		}
		b := p.Bounds()
		if b.Dx() <= 0 || b.Dy() <= 0 {
			return nil, fmt.Errorf("viz: side by side: panel %d is %d×%d px", i, b.Dx(), b.Dy())
		}
		width += b.Dx()
		height = max(height, b.Dy())
	}
	face, err := fitFace(title, titlePx, minTextPx, width-2*outerPad)
	if err != nil {
		return nil, err
	}
	defer face.Close()
	top := outerPad
	asc, desc := lineMetrics(face)
	if title != "" {
		top = textPad + asc + desc + textPad
	}
	height += top + outerPad
	img, err := newCanvas(width, height, "side by side")
	if err != nil {
		return nil, err
	}
	fillRect(img, img.Bounds(), white)
	if title != "" {
		drawTextCentered(img, face, clipText(face, title, width-2*outerPad), width/2, textPad+asc, textColor)
	}
	x := outerPad
	for _, p := range panels {
		b := p.Bounds()
		draw.Draw(img, image.Rect(x, top, x+b.Dx(), top+b.Dy()), p, b.Min, draw.Src)
		x += b.Dx() + panelGap
	}
	return img, nil
}

// drawScaled draws src with its top-left corner at at, each pixel as an
// s×s block, over white.
func drawScaled(dst *image.NRGBA, src image.Image, at image.Point, s int) {
	b := src.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := overWhite(src.At(x, y))
			x0, y0 := at.X+(x-b.Min.X)*s, at.Y+(y-b.Min.Y)*s
			fillRect(dst, image.Rect(x0, y0, x0+s, y0+s), c)
		}
	}
}

// overWhite returns c composited over opaque white.
func overWhite(c color.Color) color.NRGBA {
	r, g, b, a := c.RGBA() // premultiplied, 16 bits
	bg := 0xffff - a
	return color.NRGBA{uint8((r + bg) >> 8), uint8((g + bg) >> 8), uint8((b + bg) >> 8), 0xff}
}

// fillRect fills r (clipped to img) with c.
func fillRect(img *image.NRGBA, r image.Rectangle, c color.NRGBA) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetNRGBA(x, y, c)
		}
	}
}

// strokeRect draws the 1 px outline of r (its outer pixels) in c.
func strokeRect(img *image.NRGBA, r image.Rectangle, c color.NRGBA) {
	fillRect(img, image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+1), c)
	fillRect(img, image.Rect(r.Min.X, r.Max.Y-1, r.Max.X, r.Max.Y), c)
	fillRect(img, image.Rect(r.Min.X, r.Min.Y, r.Min.X+1, r.Max.Y), c)
	fillRect(img, image.Rect(r.Max.X-1, r.Min.Y, r.Max.X, r.Max.Y), c)
}

// blend paints c over the opaque pixel (x, y) with coverage a in [0, 1]
// (times c's own alpha); pixels outside img are ignored.
func blend(img *image.NRGBA, x, y int, c color.NRGBA, a float64) {
	if !(image.Point{x, y}.In(img.Bounds())) {
		return
	}
	a *= float64(c.A) / 0xff
	if a <= 0 {
		return
	}
	i := img.PixOffset(x, y)
	p := img.Pix[i : i+4 : i+4]
	mix := func(d, s uint8) uint8 { return uint8(float64(d)*(1-a) + float64(s)*a + 0.5) }
	p[0], p[1], p[2], p[3] = mix(p[0], c.R), mix(p[1], c.G), mix(p[2], c.B), 0xff
}

// fillDisc paints an anti-aliased disc of radius r centred at (cx, cy) in
// continuous canvas coordinates, with opacity alpha.
func fillDisc(img *image.NRGBA, cx, cy, r float64, c color.NRGBA, alpha float64) {
	fillRing(img, cx, cy, -1, r, c, alpha)
}

// fillRing paints an anti-aliased ring between radii in and out (in < 0
// gives a disc) centred at (cx, cy), with opacity alpha. Each pixel is
// covered by how far its centre lies inside the ring, up to half a pixel.
func fillRing(img *image.NRGBA, cx, cy, in, out float64, c color.NRGBA, alpha float64) {
	x0, x1 := int(math.Floor(cx-out-1)), int(math.Ceil(cx+out+1))
	y0, y1 := int(math.Floor(cy-out-1)), int(math.Ceil(cy+out+1))
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			d := math.Hypot(float64(x)+0.5-cx, float64(y)+0.5-cy)
			cov := min(max(out+0.5-d, 0), 1)
			if in >= 0 {
				cov = min(cov, max(d-(in-0.5), 0))
			}
			if cov > 0 {
				blend(img, x, y, c, alpha*cov)
			}
		}
	}
}

// SavePNG writes img to path as PNG, atomically: on any error the
// destination is left as it was and nothing else is left behind.
func SavePNG(path string, img image.Image) error {
	if img == nil {
		return fmt.Errorf("viz: save %s: nil image", path)
	}
	if err := atomicfile.Write(path, 0o644, func(w io.Writer) error { return png.Encode(w, img) }); err != nil {
		return fmt.Errorf("viz: save %s: %w", path, err)
	}
	return nil
}
