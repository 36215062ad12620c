package viz

import (
	"image"
	"math"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/trace"
)

func TestFitView(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name   string
		aspect float64
		sets   [][]trace.Point
		empty  bool
	}{
		{"one grid", 0, [][]trace.Point{{{Y: 10, X: 10}, {Y: 30, X: 50}}}, false},
		{"grid and points", 1.6, [][]trace.Point{{{Y: 10, X: 10}, {Y: 30, X: 50}}, {{Y: -5, X: 70}}}, false},
		{"tall, wide panel", 2, [][]trace.Point{{{Y: 0, X: 0}, {Y: 100, X: 1}}}, false},
		{"one point: the least side", 1, [][]trace.Point{{{Y: 5, X: 5}}}, false},
		{"non-finite left out", 1, [][]trace.Point{{{Y: nan, X: 3}, {Y: 4, X: 4}}}, false},
		{"nothing finite", 1, [][]trace.Point{{{Y: nan, X: nan}}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := FitView(tc.aspect, tc.sets...)
			if v.Empty() != tc.empty {
				t.Fatalf("FitView = %+v, empty %v, want %v", v, v.Empty(), tc.empty)
			}
			if tc.empty {
				return
			}
			for _, s := range tc.sets {
				for _, p := range s {
					if finite(p.X) && finite(p.Y) && (p.X < v.X0 || p.X+1 > v.X1 || p.Y < v.Y0 || p.Y+1 > v.Y1) {
						t.Errorf("point %+v lies outside the view %+v", p, v)
					}
				}
			}
			if w, h := v.X1-v.X0, v.Y1-v.Y0; w < fitMinSide-1e-9 || h < fitMinSide-1e-9 {
				t.Errorf("view %+v is under %d px a side", v, fitMinSide)
			}
			if tc.aspect > 0 {
				if a := (v.X1 - v.X0) / (v.Y1 - v.Y0); math.Abs(a-tc.aspect) > 1e-9 {
					t.Errorf("aspect %v, want %v", a, tc.aspect)
				}
			}
		})
	}
}

// TestUnitViewFramesBothPanels: the unit framing holds every point of the
// grid and of the deformable net, and both panels are drawn at one scale.
func TestUnitViewFramesBothPanels(t *testing.T) {
	photo := image.NewRGBA(image.Rect(0, 0, 400, 300))
	pts := &trace.Result{Unit: trace.Point{Y: 100, X: 100}, Points: []trace.Point{{Y: 80, X: 90}, {Y: 130, X: 140}, {Y: 95, X: 60}}}
	grid := &trace.Result{Unit: trace.Point{Y: 100, X: 100}, Points: []trace.Point{{Y: 90, X: 90}, {Y: 110, X: 110}}}
	for _, framing := range []string{FrameUnit, FramePhoto} {
		s := &OffsetScene{Show: ShowPoints, Model: "dcnn-middle", Layer: "conv4", Epoch: 1, Epochs: 1, Points: pts, Grid: grid,
			Context: &SceneContext{Photo: photo, Chosen: -1, Width: 320}}
		s.Frame(framing, 1.25)
		if framing == FramePhoto {
			if !s.Context.View.Empty() {
				t.Fatalf("photo framing: view %+v, want empty (the whole photo)", s.Context.View)
			}
			continue
		}
		v := s.Context.View
		for _, r := range []*trace.Result{pts, grid} {
			for _, p := range append(r.Points, r.Unit) {
				if p.X < v.X0 || p.X+1 > v.X1 || p.Y < v.Y0 || p.Y+1 > v.Y1 {
					t.Errorf("point %+v lies outside the unit view %+v", p, v)
				}
			}
		}
		panels, err := s.Panels(0)
		if err != nil {
			t.Fatal(err)
		}
		if len(panels) != 2 || panels[0].Bounds() != panels[1].Bounds() {
			t.Fatalf("panels %v: want two of one size (one scale)", len(panels))
		}
	}
}

