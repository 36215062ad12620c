// Package model builds Deformscope's networks from the layers of package
// nn: the course study's 5-conv Scaled-MNIST classifier and the 6-conv COCO
// object-crop classifier, each as a plain CNN or with deformable layers.
//
// Sub-packages hold the rest of the engine: nn (tensors, layers, the
// deformable convolution), optim (SGD, Adam, StepLR), data (datasets),
// ckpt (checkpoints) and train (the training loop).
package model

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/deformscope/deformscope/model/nn"
)

// Net is a classifier: a chain of layers, the input it expects and its
// number of classes.
type Net[T nn.Float] struct {
	nn.Sequential[T]
	Arch          string // "mnist-cnn", "coco-dcnn-middle", ...
	InC, InH, InW int
	Classes       int
}

// InputShape returns the shape of a batch of b inputs.
func (n *Net[T]) InputShape(b int) []int { return []int{b, n.InC, n.InH, n.InW} }

// MNISTConfig selects the course study's Scaled-MNIST net: plain, with conv4 and
// conv5 deformable (the course study's DCNN), or with any set of its convolutions
// deformable.
type MNISTConfig struct {
	Deformable bool
	// DeformAt names the deformable convolutions (conv1 … conv5, see
	// ParseDeformSet) when Deformable; empty means the course study's conv4, conv5.
	DeformAt []string
	DCNv1    bool // deformable layers without the modulation mask
}

// MNISTConvs and COCOConvs are the convolutions of the two nets, in order.
var (
	MNISTConvs = []string{"conv1", "conv2", "conv3", "conv4", "conv5"}
	COCOConvs  = []string{"conv1", "conv2", "conv3", "conv4", "conv5", "conv6"}
)

// MNISTDefaultDeform is the course study's choice of deformable layers in its
// Scaled-MNIST DCNN.
var MNISTDefaultDeform = []string{"conv4", "conv5"}

// placementConvs are the COCO net's deformable pair at each placement.
var placementConvs = map[Placement][]string{
	PlaceFirst: {"conv1", "conv2"}, PlaceMiddle: {"conv3", "conv4"}, PlaceLast: {"conv5", "conv6"},
}

// ParseDeformSet reads a set of deformable convolutions of a net ("mnist"
// or "coco"): comma-separated convolution names ("conv4,conv5"), or for
// COCO one of the placements first, middle or last (conv1+conv2,
// conv3+conv4, conv5+conv6). It returns the names in the net's order,
// without repeats, and refuses an empty set and unknown names.
func ParseDeformSet(net, spec string) ([]string, error) {
	var convs []string
	switch net {
	case "mnist":
		convs = MNISTConvs
	case "coco":
		convs = COCOConvs
		if p, ok := placementConvs[Placement(strings.TrimSpace(spec))]; ok {
			return slices.Clone(p), nil
		}
	default:
		return nil, fmt.Errorf("model: unknown net %q (want mnist or coco)", net)
	}
	want := map[string]bool{}
	for part := range strings.SplitSeq(spec, ",") {
		name := strings.TrimSpace(part)
		if !slices.Contains(convs, name) {
			extra := ""
			if net == "coco" {
				extra = ", or first, middle or last"
			}
			return nil, fmt.Errorf("model: %s net: unknown deformable layer %q (want a comma-separated set of %s%s)",
				net, name, strings.Join(convs, ", "), extra)
		}
		want[name] = true
	}
	var out []string
	for _, c := range convs {
		if want[c] {
			out = append(out, c)
		}
	}
	return out, nil
}

// DeformSetName names a set of deformable convolutions for model and
// architecture names: the COCO placement it equals ("middle"), else the
// convolutions joined by "+" ("conv2+conv3"), which is safe in file names.
func DeformSetName(net string, set []string) string {
	if net == "coco" {
		for _, p := range []Placement{PlaceFirst, PlaceMiddle, PlaceLast} {
			if slices.Equal(placementConvs[p], set) {
				return string(p)
			}
		}
	}
	return strings.Join(set, "+")
}

