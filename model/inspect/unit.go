package inspect

import (
	"fmt"
	"math"

	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/dilation"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/nn"
	"github.com/deformscope/deformscope/model/trace"
)

// MeasureUnit measures unit (uy, ux) of net's deformable layer on an input
// of size in (H, W) from the layer's sampling field f.
func MeasureUnit(net *model.Net[float32], f *metrics.Field, in [2]int, layer string, uy, ux int) (dilation.UnitMeasure, error) {
	blk, ok := net.Layer(layer).(*nn.DeformBlock[float32])
	if !ok {
		return dilation.UnitMeasure{}, fmt.Errorf("inspect: %s has no deformable layer %s", net.Arch, layer)
	}
	cfg := blk.Regular.Config()
	k := dilation.Kernel{KH: cfg.Kernel[0], KW: cfg.Kernel[1], DH: max(cfg.Dilation[0], 1), DW: max(cfg.Dilation[1], 1)}
	groups, err := dilation.CheckField(f, k)
	if err != nil {
		return dilation.UnitMeasure{}, fmt.Errorf("inspect: %s: %w", layer, err)
	}
	if uy < 0 || ux < 0 || uy >= f.Ho || ux >= f.Wo {
		return dilation.UnitMeasure{}, fmt.Errorf("inspect: unit (%d, %d) is outside %s's %d×%d output", uy, ux, layer, f.Ho, f.Wo)
	}
	taps, plane := k.KH*k.KW, f.Ho*f.Wo
	m := dilation.UnitMeasure{}
	var sum, all float64
	for g := range groups {
		for t := range taps {
			ch := 2 * (g*taps + t)
			u := uy*f.Wo + ux
			d := math.Hypot(f.Offset[ch*plane+u], f.Offset[(ch+1)*plane+u])
			sum += d
			m.Max = max(m.Max, d)
			for v := range plane {
				d := math.Hypot(f.Offset[ch*plane+v], f.Offset[(ch+1)*plane+v])
				all += d
				m.LayerMax = max(m.LayerMax, d)
			}
		}
	}
	n := float64(groups * taps)
	m.Mean, m.LayerMean = sum/n, all/(n*float64(plane))
	var dil dilation.Stats
	for g := range groups {
		dil.Add(dilation.Unit(f, k, g, uy, ux))
	}
	m.Dilation = dil.Mean()
	// One input-map pixel: the spacing of the layer's units in input
	// pixels over its stride.
	m.MapPx = 1
	y0, x0, err := trace.UnitCentre(net.Layers, in, layer, 0, 0)
	if err != nil {
		return dilation.UnitMeasure{}, err
	}
	switch {
	case f.Wo > 1:
		_, x1, err := trace.UnitCentre(net.Layers, in, layer, 0, 1)
		if err != nil {
			return dilation.UnitMeasure{}, err
		}
		m.MapPx = (x1 - x0) / float64(max(cfg.Stride[1], 1))
	case f.Ho > 1:
		y1, _, err := trace.UnitCentre(net.Layers, in, layer, 1, 0)
		if err != nil {
			return dilation.UnitMeasure{}, err
		}
		m.MapPx = (y1 - y0) / float64(max(cfg.Stride[0], 1))
	}
	return m, nil
}
