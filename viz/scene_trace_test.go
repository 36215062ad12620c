package viz

import (
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/dilation"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/nn"
	"github.com/deformscope/deformscope/model/trace"
)

// sampledNet is an MNIST dcnn and cnn of fixed seeds with the dcnn's
// sampling fields on one random 28×28 input, their offsets drawn at random.
func sampledNet(t *testing.T) (dcnn, cnn *model.Net[float32], fields map[string]*metrics.Field) {
	t.Helper()
	var err error
	if dcnn, err = model.NewMNISTNet[float32](model.MNISTConfig{Deformable: true}, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	if cnn, err = model.NewMNISTNet[float32](model.MNISTConfig{}, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	x := nn.New[float32](1, 1, 28, 28)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range x.Data() {
		x.Data()[i] = r.Float32()
	}
	if _, err := dcnn.Forward(x, false); err != nil {
		t.Fatal(err)
	}
	// A fresh net's offsets are all zero: spread them, as training would.
	fields = trace.Fields(dcnn.Layers, 0)
	for _, f := range fields {
		for i := range f.Offset {
			f.Offset[i] = r.NormFloat64()
		}
	}
	return dcnn, cnn, fields
}

func TestTracePoints(t *testing.T) {
	dcnn, cnn, fields := sampledNet(t)
	in := [2]int{28, 28}
	grid := []string{"conv4", "conv5"}
	want, err := trace.Trace(dcnn.Layers, fields, in, "conv5", 3, 2, trace.Options{Round: true})
	if err != nil {
		t.Fatal(err)
	}
	wantGrid, err := trace.Trace(cnn.Layers, nil, in, "conv5", 3, 2, trace.Options{Grid: grid})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		cnn       []nn.Layer[float32]
		wantGrid  *trace.Result
		gridModel string
	}{
		{"points alone", nil, nil, ""},
		{"with the plain CNN's grid", cnn.Layers, wantGrid, "cnn"},
	} {
		sc := &OffsetScene{Layer: "conv5"}
		if err := sc.TracePoints(dcnn.Layers, fields, in, 3, 2, true, tc.cnn, grid); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if sc.Points == nil || !slices.Equal(sc.Points.Points, want.Points) || sc.Points.UnitY != 3 || sc.Points.UnitX != 2 {
			t.Errorf("%s: points differ from trace.Trace's", tc.name)
		}
		if (sc.Grid == nil) != (tc.wantGrid == nil) || sc.Grid != nil && !slices.Equal(sc.Grid.Points, tc.wantGrid.Points) {
			t.Errorf("%s: grid %v, want %v", tc.name, sc.Grid, tc.wantGrid)
		}
		if sc.GridModel != tc.gridModel {
			t.Errorf("%s: grid model %q, want %q", tc.name, sc.GridModel, tc.gridModel)
		}
	}
	sc := &OffsetScene{Layer: "conv9"}
	if err := sc.TracePoints(dcnn.Layers, fields, in, 0, 0, false, nil, nil); err == nil {
		t.Error("a layer the net lacks traced")
	}
}

func TestEpochsScale(t *testing.T) {
	_, _, fields := sampledNet(t)
	a, b := fields["conv4"], fields["conv5"]
	for _, tc := range []struct {
		name   string
		fields []*metrics.Field
		tap    int
		using  []*metrics.Field // the fields the scale is over
	}{
		{"two epochs, the mean over the taps", []*metrics.Field{a, b}, -1, []*metrics.Field{a, b}},
		{"an epoch without the layer is skipped", []*metrics.Field{nil, b}, 4, []*metrics.Field{b}},
	} {
		top, largest, err := EpochsScale(tc.fields, tc.tap)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var mags [][]float64
		for _, f := range tc.using {
			m, err := OffsetMagnitude(f, tc.tap)
			if err != nil {
				t.Fatal(err)
			}
			mags = append(mags, m)
		}
		if wantTop, wantLargest := RobustMax(0, mags...), LargestOffset(tc.using...); top != wantTop || largest != wantLargest {
			t.Errorf("%s: (%v, %v), want (%v, %v)", tc.name, top, largest, wantTop, wantLargest)
		}
		if !(top > 0) || !(largest >= top) {
			t.Errorf("%s: top %v, largest %v", tc.name, top, largest)
		}
	}
	if _, _, err := EpochsScale([]*metrics.Field{a}, 99); err == nil {
		t.Error("tap 99 of a 3×3 kernel gave a scale")
	}
	if top, largest, err := EpochsScale(nil, -1); err != nil || top != 1 || !math.IsNaN(largest) {
		t.Errorf("no epochs: (%v, %v, %v), want RobustMax's fallback 1 and NaN", top, largest, err)
	}
}

func TestMeasuredOf(t *testing.T) {
	m := dilation.UnitMeasure{Mean: 0.5, Max: 2, MapPx: 4, Dilation: 1.25, LayerMean: 0.25, LayerMax: 3}
	for _, tc := range []struct {
		name     string
		perInput float64
		want     Measured
	}{
		{"the picture itself", 0, Measured{Mean: 0.5, Max: 2, PhotoPerMap: 4, Dilation: 1.25, LayerMean: 0.25}},
		{"a photo at 2.5 px per input px", 2.5, Measured{Mean: 0.5, Max: 2, PhotoPerMap: 10, Dilation: 1.25, LayerMean: 0.25, Photo: true}},
	} {
		if got := MeasuredOf(m, tc.perInput); *got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, *got, tc.want)
		}
	}
}

