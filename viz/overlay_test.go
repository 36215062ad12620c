package viz

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/deformscope/deformscope/internal/atomicfile"
	"github.com/deformscope/deformscope/model/trace"
)

// digitSeven returns a 28×28 MNIST-like greyscale "7": a white stroke about
// 3 px wide on black, with soft edges.
func digitSeven() *image.Gray {
	img := image.NewGray(image.Rect(0, 0, 28, 28))
	segs := [][4]float64{{6, 7, 6, 20}, {6, 20, 23, 11}} // y0, x0, y1, x1
	for y := range 28 {
		for x := range 28 {
			d := math.Inf(1)
			for _, s := range segs {
				d = math.Min(d, segmentDist(float64(y), float64(x), s))
			}
			img.SetGray(x, y, color.Gray{uint8(255 * math.Min(math.Max(2-d, 0), 1))})
		}
	}
	return img
}

// segmentDist is the distance from (y, x) to the segment s.
func segmentDist(y, x float64, s [4]float64) float64 {
	dy, dx := s[2]-s[0], s[3]-s[1]
	t := math.Min(math.Max(((y-s[0])*dy+(x-s[1])*dx)/(dy*dy+dx*dx), 0), 1)
	return math.Hypot(y-s[0]-t*dy, x-s[1]-t*dx)
}

// expand returns the 3×3 taps of each point at dilation d, moved by
// off(point index, tap) and weighted by mask(point index, tap), as
// trace.Trace does for one deformable layer of stride 1.
func expand(pts []trace.Point, d float64, off func(p, k int) (dy, dx float64), mask func(p, k int) float64) []trace.Point {
	var out []trace.Point
	for pi, p := range pts {
		for k := range 9 {
			dy, dx := off(pi, k)
			out = append(out, trace.Point{
				Y:      p.Y + float64(k/3-1)*d + dy,
				X:      p.X + float64(k%3-1)*d + dx,
				Weight: p.Weight * mask(pi, k),
			})
		}
	}
	return out
}

func noOffset(int, int) (float64, float64) { return 0, 0 }
func unitMask(int, int) float64            { return 1 }

// sevenUnit is the traced unit of the golden overlays, on the 7's diagonal.
var sevenUnit = trace.Point{Y: 13, X: 16, Weight: 1}

// sevenNine returns 9 sampling points of a unit of a dilation-5 layer whose
// taps were pulled onto the 7's stroke: mostly on pixel centres, two
// fractional, one beyond the bottom edge (in the zero padding).
func sevenNine() []trace.Point {
	offs := [9][2]float64{{-2, 0}, {-2, 0}, {-2, 0}, {0, 3}, {0, 0}, {-1, -3}, {-2.5, 5.5}, {1, -3}, {10.5, 2}}
	return expand([]trace.Point{sevenUnit}, 5, func(_, k int) (float64, float64) { return offs[k][0], offs[k][1] }, unitMask)
}

// sevenGrid returns the 81 points of two stacked plain 3×3 layers
// (dilation 4 then 2) under the unit: a regular grid on pixel centres.
func sevenGrid() []trace.Point {
	return expand(expand([]trace.Point{sevenUnit}, 4, noOffset, unitMask), 2, noOffset, unitMask)
}

// sevenDeformed returns the 81 points of two stacked deformable layers
// under the unit, as a trained DCNN might place them: each tap pulled
// halfway towards the nearest point of the 7's stroke, with seeded noise,
// and a DCNv2 mask (2·sigmoid, so in (0, 2)) that is high near the stroke.
// One tap wanders into the zero padding above the image.
func sevenDeformed() []trace.Point {
	r := rand.New(rand.NewPCG(7, 11))
	segs := [][4]float64{{6, 7, 6, 20}, {6, 20, 23, 11}}
	// pull returns the offset towards the stroke from (y, x), and a mask.
	pull := func(y, x float64) (dy, dx, m float64) {
		best, by, bx := math.Inf(1), y, x
		for _, sg := range segs {
			sy, sx := sg[2]-sg[0], sg[3]-sg[1]
			t := math.Min(math.Max(((y-sg[0])*sy+(x-sg[1])*sx)/(sy*sy+sx*sx), 0), 1)
			if d := math.Hypot(y-sg[0]-t*sy, x-sg[1]-t*sx); d < best {
				best, by, bx = d, sg[0]+t*sy, sg[1]+t*sx
			}
		}
		m = 2 / (1 + math.Exp(best/2-1.5+0.5*r.NormFloat64()))
		return 0.5*(by-y) + 0.6*r.NormFloat64(), 0.5*(bx-x) + 0.6*r.NormFloat64(), m
	}
	var lvl1 []trace.Point
	for k := range 9 {
		y, x := sevenUnit.Y+float64(k/3-1)*4, sevenUnit.X+float64(k%3-1)*4
		dy, dx, m := pull(y, x)
		lvl1 = append(lvl1, trace.Point{Y: y + dy, X: x + dx, Weight: m})
	}
	var out []trace.Point
	for i, p := range lvl1 {
		for k := range 9 {
			y, x := p.Y+float64(k/3-1)*2, p.X+float64(k%3-1)*2
			dy, dx, m := pull(y, x)
			if i == 1 && k == 1 {
				dy, dx = -12, 0
			}
			out = append(out, trace.Point{Y: y + dy, X: x + dx, Weight: p.Weight * m})
		}
	}
	return out
}

