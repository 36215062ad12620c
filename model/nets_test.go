package model

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/nn"
)

func TestCOCONetPlacements(t *testing.T) {
	for _, p := range []Placement{PlaceNone, PlaceFirst, PlaceMiddle, PlaceLast} {
		t.Run(string(p), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			net, err := NewCOCONet[float64](COCOConfig{Size: 8, Classes: 3, Deform: p}, rng)
			if err != nil {
				t.Fatal(err)
			}
			blocks := net.DeformBlocks()
			want := map[Placement][]string{PlaceFirst: {"conv1", "conv2"}, PlaceMiddle: {"conv3", "conv4"}, PlaceLast: {"conv5", "conv6"}}[p]
			if len(blocks) != len(want) {
				t.Fatalf("%d deformable blocks, want %d", len(blocks), len(want))
			}
			for i, b := range blocks {
				if b.Name() != want[i] {
					t.Errorf("deformable block %d is %s, want %s", i, b.Name(), want[i])
				}
			}
			// No pooling between the two deformable layers.
			if len(blocks) == 2 {
				between := false
				seen := false
				for _, l := range net.Layers {
					if l.Name() == blocks[0].Name() {
						seen = true
					}
					if l.Name() == blocks[1].Name() {
						break
					}
					if seen && strings.HasPrefix(l.Name(), "pool") {
						between = true
					}
				}
				if between {
					t.Error("a pooling layer sits between the deformable layers")
				}
			}
			// Give the offset and modulator convs non-zero weights and
			// check the whole net's gradients by finite differences.
			for _, b := range blocks {
				for _, q := range b.Params() {
					if !strings.Contains(q.Name, "regular") {
						for i := range q.Value.Data() {
							q.Value.Data()[i] = rng.NormFloat64() * 0.1
						}
					}
				}
			}
			x := nn.New[float64](net.InputShape(2)...)
			for i := range x.Data() {
				x.Data()[i] = rng.NormFloat64()
			}
			targets := []int{2, 0}
			lossOf := func() float64 {
				y, err := net.Forward(x, true)
				if err != nil {
					t.Fatal(err)
				}
				l, err := nn.CrossEntropy(y, targets, nil)
				if err != nil {
					t.Fatal(err)
				}
				return l
			}
			y, _ := net.Forward(x, true)
			if !y.SameShape(2, 3) {
				t.Fatalf("logits have shape %v, want [2 3]", y.Shape())
			}
			g := nn.New[float64](2, 3)
			if _, err := nn.CrossEntropy(y, targets, g); err != nil {
				t.Fatal(err)
			}
			net.ZeroGrad()
			if err := net.Backward(g); err != nil {
				t.Fatal(err)
			}
			for _, q := range net.Params() {
				v, an := q.Value.Data(), q.Grad.Clone().Data()
				for _, i := range []int{0, len(v) / 2, len(v) - 1} {
					old := v[i]
					v[i] = old + 1e-6
					up := lossOf()
					v[i] = old - 1e-6
					down := lossOf()
					v[i] = old
					num := (up - down) / 2e-6
					if d := math.Abs(num - an[i]); d > 1e-6*max(1, math.Abs(num)) {
						t.Errorf("%s[%d]: analytic %.9g, finite difference %.9g", q.Name, i, an[i], num)
					}
				}
			}
		})
	}
}

func TestNetConfigErrors(t *testing.T) {
	if _, err := NewCOCONet[float32](COCOConfig{Size: 30, Classes: 10}, nil); err == nil || !strings.Contains(err.Error(), "multiple of 4") {
		t.Errorf("size 30: %v", err)
	}
	if _, err := NewCOCONet[float32](COCOConfig{Size: 64, Classes: 10, Deform: "sideways"}, nil); err == nil || !strings.Contains(err.Error(), "sideways") {
		t.Errorf("placement: %v", err)
	}
}

func TestMNISTNetParamNames(t *testing.T) {
	net, err := NewMNISTNet[float32](MNISTConfig{Deformable: true}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range net.Params() {
		names = append(names, p.Name)
	}
	got := strings.Join(names, " ")
	want := "conv1.weight conv1.bias conv2.weight conv2.bias conv3.weight conv3.bias " +
		"conv4.offset.weight conv4.offset.bias conv4.modulator.weight conv4.modulator.bias conv4.regular.weight conv4.regular.bias " +
		"conv5.offset.weight conv5.offset.bias conv5.modulator.weight conv5.modulator.bias conv5.regular.weight conv5.regular.bias " +
		"fc.weight fc.bias"
	if got != want {
		t.Errorf("parameter names\n got %s\nwant %s", got, want)
	}
	// The offset and modulator convs start at zero: the block starts as a
	// plain convolution.
	for _, p := range net.Params() {
		if strings.Contains(p.Name, ".offset.") || strings.Contains(p.Name, ".modulator.") {
			for _, v := range p.Value.Data() {
				if v != 0 {
					t.Fatalf("%s is not zero-initialised", p.Name)
				}
			}
		}
	}
}