// checkDeformSet refuses names that are not convolutions of the net.
func checkDeformSet(net string, set, convs []string) error {
	for _, name := range set {
		if !slices.Contains(convs, name) {
			return fmt.Errorf("model: %s net has no convolution %q (want %s)", net, name, strings.Join(convs, ", "))
		}
	}
	return nil
}

// conv3x3 is the 3×3, stride 1, padding 1 convolution every net here uses.
func conv3x3(in, out int) nn.Conv2DConfig {
	return nn.Conv2DConfig{In: in, Out: out, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}
}

type builder[T nn.Float] struct {
	layers []nn.Layer[T]
	rng    *rand.Rand
	err    error
	pool   int
}

// conv appends a convolution followed by a ReLU, fused into the
// convolution (Conv2DConfig.ReLU).
func (b *builder[T]) conv(name string, cfg nn.Conv2DConfig, deform, v1 bool) {
	if b.err != nil {
		return
	}
	cfg.ReLU = true
	if deform {
		l, err := nn.NewDeformBlock[T](name, nn.DeformBlockConfig{Conv2DConfig: cfg, NoMask: v1}, b.rng)
		b.err = err
		if len(b.layers) == 0 && l != nil {
			l.NoInputGrad = true // as for a plain first layer
		}
		b.layers = append(b.layers, l)
	} else {
		l, err := nn.NewConv2D[T](name, cfg, b.rng)
		b.err = err
		if len(b.layers) == 0 && l != nil {
			l.NoInputGrad = true // nothing upstream of the first layer needs dL/dx
		}
		b.layers = append(b.layers, l)
	}
}

func (b *builder[T]) maxpool() {
	b.pool++
	b.layers = append(b.layers, nn.NewMaxPool2D[T](fmt.Sprintf("pool%d", b.pool), 2))
}

func (b *builder[T]) head(ch, classes int) {
	if b.err != nil {
		return
	}
	b.layers = append(b.layers, nn.NewGlobalAvgPool[T]("gap"))
	fc, err := nn.NewLinear[T]("fc", ch, classes, b.rng)
	b.err = err
	b.layers = append(b.layers, fc)
}

// NewMNISTNet returns the course study's Scaled-MNIST classifier for 1×28×28
// inputs: conv1(1→32) relu maxpool2, conv2(32→32) relu maxpool2, conv3,
// conv4, conv5 (32→32, each followed by relu), global average pool,
// fc(32→10). All convolutions are 3×3 with padding 1; when cfg.Deformable,
// the convolutions of cfg.DeformAt (default conv4 and conv5) are deformable
// blocks. Weights are drawn from rng as PyTorch initialises them (nil leaves
// them zero, for loading). The architecture is "mnist-cnn", "mnist-dcnn"
// for the course study's set, or "mnist-dcnn-conv2+conv3" for another; "-v1" is
// appended for DCNv1.
func NewMNISTNet[T nn.Float](cfg MNISTConfig, rng *rand.Rand) (*Net[T], error) {
	set := cfg.DeformAt
	if len(set) == 0 {
		set = MNISTDefaultDeform
	}
	if err := checkDeformSet("mnist", set, MNISTConvs); err != nil {
		return nil, err
	}
	d := func(name string) bool { return cfg.Deformable && slices.Contains(set, name) }
	b := &builder[T]{rng: rng}
	b.conv("conv1", conv3x3(1, 32), d("conv1"), cfg.DCNv1)
	b.maxpool()
	b.conv("conv2", conv3x3(32, 32), d("conv2"), cfg.DCNv1)
	b.maxpool()
	b.conv("conv3", conv3x3(32, 32), d("conv3"), cfg.DCNv1)
	b.conv("conv4", conv3x3(32, 32), d("conv4"), cfg.DCNv1)
	b.conv("conv5", conv3x3(32, 32), d("conv5"), cfg.DCNv1)
	b.head(32, 10)
	if b.err != nil {
		return nil, b.err
	}
	arch := "mnist-cnn"
	if cfg.Deformable {
		arch = "mnist-dcnn"
		if !slices.Equal(sortedConvs(set, MNISTConvs), MNISTDefaultDeform) {
			arch += "-" + DeformSetName("mnist", sortedConvs(set, MNISTConvs))
		}
		if cfg.DCNv1 {
			arch += "-v1"
		}
	}
	return &Net[T]{Sequential: nn.Sequential[T]{Layers: b.layers}, Arch: arch, InC: 1, InH: 28, InW: 28, Classes: 10}, nil
}

