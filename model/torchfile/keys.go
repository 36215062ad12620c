package torchfile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/deformscope/deformscope/model"
)

// Arch is one of our architectures as dcn import names it.
type Arch struct {
	Name  string // "mnist-dcnn", "coco-dcnn-middle-v1", ...
	Data  string // "mnist" or "coco"
	Model string // the run's model name: "cnn", "dcnn", "dcnn-first", ...
	DCNv1 bool
}

// Archs lists every architecture name ParseArch accepts.
var Archs = []string{"mnist-cnn", "mnist-dcnn", "mnist-dcnn-v1", "coco-cnn",
	"coco-dcnn-first", "coco-dcnn-middle", "coco-dcnn-last",
	"coco-dcnn-first-v1", "coco-dcnn-middle-v1", "coco-dcnn-last-v1"}

// ParseArch reads an architecture name (one of Archs).
func ParseArch(s string) (Arch, error) {
	if !slices.Contains(Archs, s) {
		return Arch{}, fmt.Errorf("torchfile: unknown architecture %q (want one of %s)", s, strings.Join(Archs, ", "))
	}
	a := Arch{Name: s}
	rest := s
	rest, a.DCNv1 = strings.CutSuffix(rest, "-v1")
	a.Data, a.Model, _ = strings.Cut(rest, "-")
	return a, nil
}

// NewNet builds the architecture with zero weights, for loading; classes
// and size are the COCO net's (ignored for MNIST).
func (a Arch) NewNet(classes, size int) (*model.Net[float32], error) {
	if a.Data == "mnist" {
		return model.NewMNISTNet[float32](model.MNISTConfig{Deformable: a.Model == "dcnn", DCNv1: a.DCNv1}, nil)
	}
	place := model.PlaceNone
	if p, ok := strings.CutPrefix(a.Model, "dcnn-"); ok {
		place = model.Placement(p)
	}
	return model.NewCOCONet[float32](model.COCOConfig{Size: size, Classes: classes, Deform: place, DCNv1: a.DCNv1}, nil)
}

// The course study's deformable block names its three convolutions offset_conv,
// modulator_conv and regular_conv; our parameters drop the "_conv".
var torchParts = [][2]string{{".offset.", ".offset_conv."}, {".modulator.", ".modulator_conv."}, {".regular.", ".regular_conv."}}

// TorchName returns the state-dict key of one of our parameters, as the
// course study's PyTorch classes name it: conv4.offset.weight is
// conv4.offset_conv.weight.
func TorchName(param string) string {
	for _, p := range torchParts {
		if strings.Contains(param, p[0]) {
			return strings.Replace(param, p[0], p[1], 1)
		}
	}
	return param
}

// ourName is TorchName's inverse. Keys already in our form (as in the
// reference cases of ../shared/golden) pass unchanged.
func ourName(key string) string {
	for _, p := range torchParts {
		if strings.Contains(key, p[1]) {
			return strings.Replace(key, p[1], p[0], 1)
		}
	}
	return key
}

// Load copies the state dict's tensors into net's parameters. Every
// parameter must have exactly one key of its shape and no key may be left
// over; otherwise nothing is changed and the error names each missing,
// extra or wrongly shaped key.
func Load(sd *StateDict, net *model.Net[float32]) error {
	byName := map[string]*Tensor{}
	for i := range sd.Tensors {
		t := &sd.Tensors[i]
		n := ourName(t.Name)
		if o, dup := byName[n]; dup {
			return fmt.Errorf("torchfile: %s: keys %s and %s name the same parameter", sd.Path, quote(o.Name), quote(t.Name))
		}
		byName[n] = t
	}
	var missing, shape []string
	for _, p := range net.Params() {
		t, ok := byName[p.Name]
		if !ok {
			missing = append(missing, TorchName(p.Name))
			continue
		}
		delete(byName, p.Name)
		if !slices.Equal(t.Shape, p.Value.Shape()) {
			shape = append(shape, fmt.Sprintf("%s has shape %v, %s needs %v", clip(t.Name), t.Shape, net.Arch, p.Value.Shape()))
		}
	}
	var extra []string
	for _, t := range sd.Tensors {
		if _, ok := byName[ourName(t.Name)]; ok {
			extra = append(extra, clip(t.Name))
		}
	}
	// Each list names its first few and counts the rest: 200,000 extra keys made a 1.7 MB error
	// line.
	var faults []string
	if len(missing) > 0 {
		faults = append(faults, fmt.Sprintf("%d missing keys: %s", len(missing), listed(missing[:min(len(missing), maxListed)], len(missing))))
	}
	if len(extra) > 0 {
		faults = append(faults, fmt.Sprintf("%d unexpected keys: %s", len(extra), listed(extra[:min(len(extra), maxListed)], len(extra))))
	}
	if len(shape) > 0 {
		faults = append(faults, fmt.Sprintf("%d keys of the wrong shape: %s", len(shape), listed(shape[:min(len(shape), maxListed)], len(shape))))
	}
	if len(faults) > 0 {
		return fmt.Errorf("torchfile: %s is not a %s state dict: %s", sd.Path, net.Arch, strings.Join(faults, "; "))
	}
	for _, p := range net.Params() {
		t, _ := sd.Lookup(TorchName(p.Name))
		if t == nil {
			t, _ = sd.Lookup(p.Name)
		}
		copy(p.Value.Data(), t.Data)
	}
	return nil
}
