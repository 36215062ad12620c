package viz

import (
	"fmt"
	"image"
	"strings"
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
