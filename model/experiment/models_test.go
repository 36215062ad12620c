package experiment

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestModelChoice(t *testing.T) {
	for _, c := range []struct {
		choice ModelChoice
		want   []string
	}{
		{ModelChoice{"mnist", "both", ""}, []string{"cnn", "dcnn"}},
		{ModelChoice{"mnist", "both", "conv4,conv5"}, []string{"cnn", "dcnn"}},
		{ModelChoice{"mnist", "both", "conv2,conv3;conv4,conv5"}, []string{"cnn", "dcnn-conv2+conv3", "dcnn"}},
		{ModelChoice{"mnist", "dcnn", "conv3"}, []string{"dcnn-conv3"}},
		{ModelChoice{"mnist", "all", ""}, []string{"cnn", "dcnn"}},
		{ModelChoice{"mnist", "cnn", ""}, []string{"cnn"}},
		{ModelChoice{"coco", "both", ""}, []string{"cnn", "dcnn-middle"}},
		{ModelChoice{"coco", "both", "last;last"}, []string{"cnn", "dcnn-last"}},
		{ModelChoice{"coco", "dcnn", "first;conv4,conv5"}, []string{"dcnn-first", "dcnn-conv4+conv5"}},
		{ModelChoice{"coco", "all", ""}, []string{"cnn", "dcnn-first", "dcnn-middle", "dcnn-last"}},
		{PlacementChoice("first"), []string{"cnn", "dcnn-first"}},
		{PlacementChoice(""), []string{"cnn", "dcnn-first", "dcnn-middle", "dcnn-last"}},
	} {
		got, err := c.choice.Models()
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%+v.Models() = %v, %v; want %v", c.choice, got, err, c.want)
		}
		rc := StudyProtocol()
		rc.Data, rc.Models = c.choice.Data, got
		if rc.Data == "coco" {
			rc.COCO = DefaultCOCO("a.json", "imgs")
		}
		if err := rc.Validate(); err != nil {
			t.Errorf("%+v: its models %v do not validate: %v", c.choice, got, err)
		}
	}
}

func TestModelChoiceRefuses(t *testing.T) {
	for _, c := range []struct {
		choice      ModelChoice
		field, want string
	}{
		{ModelChoice{"imagenet", "both", ""}, "", "want mnist or coco"},
		{ModelChoice{"mnist", "most", ""}, "model", `got "most"`},
		{ModelChoice{"mnist", "both", "conv9"}, "deform", "conv9"},
		{ModelChoice{"mnist", "both", "middle"}, "deform", "middle"},
		{ModelChoice{"coco", "both", "conv4;"}, "deform", ""},
	} {
		_, err := c.choice.Models()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one saying %q", c.choice, err, c.want)
			continue
		}
		var ce *ChoiceError
		if ok := errors.As(err, &ce); ok != (c.field != "") || ok && ce.Field != c.field {
			t.Errorf("%+v: error %v names field %v, want %q", c.choice, err, ce, c.field)
		}
	}
}

func TestPlacementOf(t *testing.T) {
	for _, c := range []struct {
		models []string
		want   string
		ok     bool
	}{
		{[]string{"cnn", "dcnn-middle"}, "middle", true},
		{[]string{"dcnn-last"}, "last", true},
		{[]string{"cnn", "dcnn-first", "dcnn-middle", "dcnn-last"}, "", true},
		{[]string{"cnn"}, "", false},
		{[]string{"cnn", "dcnn-conv4+conv5"}, "", false},
		{[]string{"cnn", "dcnn-first", "dcnn-last"}, "", false},
	} {
		got, err := PlacementOf(c.models)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("PlacementOf(%v) = %q, %v; want %q (ok %v)", c.models, got, err, c.want, c.ok)
		}
		if c.ok {
			back, err := PlacementChoice(got).Models()
			if err != nil || !slices.Equal(back[1:], slices.DeleteFunc(slices.Clone(c.models), func(m string) bool { return m == "cnn" })) {
				t.Errorf("PlacementChoice(%q).Models() = %v, %v; want the models of %v", got, back, err, c.models)
			}
		}
	}
}
