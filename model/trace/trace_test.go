package trace

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/nn"
)

func block(t *testing.T, name string, dil int) *nn.DeformBlock[float64] {
	t.Helper()
	b, err := nn.NewDeformBlock[float64](name, nn.DeformBlockConfig{Conv2DConfig: nn.Conv2DConfig{
		In: 1, Out: 1, Kernel: [2]int{3, 3}, Padding: [2]int{dil, dil}, Dilation: [2]int{dil, dil}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func zeroField(h, w int) *metrics.Field {
	return &metrics.Field{Offset: make([]float64, 18*h*w), Ho: h, Wo: w, Groups: 1}
}

// grid returns the multiset of sums of depth regular 3×3 grids with
// spacing dil around (y, x), sorted.
func grid(depth, dil int, y, x float64) []Point {
	pts := []Point{{Y: y, X: x, Weight: 1}}
	for range depth {
		var next []Point
		for _, p := range pts {
			for i := -1; i <= 1; i++ {
				for j := -1; j <= 1; j++ {
					next = append(next, Point{Y: p.Y + float64(i*dil), X: p.X + float64(j*dil), Weight: 1})
				}
			}
		}
		pts = next
	}
	return sortPts(pts)
}

func sortPts(p []Point) []Point {
	p = slices.Clone(p)
	slices.SortFunc(p, func(a, b Point) int {
		if a.Y != b.Y {
			return int(math.Copysign(1, a.Y-b.Y))
		}
		if a.X != b.X {
			return int(math.Copysign(1, a.X-b.X))
		}
		return 0
	})
	return p
}

func samePoints(t *testing.T, got, want []Point) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d points, want %d", len(got), len(want))
	}
	g, w := sortPts(got), sortPts(want)
	for i := range g {
		if math.Abs(g[i].Y-w[i].Y) > 1e-12 || math.Abs(g[i].X-w[i].X) > 1e-12 || math.Abs(g[i].Weight-w[i].Weight) > 1e-12 {
			t.Fatalf("point %d is %+v, want %+v", i, g[i], w[i])
		}
	}
}

func TestZeroOffsetsGiveRegularGrid(t *testing.T) {
	for depth := 1; depth <= 3; depth++ {
		for _, dil := range []int{1, 2} {
			t.Run(fmt.Sprintf("depth%d_dilation%d", depth, dil), func(t *testing.T) {
				var layers []nn.Layer[float64]
				fields := map[string]*metrics.Field{}
				for d := range depth {
					name := fmt.Sprintf("conv%d", d+1)
					layers = append(layers, block(t, name, dil), nn.NewReLU[float64]("relu"))
					fields[name] = zeroField(20, 20)
				}
				last := fmt.Sprintf("conv%d", depth)
				r, err := Trace(layers, fields, [2]int{20, 20}, last, 9, 11, Options{})
				if err != nil {
					t.Fatal(err)
				}
				if r.Unit.Y != 9 || r.Unit.X != 11 {
					t.Errorf("unit centre %+v, want (9, 11)", r.Unit)
				}
				samePoints(t, r.Points, grid(depth, dil, 9, 11))
			})
		}
	}
}

func TestHandBuiltOffsets(t *testing.T) {
	layers := []nn.Layer[float64]{block(t, "conv1", 1)}
	f := zeroField(5, 5)
	f.Mask = make([]float64, 9*25)
	for k := range 9 {
		for q := range 25 {
			f.Offset[(2*k)*25+q] = 1.5          // dy of tap k
			f.Offset[(2*k+1)*25+q] = -0.5       // dx of tap k
			f.Mask[k*25+q] = 0.1 * float64(k+1) // mask grows with the tap
		}
	}
	r, err := Trace(layers, map[string]*metrics.Field{"conv1": f}, [2]int{5, 5}, "conv1", 2, 2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var want []Point
	for i := range 3 {
		for j := range 3 {
			want = append(want, Point{Y: float64(2-1+i) + 1.5, X: float64(2-1+j) - 0.5, Weight: 0.1 * float64(i*3+j+1)})
		}
	}
	samePoints(t, r.Points, want)
}

func TestBilinearAndRoundedReads(t *testing.T) {
	// Two stacked blocks; the lower one's dy grows along x, so a tap of
	// the upper one landing between units reads an interpolated offset.
	layers := []nn.Layer[float64]{block(t, "conv1", 1), block(t, "conv2", 1)}
	low := zeroField(6, 6)
	for k := range 9 {
		for y := range 6 {
			for x := range 6 {
				low.Offset[(2*k)*36+y*6+x] = float64(x) // dy = x
			}
		}
	}
	up := zeroField(6, 6)
	for q := range 36 {
		up.Offset[(2*4+1)*36+q] = 0.25 // the centre tap of conv2 moves right by 0.25
	}
	fields := map[string]*metrics.Field{"conv1": low, "conv2": up}
	for _, round := range []bool{false, true} {
		r, err := Trace(layers, fields, [2]int{6, 6}, "conv2", 3, 2, Options{Round: round})
		if err != nil {
			t.Fatal(err)
		}
		// The centre tap of conv2 sits at (3, 2.25); conv1's centre tap
		// there has dy = 2.25 (bilinear) or 2 (rounded).
		c := r.Points[4*9+4]
		wantY := 3 + 2.25
		if round {
			wantY = 3 + 2
		}
		if math.Abs(c.Y-wantY) > 1e-12 || math.Abs(c.X-2.25) > 1e-12 {
			t.Errorf("round=%v: centre-centre point %+v, want (%v, 2.25)", round, c, wantY)
		}
	}
}

func TestThroughPooling(t *testing.T) {
	pool := nn.NewMaxPool2D[float64]("pool1", 2)
	layers := []nn.Layer[float64]{pool, block(t, "conv2", 1)}
	r, err := Trace(layers, map[string]*metrics.Field{"conv2": zeroField(4, 4)}, [2]int{8, 8}, "conv2", 1, 2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Unit (1, 2) of the 4×4 map is the window centre (2.5, 4.5) of the
	// 8×8 input; its taps at (0..2, 1..3) map to 2·t + 0.5.
	if r.Unit.Y != 2.5 || r.Unit.X != 4.5 {
		t.Errorf("unit centre %+v, want (2.5, 4.5)", r.Unit)
	}
	var want []Point
	for i := range 3 {
		for j := range 3 {
			want = append(want, Point{Y: 2*float64(i) + 0.5, X: 2*float64(1+j) + 0.5, Weight: 1})
		}
	}
	samePoints(t, r.Points, want)
}

func TestGridOptionForPlainCNN(t *testing.T) {
	c1, _ := nn.NewConv2D[float64]("conv1", nn.Conv2DConfig{In: 1, Out: 1, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, nil)
	c2, _ := nn.NewConv2D[float64]("conv2", nn.Conv2DConfig{In: 1, Out: 1, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, nil)
	layers := []nn.Layer[float64]{c1, c2}
	r, err := Trace(layers, nil, [2]int{9, 9}, "conv2", 4, 4, Options{Grid: []string{"conv1", "conv2"}})
	if err != nil {
		t.Fatal(err)
	}
	samePoints(t, r.Points, grid(2, 1, 4, 4))
	// Without Grid a plain layer only maps the centre.
	r, _ = Trace(layers, nil, [2]int{9, 9}, "conv2", 4, 4, Options{})
	samePoints(t, r.Points, []Point{{Y: 4, X: 4, Weight: 1}})
}

func TestTraceErrors(t *testing.T) {
	layers := []nn.Layer[float64]{block(t, "conv1", 1), nn.NewReLU[float64]("relu1")}
	fields := map[string]*metrics.Field{"conv1": zeroField(5, 5)}
	for _, c := range []struct {
		layer  string
		uy, ux int
		fields map[string]*metrics.Field
		want   string
	}{
		{"conv9", 0, 0, fields, `no layer "conv9"`},
		{"conv1", 5, 0, fields, "outside conv1's 5×5 output"},
		{"relu1", 0, 0, fields, "no spatial map"},
		{"conv1", 0, 0, map[string]*metrics.Field{}, "no sampling field recorded for conv1"},
		{"conv1", 0, 0, map[string]*metrics.Field{"conv1": zeroField(4, 4)}, "sampling field is 4×4"},
	} {
		_, err := Trace(layers, c.fields, [2]int{5, 5}, c.layer, c.uy, c.ux, Options{})
		if err == nil || !contains(err.Error(), c.want) {
			t.Errorf("%s (%d, %d): %v, want %q", c.layer, c.uy, c.ux, err, c.want)
		}
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && (s[:len(sub)] == sub || contains(s[1:], sub)))
}

// The traced points of a torchvision case, read back by bilinear
// interpolation of the input, reproduce torchvision's output: so the
// trace reads channel 2k as dy and 2k+1 as dx, as torchvision does.
func TestOffsetLayoutMatchesTorchvision(t *testing.T) {
	path := filepath.Join("..", "testdata", "golden", "rgb_first_layer.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Input, Weight, Bias, Offset, Mask, Output struct {
			Shape []int
			Data  []float64
		}
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	B, C, H, W := c.Input.Shape[0], c.Input.Shape[1], c.Input.Shape[2], c.Input.Shape[3]
	O := c.Weight.Shape[0]
	blk, err := nn.NewDeformBlock[float64]("conv1", nn.DeformBlockConfig{Conv2DConfig: nn.Conv2DConfig{
		In: C, Out: O, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	layers := []nn.Layer[float64]{blk}
	for bi := range B {
		f := &metrics.Field{Ho: H, Wo: W, Groups: 1,
			Offset: c.Offset.Data[bi*18*H*W : (bi+1)*18*H*W], Mask: c.Mask.Data[bi*9*H*W : (bi+1)*9*H*W]}
		for _, u := range [][2]int{{0, 0}, {7, 9}, {15, 3}} {
			r, err := Trace(layers, map[string]*metrics.Field{"conv1": f}, [2]int{H, W}, "conv1", u[0], u[1], Options{})
			if err != nil {
				t.Fatal(err)
			}
			for o := range O {
				sum := c.Bias.Data[o]
				for ch := range C {
					img := c.Input.Data[(bi*C+ch)*H*W : (bi*C+ch+1)*H*W]
					for k, p := range r.Points {
						sum += c.Weight.Data[(o*C+ch)*9+k] * p.Weight * bilinear(img, H, W, p.Y, p.X)
					}
				}
				want := c.Output.Data[((bi*O+o)*H+u[0])*W+u[1]]
				if math.Abs(sum-want) > 1e-9 {
					t.Fatalf("image %d unit %v channel %d: traced points give %.12g, torchvision %.12g", bi, u, o, sum, want)
				}
			}
		}
	}
}

func bilinear(img []float64, h, w int, y, x float64) float64 {
	if y <= -1 || y >= float64(h) || x <= -1 || x >= float64(w) {
		return 0
	}
	y0, x0 := int(math.Floor(y)), int(math.Floor(x))
	ly, lx := y-float64(y0), x-float64(x0)
	at := func(r, c int) float64 {
		if r < 0 || r >= h || c < 0 || c >= w {
			return 0
		}
		return img[r*w+c]
	}
	return (1-ly)*(1-lx)*at(y0, x0) + (1-ly)*lx*at(y0, x0+1) + ly*(1-lx)*at(y0+1, x0) + ly*lx*at(y0+1, x0+1)
}

func TestUnitAtInvertsTheUnitCentre(t *testing.T) {
	pool := nn.NewMaxPool2D[float64]("pool1", 2)
	layers := []nn.Layer[float64]{block(t, "conv1", 1), pool, block(t, "conv2", 1)}
	fields := map[string]*metrics.Field{"conv1": zeroField(8, 8), "conv2": zeroField(4, 4)}
	for uy := range 4 {
		for ux := range 4 {
			r, err := Trace(layers, fields, [2]int{8, 8}, "conv2", uy, ux, Options{})
			if err != nil {
				t.Fatal(err)
			}
			gy, gx, err := UnitAt(layers, [2]int{8, 8}, "conv2", r.Unit.Y+0.4, r.Unit.X-0.3)
			if err != nil || gy != uy || gx != ux {
				t.Errorf("UnitAt near the centre of (%d, %d) gave (%d, %d), %v", uy, ux, gy, gx, err)
			}
		}
	}
	if y, x, _ := UnitAt(layers, [2]int{8, 8}, "conv2", -50, 99); y != 0 || x != 3 {
		t.Errorf("far outside: (%d, %d), want clamped (0, 3)", y, x)
	}
}
