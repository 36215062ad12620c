package viz

import (
	"image"

	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/nn"
	"github.com/deformscope/deformscope/model/trace"
)

// TracePoints traces unit (uy, ux) of the scene's Layer through net (the
// deformable net's layers) on an input of size in (H, W) with the sampling
// fields a forward pass recorded, into Points; and, when cnn is not nil,
// the plain CNN's regular grid for the same unit into Grid (grid names the
// deformable layers whose grid it keeps), GridModel "cnn". The Offsets
// view, `dcn offsets` and `dcn figure` trace their units through it.
func (s *OffsetScene) TracePoints(net []nn.Layer[float32], fields map[string]*metrics.Field, in [2]int, uy, ux int,
	round bool, cnn []nn.Layer[float32], grid []string) error {
	var err error
	if s.Points, err = trace.Trace(net, fields, in, s.Layer, uy, ux, trace.Options{Round: round}); err != nil {
		return err
	}
	if cnn != nil {
		if s.Grid, err = trace.Trace(cnn, nil, in, s.Layer, uy, ux, trace.Options{Grid: grid}); err != nil {
			return err
		}
		s.GridModel = "cnn"
	}
	return nil
}

// CaptureScene is layer of a PyTorch capture file as an offset scene
// showing show, with its sampling field: a capture has no epochs and no
// clamp bound, so its |Δp| scale runs to the 99th percentile of the field
// shown. The Offsets view and `dcn offsets|heatmap --capture` both start
// from it.
func CaptureScene(show string, picture image.Image, file, layer string, field *metrics.Field) *OffsetScene {
	return &OffsetScene{Show: show, Picture: picture, Label: "capture " + file, Model: file, Layer: layer,
		Field: field, Tap: -1, Range: HeatRange{Mode: RangeRobust}}
}
