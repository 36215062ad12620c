package viz

import (
	"fmt"
	"math"

	"github.com/deformscope/deformscope/model/dilation"
	"github.com/deformscope/deformscope/model/trace"
)

// Framing of a picture in context: how much of the photo a view shows.
const (
	// FrameUnit frames the shown unit: every sampling point of the plain
	// CNN's grid and of the deformable net, and the unit, with a margin
	// (FitView). It is the default of the app and of dcn's --zoom.
	FrameUnit = "unit"
	// FramePhoto shows the whole photo.
	FramePhoto = "photo"
	// FrameCrop shows the crop the net saw, with a quarter of its side
	// around it (CropView).
	FrameCrop = "crop"
)

// Fit view sizes, in photo pixels: the view is at least fitMinSide across,
// and the margin around the points is fitMargin of their extent, at least
// fitMinMargin.
const (
	fitMinSide   = 12
	fitMargin    = 0.2
	fitMinMargin = 2
)

// FitView returns the viewport that frames every finite point of sets (in
// trace's convention, pixel centres at whole numbers, so point p covers
// [p, p+1) in COCO's frame), with a margin, widened to the width/height
// aspect (0 or less keeps the points' own). It is empty when no point is
// finite.
func FitView(aspect float64, sets ...[]trace.Point) Viewport {
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, s := range sets {
		for _, p := range s {
			if !finite(p.X) || !finite(p.Y) {
				continue
			}
			x0, x1 = min(x0, p.X), max(x1, p.X+1)
			y0, y1 = min(y0, p.Y), max(y1, p.Y+1)
		}
	}
	if math.IsInf(x0, 1) {
		return Viewport{}
	}
	m := max(fitMargin*max(x1-x0, y1-y0), fitMinMargin)
	x0, x1, y0, y1 = x0-m, x1+m, y0-m, y1+m
	grow := func(lo, hi, side float64) (float64, float64) {
		if hi-lo >= side {
			return lo, hi
		}
		c := (lo + hi) / 2
		return c - side/2, c + side/2
	}
	x0, x1 = grow(x0, x1, fitMinSide)
	y0, y1 = grow(y0, y1, fitMinSide)
	if aspect > 0 && finite(aspect) {
		if w, h := x1-x0, y1-y0; w/h < aspect {
			x0, x1 = grow(x0, x1, h*aspect)
		} else {
			y0, y1 = grow(y0, y1, w/aspect)
		}
	}
	return Viewport{X0: x0, Y0: y0, X1: x1, Y1: y1}
}

// UnitView is the viewport that frames the scene's unit in both panels at
// one scale: FitView of the deformable net's points, the plain CNN's grid
// and the unit, at aspect. It is empty for a scene without points.
func (s *OffsetScene) UnitView(aspect float64) Viewport {
	var sets [][]trace.Point
	for _, r := range []*trace.Result{s.Points, s.Grid} {
		if r != nil {
			sets = append(sets, r.Points, []trace.Point{r.Unit})
		}
	}
	return FitView(aspect, sets...)
}

// Frame sets the scene's context view to framing (FrameUnit, FramePhoto or
// FrameCrop; anything else keeps the view it has) at aspect, the panel's
// width over its height. A scene without context is left as it is.
func (s *OffsetScene) Frame(framing string, aspect float64) {
	c := s.Context
	if c == nil {
		return
	}
	switch framing {
	case FrameUnit:
		c.View = s.UnitView(aspect)
	case FramePhoto:
		c.View = Viewport{}
	case FrameCrop:
		if !c.Crop.Empty() {
			c.View = CropView(c.Crop)
		}
	}
}

// Measured is what the views say of the shown unit's offsets at its layer
// (inspect.MeasureUnit fills it): the unit's mean and largest |Δp| in the
// layer's input-map pixels, how many photo (or image) pixels one of those
// spans, its effective dilation, and the layer's mean |Δp| over the image.
type Measured struct {
	Mean, Max   float64
	PhotoPerMap float64
	Dilation    float64
	LayerMean   float64
	// Photo says the pixels PhotoPerMap counts are a photo's (else the
	// image's the net saw).
	Photo bool
}

// MeasuredOf is what the views say of a unit that inspect.MeasureUnit
// measured: photoPerInput is how many photo pixels one pixel of the net's
// input spans, 0 when the input is the picture itself.
func MeasuredOf(m dilation.UnitMeasure, photoPerInput float64) *Measured {
	v := &Measured{Mean: m.Mean, Max: m.Max, PhotoPerMap: m.MapPx, Dilation: m.Dilation, LayerMean: m.LayerMean}
	if photoPerInput != 0 {
		v.PhotoPerMap *= photoPerInput
		v.Photo = true
	}
	return v
}

// Text is the measures in one line, e.g. "unit |Δp| mean 0.61 px, largest
// 1.4 px (3.4, 7.8 photo px) · effective dilation 1.21 · conv4's mean
// |Δp| 0.58 px".
func (m Measured) Text(layer string) string {
	px := "image px"
	if m.Photo {
		px = "photo px"
	}
	return fmt.Sprintf("unit |Δp| mean %.2g px, largest %.2g px at %s's input (%.2g, %.2g %s) · effective dilation %.3g · %s's mean |Δp| over the image %.2g px",
		m.Mean, m.Max, layer, m.Mean*m.PhotoPerMap, m.Max*m.PhotoPerMap, px, m.Dilation, layer, m.LayerMean)
}

// contextKey is the key of a context picture's boxes and crop: only those
// its view shows.
func contextKey(c *SceneContext) []KeyItem {
	b := c.Photo.Bounds()
	v := c.View
	if v.Empty() {
		v = Viewport{X1: float64(b.Dx()), Y1: float64(b.Dy())}
	}
	// An outline shows when the rectangle meets the view without holding
	// all of it (a box around the whole view draws nothing in it).
	in := func(x0, y0, x1, y1 float64) bool {
		meets := x0 < v.X1 && x1 > v.X0 && y0 < v.Y1 && y1 > v.Y0
		around := x0 < v.X0 && y0 < v.Y0 && x1 > v.X1 && y1 > v.Y1
		return meets && !around
	}
	all := ContextKey()
	var out []KeyItem
	chosen, other := false, false
	for i, bx := range c.Boxes {
		if in(bx.X, bx.Y, bx.X+bx.W, bx.Y+bx.H) {
			if i == c.Chosen {
				chosen = true
			} else {
				other = true
			}
		}
	}
	if chosen {
		out = append(out, all[0])
	}
	if other {
		out = append(out, all[1])
	}
	if r := c.Crop; !r.Empty() && in(float64(r.Min.X), float64(r.Min.Y), float64(r.Max.X), float64(r.Max.Y)) {
		out = append(out, all[2])
	}
	return out
}
