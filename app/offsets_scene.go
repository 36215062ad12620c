package app

import (
	"fmt"
	"image"

	"github.com/deformscope/deformscope/model/inspect"
	"github.com/deformscope/deformscope/model/nn"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/torchfile"
	"github.com/deformscope/deformscope/viz"
)

// offsetScene is a traced unit or a layer's heat map on one image: the
// picture the app and dcn both draw (viz.OffsetScene) and what the view
// needs to map clicks and name files. It is immutable once built, so the
// UI goroutine and exports may read it while the worker goes on.
type offsetScene struct {
	viz.OffsetScene
	mode  string // the view's mode: modePoints, modeOffset or modeMask
	round bool
	in    [2]int // the input's H×W
	name  string // the image for a file name: "test3", "digit"
	// unit and units are the unit and the layer's output size.
	unit, units [2]int
	geom        []nn.Layer[float32] // the deformable net's layers: coordinates only, never run
	live        bool                // fields from the session's memory rather than a checkpoint
	// cap is the capture file the scene comes from (nil for a run).
	cap *torchfile.Capture
	// run and input are the run and the prepared image, for the epoch
	// replay's GIF (nil for a capture).
	run   *rundir.Run
	input *inspect.Input
	// photo is the photo the scene is drawn in (nil: the input alone).
	photo *photoInput
}

// vizShow maps the view's mode to what the scene shows.
func vizShow(mode string) string {
	switch mode {
	case modeOffset:
		return viz.ShowOffset
	case modeMask:
		return viz.ShowMask
	}
	return viz.ShowPoints
}

// caption describes the scene in one line: layer, unit, epoch, image.
func (sc *offsetScene) caption() string { return sc.Summary(sc.units) }

// fileName is the export's default name.
func (sc *offsetScene) fileName() string {
	kind := "offsets"
	switch sc.mode {
	case modeOffset:
		kind = "offset-heatmap"
	case modeMask:
		kind = "mask-heatmap"
	}
	if sc.cap != nil {
		return sc.captureFileName(kind)
	}
	s := fmt.Sprintf("%s-%s-%s-epoch%d", kind, sc.name, sc.Layer, sc.Epoch)
	if sc.Model != deformModel {
		s = fmt.Sprintf("%s-%s-%s-%s-epoch%d", kind, sc.Model, sc.name, sc.Layer, sc.Epoch)
	}
	if sc.mode == modePoints {
		s += fmt.Sprintf("-unit%d_%d", sc.unit[0], sc.unit[1])
	}
	return s + ".png"
}

// render draws the scene's panels at scale: in the points mode the plain
// CNN's grid (when the run has one) and the DCNN's points; in a heat map
// mode one heat map.
func (sc *offsetScene) render(scale int) (cnn, main *image.NRGBA, err error) {
	panels, err := sc.Panels(scale)
	if err != nil {
		return nil, nil, err
	}
	if len(panels) == 2 {
		return panels[0], panels[1], nil
	}
	return nil, panels[0], nil
}

// figure draws the scene for export, as dcn draws it: its panels side by
// side at scale under a title naming the image, with its key.
func (sc *offsetScene) figure(scale int) (*image.NRGBA, error) { return sc.Figure(scale) }

// Room the pictures take beside the image, in pixels, for choosing the
// display scale: the caption band (with a note) under an overlay, the colour
// bar and its labels beside a heat map.
const (
	overlayTextRoom = 64
	heatBarRoom     = 140
	heatTextRoom    = 56
	maxDisplayScale = 32
)

// displayScale picks the largest integer scale at which a w×h image's
// picture fits a panel of size pixels.
func displayScale(mode string, size image.Point, w, h int) int {
	var s int
	if mode == modePoints {
		q := (max(w, h) + 3) / 4 // the overlay's margin, in input pixels
		s = min(size.X/(w+2*q), (size.Y-overlayTextRoom)/(h+2*q))
	} else {
		s = min((size.X-heatBarRoom)/w, (size.Y-heatTextRoom)/h)
	}
	return min(max(s, 1), maxDisplayScale)
}

// exportScale is the export dialog's default: the scale the CLI picks
// (the longer side at least 448 px).
func exportScale(in [2]int) int {
	long := max(in[0], in[1])
	return max(1, (448+long-1)/long)
}
