package viz

import (
	"fmt"
	"image"
	"image/draw"
	"math"
	"slices"
	"strings"

	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/trace"
)

// What an OffsetScene shows.
const (
	// ShowPoints draws one unit's sampling locations over the image, with
	// the plain CNN's regular grid for the same unit beside them.
	ShowPoints = "points"
	// ShowOffset colours the layer by its mean offset length |Δp|.
	ShowOffset = "offset"
	// ShowMask colours the layer by its mean DCNv2 mask.
	ShowMask = "mask"
	// ShowHeat draws the |Δp| heat map and, when the layer recorded one,
	// the mask's beside it.
	ShowHeat = "heat"
)

// How the top of the |Δp| colour scale is chosen (HeatRange.Mode).
const (
	// RangeRobust runs the scale to a robust maximum of the data
	// (RobustMax, given in HeatRange.Max), so that offsets of a pixel do
	// not drown in a scale made for the clamp bound.
	RangeRobust = "robust"
	// RangeClamp runs it to the largest |Δp| the block's clamp bound
	// allows (OffsetScene.Limit × √2).
	RangeClamp = "clamp"
	// RangeFixed runs it to HeatRange.Max as the user set it.
	RangeFixed = "fixed"
	// RangeMax runs it to the field's own largest value: a capture of a
	// PyTorch model has no clamp bound.
	RangeMax = "max"
)

// HeatRange is the |Δp| colour scale of an OffsetScene.
type HeatRange struct {
	Mode string
	// Max is the top of the scale for RangeRobust and RangeFixed.
	Max float64
	// Over says what RangeRobust's percentile ran over, e.g. "epochs 1-5"
	// or "every frame"; empty: this field alone.
	Over string
}

// SceneContext places an OffsetScene in the photo its crop came from:
// the points and grid of the scene are then in the photo's pixels
// (inspect.TraceCrop maps them back), and the picture is a Context one.
type SceneContext struct {
	Photo image.Image
	// Boxes, Chosen, Crop and View are as in ContextSpec.
	Boxes  []Box
	Chosen int
	Crop   image.Rectangle
	View   Viewport
	// Width is each panel's width in pixels; 0 means 640.
	Width int
	// Title names the photo and box in the figure's title.
	Title string
}

// OffsetScene is one picture of a deformable layer's offsets: a unit's
// sampling points, or heat maps of the whole layer, over the image the net
// saw or in its photo. The app's Offsets view and `dcn offsets`,
// `dcn heatmap`, `dcn replay` and capture pictures all fill one and draw it
// with Panels or Figure, so that the app and dcn draw the same picture from the
// same data. A scene is read-only once built.
type OffsetScene struct {
	Show string
	// Picture is the input as the net saw it, in its pixels.
	Picture image.Image
	// Label names the image, e.g. "test image 3 (label 5)" or "cat.jpg".
	Label string
	// Predict is the class the net predicts, "" when not known.
	Predict string
	// Model and Layer name the deformable model and layer.
	Model, Layer string
	// Epoch is the epoch shown and Epochs the run's last; 0 for a capture,
	// which has no epochs.
	Epoch, Epochs int

	// Points is the traced unit (ShowPoints) and Grid the plain CNN's
	// regular grid for the same unit (nil: no grid panel), named GridModel.
	Points    *trace.Result
	Grid      *trace.Result
	GridModel string
	// WeightBy is as in OverlaySpec.
	WeightBy string
	// Depth, for a capture, is how many captured layers the points were
	// traced through (0 for a run: every deformable layer below).
	Depth int

	// Field is the layer's sampling field for the heat maps.
	Field *metrics.Field
	// Tap is the kernel tap a heat map shows, or −1 for the mean over the
	// taps.
	Tap int
	// Range is the |Δp| colour scale; Limit the block's clamp bound.
	Range HeatRange
	Limit float64
	// DCNv1 says the net has no mask, which the mask heat map says.
	DCNv1 bool
	// Largest is the largest |Δp| over the epochs the scene stands for
	// (what Range.Over names); 0 takes the largest of Field. Under
	// OffsetFloor the scene says in words that nothing was learned.
	Largest float64

	// Context, when set, draws the points in the photo (ShowPoints only).
	Context *SceneContext
	// Measured, when set, is the shown unit measured (ShowPoints), said
	// in the key and in Summary.
	Measured *Measured
}

