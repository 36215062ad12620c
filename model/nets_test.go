package model

import (
	"math"
	"math/rand/v2"
	"slices"
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

// TestDeformSets checks that a set of deformable convolutions given by names builds deformable
// blocks exactly there, in either net, names the architecture so that old names stay as they were,
// and refuses unknown names.
func TestDeformSets(t *testing.T) {
	cases := []struct {
		net, spec string
		want      []string
		arch      string
	}{
		{"mnist", "conv4,conv5", []string{"conv4", "conv5"}, "mnist-dcnn"},
		{"mnist", " conv5 , conv4 ", []string{"conv4", "conv5"}, "mnist-dcnn"},
		{"mnist", "conv2,conv3", []string{"conv2", "conv3"}, "mnist-dcnn-conv2+conv3"},
		{"mnist", "conv1", []string{"conv1"}, "mnist-dcnn-conv1"},
		{"mnist", "conv1,conv2,conv3,conv4,conv5,conv3", []string{"conv1", "conv2", "conv3", "conv4", "conv5"}, "mnist-dcnn-conv1+conv2+conv3+conv4+conv5"},
		{"coco", "first", []string{"conv1", "conv2"}, "coco-dcnn-first"},
		{"coco", "conv3,conv4", []string{"conv3", "conv4"}, "coco-dcnn-middle"},
		{"coco", "last", []string{"conv5", "conv6"}, "coco-dcnn-last"},
		{"coco", "conv4,conv5", []string{"conv4", "conv5"}, "coco-dcnn-conv4+conv5"},
		{"coco", "conv2,conv6", []string{"conv2", "conv6"}, "coco-dcnn-conv2+conv6"},
	}
	for _, c := range cases {
		t.Run(c.net+" "+c.spec, func(t *testing.T) {
			set, err := ParseDeformSet(c.net, c.spec)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(set, c.want) {
				t.Fatalf("ParseDeformSet = %v, want %v", set, c.want)
			}
			var net *Net[float32]
			rng := rand.New(rand.NewPCG(1, 2))
			if c.net == "mnist" {
				net, err = NewMNISTNet[float32](MNISTConfig{Deformable: true, DeformAt: set}, rng)
			} else {
				net, err = NewCOCONet[float32](COCOConfig{Size: 8, Classes: 3, DeformAt: set}, rng)
			}
			if err != nil {
				t.Fatal(err)
			}
			if net.Arch != c.arch {
				t.Errorf("arch %q, want %q", net.Arch, c.arch)
			}
			var got []string
			for _, l := range net.Layers {
				_, deform := l.(*nn.DeformBlock[float32])
				_, conv := l.(*nn.Conv2D[float32])
				switch {
				case deform:
					got = append(got, l.Name())
				case conv && slices.Contains(c.want, l.Name()):
					t.Errorf("%s is a plain convolution", l.Name())
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("deformable blocks %v, want %v", got, c.want)
			}
		})
	}
	for _, c := range []struct{ net, spec, want string }{
		{"mnist", "conv6", `unknown deformable layer "conv6"`},
		{"mnist", "middle", `unknown deformable layer "middle"`},
		{"mnist", "", `unknown deformable layer ""`},
		{"mnist", "conv4,,conv5", `unknown deformable layer ""`},
		{"coco", "fc", `unknown deformable layer "fc"`},
		{"coco", "pool1", `unknown deformable layer "pool1"`},
		{"cifar", "conv1", `unknown net "cifar"`},
	} {
		if _, err := ParseDeformSet(c.net, c.spec); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseDeformSet(%q, %q) = %v, want an error with %s", c.net, c.spec, err, c.want)
		}
	}
	if _, err := NewMNISTNet[float32](MNISTConfig{Deformable: true, DeformAt: []string{"conv9"}}, nil); err == nil {
		t.Error("NewMNISTNet accepted conv9")
	}
	if _, err := NewCOCONet[float32](COCOConfig{Size: 8, Classes: 3, DeformAt: []string{"gap"}}, nil); err == nil {
		t.Error("NewCOCONet accepted gap")
	}
}