// Placement says where the COCO net's two deformable layers sit.
type Placement string

// The placements of the course study's COCO nets.
const (
	PlaceNone   Placement = "none"   // plain CNN
	PlaceFirst  Placement = "first"  // conv1, conv2
	PlaceMiddle Placement = "middle" // conv3, conv4
	PlaceLast   Placement = "last"   // conv5, conv6
)

// ParsePlacement reads "none", "first", "middle" or "last".
func ParsePlacement(s string) (Placement, error) {
	switch p := Placement(s); p {
	case PlaceNone, PlaceFirst, PlaceMiddle, PlaceLast:
		return p, nil
	case "":
		return PlaceNone, nil
	}
	return "", fmt.Errorf("model: unknown placement %q (want none, first, middle or last)", s)
}

// COCOConfig selects the 6-conv COCO object-crop classifier.
type COCOConfig struct {
	Size    int // input S×S RGB; a multiple of 4, at least 8
	Classes int
	Deform  Placement
	// DeformAt, when not empty, names the deformable convolutions (conv1 …
	// conv6) in place of Deform's pair.
	DeformAt []string
	DCNv1    bool
}

// sortedConvs returns the names of set in the net's order, without repeats.
func sortedConvs(set, convs []string) []string {
	var out []string
	for _, c := range convs {
		if slices.Contains(set, c) {
			out = append(out, c)
		}
	}
	return out
}

// NewCOCONet returns the 6-conv classifier for 3×S×S crops:
// conv1(3→32) conv2(32→32) maxpool2, conv3(32→64) conv4(64→64) maxpool2,
// conv5(64→128) conv6(128→128), global average pool, fc(128→classes); all
// 3×3 with padding 1 and a ReLU after each. The deformable pair (first,
// middle or last) shares a stage, so no pooling sits between the two;
// cfg.DeformAt puts deformable blocks at any set of the six instead. The
// architecture is "coco-cnn", "coco-dcnn-middle" (a set that equals a
// placement is named by it) or "coco-dcnn-conv4+conv5"; "-v1" for DCNv1.
func NewCOCONet[T nn.Float](cfg COCOConfig, rng *rand.Rand) (*Net[T], error) {
	if cfg.Size < 8 || cfg.Size%4 != 0 {
		return nil, fmt.Errorf("model: COCO input size must be a multiple of 4 and at least 8, got %d", cfg.Size)
	}
	if cfg.Classes < 2 {
		return nil, fmt.Errorf("model: COCO net needs at least 2 classes, got %d", cfg.Classes)
	}
	place, err := ParsePlacement(string(cfg.Deform))
	if err != nil {
		return nil, err
	}
	set := placementConvs[place]
	if len(cfg.DeformAt) > 0 {
		if err := checkDeformSet("coco", cfg.DeformAt, COCOConvs); err != nil {
			return nil, err
		}
		set = sortedConvs(cfg.DeformAt, COCOConvs)
	}
	b := &builder[T]{rng: rng}
	stages := []struct{ in, out int }{{3, 32}, {32, 64}, {64, 128}}
	for i, s := range stages {
		c1, c2 := fmt.Sprintf("conv%d", 2*i+1), fmt.Sprintf("conv%d", 2*i+2)
		b.conv(c1, conv3x3(s.in, s.out), slices.Contains(set, c1), cfg.DCNv1)
		b.conv(c2, conv3x3(s.out, s.out), slices.Contains(set, c2), cfg.DCNv1)
		if i < 2 {
			b.maxpool()
		}
	}
	b.head(128, cfg.Classes)
	if b.err != nil {
		return nil, b.err
	}
	arch := "coco-cnn"
	if len(set) > 0 {
		arch = "coco-dcnn-" + DeformSetName("coco", set)
		if cfg.DCNv1 {
			arch += "-v1"
		}
	}
	return &Net[T]{Sequential: nn.Sequential[T]{Layers: b.layers}, Arch: arch, InC: 3, InH: cfg.Size, InW: cfg.Size, Classes: cfg.Classes}, nil
}
