package viz

import (
	"fmt"
	"strings"

	"gonum.org/v1/plot"

	"github.com/deformscope/deformscope/model/dilation"
)

// sizeOrder places COCO's size classes on the x axis.
var sizeOrder = []string{"small", "medium", "large"}

// DilationSeries turns a dilation report into lines: one per model, layer
// and kind of unit, against the Scaled-MNIST scale or COCO's size class (1
// small, 2 medium, 3 large). Units on the digit or object are solid lines,
// units on the background or context dashed; each layer keeps its colour,
// and the plain CNN's layers (exactly their dilation) are dotted grey,
// under one legend entry, since their lines look alike.
func DilationSeries(rep *dilation.Report) []Series {
	var out []Series
	plainNamed := false
	for _, l := range rep.Layers {
		for _, on := range []string{"digit", "object", "background", "context"} {
			s := Series{Name: fmt.Sprintf("%s %s · %s", strings.ToUpper(l.Model), l.Layer, on), Model: "layer " + l.Layer}
			if on == "background" || on == "context" {
				s.Style = "dashed"
			}
			if !l.Deformable {
				s.Model, s.Style, s.Name = "cnn-grid", "dotted", ""
			}
			for _, g := range l.Groups {
				if g.On != on {
					continue
				}
				x := g.Scale
				if rep.Data == "coco" {
					x = float64(indexOf(sizeOrder, g.Size) + 1)
				}
				s.X, s.Y = append(s.X, x), append(s.Y, g.Mean)
			}
			if len(s.X) == 0 {
				continue
			}
			sortXY(s.X, s.Y)
			if !l.Deformable && !plainNamed {
				s.Name, plainNamed = fmt.Sprintf("%s: every layer, on and off the object (a plain conv: exactly its dilation)", strings.ToUpper(l.Model)), true
			}
			out = append(out, s)
		}
	}
	return out
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// sortXY sorts points by x (insertion sort: a dozen points at most).
func sortXY(x, y []float64) {
	for i := 1; i < len(x); i++ {
		for j := i; j > 0 && x[j] < x[j-1]; j-- {
			x[j], x[j-1] = x[j-1], x[j]
			y[j], y[j-1] = y[j-1], y[j]
		}
	}
}

// DilationChart plots the dilation report of the run named run, titled
// "Effective dilation: run": the chart of `dcn dilation --out` and of the
// Offsets view's Effective dilation… window.
func DilationChart(run string, rep *dilation.Report) (*plot.Plot, error) {
	return Dilation("Effective dilation: "+run, rep)
}

// Dilation plots a dilation report (the paper's table 2 as a chart): mean
// effective dilation against the Scaled-MNIST scale (0.5 to 1.5) or COCO's
// size class, per layer, on the object and off it, with a marker at every
// measured point. It returns an error for a report without groups.
func Dilation(title string, rep *dilation.Report) (*plot.Plot, error) {
	series := DilationSeries(rep)
	if len(series) == 0 {
		return nil, fmt.Errorf("viz: dilation: the report has no measured units")
	}
	spec := CurveSpec{Title: title, YLabel: "effective dilation (px of the layer's input)", Series: series}
	if rep.Data == "coco" {
		lo, hi := 0.7, 3.3
		spec.XLabel, spec.XMin, spec.XMax = "object size (COCO area class of the original box)", &lo, &hi
	} else {
		lo, hi := 0.45, 1.55
		spec.XLabel, spec.XMin, spec.XMax = "Scaled-MNIST scale", &lo, &hi
	}
	ymin := 0.0
	spec.YMin = &ymin
	// A band above the highest line holds the legend, so that it never
	// covers a line: its share of the height grows with its entries.
	top, named := 0.0, 0
	for _, s := range series {
		for _, y := range s.Y {
			if finite(y) {
				top = max(top, y)
			}
		}
		if s.Name != "" {
			named++
		}
	}
	if top > 0 {
		band := min(0.6, (13*float64(named)+24)/330)
		ymax := top * 1.05 / (1 - band)
		spec.YMax = &ymax
	}
	p, _, err := curves(spec, true)
	if err != nil {
		return nil, err
	}
	var ticks plot.ConstantTicks
	if rep.Data == "coco" {
		for i, s := range sizeOrder {
			ticks = append(ticks, plot.Tick{Value: float64(i + 1), Label: s})
		}
	} else {
		for i := 5; i <= 15; i++ {
			ticks = append(ticks, plot.Tick{Value: float64(i) / 10, Label: fmt.Sprintf("%.1f", float64(i)/10)})
		}
	}
	p.X.Tick.Marker = ticks
	return p, nil
}
