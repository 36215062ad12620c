package viz

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"

	"github.com/deformscope/deformscope/model/metrics"
)

// HeatmapSpec describes a per-location scalar field blended over an image:
// for example a deformable layer's mean offset length or its mask over the
// input digit.
type HeatmapSpec struct {
	Image image.Image
	// Field holds H×W values, row-major: a deformable layer's output grid
	// (for example 7×7 over a 28×28 image). NaN values leave the image
	// uncoloured where they reach.
	Field []float64
	H, W  int
	// VMin and VMax fix the colour scale, so that pictures of different
	// epochs compare; values outside are clamped to the scale's ends.
	VMin, VMax float64
	// Colormap is "viridis" (the default), "magma" or "coolwarm".
	Colormap string
	// Alpha is the weight of the colours over the image, in (0, 1]; 0 means
	// 0.6.
	Alpha float64
	// Scale is the integer upscale of the image, as in OverlaySpec.
	Scale int
	// Caption is drawn under the picture.
	Caption string
	// Label names the colour bar's quantity, e.g. "|Δp| (px)" or "mask".
	Label string
	// Outline paints the colours opaque, exactly those of the colour bar,
	// and draws the image over them as the outline of its bright parts
	// (the iso-line of its mean brightness, white on a dark rim), instead of
	// blending the colours over the image, which shifts them away from the
	// bar. Alpha is then ignored.
	Outline bool
}

// Heat map layout, in pixels.
const (
	heatPad      = 12 // white border
	barGap       = 16 // between the image and the colour bar
	barWidth     = 18
	tickLen      = 5
	defaultAlpha = 0.6
	maxFieldSide = 4096 // more cells than any layer's output grid
)

// Heatmap upsamples spec's field bilinearly over the image, blends its
// colours over the image (scaled up as in Overlay), and draws a vertical
// colour bar on the right with ticks at VMin, the middle and VMax and the
// label beside it, and the caption underneath. Field cell (i, j) covers an
// equal share of the image, with its centre at the centre of that share:
// image position y (pixel centres at whole numbers) reads the field at row
// (y+0.5)·H/imageH − 0.5, clamped to the grid at the edges, so a 7×7 field
// over a 28×28 image puts cell 0's value at y = 1.5. It returns a new image,
// or an error for a nil or empty image, a bad field size, a field whose
// length is not H×W, a scale whose VMax is not above VMin, an unknown
// colour map, or an Alpha outside [0, 1].
func Heatmap(spec HeatmapSpec) (*image.NRGBA, error) {
	iw, ih, err := imageSize("heatmap", spec.Image)
	if err != nil {
		return nil, err
	}
	switch {
	case spec.H <= 0 || spec.W <= 0 || spec.H > maxFieldSide || spec.W > maxFieldSide:
		return nil, fmt.Errorf("viz: heatmap: field size %d×%d is not in 1..%d a side", spec.H, spec.W, maxFieldSide)
	case len(spec.Field) != spec.H*spec.W:
		return nil, fmt.Errorf("viz: heatmap: field has %d values, want %d×%d = %d", len(spec.Field), spec.H, spec.W, spec.H*spec.W)
	case !finite(spec.VMin) || !finite(spec.VMax) || !(spec.VMax > spec.VMin):
		return nil, fmt.Errorf("viz: heatmap: colour scale [%v, %v] is not a finite range with VMax above VMin", spec.VMin, spec.VMax)
	case !(spec.Alpha >= 0 && spec.Alpha <= 1):
		return nil, fmt.Errorf("viz: heatmap: alpha %v is outside [0, 1]", spec.Alpha)
	}
	stops, err := colormapStops(spec.Colormap)
	if err != nil {
		return nil, err
	}
	alpha := spec.Alpha
	if alpha == 0 {
		alpha = defaultAlpha
	}
	s, err := pictureScale(iw, ih, spec.Scale)
	if err != nil {
		return nil, err
	}
	pw, ph := iw*s, ih*s
	if pw > maxSidePx || ph > maxSidePx {
		return nil, fmt.Errorf("viz: heatmap of a %d×%d image at scale %d exceeds %d px a side", iw, ih, s, maxSidePx)
	}

	tickFace, err := newFace(notePx)
	if err != nil {
		return nil, err
	}
	defer tickFace.Close()
	labelFace, err := newFace(captionPx - 1)
	if err != nil {
		return nil, err
	}
	defer labelFace.Close()
	ticks := []struct {
		v float64
		y int // canvas row
	}{
		{spec.VMax, heatPad},
		{spec.VMin + (spec.VMax-spec.VMin)/2, heatPad + ph/2},
		{spec.VMin, heatPad + ph - 1},
	}
	barX := heatPad + pw + barGap
	labelsX := barX + barWidth + tickLen + 3
	labelsW := 0
	for _, t := range ticks {
		labelsW = max(labelsW, textWidth(tickFace, tickLabel(t.v)))
	}
	width := labelsX + labelsW + heatPad
	la, ld := lineMetrics(labelFace)
	labelX := labelsX + labelsW + 8 + (la+ld)/2 // centre of the turned label
	if spec.Label != "" {
		width = labelsX + labelsW + 8 + la + ld + heatPad
	}

	capFace, err := fitFace(spec.Caption, captionPx, minTextPx, width-2*textPad)
	if err != nil {
		return nil, err
	}
	defer capFace.Close()
	ca, cd := lineMetrics(capFace)
	height := heatPad + ph + heatPad
	if spec.Caption != "" {
		height += ca + cd + textPad
	}
	img, err := newCanvas(width, height, "heatmap")
	if err != nil {
		return nil, err
	}
	fillRect(img, img.Bounds(), white)
	drawScaled(img, spec.Image, image.Pt(heatPad, heatPad), s)
	if spec.Outline {
		alpha = 1
	}
	blendField(img, image.Rect(heatPad, heatPad, heatPad+pw, heatPad+ph), spec, iw, ih, s, stops, alpha)
	if spec.Outline {
		drawOutline(img, spec.Image, image.Pt(heatPad, heatPad), s)
	}
	strokeRect(img, image.Rect(heatPad-1, heatPad-1, heatPad+pw+1, heatPad+ph+1), frameColor)

	for r := range ph {
		c := interpolate(stops, 1-(float64(r)+0.5)/float64(ph))
		fillRect(img, image.Rect(barX, heatPad+r, barX+barWidth, heatPad+r+1), c)
	}
	strokeRect(img, image.Rect(barX-1, heatPad-1, barX+barWidth+1, heatPad+ph+1), frameColor)
	// Digits stand about 0.72 em high; centre them on the tick.
	lift := int(math.Round(0.36 * notePx))
	for _, t := range ticks {
		fillRect(img, image.Rect(barX+barWidth, t.y, barX+barWidth+tickLen, t.y+1), textColor)
		drawText(img, tickFace, tickLabel(t.v), labelsX, t.y+lift, textColor)
	}
	if spec.Label != "" {
		drawTextUp(img, labelFace, spec.Label, labelX, heatPad+ph/2, textColor)
	}
	if spec.Caption != "" {
		drawTextCentered(img, capFace, clipText(capFace, spec.Caption, width-2*textPad), width/2, heatPad+ph+textPad+ca, textColor)
	}
	return img, nil
}

