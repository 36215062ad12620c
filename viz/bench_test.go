package viz

import (
	"testing"

	"gonum.org/v1/plot"
)

// benchPlot is the app's live figure at its largest: two models' training
// loss over 5000 steps, smoothed, so four lines of 5000 points each.
func benchPlot(b *testing.B) *plot.Plot {
	p, err := Curves(benchSpec())
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func benchSpec() CurveSpec {
	return CurveSpec{Title: "Training loss", XLabel: "step", YLabel: "loss", Smooth: 0.9, Series: []Series{
		{Name: "CNN train loss", Model: "cnn", X: steps(5000), Y: stepLoss(5000, 0.12, 8)},
		{Name: "DCNN train loss", Model: "dcnn", X: steps(5000), Y: stepLoss(5000, 0.07, 9)},
	}}
}

// BenchmarkRender5000Steps renders a built 2-model, 5000-step figure at
// 800×500 px.
func BenchmarkRender5000Steps(b *testing.B) {
	p := benchPlot(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(p, RenderOptions{WidthPx: 800, HeightPx: 500}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCurvesAndRender5000Steps builds and renders the figure, as the app
// does for each refresh of the live plot.
func BenchmarkCurvesAndRender5000Steps(b *testing.B) {
	spec := benchSpec()
	b.ReportAllocs()
	for b.Loop() {
		p, err := Curves(spec)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Render(p, RenderOptions{WidthPx: 800, HeightPx: 500}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCurves5000Steps builds the figure only: smoothing, decimation,
// legend placement.
func BenchmarkCurves5000Steps(b *testing.B) {
	spec := benchSpec()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Curves(spec); err != nil {
			b.Fatal(err)
		}
	}
}
