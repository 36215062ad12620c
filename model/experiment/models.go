package experiment

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/deformscope/deformscope/model"
)

// ModelChoice is which models a run trains, as a person asks for them: dcn
// train's --data, --model and --deform, and the app form's data set and
// placement fill it, and Models turns it into the run's model names, so
// that the app and dcn name and check the models one way.
type ModelChoice struct {
	// Data is the data set, "mnist" or "coco".
	Data string
	// Which is "cnn", "dcnn", "both" (the plain CNN and the deformable
	// nets) or "all" (every net of the data set's study: for COCO the CNN
	// and one net per placement).
	Which string
	// Deform says which convolutions are deformable: sets separated by
	// ";", each a comma list (conv2,conv3) or, for COCO, a placement
	// (first, middle, last); one deformable net per set. "" is the data
	// set's default: conv4,conv5 for MNIST, middle for COCO.
	Deform string
}

// The choices of ModelChoice.Which.
const (
	WhichCNN  = "cnn"
	WhichDCNN = "dcnn"
	WhichBoth = "both"
	WhichAll  = "all"
)

// The COCO placements of the deformable pair, in the course study's order.
var Placements = []string{"first", "middle", "last"}

// Models returns the model names the choice trains, in order: the CNN,
// then the deformable nets in the order of their sets. It names the first
// setting it cannot use.
func (c ModelChoice) Models() ([]string, error) {
	if c.Data != "mnist" && c.Data != "coco" {
		return nil, fmt.Errorf("data set: want mnist or coco, got %q", c.Data)
	}
	deform := strings.TrimSpace(c.Deform)
	if deform == "" {
		deform = map[string]string{"mnist": "conv4,conv5", "coco": "middle"}[c.Data]
	}
	var dcnns []string
	for spec := range strings.SplitSeq(deform, ";") {
		set, err := model.ParseDeformSet(c.Data, spec)
		if err != nil {
			return nil, &ChoiceError{Field: "deform", Err: err}
		}
		if name := DeformModelName(c.Data, set); !slices.Contains(dcnns, name) {
			dcnns = append(dcnns, name)
		}
	}
	switch c.Which {
	case WhichBoth:
		return append([]string{"cnn"}, dcnns...), nil
	case WhichCNN:
		return []string{"cnn"}, nil
	case WhichDCNN:
		return dcnns, nil
	case WhichAll:
		if c.Data == "coco" {
			return slices.Clone(COCOModels), nil
		}
		return slices.Clone(MNISTModels), nil
	}
	return nil, &ChoiceError{Field: "model", Err: fmt.Errorf("want cnn, dcnn, both or all, got %q", c.Which)}
}

// ChoiceError names the setting of a ModelChoice that is wrong: "model"
// (Which) or "deform"; dcn's messages name the flag, the app's the field.
type ChoiceError struct {
	Field string
	Err   error
}

// Error names the setting and its fault.
func (e *ChoiceError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the fault.
func (e *ChoiceError) Unwrap() error { return e.Err }

// PlacementChoice is the choice of a COCO run with the deformable pair at
// placement p, one of Placements, or with "" one net per placement (the
// app's "all three").
func PlacementChoice(p string) ModelChoice {
	if p == "" {
		return ModelChoice{Data: "coco", Which: WhichAll}
	}
	return ModelChoice{Data: "coco", Which: WhichBoth, Deform: p}
}

// PlacementOf returns the placement a COCO run's models have their
// deformable pair at: one of Placements, "" when they cover every
// placement, and an error when they are no such run (a custom --deform
// set, say).
func PlacementOf(models []string) (string, error) {
	var ps []string
	for _, m := range models {
		if p, ok := strings.CutPrefix(m, "dcnn-"); ok {
			if !slices.Contains(Placements, p) {
				return "", fmt.Errorf("model %s has no placement of the course study's (first, middle, last)", m)
			}
			ps = append(ps, p)
		}
	}
	switch {
	case len(ps) == 1:
		return ps[0], nil
	case len(ps) == len(Placements):
		return "", nil
	case len(ps) == 0:
		return "", errors.New("no deformable net among the models")
	}
	return "", fmt.Errorf("placements %s: want one, or all three", strings.Join(ps, ", "))
}
