package inspect

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/trace"
)

func TestMeasureUnit(t *testing.T) {
	for _, layer := range []string{"conv3", "conv4"} {
		t.Run(layer, func(t *testing.T) {
			net, err := model.NewCOCONet[float32](model.COCOConfig{Size: 64, Classes: 10, DeformAt: []string{"conv3", "conv4"}}, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			in := [2]int{64, 64}
			ho, wo, err := trace.OutputSize(net.Layers, in, layer)
			if err != nil {
				t.Fatal(err)
			}
			// Every tap moved by (3, 4): |Δp| 5 everywhere, the grid shifted
			// whole, so the dilation stays the kernel's own 1; one unit's
			// first tap moved by (6, 8) instead.
			f := &metrics.Field{Ho: ho, Wo: wo, Groups: 1, Offset: make([]float64, 2*9*ho*wo)}
			plane := ho * wo
			for ch := range 18 {
				for v := range plane {
					f.Offset[ch*plane+v] = float64(3 + ch%2)
				}
			}
			uy, ux := ho/2, wo/3
			f.Offset[uy*wo+ux], f.Offset[plane+uy*wo+ux] = 6, 8
			m, err := MeasureUnit(net, f, in, layer, uy, ux)
			if err != nil {
				t.Fatal(err)
			}
			if want := (8*5 + 10) / 9.0; math.Abs(m.Mean-want) > 1e-12 || m.Max != 10 {
				t.Errorf("unit |Δp| mean %v, max %v; want %v, 10", m.Mean, m.Max, want)
			}
			if want := 5 + 5/(9.0*float64(plane)); math.Abs(m.LayerMean-want) > 1e-12 || m.LayerMax != 10 {
				t.Errorf("layer |Δp| mean %v, max %v; want %v, 10", m.LayerMean, m.LayerMax, want)
			}
			if math.Abs(m.MapPx*float64(wo)-64) > 1e-9 {
				t.Errorf("an input-map pixel spans %v input pixels over %d units; want 64/%d", m.MapPx, wo, wo)
			}
			if !(m.Dilation > 1) {
				t.Errorf("dilation %v: the moved first tap should spread the grid beyond 1", m.Dilation)
			}
			if _, err := MeasureUnit(net, f, in, layer, ho, 0); err == nil {
				t.Error("a unit outside the output was measured")
			}
			if _, err := MeasureUnit(net, f, in, "conv1", 0, 0); err == nil {
				t.Error("a plain convolution was measured as deformable")
			}
		})
	}
}