// capture reports whether the scene is of a capture file (no epochs).
func (s *OffsetScene) capture() bool { return s.Epoch == 0 }

// where names the layer for captions: "dcnn conv5 · epoch 3", or for a
// capture "model · layer".
func (s *OffsetScene) where() string {
	if s.capture() {
		return fmt.Sprintf("%s · %s", s.Model, s.Layer)
	}
	return fmt.Sprintf("%s %s · epoch %d", s.Model, s.Layer, s.Epoch)
}

// Title is the figure's title.
func (s *OffsetScene) Title() string {
	var t string
	switch {
	case s.Context != nil:
		t = "Sampling locations in context: " + s.Context.Title
	case s.Show == ShowPoints:
		t = "Sampling locations: " + s.Label
	default:
		t = "Offsets: " + s.Label
	}
	if s.Predict != "" {
		t += ", predicts " + s.Predict
	}
	return t
}

// tapText says which taps a heat map averages.
func (s *OffsetScene) tapText() string {
	if s.Tap >= 0 {
		return fmt.Sprintf("tap %d", s.Tap)
	}
	return "mean over taps"
}

// offsetRange returns the |Δp| scale's top and the colour bar's label for
// the field's magnitudes mag.
func (s *OffsetScene) offsetRange(mag []float64) (float64, string, error) {
	r := s.Range
	if largest, flat := s.Flat(); flat && r.Mode != RangeFixed {
		// Nothing learned: a fixed scale up to the floor, never one
		// stretched over the noise.
		return OffsetFloor, fmt.Sprintf("|Δp| (px), fixed 0-%g: largest %.2g", OffsetFloor, largest), nil
	}
	switch r.Mode {
	case RangeRobust:
		if r.Max > 0 && finite(r.Max) {
			over := "this field"
			if r.Over != "" {
				over = r.Over
			}
			if r.Max < OffsetFloor {
				return OffsetFloor, fmt.Sprintf("|Δp| (px), floor %g (99th pct of %s under it)", OffsetFloor, over), nil
			}
			return r.Max, fmt.Sprintf("|Δp| (px), 99th pct of %s", over), nil
		}
		// Nothing to take a percentile of: the bound shows the scale.
		if s.Limit > 0 {
			return s.Limit * math.Sqrt2, "|Δp| (px), clamp bound", nil
		}
		return floorRange(RobustMax(0, mag)), "|Δp| (px), 99th pct of this field", nil
	case RangeClamp:
		if !(s.Limit > 0) || !finite(s.Limit) {
			return 0, "", fmt.Errorf("viz: offset scene: %s has no clamp bound to scale by", s.Layer)
		}
		return s.Limit * math.Sqrt2, fmt.Sprintf("|Δp| (px), clamp bound %.3g·√2", s.Limit), nil
	case RangeFixed:
		if !(r.Max > 0) || !finite(r.Max) {
			return 0, "", fmt.Errorf("viz: offset scene: fixed colour scale %v: want a positive number", r.Max)
		}
		return r.Max, "|Δp| (px), fixed scale", nil
	case RangeMax, "":
		return floorRange(slices.Max(mag)), "|Δp| (px), the layer's largest", nil
	}
	return 0, "", fmt.Errorf("viz: offset scene: unknown colour scale %q", r.Mode)
}