// pictureCases are the raster pictures with golden images in testdata.
func pictureCases() []struct {
	name string
	img  func() (*image.NRGBA, error)
} {
	return []struct {
		name string
		img  func() (*image.NRGBA, error)
	}{
		{"overlay_9_points", func() (*image.NRGBA, error) {
			return Overlay(OverlaySpec{Image: digitSeven(), Unit: sevenUnit, Points: sevenNine(),
				Caption: "dcnn conv5 · unit (13, 16) · epoch 7"})
		}},
		{"overlay_81_points_size", func() (*image.NRGBA, error) {
			return Overlay(OverlaySpec{Image: digitSeven(), Unit: sevenUnit, Points: sevenDeformed(), WeightBy: "size",
				Caption: "dcnn conv4-conv5 · 81 points, size by mask product"})
		}},
		{"overlay_side_by_side", func() (*image.NRGBA, error) {
			grid, err := Overlay(OverlaySpec{Image: digitSeven(), Unit: sevenUnit, Points: sevenGrid(),
				Caption: "cnn · regular grid"})
			if err != nil {
				return nil, err
			}
			deformed, err := Overlay(OverlaySpec{Image: digitSeven(), Unit: sevenUnit, Points: sevenDeformed(),
				Caption: "dcnn · deformed sampling"})
			if err != nil {
				return nil, err
			}
			return SideBySide("unit (13, 16) of conv5: plain vs deformable", grid, deformed)
		}},
		{"heatmap_offsets", func() (*image.NRGBA, error) {
			mag, err := OffsetMagnitude(sevenField(true), -1)
			if err != nil {
				return nil, err
			}
			return Heatmap(HeatmapSpec{Image: digitSeven(), Field: mag, H: 7, W: 7, VMin: 0, VMax: 4,
				Caption: "dcnn conv2 · mean |Δp| of 9 taps · epoch 7", Label: "|Δp| (px)"})
		}},
		{"heatmap_mask_dcnv1", func() (*image.NRGBA, error) {
			m, err := MaskField(sevenField(false), -1)
			if err != nil {
				return nil, err
			}
			return Heatmap(HeatmapSpec{Image: digitSeven(), Field: m, H: 7, W: 7, VMin: 0, VMax: 2,
				Colormap: "coolwarm", Caption: "DCNv1 (no modulation): mask of ones", Label: "mask"})
		}},
	}
}

// TestPictureGolden renders each raster picture to testdata/<name>.png and
// compares it with testdata/<name>_golden.png; -update regenerates the
// golden images.
func TestPictureGolden(t *testing.T) {
	for _, tc := range pictureCases() {
		t.Run(tc.name, func(t *testing.T) {
			img, err := tc.img()
			if err != nil {
				t.Fatal(err)
			}
			got := filepath.Join("testdata", tc.name+".png")
			if err := SavePNG(got, img); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tc.name+"_golden.png")
			if *update {
				b, err := os.ReadFile(got)
				if err != nil {
					t.Fatal(err)
				}
				if err := atomicfile.WriteFile(golden, b, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err := compareImages(got, golden); err != nil {
				t.Errorf("%v (run go test ./viz/ -run TestPictureGolden -update if the change is intended)", err)
			}
		})
	}
}

// uniformImage returns a w×h image of one grey level.
func uniformImage(w, h int, g uint8) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = g
	}
	return img
}

