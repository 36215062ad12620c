package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/deformscope/deformscope/model/torchfile"
	"github.com/deformscope/deformscope/model/trace"
	"github.com/deformscope/deformscope/viz"
)

// captureFlags select a capture file instead of a run in dcn offsets and
// dcn heatmap.
type captureFlags struct{ path string }

func (c *captureFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.path, "capture", "", "a capture file written by deformscope_capture.py (instead of --run)")
}

// capturePoints is dcn offsets --capture --json's output.
type capturePoints struct {
	Layer   string       `json:"layer"`
	Unit    [2]int       `json:"unit"`
	Depth   int          `json:"depth"`
	Space   string       `json:"space"`
	Centre  [2]float64   `json:"centre"`
	Points  [][2]float64 `json:"points"`
	Weights []float64    `json:"weights"`
}

// openCapture reads the capture and picks the layer (default: the last
// recorded).
func openCapture(cf *captureFlags, f *inspectFlags) (*torchfile.Capture, int, error) {
	if f.run != "" || f.image != "" || f.index >= 0 {
		return nil, 0, fmt.Errorf("--capture holds its own image: give no --run, --image or --index")
	}
	c, err := torchfile.ReadCapture(cf.path)
	if err != nil {
		return nil, 0, err
	}
	if f.layer == "" {
		return c, len(c.Layers) - 1, nil
	}
	at, err := c.Layer(f.layer)
	return c, at, err
}

func captureOffsets(cf *captureFlags, f *inspectFlags, unit string, depth int, space torchfile.Space, round bool, weight string, asJSON bool, stdout io.Writer) error {
	c, at, err := openCapture(cf, f)
	if err != nil {
		return err
	}
	l := c.Layers[at]
	uy, ux := l.Out[1]/2, l.Out[2]/2
	if unit != "" {
		if uy, ux, err = parseUnit(unit); err != nil {
			return err
		}
	}
	if depth == 0 {
		depth = 1
	}
	if !asJSON && f.out == "" {
		return fmt.Errorf("give --json, --out FILE.png or both")
	}
	opt := trace.Options{Round: round}
	if asJSON {
		r, err := c.Trace(l.Name, uy, ux, depth, space, opt)
		if err != nil {
			return err
		}
		out := capturePoints{Layer: l.Name, Unit: [2]int{uy, ux}, Depth: depth, Space: string(space), Centre: [2]float64{r.Unit.Y, r.Unit.X}}
		for _, p := range r.Points {
			out.Points = append(out.Points, [2]float64{p.Y, p.X})
			out.Weights = append(out.Weights, p.Weight)
		}
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(out); err != nil {
			return err
		}
	}
	if f.out == "" {
		return nil
	}
	// A picture shows the points where they fall on the image.
	r, err := c.Trace(l.Name, uy, ux, depth, torchfile.SpaceImage, opt)
	if err != nil {
		return err
	}
	if weight == "none" {
		weight = ""
	}
	sc := captureScene(cf, c, at, viz.ShowPoints)
	sc.Points, sc.WeightBy, sc.Depth = r, weight, depth
	img, err := sc.Figure(f.scale)
	if err != nil {
		return err
	}
	if err := viz.SavePNG(f.out, img); err != nil {
		return err
	}
	if !asJSON {
		fmt.Fprintf(stdout, "wrote %s: %s, unit (%d, %d), depth %d, %d sampling points\n", f.out, l.Name, uy, ux, depth, len(r.Points))
	}
	return nil
}

func captureHeatmap(cf *captureFlags, f *inspectFlags, tap int, stdout io.Writer) error {
	c, at, err := openCapture(cf, f)
	if err != nil {
		return err
	}
	if f.out == "" {
		return fmt.Errorf("--out is required")
	}
	sc := captureScene(cf, c, at, viz.ShowHeat)
	sc.Tap = tap
	img, err := sc.Figure(f.scale)
	if err != nil {
		return err
	}
	if err := viz.SavePNG(f.out, img); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s\n", f.out, c.Layers[at].Name)
	return nil
}

// captureScene is layer at of a capture as an offset scene, as the app's
// Offsets view draws it: a capture has no epochs and no clamp bound, so
// the |Δp| scale runs to the layer's largest offset.
func captureScene(cf *captureFlags, c *torchfile.Capture, at int, show string) *viz.OffsetScene {
	base := filepath.Base(cf.path)
	return &viz.OffsetScene{Show: show, Picture: c.Picture, Label: "capture " + base, Model: base, Layer: c.Layers[at].Name,
		Field: c.Layers[at].Field, Tap: -1, Range: viz.HeatRange{Mode: viz.RangeMax}}
}
