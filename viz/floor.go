package viz

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/deformscope/deformscope/model/metrics"
)

// OffsetFloor is the largest offset length |Δp| (input-map pixels) under
// which a layer has learned nothing worth drawing: its points sit on the
// regular grid to well under a tenth of a pixel. A scene whose largest |Δp|
// over the epochs it shows stays below it says so in words and draws its
// heat map on the fixed scale 0 to OffsetFloor, never on a scale stretched
// to the noise; the robust scale never runs below it either.
const OffsetFloor = 0.05

// FlatText is what a picture whose offsets stay under OffsetFloor says:
// "offsets ≈ 0: largest 1.9e-06 px, nothing learned here yet".
func FlatText(largest float64) string {
	return fmt.Sprintf("offsets ≈ 0: largest %.2g px, nothing learned here yet", largest)
}

// largestOffset returns the scene's largest |Δp|: Largest when the face
// gave it (over the epochs shown), else the largest of its own field; NaN
// when neither is known.
func (s *OffsetScene) largestOffset() float64 {
	if s.Largest > 0 {
		return s.Largest
	}
	if s.Field == nil {
		return math.NaN()
	}
	return LargestOffset(s.Field)
}

// LargestOffset returns the largest offset length |Δp| of any tap at any
// unit of the fields together (nil fields are skipped); NaN when none has
// a finite offset. It is what OffsetScene.Largest takes over epochs.
func LargestOffset(fields ...*metrics.Field) float64 {
	m := math.Inf(-1)
	for _, f := range fields {
		if f == nil {
			continue
		}
		_, taps, _, err := fieldShape("offset scene", f)
		if err != nil {
			continue
		}
		for k := range taps { // the largest of any tap, not of the mean the heat map shows
			mag, err := OffsetMagnitude(f, k)
			if err != nil {
				continue
			}
			for _, v := range mag {
				if finite(v) {
					m = max(m, v)
				}
			}
		}
	}
	if math.IsInf(m, -1) {
		return math.NaN()
	}
	return m
}

// Flat reports whether the scene's offsets are all under OffsetFloor (so
// that there is nothing to see), with the largest |Δp| it measured. A
// capture, whose offsets come from another program at any scale, is never
// flat unless its field says so too.
func (s *OffsetScene) Flat() (largest float64, flat bool) {
	largest = s.largestOffset()
	return largest, finite(largest) && largest < OffsetFloor
}

// FlatNote is the scene's words for a flat layer, "" when it is not flat.
func (s *OffsetScene) FlatNote() string {
	if l, flat := s.Flat(); flat {
		return FlatText(l)
	}
	return ""
}

// Banner colours: the words of a flat scene over its picture.
var (
	bannerFill = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	bannerText = color.NRGBA{0xb0, 0x1c, 0x1c, 0xff}
)

// stampBanner writes text across the top of img's picture (below a margin
// of top pixels), on a white band, so that it reads over any colours. The
// text shrinks to fit the width, and is clipped with an ellipsis below
// minTextPx.
func stampBanner(img *image.NRGBA, text string, top int) error {
	if text == "" {
		return nil
	}
	w := img.Bounds().Dx()
	face, err := fitFace(text, captionPx, minTextPx, w-4*textPad)
	if err != nil {
		return err
	}
	defer face.Close()
	asc, desc := lineMetrics(face)
	line := clipText(face, text, w-4*textPad)
	tw := textWidth(face, line)
	y0 := img.Bounds().Min.Y + top + textPad
	r := image.Rect(w/2-tw/2-textPad, y0, w/2+tw/2+textPad, y0+asc+desc+textPad)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			blend(img, x, y, bannerFill, 0.88)
		}
	}
	strokeRect(img, r, bannerText)
	drawTextCentered(img, face, line, w/2, y0+textPad/2+asc, bannerText)
	return nil
}

// floorRange caps a colour scale's top from below at OffsetFloor.
func floorRange(top float64) float64 {
	if !finite(top) {
		return OffsetFloor
	}
	return math.Max(top, OffsetFloor)
}

// stampFlat writes the scene's flat note over each panel (nothing when the
// scene is not flat).
func (s *OffsetScene) stampFlat(panels []*image.NRGBA, top int) error {
	note := s.FlatNote()
	if note == "" {
		return nil
	}
	for _, p := range panels {
		if p == nil {
			continue
		}
		if err := stampBanner(p, note, top); err != nil {
			return err
		}
	}
	return nil
}

// EpochsScale is the |Δp| colour scale of an image and layer over a run's
// epochs, fields holding the layer's field at each epoch (nil: skipped):
// top is RobustMax of tap's offset lengths (−1: the mean over the taps)
// over every epoch, largest is LargestOffset over them (for the floor). The
// Offsets view and `dcn heatmap` both take their scale from it, so that it
// stays put while the epoch slider moves.
func EpochsScale(fields []*metrics.Field, tap int) (top, largest float64, err error) {
	var mags [][]float64
	var all []*metrics.Field
	for _, f := range fields {
		if f == nil {
			continue
		}
		m, err := OffsetMagnitude(f, tap)
		if err != nil {
			return 0, 0, err
		}
		mags = append(mags, m)
		all = append(all, f)
	}
	return RobustMax(0, mags...), LargestOffset(all...), nil
}