func TestOverlayLayout(t *testing.T) {
	tests := []struct {
		name                  string
		w, h, scale           int
		wantScale, wantMargin int
		wantW, wantH          int
	}{
		{"MNIST 28×28 picks 16", 28, 28, 0, 16, 112, 672, 672},
		{"COCO 224×224 picks 2", 224, 224, 0, 2, 112, 672, 672},
		{"large image stays at 1", 500, 300, 0, 1, 125, 750, 550},
		{"longer side decides", 20, 30, 0, 15, 120, 540, 690},
		{"given scale", 28, 20, 3, 3, 21, 126, 102},
		{"odd sizes round the margin up", 9, 9, 2, 2, 6, 30, 30},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := newOverlayLayout(tc.w, tc.h, tc.scale)
			if err != nil {
				t.Fatal(err)
			}
			if l.scale != tc.wantScale || l.margin != tc.wantMargin || l.frameW != tc.wantW || l.frameH != tc.wantH {
				t.Errorf("layout = scale %d, margin %d, %d×%d; want scale %d, margin %d, %d×%d",
					l.scale, l.margin, l.frameW, l.frameH, tc.wantScale, tc.wantMargin, tc.wantW, tc.wantH)
			}
			img, err := Overlay(OverlaySpec{Image: uniformImage(tc.w, tc.h, 0), Scale: tc.scale})
			if err != nil {
				t.Fatal(err)
			}
			if got := img.Bounds(); got != image.Rect(0, 0, tc.wantW, tc.wantH) {
				t.Errorf("Overlay without caption is %v, want %d×%d", got, tc.wantW, tc.wantH)
			}
		})
	}
}

// TestOverlayPointGeometry draws one point at a time and checks that it
// colours the canvas pixel at ((y+0.5)·s + m, (x+0.5)·s + m), margin
// included, and that the disc is centred there to the half pixel.
func TestOverlayPointGeometry(t *testing.T) {
	const s, m = 16, 112 // 28×28 at Scale 0
	tests := []struct {
		name         string
		y, x         float64
		wantY, wantX int // canvas pixel holding the position
		inMargin     bool
	}{
		{"top-left pixel", 0, 0, m + 8, m + 8, false},
		{"bottom-right pixel", 27, 27, m + 27*16 + 8, m + 27*16 + 8, false},
		{"interior pixel", 5, 20, m + 5*16 + 8, m + 20*16 + 8, false},
		{"fractional position", 3.25, 10.75, m + 3*16 + 12, m + 10*16 + 20, false},
		{"one pixel above and left of the image", -1, -1, m - 8, m - 8, true},
		{"far corner of the margin", -6.5, 33, m - 6*16, m + 33*16 + 8, true},
	}
	grey := color.NRGBA{0x80, 0x80, 0x80, 0xff}
	red := color.NRGBA{0xd6, 0x27, 0x28, 0xff}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, _ := newOverlayLayout(28, 28, 0)
			if cy, cx := l.toCanvas(tc.y, tc.x); int(math.Floor(cy)) != tc.wantY || int(math.Floor(cx)) != tc.wantX {
				t.Fatalf("toCanvas(%v, %v) = (%v, %v), want in pixel (%d, %d)", tc.y, tc.x, cy, cx, tc.wantY, tc.wantX)
			}
			// The unit is drawn off the canvas so that only the point shows.
			img, err := Overlay(OverlaySpec{Image: uniformImage(28, 28, 0x80), Unit: trace.Point{Y: 1000, X: 1000},
				Points: []trace.Point{{Y: tc.y, X: tc.x, Weight: 1}}})
			if err != nil {
				t.Fatal(err)
			}
			if got := img.NRGBAAt(tc.wantX, tc.wantY); got != red {
				t.Errorf("canvas pixel (%d, %d) is %v, want the point colour %v", tc.wantY, tc.wantX, got, red)
			}
			r := baseRadius(s, 1)
			away := int(r) + 3
			bg := grey
			if tc.inMargin {
				bg = marginColor
			}
			if got := img.NRGBAAt(tc.wantX-away, tc.wantY); got != bg {
				t.Errorf("canvas pixel %d px left of the point is %v, want the background %v", away, got, bg)
			}
			if tc.y != math.Trunc(tc.y) || tc.x != math.Trunc(tc.x) {
				return
			}
			// A point on a pixel centre lies on the corner of four canvas
			// pixels (s is even): the disc must be mirror-symmetric about it.
			cy, cx := l.toCanvas(tc.y, tc.x)
			py, px := int(cy), int(cx)
			for k := range int(r) + 2 {
				if a, b := img.NRGBAAt(px+k, py), img.NRGBAAt(px-1-k, py); a != b {
					t.Errorf("row through the point: pixel +%d is %v, pixel -%d is %v", k, a, k+1, b)
				}
				if a, b := img.NRGBAAt(px, py+k), img.NRGBAAt(px, py-1-k); a != b {
					t.Errorf("column through the point: pixel +%d is %v, pixel -%d is %v", k, a, k+1, b)
				}
			}
		})
	}
}

