package main

import (
	"encoding/json"
	"io"

	"github.com/deformscope/deformscope/model/dilation"
	"github.com/deformscope/deformscope/model/inspect"
	"github.com/deformscope/deformscope/viz"
)

// offsetsJSON is what `dcn offsets --run R --json` prints: the unit, its
// points (in the photo's pixels for a photo, the image's otherwise), its
// offsets' mean and largest |Δp| and effective dilation at the layer, the
// layer's mean |Δp| over the image (in the layer's input-map pixels), and
// whether the layer learned anything (its largest |Δp| reaches
// viz.OffsetFloor).
type offsetsJSON struct {
	Model       string       `json:"model"`
	Layer       string       `json:"layer"`
	Unit        [2]int       `json:"unit"`
	Epoch       int          `json:"epoch"`
	Points      [][2]float64 `json:"points"`
	OffsetPx    meanMax      `json:"offset_px"`
	Dilation    float64      `json:"dilation"`
	LayerOffset layerMean    `json:"layer_offset_px"`
	Learned     bool         `json:"learned"`
}

type meanMax struct {
	Mean float64 `json:"mean"`
	Max  float64 `json:"max"`
}

type layerMean struct {
	Mean float64 `json:"mean"`
}

// measure measures the scene's unit at its layer.
func (ins *inspection) measure(sc *viz.OffsetScene) (dilation.UnitMeasure, error) {
	return inspect.MeasureUnit(ins.net, ins.fields[ins.layer], ins.size(), ins.layer, sc.Points.UnitY, sc.Points.UnitX)
}

// writeJSON prints the scene's unit as offsetsJSON.
func (ins *inspection) writeJSON(w io.Writer, sc *viz.OffsetScene) error {
	m, err := ins.measure(sc)
	if err != nil {
		return err
	}
	out := offsetsJSON{Model: ins.model, Layer: ins.layer, Unit: [2]int{sc.Points.UnitY, sc.Points.UnitX}, Epoch: ins.epoch,
		Points: make([][2]float64, len(sc.Points.Points)), OffsetPx: meanMax{m.Mean, m.Max}, Dilation: m.Dilation,
		LayerOffset: layerMean{m.LayerMean}, Learned: m.LayerMax >= viz.OffsetFloor}
	for i, p := range sc.Points.Points {
		out.Points[i] = [2]float64{p.Y, p.X}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
