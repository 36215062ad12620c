package viz

import (
	"fmt"
	"image"

	"github.com/deformscope/deformscope/model/dilation"
)

// DilationTable draws the paper's table 2 (dilation.TableOf): a header of
// the columns, a row per model and layer (deformable layers marked *), each
// cell mean ± std, and a note on the units, on white, at least width px
// wide.
func DilationTable(t *dilation.Table, width int) (*image.NRGBA, error) {
	if t == nil || len(t.Rows) == 0 {
		return nil, fmt.Errorf("viz: dilation table: no rows")
	}
	face, err := newFace(notePx)
	if err != nil {
		return nil, err
	}
	defer face.Close()
	cells := [][]string{append([]string{"model", "layer"}, t.Columns...)}
	for _, r := range t.Rows {
		layer := r.Layer
		if r.Deformable {
			layer += "*"
		}
		row := []string{r.Model, layer}
		for _, c := range r.Cells {
			if c.Units == 0 {
				row = append(row, "–")
			} else {
				row = append(row, fmt.Sprintf("%.3f ± %.3f", c.Mean, c.Std))
			}
		}
		cells = append(cells, row)
	}
	colW := make([]int, len(cells[0]))
	for _, row := range cells {
		for i, s := range row {
			colW[i] = max(colW[i], textWidth(face, s))
		}
	}
	const gap = 18
	total := 2 * textPad
	for _, w := range colW {
		total += w + gap
	}
	note := "* deformable · mean ± std over the units, px of the layer's input (a plain 3×3 conv: 1)"
	total = max(total, textWidth(face, note)+2*textPad, width)
	asc, desc := lineMetrics(face)
	rowH := asc + desc + 6
	h := rowH*(len(cells)+1) + 2*textPad
	if total > maxSidePx || h > maxSidePx {
		return nil, fmt.Errorf("viz: dilation table: %d×%d px exceeds %d px a side", total, h, maxSidePx)
	}
	img := image.NewNRGBA(image.Rect(0, 0, total, h))
	fillRect(img, img.Bounds(), white)
	y := textPad + asc
	for r, row := range cells {
		x := textPad
		for i, s := range row {
			c := textColor
			if r == 0 {
				c = noteColor
			}
			if i < 2 {
				drawText(img, face, s, x, y, c)
			} else {
				drawText(img, face, s, x+colW[i]-textWidth(face, s), y, c) // numbers right-aligned
			}
			x += colW[i] + gap
		}
		if r == 0 {
			fillRect(img, image.Rect(textPad, y+desc+2, total-textPad, y+desc+3), noteColor)
		}
		y += rowH
	}
	drawText(img, face, note, textPad, y, noteColor)
	return img, nil
}