// rangeKey says in the key how the |Δp| scale was chosen.
func (s *OffsetScene) rangeKey() string {
	if l, flat := s.Flat(); flat && s.Range.Mode != RangeFixed {
		return fmt.Sprintf("|Δp| fixed 0-%g px: offsets ≈ 0 (largest %.2g)", OffsetFloor, l)
	}
	switch s.Range.Mode {
	case RangeRobust:
		if s.Range.Over != "" {
			return fmt.Sprintf("|Δp|: 99th percentile over %s, fixed, at least %g px", s.Range.Over, OffsetFloor)
		}
		return fmt.Sprintf("|Δp|: 99th percentile of the field, at least %g px", OffsetFloor)
	case RangeClamp:
		return fmt.Sprintf("|Δp|: clamp bound ±%.3g px per axis (%.3g px diagonal)", s.Limit, s.Limit*math.Sqrt2)
	case RangeFixed:
		return fmt.Sprintf("|Δp|: fixed 0-%.3g px", s.Range.Max)
	}
	return "|Δp|: 0 to the layer's largest"
}

// maskPanel draws the mask heat map at scale.
func (s *OffsetScene) maskPanel(scale int) (*image.NRGBA, error) {
	mask, err := MaskField(s.Field, s.Tap)
	if err != nil {
		return nil, err
	}
	spec := HeatmapSpec{Image: s.Picture, Field: mask, H: s.Field.Ho, W: s.Field.Wo, VMax: 2, Colormap: "magma",
		Scale: scale, Outline: true, Label: "mask (2·sigmoid)", Caption: "mask · " + s.where() + " · " + s.tapText()}
	if s.capture() {
		// A captured model's mask need not be 2·sigmoid: the scale runs to
		// the layer's largest value.
		spec.VMax, spec.Label = math.Max(slices.Max(mask), 1e-6), "mask"
	}
	if s.DCNv1 {
		spec.Caption += " · DCNv1: no mask"
	}
	return Heatmap(spec)
}

// offsetPanel draws the |Δp| heat map at scale.
func (s *OffsetScene) offsetPanel(scale int) (*image.NRGBA, error) {
	mag, err := OffsetMagnitude(s.Field, s.Tap)
	if err != nil {
		return nil, err
	}
	vmax, label, err := s.offsetRange(mag)
	if err != nil {
		return nil, err
	}
	return Heatmap(HeatmapSpec{Image: s.Picture, Field: mag, H: s.Field.Ho, W: s.Field.Wo, VMax: vmax, Scale: scale,
		Outline: true, Label: label, Caption: "|Δp| · " + s.where() + " · " + s.tapText()})
}

// pointsCaption is the caption under the deformable net's points.
func (s *OffsetScene) pointsCaption() string {
	r := s.Points
	if s.capture() {
		return fmt.Sprintf("%s · unit (%d, %d) · depth %d · %d points", s.Layer, r.UnitY, r.UnitX, s.Depth, len(r.Points))
	}
	return fmt.Sprintf("%s %s · unit (%d, %d) · epoch %d · %d points", s.Model, s.Layer, r.UnitY, r.UnitX, s.Epoch, len(r.Points))
}

// gridCaption is the caption under the plain CNN's grid.
func (s *OffsetScene) gridCaption() string {
	name := s.GridModel
	if name == "" {
		name = "cnn"
	}
	return fmt.Sprintf("%s %s · unit (%d, %d) · regular grid", name, s.Layer, s.Points.UnitY, s.Points.UnitX)
}

// Panels draws the scene's pictures, left to right: the plain CNN's grid
// (when the scene has one) and the deformable net's points, or the heat
// maps. scale is the image's integer upscale (0: the longer side at least
// 448 px); a context scene draws each panel SceneContext.Width wide
// instead. It returns an error for a scene that lacks what its Show needs.
//
// A flat scene (Flat: no |Δp| reaches OffsetFloor) says so in words over
// its |Δp| heat map or its deformable net's points.
func (s *OffsetScene) Panels(scale int) ([]*image.NRGBA, error) {
	panels, err := s.panels(scale)
	if err != nil || s.Show == ShowMask || len(panels) == 0 {
		return panels, err
	}
	target := panels[len(panels)-1] // the deformable net's points
	if s.Show != ShowPoints {
		target = panels[0] // |Δp|, beside the mask's
	}
	if err := s.stampFlat([]*image.NRGBA{target}, heatPad); err != nil {
		return nil, err
	}
	return evenHeights(panels), nil
}

