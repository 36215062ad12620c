package model

import (
	"testing"
)

// TestCOCOBenchCases checks that the bench cases are the COCO net's own
// layers: the six shapes, the fused ReLU, conv1 without the input
// gradient, and dcnn-first's deformable layers on the plain ones' inputs.
func TestCOCOBenchCases(t *testing.T) {
	convs, err := COCOConvBenches(2, 64)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name        string
		in, out, hw int
		noInput     bool
	}{{"conv1", 3, 32, 64, true}, {"conv2", 32, 32, 64, false}, {"conv3", 32, 64, 32, false},
		{"conv4", 64, 64, 32, false}, {"conv5", 64, 128, 16, false}, {"conv6", 128, 128, 16, false}}
	if len(convs) != len(want) {
		t.Fatalf("%d cases, want %d", len(convs), len(want))
	}
	for i, w := range want {
		c := convs[i]
		if c.Name != w.name || c.In != w.in || c.Out != w.out || c.H != w.hw || c.W != w.hw || c.Batch != 2 ||
			c.Conv.NoInputGrad != w.noInput || !c.Conv.Config().ReLU {
			t.Errorf("case %d = %s %d→%d %d×%d batch %d noInputGrad %v ReLU %v, want %+v", i, c.Name, c.In, c.Out, c.H, c.W,
				c.Batch, c.Conv.NoInputGrad, c.Conv.Config().ReLU, w)
		}
		pass := 2.0 * 2 * float64(w.in) * float64(w.out) * 9 * float64(w.hw*w.hw)
		passes := 3.0
		if w.noInput {
			passes = 2
		}
		if c.Flops(false) != pass || c.Flops(true) != passes*pass {
			t.Errorf("%s: flops %v, %v, want %v, %v", c.Name, c.Flops(false), c.Flops(true), pass, passes*pass)
		}
	}
	pairs, err := COCOLayerPairs(PlaceFirst, 2, 64)
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 2 || pairs[0].Plain.Name != "conv1" || pairs[1].Plain.Name != "conv2" {
		t.Fatalf("pairs %v, want conv1 and conv2", pairs)
	}
	for i, p := range pairs {
		if p.Deform.Layer.NoInputGrad != (i == 0) {
			t.Errorf("%s: the deformable layer's NoInputGrad is %v, want %v (as the net runs it: conv1 computes no dL/dx)",
				p.Plain.Name, p.Deform.Layer.NoInputGrad, i == 0)
		}
		if p.Deform.X != p.Plain.X || p.Deform.Shape() != p.Plain.Shape() || !p.Deform.Layer.Config().ReLU {
			t.Errorf("%s: the deformable case %s is not on the plain one's input %s with ReLU", p.Plain.Name, p.Deform.Shape(), p.Plain.Shape())
		}
		// The deformable layer's GEMMs: three passes the size of the plain
		// forward's, with or without the input gradient.
		if pass := p.Plain.Flops(false); p.Deform.Flops(false) != pass || p.Deform.Flops(true) != 3*pass {
			t.Errorf("%s: deformable flops %v, %v, want %v, %v", p.Plain.Name, p.Deform.Flops(false), p.Deform.Flops(true), pass, 3*pass)
		}
		for _, m := range p.Deform.Mask.Data() {
			if !(m > 0 && m < 1) {
				t.Fatalf("%s: mask value %v outside (0, 1)", p.Plain.Name, m)
			}
		}
	}
	if _, err := COCOLayerPairs(PlaceNone, 2, 64); err == nil {
		t.Error("COCOLayerPairs(none): want an error, the cnn has no deformable layer")
	}
	for _, p := range []Placement{PlaceNone, PlaceFirst} {
		nb, err := NewCOCONetBench(p, 2, 64)
		if err != nil {
			t.Fatal(err)
		}
		if nb.Batch() != 2 {
			t.Errorf("batch %d", nb.Batch())
		}
		for _, run := range []func() error{nb.Step, nb.Eval, nb.Step} {
			if err := run(); err != nil {
				t.Errorf("%s: %v", p, err)
			}
		}
	}
	if _, err := NewCOCONetBench(PlaceNone, 0, 64); err == nil {
		t.Error("batch 0: want an error")
	}
	if _, err := NewCOCONetBench(PlaceNone, 1, 30); err == nil {
		t.Error("size 30: want an error")
	}
	if d, ok := CPUTime(); ok && d <= 0 {
		t.Errorf("CPUTime = %v after work", d)
	}
}