func TestDigitFigure(t *testing.T) {
	dcnn, cnn, fields := sampledNet(t)
	digit := image.NewGray(image.Rect(0, 0, 28, 28))
	for y := 10; y < 18; y++ {
		for x := 12; x < 16; x++ {
			digit.Pix[y*digit.Stride+x] = 255
		}
	}
	panel := func(kind string, bg bool) DigitPanel {
		return DigitPanel{Kind: kind, Picture: digit, In: [2]int{28, 28}, Fields: fields, Background: bg}
	}
	fig := DigitFigure{Title: "t", Net: dcnn.Layers, Model: "dcnn", Layer: "conv5", Epoch: 1, Grid: []string{"conv4", "conv5"},
		Panels: []DigitPanel{panel("small", false), panel("large", false), panel("background", true)}}
	one, err := fig.Draw()
	if err != nil {
		t.Fatal(err)
	}
	fig.CNN = cnn.Layers
	two, err := fig.Draw()
	if err != nil {
		t.Fatal(err)
	}
	if a, b := one.Bounds(), two.Bounds(); a.Dx() < 3*448 || b.Dy() <= a.Dy() {
		t.Errorf("points alone %v, with the grid %v: want three panels, and a second row with the grid", a, b)
	}
	// The unit sits on the digit's bright centre, (13.5, 13.5) of the
	// input, and in the corner for the background panel.
	if y, x := brightCentre(digit); y != 13.5 || x != 13.5 {
		t.Errorf("bright centre (%v, %v), want (13.5, 13.5)", y, x)
	}
	if y, x := brightCentre(image.NewGray(image.Rect(0, 0, 28, 28))); y != 13.5 || x != 13.5 {
		t.Errorf("bright centre of a black picture (%v, %v), want the middle", y, x)
	}
	fig.Layer = "conv9"
	if _, err := fig.Draw(); err == nil {
		t.Error("a layer the net lacks drew")
	}
}

func TestCaptureScene(t *testing.T) {
	pic := image.NewGray(image.Rect(0, 0, 8, 8))
	f := &metrics.Field{Ho: 1, Wo: 1, Groups: 1, Offset: make([]float64, 18)}
	sc := CaptureScene(ShowOffset, pic, "cap.npz", "layer3[g1]", f)
	want := OffsetScene{Show: ShowOffset, Picture: pic, Label: "capture cap.npz", Model: "cap.npz", Layer: "layer3[g1]",
		Field: f, Tap: -1, Range: HeatRange{Mode: RangeRobust}}
	if sc.Show != want.Show || sc.Picture != want.Picture || sc.Label != want.Label || sc.Model != want.Model ||
		sc.Layer != want.Layer || sc.Field != want.Field || sc.Tap != want.Tap || sc.Range != want.Range || sc.Epochs != 0 {
		t.Errorf("capture scene %+v, want %+v", *sc, want)
	}
}
