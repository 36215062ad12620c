package viz

import (
	"fmt"
	"image"
	"strings"

	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/nn"
	"github.com/deformscope/deformscope/model/trace"
)

// PaperFigure draws the paper's three-panel figure from point scenes (a
// small object, a large object, the background), each with its plain CNN
// grid (or none, for a run without a cnn): the deformable net's points in
// the top row, the plain CNN's regular grid for the same units underneath,
// and the key. `dcn figure` draws it for MNIST and COCO runs alike. kinds name the
// panels in the top row's title, in order. Scenes in context share their
// key's box and crop entries.
func PaperFigure(title string, kinds []string, scenes []*OffsetScene) (*image.NRGBA, error) {
	if len(scenes) == 0 || len(kinds) != len(scenes) {
		return nil, fmt.Errorf("viz: paper figure: %d scenes, %d names", len(scenes), len(kinds))
	}
	var top, bottom []*image.NRGBA
	for i, sc := range scenes {
		if sc.Show != ShowPoints || (sc.Grid == nil) != (scenes[0].Grid == nil) {
			return nil, fmt.Errorf("viz: paper figure: panel %d (%s) wants points, with the plain CNN's grid as every panel or none", i+1, kinds[i])
		}
		p, err := sc.Panels(0)
		if err != nil {
			return nil, err
		}
		top = append(top, p[len(p)-1])
		if len(p) == 2 {
			bottom = append(bottom, p[0])
		}
	}
	rowA, err := SideBySide(fmt.Sprintf("%s · deformable: %s", title, strings.Join(kinds, " · ")), top...)
	if err != nil {
		return nil, err
	}
	rows := []*image.NRGBA{rowA}
	if len(bottom) > 0 {
		rowB, err := SideBySide("Plain CNN: the same units' regular grid", bottom...)
		if err != nil {
			return nil, err
		}
		rows = append(rows, rowB)
	}
	fig, err := Column(8, rows...)
	if err != nil {
		return nil, err
	}
	// One key: every entry any panel lists, once.
	var items []KeyItem
	seen := map[string]bool{}
	for _, sc := range scenes {
		for _, it := range sc.Key() {
			if it.Mark == "" || seen[it.Text] {
				continue // the measures and notes are each panel's own
			}
			seen[it.Text] = true
			items = append(items, it)
		}
	}
	return WithKey(fig, items)
}

// DigitPanel is one panel of the paper's figure on a Scaled-MNIST digit.
type DigitPanel struct {
	// Kind names the panel: "small object (scale 0.6)".
	Kind string
	// Picture is the digit the net saw, In the net's input size (H, W), and
	// Fields the sampling fields the deformable net recorded on it.
	Picture *image.Gray
	In      [2]int
	Fields  map[string]*metrics.Field
	// Background puts the unit in a corner, far from a centred digit; else
	// the unit is the one at the digit's brightness-weighted centre.
	Background bool
}

// DigitFigure is the paper's three-panel figure on a Scaled-MNIST digit
// (arXiv 1703.06211, fig. 5), as `dcn figure` draws it for an MNIST run.
type DigitFigure struct {
	// Title opens the top row's title.
	Title string
	// Net is the deformable net's layers; CNN the plain CNN's (nil: no
	// grid underneath).
	Net, CNN []nn.Layer[float32]
	// Model names the deformable net, Layer its layer, Epoch its epoch.
	Model, Layer string
	Epoch        int
	// Grid lists the deformable layers whose grid the plain CNN's trace
	// keeps (trace.Options.Grid).
	Grid   []string
	Panels []DigitPanel
}

// Draw traces each panel's unit through the deformable net and the plain
// CNN's grid for the same unit, and draws them as PaperFigure does.
func (f DigitFigure) Draw() (*image.NRGBA, error) {
	var scenes []*OffsetScene
	var kinds []string
	for _, p := range f.Panels {
		cy, cx := brightCentre(p.Picture)
		if p.Background {
			cy, cx = 2, 2 // a corner, far from a centred digit
		}
		uy, ux, err := trace.UnitAt(f.Net, p.In, f.Layer, cy, cx)
		if err != nil {
			return nil, err
		}
		sc := &OffsetScene{Show: ShowPoints, Picture: p.Picture, Model: f.Model, Layer: f.Layer, Epoch: f.Epoch, Epochs: f.Epoch,
			WeightBy: "size", Field: p.Fields[f.Layer], GridModel: "cnn"}
		if err := sc.TracePoints(f.Net, p.Fields, p.In, uy, ux, false, f.CNN, f.Grid); err != nil {
			return nil, err
		}
		scenes = append(scenes, sc)
		kinds = append(kinds, p.Kind)
	}
	return PaperFigure(f.Title, kinds, scenes)
}

// brightCentre returns the centroid of a grey picture's pixels weighted by
// brightness: where the digit is.
func brightCentre(img *image.Gray) (y, x float64) {
	sum := 0.0
	for i, p := range img.Pix {
		v := float64(p)
		y += v * float64(i/img.Stride)
		x += v * float64(i%img.Stride)
		sum += v
	}
	if sum == 0 {
		return float64(img.Rect.Dy()-1) / 2, float64(img.Rect.Dx()-1) / 2
	}
	return y / sum, x / sum
}