// evenHeights pads the shorter panels with white at the bottom, so that a
// note under one panel (points beyond the frame) does not make a view that
// fits each into the same box shrink it: side by side panels keep one scale.
func evenHeights(panels []*image.NRGBA) []*image.NRGBA {
	h := 0
	for _, p := range panels {
		h = max(h, p.Bounds().Dy())
	}
	for i, p := range panels {
		b := p.Bounds()
		if b.Dy() == h {
			continue
		}
		q := image.NewNRGBA(image.Rect(0, 0, b.Dx(), h))
		fillRect(q, q.Bounds(), white)
		draw.Draw(q, image.Rect(0, 0, b.Dx(), b.Dy()), p, b.Min, draw.Src)
		panels[i] = q
	}
	return panels
}

// panels draws Panels' pictures, without the flat note.
func (s *OffsetScene) panels(scale int) ([]*image.NRGBA, error) {
	switch s.Show {
	case ShowOffset, ShowMask, ShowHeat:
		if s.Field == nil {
			return nil, fmt.Errorf("viz: offset scene: no sampling field for %s", s.Layer)
		}
		if s.Show == ShowMask {
			p, err := s.maskPanel(scale)
			return []*image.NRGBA{p}, err
		}
		p, err := s.offsetPanel(scale)
		if err != nil || s.Show == ShowOffset || s.Field.Mask == nil {
			return []*image.NRGBA{p}, err
		}
		m, err := s.maskPanel(scale)
		return []*image.NRGBA{p, m}, err
	case ShowPoints:
	default:
		return nil, fmt.Errorf("viz: offset scene: unknown Show %q", s.Show)
	}
	if s.Points == nil {
		return nil, fmt.Errorf("viz: offset scene: no traced unit for %s", s.Layer)
	}
	var panels []*image.NRGBA
	if c := s.Context; c != nil {
		spec := ContextSpec{Photo: c.Photo, Boxes: c.Boxes, Chosen: c.Chosen, Crop: c.Crop, View: c.View, Width: c.Width,
			Unit: s.Points.Unit, Points: s.Points.Points, WeightBy: s.WeightBy, Caption: s.pointsCaption()}
		if s.Grid != nil {
			g := spec
			g.Unit, g.Points, g.WeightBy, g.Caption = s.Grid.Unit, s.Grid.Points, "", s.gridCaption()
			p, err := Context(g)
			if err != nil {
				return nil, err
			}
			panels = append(panels, p)
		}
		p, err := Context(spec)
		if err != nil {
			return nil, err
		}
		return append(panels, p), nil
	}
	if s.Grid != nil {
		p, err := Overlay(OverlaySpec{Image: s.Picture, Scale: scale, Unit: s.Grid.Unit, Points: s.Grid.Points, Caption: s.gridCaption()})
		if err != nil {
			return nil, err
		}
		panels = append(panels, p)
	}
	p, err := Overlay(OverlaySpec{Image: s.Picture, Scale: scale, Unit: s.Points.Unit, Points: s.Points.Points,
		WeightBy: s.WeightBy, Caption: s.pointsCaption()})
	if err != nil {
		return nil, err
	}
	return append(panels, p), nil
}

