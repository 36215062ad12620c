package viz

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"math"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/dilation"
	"github.com/deformscope/deformscope/model/trace"
)

func TestPercentileAndRobustMax(t *testing.T) {
	ramp := make([]float64, 101) // 0, 1, ..., 100
	for i := range ramp {
		ramp[i] = float64(i)
	}
	spike := append(make([]float64, 999), 1000) // one outlier among zeros... and a ramp below
	for i := range 999 {
		spike[i] = float64(i%10) / 10
	}
	nan := math.NaN()
	for _, tc := range []struct {
		name   string
		q      float64
		fields [][]float64
		want   float64
	}{
		{"median of a ramp", 50, [][]float64{ramp}, 50},
		{"99th of a ramp", 99, [][]float64{ramp}, 99},
		{"between ranks", 25, [][]float64{{0, 10}}, 2.5},
		{"across fields (epochs)", 50, [][]float64{{1, 2}, {3, 4, 5}}, 3},
		{"NaN and Inf ignored", 100, [][]float64{{1, nan, math.Inf(1), 2}}, 2},
		{"no finite value", 50, [][]float64{{nan}}, nan},
	} {
		got := Percentile(tc.q, tc.fields...)
		if math.IsNaN(tc.want) != math.IsNaN(got) || (!math.IsNaN(got) && math.Abs(got-tc.want) > 1e-9) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// One outlier does not set the scale: the 99th percentile of the rest does.
	if got := RobustMax(0, spike); got != 0.9 {
		t.Errorf("robust max with one outlier: %v, want 0.9", got)
	}
	if got := RobustMax(0, []float64{0, 0, 0}); got != 1 {
		t.Errorf("robust max of zeros: %v, want the fallback 1", got)
	}
	if got := RobustMax(0, append(make([]float64, 200), 5)); got != 5 {
		t.Errorf("robust max of zeros and one value: %v, want the maximum 5", got)
	}
}

func TestGIFHasOneFramePerImage(t *testing.T) {
	var frames []image.Image
	for i := range 4 {
		m := image.NewNRGBA(image.Rect(0, 0, 20, 10))
		fillRect(m, m.Bounds(), color.NRGBA{uint8(60 * i), 0, 0, 255})
		frames = append(frames, m)
	}
	var buf bytes.Buffer
	if err := GIF(&buf, frames, 50); err != nil {
		t.Fatal(err)
	}
	g, err := gif.DecodeAll(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Image) != 4 || g.Delay[0] != 50 || g.Delay[3] != 150 || g.LoopCount != 0 {
		t.Errorf("%d frames, delays %v, loop %d", len(g.Image), g.Delay, g.LoopCount)
	}
	if r, _, _, _ := g.Image[3].At(5, 5).RGBA(); r>>8 < 150 {
		t.Errorf("last frame's red is %d, want about 180", r>>8)
	}
	for _, bad := range [][]image.Image{nil, {nil}} {
		if err := GIF(&buf, bad, 50); err == nil {
			t.Errorf("%v frames: no error", bad)
		}
	}
	if err := GIF(&buf, frames, 0); err == nil {
		t.Error("delay 0: no error")
	}
}

// TestContextPlacesPointsInThePhoto draws one point on a grey photo and
// finds its red where the photo coordinates say, at the view's scale.
func TestContextPlacesPointsInThePhoto(t *testing.T) {
	photo := image.NewGray(image.Rect(0, 0, 100, 50))
	for i := range photo.Pix {
		photo.Pix[i] = 128
	}
	red := func(img *image.NRGBA, x, y int) bool {
		c := img.NRGBAAt(x, y)
		return c.R > 180 && c.G < 90 && c.B < 90
	}
	for _, tc := range []struct {
		name   string
		view   Viewport
		width  int
		px, py float64 // point, photo pixels (centres at whole numbers)
		cx, cy int     // where it lands on the canvas
	}{
		{"whole photo at 2×", Viewport{}, 200, 39.5, 9.5, 80, 20},
		{"zoomed on the right half at 4×", Viewport{50, 0, 100, 50}, 200, 59.5, 19.5, 40, 80},
	} {
		img, err := Context(ContextSpec{Photo: photo, Chosen: -1, Points: []trace.Point{{Y: tc.py, X: tc.px, Weight: 1}},
			Unit: trace.Point{Y: math.NaN(), X: math.NaN()}, View: tc.view, Width: tc.width})
		if err != nil {
			t.Fatal(err)
		}
		if !red(img, tc.cx, tc.cy) {
			t.Errorf("%s: no red point at (%d, %d): %v", tc.name, tc.cx, tc.cy, img.NRGBAAt(tc.cx, tc.cy))
		}
		if red(img, tc.cx+12, tc.cy) || red(img, 2, 2) {
			t.Errorf("%s: red beyond the point", tc.name)
		}
	}
	if _, err := Context(ContextSpec{Photo: photo, View: Viewport{200, 0, 300, 10}}); err == nil {
		t.Error("a view beside the photo: no error")
	}
	if _, err := Context(ContextSpec{Photo: nil}); err == nil {
		t.Error("nil photo: no error")
	}
}

func TestContextDrawsBoxesAndCrop(t *testing.T) {
	photo := image.NewGray(image.Rect(0, 0, 100, 100))
	img, err := Context(ContextSpec{Photo: photo, Width: 100, Chosen: 0, Boxes: []Box{{X: 20, Y: 20, W: 40, H: 40}, {X: 70, Y: 70, W: 20, H: 20}},
		Crop: image.Rect(16, 16, 64, 64), Unit: trace.Point{Y: math.NaN(), X: math.NaN()}})
	if err != nil {
		t.Fatal(err)
	}
	if c := img.NRGBAAt(40, 20); c != chosenColor {
		t.Errorf("chosen box's top edge: %v", c)
	}
	if c := img.NRGBAAt(80, 70); c != boxColor {
		t.Errorf("other box's top edge: %v", c)
	}
	if c := img.NRGBAAt(16, 17); c != cropColor {
		t.Errorf("crop's left edge: %v", c)
	}
}

func TestWithKey(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 400, 100))
	out, err := WithKey(img, OverlayKey("size", 81, ContextKey()...))
	if err != nil {
		t.Fatal(err)
	}
	if b := out.Bounds(); b.Dx() != 400 || b.Dy() < 100+5*14 {
		t.Errorf("keyed picture is %v", b)
	}
	if same, _ := WithKey(img, nil); same != img {
		t.Error("an empty key changes the picture")
	}
}