// TestOverlayPoint checks that OverlayPoint inverts the overlay's
// geometry: the canvas pixel that Overlay colours for a point maps back to
// within half a canvas pixel of it, and positions off the frame are
// refused.
func TestOverlayPoint(t *testing.T) {
	tests := []struct {
		name         string
		w, h, scale  int
		cx, cy       float64
		wantY, wantX float64
		ok           bool
	}{
		// 28×28 at Scale 0: s = 16, margin 112 (TestOverlayLayout).
		{"centre of the top-left pixel", 28, 28, 0, 112 + 8, 112 + 8, 0, 0, true},
		{"top-left corner of the image", 28, 28, 0, 112, 112, -0.5, -0.5, true},
		{"bottom-right pixel", 28, 28, 0, 112 + 27*16 + 8, 112 + 27*16 + 8, 27, 27, true},
		{"in the margin", 28, 28, 0, 8, 8, -7, -7, true},
		{"given scale, oblong", 28, 20, 3, 21 + 3*10 + 1.5, 21 + 3*4 + 1.5, 4, 10, true},
		{"left of the frame", 28, 28, 0, -1, 300, 0, 0, false},
		{"below the frame (caption band)", 28, 28, 0, 300, 672, 0, 0, false},
		{"negative scale", 28, 28, -1, 10, 10, 0, 0, false},
		{"empty image", 0, 28, 0, 10, 10, 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			y, x, ok := OverlayPoint(tc.w, tc.h, tc.scale, tc.cx, tc.cy)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if ok && (math.Abs(y-tc.wantY) > 1e-9 || math.Abs(x-tc.wantX) > 1e-9) {
				t.Errorf("OverlayPoint = (%v, %v), want (%v, %v)", y, x, tc.wantY, tc.wantX)
			}
		})
	}
	// Round trip through toCanvas at fractional positions.
	l, _ := newOverlayLayout(28, 20, 5)
	for _, p := range [][2]float64{{0, 0}, {3.25, 10.75}, {-2, 30}, {19.5, -3.5}} {
		cy, cx := l.toCanvas(p[0], p[1])
		y, x, ok := OverlayPoint(28, 20, 5, cx, cy)
		if !ok || math.Abs(y-p[0]) > 1e-9 || math.Abs(x-p[1]) > 1e-9 {
			t.Errorf("round trip of %v: (%v, %v, %v)", p, y, x, ok)
		}
	}
}

// TestOverlayUnitRing checks that the unit is a ring in its colour centred
// on its position, with a hole in which a point at the same place shows.
func TestOverlayUnitRing(t *testing.T) {
	green := color.NRGBA{0x2c, 0xa0, 0x2c, 0xff}
	red := color.NRGBA{0xd6, 0x27, 0x28, 0xff}
	unit := trace.Point{Y: 14, X: 9, Weight: 1}
	img, err := Overlay(OverlaySpec{Image: uniformImage(28, 28, 0), Unit: unit, Points: []trace.Point{unit}})
	if err != nil {
		t.Fatal(err)
	}
	l, _ := newOverlayLayout(28, 28, 0)
	cy, cx := l.toCanvas(unit.Y, unit.X)
	in, out := unitRing(baseRadius(l.scale, 1))
	mid := (in + out) / 2
	for _, d := range [][2]float64{{0, mid}, {0, -mid}, {mid, 0}, {-mid, 0}} {
		y, x := int(cy+d[0]), int(cx+d[1])
		if got := img.NRGBAAt(x, y); got != green {
			t.Errorf("ring pixel (%d, %d) is %v, want %v", y, x, got, green)
		}
	}
	if got := img.NRGBAAt(int(cx), int(cy)); got != red {
		t.Errorf("centre pixel is %v, want the point's %v inside the ring", got, red)
	}
}