// TestFlatScene: a layer whose offsets stay under the floor says so in
// words and is drawn on the fixed floor scale, never stretched.
func TestFlatScene(t *testing.T) {
	pic := image.NewGray(image.Rect(0, 0, 8, 8))
	tiny := &metrics.Field{Ho: 2, Wo: 2, Groups: 1, Offset: make([]float64, 2*9*4), Limit: 7}
	tiny.Offset[0] = 1.9e-6
	for _, tc := range []struct {
		name      string
		field     *metrics.Field
		largest   float64
		rng       HeatRange
		flat      bool
		top       float64
		wantLabel string
	}{
		{"zero offsets, robust", tiny, 0, HeatRange{Mode: RangeRobust, Max: 1e-7, Over: "epochs 1-5"}, true, OffsetFloor, "fixed 0-0.05"},
		{"zero offsets, layer's largest", tiny, 0, HeatRange{}, true, OffsetFloor, "fixed 0-0.05"},
		{"flat now, learned in another epoch", tiny, 0.4, HeatRange{Mode: RangeRobust, Max: 0.03, Over: "epochs 1-5"}, false, OffsetFloor, "floor 0.05"},
		{"learned", sceneField(false), 0, HeatRange{Mode: RangeRobust, Max: 1.5}, false, 1.5, "99th pct"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &OffsetScene{Show: ShowOffset, Picture: pic, Model: "dcnn", Layer: "conv4", Epoch: 1, Epochs: 5, Tap: -1,
				Field: tc.field, Range: tc.rng, Limit: 7, Largest: tc.largest}
			l, flat := s.Flat()
			if flat != tc.flat {
				t.Fatalf("Flat() = %v, %v; want flat %v", l, flat, tc.flat)
			}
			mag, err := OffsetMagnitude(s.Field, -1)
			if err != nil {
				t.Fatal(err)
			}
			top, label, err := s.offsetRange(mag)
			if err != nil || top != tc.top || !strings.Contains(label, tc.wantLabel) {
				t.Errorf("offsetRange = %v, %q, %v; want %v and %q", top, label, err, tc.top, tc.wantLabel)
			}
			if tc.flat {
				if want := "offsets ≈ 0: largest 1.9e-06 px, nothing learned here yet"; s.FlatNote() != want {
					t.Errorf("FlatNote = %q, want %q", s.FlatNote(), want)
				}
				if !strings.Contains(s.rangeKey(), "offsets ≈ 0") {
					t.Errorf("key %q does not say the offsets are ≈ 0", s.rangeKey())
				}
			} else if s.FlatNote() != "" {
				t.Errorf("FlatNote = %q for a layer that learned", s.FlatNote())
			}
			p, err := s.Panels(4)
			if err != nil {
				t.Fatal(err)
			}
			if got := bannerPixels(p[0]); tc.flat != (got > 0) {
				t.Errorf("%d banner pixels on the picture; want some: %v", got, tc.flat)
			}
		})
	}
}

// bannerPixels counts the pixels of the flat banner's colour.
func bannerPixels(img *image.NRGBA) int {
	n := 0
	for i := 0; i < len(img.Pix); i += 4 {
		if img.Pix[i] == bannerText.R && img.Pix[i+1] == bannerText.G && img.Pix[i+2] == bannerText.B {
			n++
		}
	}
	return n
}

// TestContextKeyListsWhatIsDrawn: the key of a framed view lists a box or
// the crop only when its outline shows in the view.
func TestContextKeyListsWhatIsDrawn(t *testing.T) {
	photo := image.NewRGBA(image.Rect(0, 0, 400, 300))
	c := &SceneContext{Photo: photo, Chosen: 0, Crop: image.Rect(40, 40, 260, 260),
		Boxes: []Box{{X: 50, Y: 50, W: 200, H: 200}, {X: 300, Y: 10, W: 50, H: 50}}}
	for _, tc := range []struct {
		name string
		view Viewport
		want []string
	}{
		{"whole photo", Viewport{}, []string{"thick box", "box", "dashed box"}},
		{"inside the chosen box", Viewport{X0: 100, Y0: 100, X1: 150, Y1: 150}, nil},
		{"across the chosen box's edge", Viewport{X0: 30, Y0: 100, X1: 80, Y1: 150}, []string{"thick box", "dashed box"}},
		{"the other box", Viewport{X0: 280, Y0: 0, X1: 400, Y1: 100}, []string{"box"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.View = tc.view
			var got []string
			for _, it := range contextKey(c) {
				got = append(got, it.Mark)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("key marks %v, want %v", got, tc.want)
			}
		})
	}
}

// TestPointsNeverUnderTheRing: on the whole photo a unit's points may all
// lie within its ring's radius; they are drawn over it, never hidden.
func TestPointsNeverUnderTheRing(t *testing.T) {
	photo := image.NewRGBA(image.Rect(0, 0, 640, 480))
	var pts []trace.Point
	for i := range 9 {
		// All within the ring's 10 px.
		pts = append(pts, trace.Point{Y: 200 + float64(i/3)*5, X: 300 + float64(i%3)*5, Weight: 1})
	}
	img, err := Context(ContextSpec{Photo: photo, Chosen: -1, Unit: trace.Point{Y: 205, X: 305}, Points: pts, Width: 640})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pts {
		c := img.NRGBAAt(int(p.X+0.5), int(p.Y+0.5))
		// Red, perhaps lightened by a neighbour's white rim; the ring is green.
		if !(int(c.R) > int(c.G)+60 && int(c.R) > int(c.B)+60) {
			t.Errorf("point %+v is drawn %v, not in the points' red: hidden under the ring", p, c)
		}
	}
}

// TestPanelsKeepOneScale is issue 24's MNIST unit: when some points lie
// beyond the frame, the deformable panel gets a note under it; both panels
// stay one size, so that a view fitting each into the same box keeps one
// scale.
func TestPanelsKeepOneScale(t *testing.T) {
	pic := image.NewGray(image.Rect(0, 0, 28, 28))
	grid := &trace.Result{Unit: trace.Point{Y: 14, X: 14}, Points: []trace.Point{{Y: 13, X: 13}, {Y: 15, X: 15}}}
	pts := &trace.Result{Unit: trace.Point{Y: 14, X: 14}, Points: []trace.Point{{Y: 13, X: 13}, {Y: 15, X: -400}}}
	s := &OffsetScene{Show: ShowPoints, Picture: pic, Model: "dcnn", Layer: "conv5", Epoch: 1, Epochs: 1, Points: pts, Grid: grid}
	panels, err := s.Panels(8)
	if err != nil {
		t.Fatal(err)
	}
	if len(panels) != 2 || panels[0].Bounds() != panels[1].Bounds() {
		t.Fatalf("panels %v and %v: want one size", panels[0].Bounds(), panels[1].Bounds())
	}
}