func TestDilationChart(t *testing.T) {
	rep := &dilation.Report{Data: "mnist", Layers: []dilation.Layer{
		{Model: "dcnn", Layer: "conv5", Deformable: true, Groups: []dilation.Group{
			{Group: "scale 1.5 digit", On: "digit", Scale: 1.5, Mean: 1.4, Units: 3},
			{Group: "scale 0.5 digit", On: "digit", Scale: 0.5, Mean: 1.1, Units: 3},
			{Group: "scale 0.5 background", On: "background", Scale: 0.5, Mean: 1.0, Units: 3}}},
		{Model: "cnn", Layer: "conv4", Groups: []dilation.Group{{Group: "scale 0.5 digit", On: "digit", Scale: 0.5, Mean: 1, Units: 3},
			{Group: "scale 0.5 background", On: "background", Scale: 0.5, Mean: 1, Units: 3}}},
		{Model: "cnn", Layer: "conv5", Groups: []dilation.Group{{Group: "scale 0.5 digit", On: "digit", Scale: 0.5, Mean: 1, Units: 3}}},
	}}
	s := DilationSeries(rep)
	if len(s) != 5 || s[0].X[0] != 0.5 || s[0].Y[1] != 1.4 || s[1].Style != "dashed" || s[2].Style != "dotted" {
		t.Fatalf("series %+v", s)
	}
	// The plain CNN's dotted lines look alike: one legend entry for all.
	var plain []string
	for _, x := range s[2:] {
		if x.Name != "" {
			plain = append(plain, x.Name)
		}
	}
	if len(plain) != 1 || !strings.HasPrefix(plain[0], "CNN: every layer") {
		t.Errorf("the plain CNN's legend entries: %q, want one", plain)
	}
	p, err := Dilation("t", rep)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Render(p, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Dilation("t", &dilation.Report{}); err == nil {
		t.Error("empty report: no error")
	}
}

// TestHeatmapOutlineKeepsTheBarsColours checks that with Outline the
// colours away from the image's edges are exactly the colour bar's.
func TestHeatmapOutlineKeepsTheBarsColours(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 28, 28))
	for y := 10; y < 18; y++ {
		for x := 10; x < 18; x++ {
			img.Pix[y*28+x] = 255
		}
	}
	out, err := Heatmap(HeatmapSpec{Image: img, Field: constField(7, 7, 0.5), H: 7, W: 7, VMin: 0, VMax: 1, Scale: 8, Outline: true})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Colormap("viridis", 0.5)
	for _, p := range []image.Point{{heatPad + 20, heatPad + 20}, {heatPad + 14*8, heatPad + 14*8}} {
		if got := out.NRGBAAt(p.X, p.Y); got != want {
			t.Errorf("at %v: %v, want the bar's %v", p, got, want)
		}
	}
	// The bright square's edge at x = 10 (canvas 80) is outlined.
	if got := out.NRGBAAt(heatPad+80, heatPad+14*8); got != white {
		t.Errorf("outline at the square's left edge: %v", got)
	}
}