func TestOverlayColors(t *testing.T) {
	blue := color.NRGBA{0, 0, 0xff, 0xff}
	yellow := color.NRGBA{0xff, 0xff, 0, 0xff}
	unit := trace.Point{Y: 5, X: 5, Weight: 1}
	img, err := Overlay(OverlaySpec{Image: uniformImage(28, 28, 0), Unit: unit,
		Points: []trace.Point{{Y: 20, X: 20, Weight: 1}}, UnitColor: yellow, PointColor: blue})
	if err != nil {
		t.Fatal(err)
	}
	l, _ := newOverlayLayout(28, 28, 0)
	cy, cx := l.toCanvas(20, 20)
	if got := img.NRGBAAt(int(cx), int(cy)); got != blue {
		t.Errorf("point is %v, want %v", got, blue)
	}
	cy, cx = l.toCanvas(unit.Y, unit.X)
	in, out := unitRing(baseRadius(l.scale, 1))
	mid := (in + out) / 2
	if got := img.NRGBAAt(int(cx+mid), int(cy)); got != yellow {
		t.Errorf("unit ring is %v, want %v", got, yellow)
	}
}

// countColor counts the pixels of img within tol of c in every channel.
func countColor(img *image.NRGBA, r image.Rectangle, c color.NRGBA, tol int) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if pixelDiff(img.NRGBAAt(x, y), c) <= tol {
				n++
			}
		}
	}
	return n
}

func TestOverlayWeightBy(t *testing.T) {
	red := color.NRGBA{0xd6, 0x27, 0x28, 0xff}
	pts := []trace.Point{{Y: 6, X: 6, Weight: 2}, {Y: 20, X: 20, Weight: 0.5}}
	l, _ := newOverlayLayout(28, 28, 0)
	around := func(p trace.Point) image.Rectangle {
		cy, cx := l.toCanvas(p.Y, p.X)
		return image.Rect(int(cx)-40, int(cy)-40, int(cx)+40, int(cy)+40)
	}
	tests := []struct {
		name     string
		weightBy string
		check    func(t *testing.T, img *image.NRGBA)
	}{
		{"uniform", "", func(t *testing.T, img *image.NRGBA) {
			a, b := countColor(img, around(pts[0]), red, 0), countColor(img, around(pts[1]), red, 0)
			if a != b || a == 0 {
				t.Errorf("uniform points cover %d and %d pixels, want equal and non-zero", a, b)
			}
		}},
		{"size: area follows the weight", "size", func(t *testing.T, img *image.NRGBA) {
			a, b := countColor(img, around(pts[0]), red, 0), countColor(img, around(pts[1]), red, 0)
			// Weights 2 and 0.5: area ratio 4, up to the anti-aliased rims.
			if ratio := float64(a) / float64(b); ratio < 3 || ratio > 6 {
				t.Errorf("points of weight 2 and 0.5 cover %d and %d pixels (ratio %.2f), want about 4", a, b, ratio)
			}
		}},
		{"alpha: opacity follows the weight", "alpha", func(t *testing.T, img *image.NRGBA) {
			cy, cx := l.toCanvas(pts[1].Y, pts[1].X)
			got := img.NRGBAAt(int(cx), int(cy))
			want := color.NRGBA{54, 10, 10, 0xff} // a quarter of #d62728, rounded
			if pixelDiff(got, want) > 1 {
				t.Errorf("point of weight 0.5 of 2 is %v, want a quarter of red over black %v", got, want)
			}
			cy, cx = l.toCanvas(pts[0].Y, pts[0].X)
			if got := img.NRGBAAt(int(cx), int(cy)); got != red {
				t.Errorf("heaviest point is %v, want opaque %v", got, red)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Overlay(OverlaySpec{Image: uniformImage(28, 28, 0), Unit: trace.Point{Y: -100, X: -100},
				Points: pts, WeightBy: tc.weightBy})
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, img)
		})
	}
}

func TestPlacePointsCounts(t *testing.T) {
	l, _ := newOverlayLayout(28, 28, 0)
	tests := []struct {
		name              string
		pts               []trace.Point
		drawn, beyond, nf int
		note              string
	}{
		{"all inside", []trace.Point{{Y: 1, X: 1, Weight: 1}, {Y: -3, X: 30, Weight: 1}}, 2, 0, 0, ""},
		{"one beyond the margin", []trace.Point{{Y: 1, X: 1, Weight: 1}, {Y: -40, X: 3, Weight: 1}}, 1, 1, 0,
			"1 of 2 points lie beyond the frame"},
		{"NaN and Inf", []trace.Point{{Y: nan, X: 1}, {Y: 2, X: math.Inf(1)}, {Y: 2, X: 2}}, 1, 0, 2,
			"2 of 3 points are not finite"},
		{"both", []trace.Point{{Y: nan, X: 1}, {Y: 200, X: 2}, {Y: 2, X: 2}}, 1, 1, 1,
			"1 of 3 points lie beyond the frame, 1 are not finite"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			marks, beyond, nf := placePoints(l, tc.pts, "")
			if len(marks) != tc.drawn || beyond != tc.beyond || nf != tc.nf {
				t.Errorf("placePoints = %d drawn, %d beyond, %d not finite; want %d, %d, %d",
					len(marks), beyond, nf, tc.drawn, tc.beyond, tc.nf)
			}
			if got := pointsNote(len(tc.pts), beyond, nf); got != tc.note {
				t.Errorf("note = %q, want %q", got, tc.note)
			}
		})
	}
}