// tickLabel formats a colour bar value with up to 3 significant digits.
func tickLabel(v float64) string {
	if v == 0 {
		v = 0 // no "-0"
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// blendField paints spec's field, bilinearly upsampled, over the image
// drawn in r at scale s.
func blendField(img *image.NRGBA, r image.Rectangle, spec HeatmapSpec, iw, ih, s int, stops []color.NRGBA, alpha float64) {
	rows := fieldSamples(r.Dy(), s, ih, spec.H)
	cols := fieldSamples(r.Dx(), s, iw, spec.W)
	span := spec.VMax - spec.VMin
	at := func(i, j int) float64 { return spec.Field[i*spec.W+j] }
	for cy, ry := range rows {
		for cx, rx := range cols {
			v := (1-ry.u)*((1-rx.u)*at(ry.i0, rx.i0)+rx.u*at(ry.i0, rx.i1)) +
				ry.u*((1-rx.u)*at(ry.i1, rx.i0)+rx.u*at(ry.i1, rx.i1))
			if math.IsNaN(v) {
				continue
			}
			blend(img, r.Min.X+cx, r.Min.Y+cy, interpolate(stops, (v-spec.VMin)/span), alpha)
		}
	}
}

// sample is a bilinear read position along one axis: between cells i0 and
// i1, weight u on i1.
type sample struct {
	i0, i1 int
	u      float64
}

// fieldSamples returns, for each of n canvas pixels along an axis of an
// image of size px input pixels drawn at scale s, where it reads a field of
// size cells.
func fieldSamples(n, s, px, cells int) []sample {
	out := make([]sample, n)
	for c := range out {
		y := (float64(c)+0.5)/float64(s) - 0.5        // input position
		f := (y+0.5)*float64(cells)/float64(px) - 0.5 // field position
		f = min(max(f, 0), float64(cells-1))
		i0 := int(f)
		i1 := min(i0+1, cells-1)
		out[c] = sample{i0, i1, f - float64(i0)}
	}
	return out
}

// fieldShape checks f and returns its offset groups, taps per group and
// number of output locations.
func fieldShape(what string, f *metrics.Field) (groups, taps, n int, err error) {
	if f == nil {
		return 0, 0, 0, fmt.Errorf("viz: %s: nil field", what)
	}
	if f.Ho <= 0 || f.Wo <= 0 {
		return 0, 0, 0, fmt.Errorf("viz: %s: field size %d×%d is not positive", what, f.Ho, f.Wo)
	}
	groups = f.Groups
	if groups == 0 {
		groups = 1
	}
	if groups < 0 {
		return 0, 0, 0, fmt.Errorf("viz: %s: %d offset groups", what, f.Groups)
	}
	n = f.Ho * f.Wo
	per := 2 * groups * n
	if len(f.Offset) == 0 || len(f.Offset)%per != 0 {
		return 0, 0, 0, fmt.Errorf("viz: %s: offset has %d values, want 2·%d groups·taps·%d×%d", what, len(f.Offset), groups, f.Ho, f.Wo)
	}
	taps = len(f.Offset) / per
	if f.Mask != nil && len(f.Mask) != groups*taps*n {
		return 0, 0, 0, fmt.Errorf("viz: %s: mask has %d values, want %d groups·%d taps·%d×%d = %d",
			what, len(f.Mask), groups, taps, f.Ho, f.Wo, groups*taps*n)
	}
	return groups, taps, n, nil
}

// checkTap checks a tap index: -1 (all) or 0..taps-1.
func checkTap(what string, tap, taps int) error {
	if tap < -1 || tap >= taps {
		return fmt.Errorf("viz: %s: tap %d is outside -1..%d", what, tap, taps-1)
	}
	return nil
}

// OffsetMagnitude returns |Δp| = sqrt(dy² + dx²) per output location of f
// (Ho×Wo, row-major), of offset group 0 (the course study's blocks share one field
// across groups): for one tap (0 to taps−1, taps = 9 for a 3×3 kernel), or
// the mean of the taps' lengths for tap −1. It returns an error for a nil
// field, a bad size, an offset (or mask) length that does not fit Ho×Wo and
// Groups, or a tap out of range.
func OffsetMagnitude(f *metrics.Field, tap int) ([]float64, error) {
	_, taps, n, err := fieldShape("offset magnitude", f)
	if err != nil {
		return nil, err
	}
	if err := checkTap("offset magnitude", tap, taps); err != nil {
		return nil, err
	}
	lo, hi := max(tap, 0), tap+1
	if tap < 0 {
		hi = taps
	}
	out := make([]float64, n)
	for k := lo; k < hi; k++ {
		dy, dx := f.Offset[2*k*n:(2*k+1)*n], f.Offset[(2*k+1)*n:(2*k+2)*n]
		for i := range out {
			out[i] += math.Hypot(dy[i], dx[i])
		}
	}
	for i := range out {
		out[i] /= float64(hi - lo)
	}
	return out, nil
}

// MaskField returns the DCNv2 mask per output location of f (Ho×Wo,
// row-major), of offset group 0: for one tap, or the mean over the taps for
// tap −1. A field without a mask (DCNv1) gives all ones, the weight its
// samples carry. Errors are as for OffsetMagnitude.
func MaskField(f *metrics.Field, tap int) ([]float64, error) {
	_, taps, n, err := fieldShape("mask field", f)
	if err != nil {
		return nil, err
	}
	if err := checkTap("mask field", tap, taps); err != nil {
		return nil, err
	}
	out := make([]float64, n)
	if f.Mask == nil {
		for i := range out {
			out[i] = 1
		}
		return out, nil
	}
	lo, hi := max(tap, 0), tap+1
	if tap < 0 {
		hi = taps
	}
	for k := lo; k < hi; k++ {
		for i, m := range f.Mask[k*n : (k+1)*n] {
			out[i] += m
		}
	}
	for i := range out {
		out[i] /= float64(hi - lo)
	}
	return out, nil
}

// drawOutline draws the iso-line of src's mean brightness, src drawn with
// its top-left corner at at and each pixel as an s×s block: canvas pixels
// on the bright side that touch the dark side turn white, their dark
// neighbours near-black, so that the outline shows over any colour.
func drawOutline(dst *image.NRGBA, src image.Image, at image.Point, s int) {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	lum := make([]float64, w*h)
	mean := 0.0
	for y := range h {
		for x := range w {
			c := overWhite(src.At(b.Min.X+x, b.Min.Y+y))
			v := 0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B)
			lum[y*w+x] = v
			mean += v
		}
	}
	mean /= float64(w * h)
	bright := func(x, y int) bool { // canvas position relative to at
		return lum[min(max(y/s, 0), h-1)*w+min(max(x/s, 0), w-1)] > mean
	}
	dark := color.NRGBA{0x10, 0x10, 0x10, 0xff}
	for y := range h * s {
		for x := range w * s {
			in := bright(x, y)
			edge := false
			for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
				nx, ny := x+d[0], y+d[1]
				if nx >= 0 && ny >= 0 && nx < w*s && ny < h*s && bright(nx, ny) != in {
					edge = true
					break
				}
			}
			if !edge {
				continue
			}
			c := dark
			if in {
				c = white
			}
			dst.SetNRGBA(at.X+x, at.Y+y, c)
		}
	}
}