// Key is the scene's key: what its marks and colours mean.
func (s *OffsetScene) Key() []KeyItem {
	switch s.Show {
	case ShowPoints:
		n := 0
		if s.Points != nil {
			n = len(s.Points.Points)
		}
		var extra []KeyItem
		if s.Context != nil {
			extra = contextKey(s.Context)
		}
		if s.Measured != nil {
			extra = append(extra, KeyItem{Text: "measured: " + s.Measured.Text(s.Layer)})
		}
		if note := s.FlatNote(); note != "" {
			extra = append(extra, KeyItem{Text: note})
		}
		return OverlayKey(s.WeightBy, n, extra...)
	case ShowOffset:
		return HeatmapKey("mean offset length |Δp| over the taps", s.rangeKey())
	case ShowMask:
		if s.capture() {
			return HeatmapKey("mask, mean over the taps", "0 to the layer's largest")
		}
		return HeatmapKey("DCNv2 mask, mean over the taps", "fixed 0-2")
	}
	if s.Field != nil && s.Field.Mask != nil {
		return HeatmapKey("mean offset length |Δp| over the taps (left) and DCNv2 mask (right, magma, fixed 0-2)", s.rangeKey())
	}
	return HeatmapKey("mean offset length |Δp| over the taps", s.rangeKey())
}

// Figure draws the scene for export: its panels side by side under the
// title, the key underneath.
func (s *OffsetScene) Figure(scale int) (*image.NRGBA, error) {
	panels, err := s.Panels(scale)
	if err != nil {
		return nil, err
	}
	img, err := SideBySide(s.Title(), panels...)
	if err != nil {
		return nil, err
	}
	return WithKey(img, s.Key())
}

// RobustOffsetMax returns the top of a |Δp| colour scale that stays put
// over a replay: RobustMax of the mean offset lengths of every field
// together (nil fields are skipped).
func RobustOffsetMax(fields ...*metrics.Field) (float64, error) {
	var mags [][]float64
	for _, f := range fields {
		if f == nil {
			continue
		}
		m, err := OffsetMagnitude(f, -1)
		if err != nil {
			return 0, err
		}
		mags = append(mags, m)
	}
	return RobustMax(0, mags...), nil
}

// EpochsText names a replay's epochs for HeatRange.Over: "epoch 1" or
// "epochs 1-5".
func EpochsText(last int) string {
	if last <= 1 {
		return "epoch 1"
	}
	return fmt.Sprintf("epochs 1-%d", last)
}

// Summary describes the scene in one line, for a view's caption: model,
// layer, unit, epoch, image, prediction.
func (s *OffsetScene) Summary(units [2]int) string {
	var parts []string
	if s.capture() {
		parts = append(parts, s.Label, s.Layer)
		if s.Show == ShowPoints && s.Points != nil {
			parts = append(parts, fmt.Sprintf("unit (%d, %d) of %d×%d", s.Points.UnitY, s.Points.UnitX, units[0], units[1]),
				fmt.Sprintf("traced through %d captured layer%s", s.Depth, map[bool]string{true: "s"}[s.Depth > 1]))
		}
		return strings.Join(parts, " · ")
	}
	parts = append(parts, fmt.Sprintf("%s %s", s.Model, s.Layer))
	if s.Show == ShowPoints && s.Points != nil {
		parts = append(parts, fmt.Sprintf("unit (%d, %d) of %d×%d", s.Points.UnitY, s.Points.UnitX, units[0], units[1]))
	}
	parts = append(parts, fmt.Sprintf("epoch %d of %d", s.Epoch, s.Epochs), s.Label)
	if s.Predict != "" {
		parts = append(parts, "predicts "+s.Predict)
	}
	return strings.Join(parts, " · ")
}

// MeasureLine is the line a view shows under Summary: that the offsets are
// ≈ 0 (FlatNote), else the unit's measures (ShowPoints), else "".
func (s *OffsetScene) MeasureLine() string {
	if note := s.FlatNote(); note != "" {
		return note
	}
	if s.Show == ShowPoints && s.Measured != nil {
		return s.Measured.Text(s.Layer)
	}
	return ""
}

// CropView is the viewport that zooms on a crop: the crop with a quarter
// of its side around it.
func CropView(crop image.Rectangle) Viewport {
	m := 0.25 * float64(crop.Dx())
	return Viewport{X0: float64(crop.Min.X) - m, Y0: float64(crop.Min.Y) - m, X1: float64(crop.Max.X) + m, Y1: float64(crop.Max.Y) + m}
}