// TestPlacePointsWeights checks the weight normalisation: by the maximum,
// with negative and non-finite weights as 0, heavier points drawn last.
func TestPlacePointsWeights(t *testing.T) {
	l, _ := newOverlayLayout(28, 28, 0)
	pts := []trace.Point{{Y: 1, X: 1, Weight: 4}, {Y: 2, X: 2, Weight: 1}, {Y: 3, X: 3, Weight: -1}, {Y: 4, X: 4, Weight: nan}}
	marks, _, _ := placePoints(l, pts, "alpha")
	var ws, alphas []float64
	for _, m := range marks {
		ws, alphas = append(ws, m.w), append(alphas, m.alpha)
	}
	if want := []float64{0, 0, 0.25, 1}; !slices.Equal(ws, want) {
		t.Errorf("normalised weights in drawing order = %v, want %v", ws, want)
	}
	if want := []float64{0.1, 0.1, 0.25, 1}; !slices.Equal(alphas, want) {
		t.Errorf("opacities = %v, want %v", alphas, want)
	}
	marks, _, _ = placePoints(l, []trace.Point{{Y: 1, X: 1, Weight: 0}}, "size")
	if marks[0].r != minPointRadius {
		t.Errorf("zero-weight point has radius %v, want the %v px floor", marks[0].r, minPointRadius)
	}
}

// TestOverlayCaption checks that a caption adds a band with text and that a
// long one still fits.
func TestOverlayCaption(t *testing.T) {
	tests := []struct {
		name    string
		caption string
		pts     []trace.Point
		band    bool
	}{
		{"none", "", nil, false},
		{"caption", "dcnn conv5 · unit (3, 4) · epoch 7", nil, true},
		{"note only", "", []trace.Point{{Y: 500, X: 500, Weight: 1}}, true},
		{"very long caption", strings.Repeat("dcnn conv5 · unit (3, 4) · epoch 7 · ", 10), nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Overlay(OverlaySpec{Image: uniformImage(28, 28, 0xff), Caption: tc.caption, Points: tc.pts})
			if err != nil {
				t.Fatal(err)
			}
			band := img.Bounds().Dy() - 672
			if (band > 0) != tc.band {
				t.Fatalf("caption band is %d px, want one: %v", band, tc.band)
			}
			if !tc.band {
				return
			}
			dark := 0
			for y := 672; y < img.Bounds().Dy(); y++ {
				for x := range img.Bounds().Dx() {
					if c := img.NRGBAAt(x, y); c.R < 0x90 {
						dark++
					}
				}
			}
			if dark < 50 {
				t.Errorf("only %d dark pixels in the caption band: no text drawn", dark)
			}
		})
	}
}

