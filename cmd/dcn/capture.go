package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"

	"github.com/deformscope/deformscope/model/torchfile"
	"github.com/deformscope/deformscope/model/trace"
	"github.com/deformscope/deformscope/viz"
)

// captureFlags select a capture file instead of a run in dcn offsets and
// dcn heatmap, and the offset group to show.
type captureFlags struct{ path, group string }

func (c *captureFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.path, "capture", "", "a capture file written by deformscope_capture.py (instead of --run)")
	fs.StringVar(&c.group, "group", "all", `with --capture: the offset group to show, 0 to G-1, or "all" (points: every group's, or group N's at the layer and every group's below; heat maps: group N's or the mean over the groups)`)
}

// check refuses --group without --capture: a run's layers have one group.
func (c *captureFlags) check() error {
	if c.path == "" && c.group != "all" {
		return fmt.Errorf("--group %q goes with --capture (our nets' layers have one offset group)", c.group)
	}
	return nil
}

// parseGroup reads --group.
func parseGroup(s string) (int, error) {
	g, err := torchfile.ParseGroup(s)
	if err != nil {
		return 0, fmt.Errorf("--%w", err)
	}
	return g, nil
}

// capturePoints is dcn offsets --capture --json's output.
type capturePoints struct {
	Layer   string       `json:"layer"`
	Family  string       `json:"family"`
	Groups  int          `json:"groups"`
	Group   string       `json:"group"`
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
	if _, err := parseGroup(cf.group); err != nil {
		return nil, 0, err
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
	group, _ := parseGroup(cf.group)
	opt := trace.Options{Round: round, Group: group}
	if asJSON {
		r, err := c.Trace(l.Name, uy, ux, depth, space, opt)
		if err != nil {
			return err
		}
		out := capturePoints{Layer: l.Name, Family: l.Family, Groups: l.Groups, Group: cf.group, Unit: [2]int{uy, ux}, Depth: depth,
			Space: string(space), Centre: [2]float64{r.Unit.Y, r.Unit.X}}
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
	sc, err := captureScene(cf, c, at, viz.ShowPoints)
	if err != nil {
		return err
	}
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

// captureHeatmap is dcn heatmap --capture: show is heat, offset or mask
// (checked by the caller), vmax the |Δp| scale's top: "robust" (the 99th
// percentile of the layer's lengths, the default), "max" (the layer's
// largest) or a number of pixels; a capture has no clamp bound.
func captureHeatmap(cf *captureFlags, f *inspectFlags, show string, tap int, vmax, npyOut string, stdout io.Writer) error {
	c, at, err := openCapture(cf, f)
	if err != nil {
		return err
	}
	if f.out == "" {
		return fmt.Errorf("--out is required")
	}
	rng, err := captureRange(vmax)
	if err != nil {
		return err
	}
	group, _ := parseGroup(cf.group)
	l := &c.Layers[at]
	if tap >= 0 && group == trace.AllGroups && l.Groups > 1 {
		return fmt.Errorf("--tap %d with %d offset groups: choose one with --group", tap, l.Groups)
	}
	if tap >= l.Taps() {
		return fmt.Errorf("--tap %d: %s has taps 0 to %d", tap, l.Name, l.Taps()-1)
	}
	sc, err := captureScene(cf, c, at, show)
	if err != nil {
		return err
	}
	sc.Tap, sc.Range = tap, rng
	img, err := sc.Figure(f.scale)
	if err != nil {
		return err
	}
	if err := viz.SavePNG(f.out, img); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s%s, %s\n", f.out, l.Name, torchfile.GroupText(group), show)
	return writeFieldNpy(npyOut, l.Field, l.Name, stdout)
}

// captureRange reads heatmap --vmax for a capture.
func captureRange(vmax string) (viz.HeatRange, error) {
	switch vmax {
	case "robust", "":
		// No Max: the scene takes the 99th percentile of what it shows.
		return viz.HeatRange{Mode: viz.RangeRobust}, nil
	case "max":
		return viz.HeatRange{Mode: viz.RangeMax}, nil
	case "clamp":
		return viz.HeatRange{}, fmt.Errorf("--vmax clamp: a capture has no clamp bound; want robust, max or a number of pixels")
	}
	v, err := strconv.ParseFloat(vmax, 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) {
		return viz.HeatRange{}, fmt.Errorf("--vmax %q: want robust, max or a positive number of pixels", vmax)
	}
	return viz.HeatRange{Mode: viz.RangeFixed, Max: v}, nil
}

// captureScene is layer at of a capture as an offset scene, as the app's
// Offsets view draws it (viz.CaptureScene); a layer with several offset
// groups shows --group's field, or the mean over the groups.
func captureScene(cf *captureFlags, c *torchfile.Capture, at int, show string) (*viz.OffsetScene, error) {
	base := filepath.Base(cf.path)
	group, err := parseGroup(cf.group)
	if err != nil {
		return nil, err
	}
	l := &c.Layers[at]
	field, err := l.HeatField(group)
	if err != nil {
		return nil, err
	}
	layer := l.Name
	if l.Groups > 1 {
		layer += torchfile.GroupText(group)
	}
	return viz.CaptureScene(show, c.Picture, base, layer, field), nil
}
