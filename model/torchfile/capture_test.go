package torchfile

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/trace"
)

// captureCases are the reference traces make_bridge.py computed for
// toy_capture.safetensors.
type captureCases struct {
	Layers []captureLayerMeta `json:"layers"`
	Cases  []struct {
		Layer  string      `json:"layer"`
		Unit   [2]int      `json:"unit"`
		Depth  int         `json:"depth"`
		Space  Space       `json:"space"`
		Points [][]float64 `json:"points"`
	} `json:"cases"`
}

func TestCaptureTrace(t *testing.T) {
	c, err := ReadCapture(filepath.Join("testdata", "toy_capture.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("testdata", "toy_capture.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref captureCases
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if len(c.Layers) != 3 || c.Layers[1].Stride != [2]int{2, 2} || c.Layers[2].Dilation != [2]int{2, 2} ||
		c.Layers[2].Field.Mask != nil || c.Layers[0].Field.Mask == nil || c.H != 24 || c.C != 3 {
		t.Fatalf("capture read as %+v", c.Layers)
	}
	if len(ref.Cases) == 0 {
		t.Fatal("no reference cases")
	}
	for _, rc := range ref.Cases {
		res, err := c.Trace(rc.Layer, rc.Unit[0], rc.Unit[1], rc.Depth, rc.Space, trace.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Points) != len(rc.Points) {
			t.Fatalf("%s %v depth %d: %d points, want %d", rc.Layer, rc.Unit, rc.Depth, len(res.Points), len(rc.Points))
		}
		worst := 0.0
		for i, p := range res.Points {
			w := rc.Points[i]
			worst = max(worst, math.Abs(p.Y-w[0]), math.Abs(p.X-w[1]), math.Abs(p.Weight-w[2]))
		}
		// float32 offsets read in float64 here and in Python alike; the
		// difference is rounding only.
		if worst > 1e-5 {
			t.Errorf("%s %v depth %d %s: points differ from the reference by %.3g", rc.Layer, rc.Unit, rc.Depth, rc.Space, worst)
		}
	}
}

func TestBadCaptures(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "toy_capture.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	// rename swaps a tensor's name in the header for another of the same
	// length, so the file stays well-formed but lacks that tensor.
	rename := func(from, to string) []byte {
		return []byte(strings.Replace(string(good), `"`+from+`"`, `"`+to+`"`, 1))
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"missing offset", rename("layer.1.offset", "layer.9.offset"), `tensor "layer.1.offset" is missing`},
		{"missing mask", rename("layer.0.mask", "layer.7.mask"), `tensor "layer.0.mask" is missing`},
		{"missing image", rename("image", "imagf"), `tensor "image" is missing`},
		{"truncated", good[:len(good)-64], "truncated"},
		{"state dict", mustRead(t, "mnist-cnn.safetensors"), "format"},
		{"pt", mustRead(t, "mnist-cnn.pt"), "not a capture file"},
		{"wrong geometry", []byte(strings.Replace(string(good), `\"stride\": [2, 2]`, `\"stride\": [1, 1]`, 1)), "not the 12×12 recorded"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseCapture(c.data, c.name+".safetensors")
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.name) {
				t.Errorf("error %q lacks the file name or %q", err, c.want)
			}
		})
	}
	c, err := ParseCapture(good, "toy")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct {
		layer         string
		uy, ux, depth int
		want          string
	}{
		{"down", 0, 0, 3, "depth is 1 to 2"},
		{"wide", 6, 0, 1, "outside"},
		{"nope", 0, 0, 1, "no layer"},
	} {
		if _, err := c.Trace(bad.layer, bad.uy, bad.ux, bad.depth, SpaceMap, trace.Options{}); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: error %v", bad, err)
		}
	}
}

func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzParseCapture(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "toy_capture.safetensors"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCapture(b, "fuzz")
		if err != nil {
			return
		}
		for _, l := range c.Layers {
			c.Trace(l.Name, l.Out[1]/2, l.Out[2]/2, 1, SpaceImage, trace.Options{})
		}
	})
}

func TestCaptureUnitAt(t *testing.T) {
	c, err := ReadCapture(filepath.Join("testdata", "toy_capture.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range c.Layers {
		for depth := 1; depth <= 2; depth++ {
			at, _ := c.Layer(l.Name)
			if depth > at+1 {
				continue
			}
			for _, u := range [][2]int{{0, 0}, {l.Out[1] / 2, l.Out[2] - 1}, {l.Out[1] - 1, 1}} {
				r, err := c.Trace(l.Name, u[0], u[1], depth, SpaceImage, trace.Options{})
				if err != nil {
					t.Fatal(err)
				}
				uy, ux, err := c.UnitAt(l.Name, depth, r.Unit.Y, r.Unit.X)
				if err != nil || uy != u[0] || ux != u[1] {
					t.Errorf("%s depth %d: unit %v's centre maps back to (%d, %d), %v", l.Name, depth, u, uy, ux, err)
				}
			}
		}
	}
}