func TestOverlayErrors(t *testing.T) {
	tests := []struct {
		name string
		spec OverlaySpec
		want string
	}{
		{"nil image", OverlaySpec{}, "nil image"},
		{"zero width", OverlaySpec{Image: image.NewGray(image.Rect(0, 0, 0, 28))}, "0×28"},
		{"zero height", OverlaySpec{Image: image.NewGray(image.Rect(0, 0, 28, 0))}, "28×0"},
		{"negative scale", OverlaySpec{Image: uniformImage(28, 28, 0), Scale: -2}, "negative"},
		{"too large", OverlaySpec{Image: uniformImage(28, 28, 0), Scale: 1000}, "exceeds"},
		{"unknown WeightBy", OverlaySpec{Image: uniformImage(28, 28, 0), WeightBy: "area"}, `"area"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Overlay(tc.spec)
			if err == nil || !strings.HasPrefix(err.Error(), "viz: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Overlay error = %v, want one with %q", err, tc.want)
			}
		})
	}
}

// TestOverlayImageOffsetAndColour checks that an image whose bounds do not
// start at (0, 0) is drawn from its first pixel, and colour images keep
// their colours.
func TestOverlayImageOffsetAndColour(t *testing.T) {
	src := image.NewNRGBA(image.Rect(10, 20, 14, 24))
	for y := 20; y < 24; y++ {
		for x := 10; x < 14; x++ {
			src.SetNRGBA(x, y, color.NRGBA{0x10, 0x20, 0x30, 0xff})
		}
	}
	src.SetNRGBA(10, 20, color.NRGBA{0xff, 0, 0, 0xff})
	src.SetNRGBA(13, 23, color.NRGBA{0, 0, 0xff, 0x80}) // half transparent: over white
	img, err := Overlay(OverlaySpec{Image: src, Scale: 4, Unit: trace.Point{Y: -50, X: -50}})
	if err != nil {
		t.Fatal(err)
	}
	m := 4 // scale 4 × a quarter of 4 pixels
	for _, tc := range []struct {
		y, x int
		want color.NRGBA
	}{
		{m, m, color.NRGBA{0xff, 0, 0, 0xff}},
		{m + 4, m + 4, color.NRGBA{0x10, 0x20, 0x30, 0xff}},
		{m + 15, m + 15, color.NRGBA{0x7f, 0x7f, 0xff, 0xff}},
		{0, 0, marginColor},
	} {
		if got := img.NRGBAAt(tc.x, tc.y); pixelDiff(got, tc.want) > 1 {
			t.Errorf("canvas pixel (%d, %d) is %v, want %v", tc.y, tc.x, got, tc.want)
		}
	}
}

func TestSideBySide(t *testing.T) {
	panel := func(w, h int, c color.NRGBA) *image.NRGBA {
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		fillRect(img, img.Bounds(), c)
		return img
	}
	a := panel(100, 80, color.NRGBA{0xff, 0, 0, 0xff})
	b := panel(60, 120, color.NRGBA{0, 0, 0xff, 0xff})
	tests := []struct {
		name  string
		title string
		top   int // where the panels start
	}{
		{"no title", "", outerPad},
		{"title", "CNN grid vs DCNN", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := SideBySide(tc.title, a, b)
			if err != nil {
				t.Fatal(err)
			}
			top := tc.top
			if top < 0 {
				top = img.Bounds().Dy() - 120 - outerPad
				if top <= outerPad {
					t.Fatalf("no room for the title: panels start at %d", top)
				}
			}
			wantW := 2*outerPad + 100 + panelGap + 60
			if got := img.Bounds(); got.Dx() != wantW || got.Dy() != top+120+outerPad {
				t.Errorf("size %v, want %d×%d", got, wantW, top+120+outerPad)
			}
			checks := []struct {
				y, x int
				want color.NRGBA
			}{
				{top, outerPad, a.NRGBAAt(0, 0)},                        // a's top-left
				{top + 79, outerPad + 99, a.NRGBAAt(0, 0)},              // a's bottom-right
				{top + 80, outerPad, white},                             // under a: padding
				{top, outerPad + 100, white},                            // the gap
				{top, outerPad + 100 + panelGap, b.NRGBAAt(0, 0)},       // b's top-left, level
				{top + 119, outerPad + 100 + panelGap, b.NRGBAAt(0, 0)}, // b's bottom
			}
			for _, c := range checks {
				if got := img.NRGBAAt(c.x, c.y); got != c.want {
					t.Errorf("pixel (%d, %d) is %v, want %v", c.y, c.x, got, c.want)
				}
			}
		})
	}
}

func TestSideBySideErrors(t *testing.T) {
	ok := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	tests := []struct {
		name   string
		panels []*image.NRGBA
		want   string
	}{
		{"no panels", nil, "no panels"},
		{"nil panel", []*image.NRGBA{ok, nil}, "panel 1 is nil"},
		{"empty panel", []*image.NRGBA{image.NewNRGBA(image.Rect(0, 0, 0, 3))}, "panel 0 is 0×3"},
		{"too wide", []*image.NRGBA{image.NewNRGBA(image.Rect(0, 0, 9000, 1)), image.NewNRGBA(image.Rect(0, 0, 9000, 1))}, "exceeds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SideBySide("t", tc.panels...)
			if err == nil || !strings.HasPrefix(err.Error(), "viz: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("SideBySide error = %v, want one with %q", err, tc.want)
			}
		})
	}
}

// TestOverlayConcurrent renders the same overlay from several goroutines
// (run with -race to check that no font face is shared).
func TestOverlayConcurrent(t *testing.T) {
	spec := OverlaySpec{Image: digitSeven(), Unit: sevenUnit, Points: sevenDeformed(), WeightBy: "alpha", Caption: "concurrent"}
	first, err := Overlay(spec)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	imgs := make([]*image.NRGBA, 4)
	for i := range imgs {
		wg.Go(func() {
			img, err := Overlay(spec)
			if err != nil {
				t.Error(err)
				return
			}
			imgs[i] = img
		})
	}
	wg.Wait()
	for i, img := range imgs {
		if img != nil && !bytes.Equal(img.Pix, first.Pix) {
			t.Errorf("render %d differs from the first", i)
		}
	}
}

func TestSavePNG(t *testing.T) {
	img, err := Overlay(OverlaySpec{Image: digitSeven(), Unit: sevenUnit, Points: sevenNine()})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "overlay.png")
	if err := SavePNG(path, img); err != nil {
		t.Fatal(err)
	}
	got, err := decodePNG(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Bounds() != img.Bounds() {
		t.Fatalf("saved %v, want %v", got.Bounds(), img.Bounds())
	}
	for _, p := range []image.Point{{0, 0}, {300, 300}, {img.Bounds().Dx() - 1, img.Bounds().Dy() - 1}} {
		if pixelDiff(got.At(p.X, p.Y), img.At(p.X, p.Y)) != 0 {
			t.Errorf("pixel %v is %v in the file, %v in the image", p, got.At(p.X, p.Y), img.At(p.X, p.Y))
		}
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"overlay.png"}) {
		t.Errorf("folder holds %q", names)
	}
}

func TestSavePNGErrorsLeaveNothing(t *testing.T) {
	ok := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	tests := []struct {
		name  string
		img   image.Image
		setup func(t *testing.T, dir string) string
		want  string
	}{
		{"nil image", nil, func(_ *testing.T, dir string) string { return filepath.Join(dir, "a.png") }, "nil image"},
		// PNG cannot hold an empty image: the encoder fails mid-write.
		{"empty image", image.NewNRGBA(image.Rect(0, 0, 0, 0)), func(_ *testing.T, dir string) string { return filepath.Join(dir, "a.png") }, "viz: save"},
		{"missing folder", ok, func(_ *testing.T, dir string) string { return filepath.Join(dir, "no", "a.png") }, "viz: save"},
		// The rename over a folder fails after the temporary file is
		// written, so this checks its clean-up.
		{"destination is a folder", ok, func(t *testing.T, dir string) string {
			path := filepath.Join(dir, "a.png")
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
			return path
		}, "viz: save"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tc.setup(t, dir)
			before := dirNames(t, dir)
			err := SavePNG(path, tc.img)
			if err == nil || !strings.HasPrefix(err.Error(), "viz: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("SavePNG error = %v, want one with %q", err, tc.want)
			}
			if after := dirNames(t, dir); !slices.Equal(before, after) {
				t.Errorf("folder held %q before and %q after", before, after)
			}
		})
	}
}

// sevenDeep returns 729 points: the 81 deformed points expanded once more
// at dilation 1, as three stacked deformable layers give.
func sevenDeep() []trace.Point {
	return expand(sevenDeformed(), 1, func(p, k int) (float64, float64) {
		return 0.3 * math.Sin(float64(p+k)), 0.3 * math.Cos(float64(p*k))
	}, func(p, k int) float64 { return 0.5 + 0.5*math.Abs(math.Sin(float64(p*9+k))) })
}

// BenchmarkOverlay729 draws the largest overlay the app shows (three
// deformable layers) over a 28×28 digit, weighted by size, with a caption.
func BenchmarkOverlay729(b *testing.B) {
	spec := OverlaySpec{Image: digitSeven(), Unit: sevenUnit, Points: sevenDeep(), WeightBy: "size",
		Caption: "dcnn conv3-conv5 · unit (13, 16) · epoch 7"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Overlay(spec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHeatmap7x7 blends a 7×7 field over a 28×28 digit with a colour
// bar and caption.
func BenchmarkHeatmap7x7(b *testing.B) {
	mag, err := OffsetMagnitude(sevenField(true), -1)
	if err != nil {
		b.Fatal(err)
	}
	spec := HeatmapSpec{Image: digitSeven(), Field: mag, H: 7, W: 7, VMin: 0, VMax: 4, Caption: "bench", Label: "|Δp| (px)"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Heatmap(spec); err != nil {
			b.Fatal(err)
		}
	}
}
