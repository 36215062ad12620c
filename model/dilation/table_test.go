package dilation

import (
	"math"
	"strings"
	"testing"
)

func TestTableOf(t *testing.T) {
	rep := &Report{Data: "coco", Layers: []Layer{{Model: "dcnn-middle", Layer: "conv4", Deformable: true, Groups: []Group{
		{On: "object", Size: "small", Mean: 1.2, Std: 0.1, Units: 10},
		{On: "object", Size: "large", Mean: 1.5, Std: 0.2, Units: 30},
		{On: "context", Size: "small", Mean: 1.0, Std: 0, Units: 10},
		{On: "context", Size: "large", Mean: 2.0, Std: 0, Units: 10},
	}}}}
	tab := TableOf(rep)
	if len(tab.Columns) != 4 || len(tab.Rows) != 1 {
		t.Fatalf("table %+v", tab)
	}
	c := tab.Rows[0].Cells
	if c[0].Mean != 1.2 || c[0].Units != 10 || c[1].Units != 0 || c[2].Mean != 1.5 {
		t.Errorf("object cells %+v", c[:3])
	}
	// The background pools both context groups: 1 and 2, ten units each.
	if bg := c[3]; math.Abs(bg.Mean-1.5) > 1e-12 || math.Abs(bg.Std-0.5) > 1e-12 || bg.Units != 20 {
		t.Errorf("background %+v, want 1.5 ± 0.5 over 20 units", bg)
	}
	text := tab.Text()
	for _, want := range []string{"small objects", "background", "conv4*", "1.200 ± 0.100", "1.500 ± 0.500", "–"} {
		if !strings.Contains(text, want) {
			t.Errorf("table text lacks %q:\n%s", want, text)
		}
	}
	mn := TableOf(&Report{Data: "mnist", Layers: []Layer{{Model: "dcnn", Layer: "conv5", Groups: []Group{
		{On: "digit", Scale: 0.5, Mean: 1, Units: 1}, {On: "digit", Scale: 1.5, Mean: 3, Units: 1}, {On: "background", Mean: 1, Units: 4}}}}})
	if mn.Columns[0] != "digit (all scales)" || mn.Rows[0].Cells[0].Mean != 2 || mn.Rows[0].Cells[1].Units != 4 {
		t.Errorf("MNIST table %+v", mn)
	}
}
