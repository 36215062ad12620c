package experiment

import (
	"slices"
	"strings"
	"testing"
)

// TestDeformSetNames checks that model names map to the right deformable sets, that the names of
// runs made before sets existed (cnn, dcnn, dcnn-first/middle/last) keep their meaning and their
// weight streams, and that other names are refused with the names that work.
func TestDeformSetNames(t *testing.T) {
	for _, c := range []struct {
		data, name string
		want       []string
	}{
		{"mnist", "cnn", nil},
		{"mnist", "dcnn", []string{"conv4", "conv5"}},
		{"mnist", "dcnn-conv2+conv3", []string{"conv2", "conv3"}},
		{"coco", "cnn", nil},
		{"coco", "dcnn-first", []string{"conv1", "conv2"}},
		{"coco", "dcnn-middle", []string{"conv3", "conv4"}},
		{"coco", "dcnn-last", []string{"conv5", "conv6"}},
		{"coco", "dcnn-conv4+conv5", []string{"conv4", "conv5"}},
	} {
		set, err := DeformSet(c.data, c.name)
		if err != nil || !slices.Equal(set, c.want) {
			t.Errorf("DeformSet(%s, %s) = %v, %v; want %v", c.data, c.name, set, err, c.want)
		}
		if set != nil && DeformModelName(c.data, set) != c.name {
			t.Errorf("DeformModelName(%s, %v) = %s, want %s", c.data, set, DeformModelName(c.data, set), c.name)
		}
	}
	for _, c := range []struct{ data, name string }{
		{"mnist", "dcnn-conv4+conv5"}, // the course study's set is called dcnn, one name per net
		{"mnist", "dcnn-conv3+conv2"}, // not in the net's order
		{"mnist", "dcnn-middle"},      // placements are COCO's
		{"mnist", "dcnn-conv6"},
		{"mnist", "dcnn-conv2,conv3"},
		{"coco", "dcnn"},
		{"coco", "dcnn-conv3+conv4"}, // that is dcnn-middle
		{"coco", "resnet"},
		{"coco", "dcnn-"},
	} {
		if _, err := DeformSet(c.data, c.name); err == nil || !strings.Contains(err.Error(), "unknown "+c.data+" model") {
			t.Errorf("DeformSet(%s, %s) = %v, want an unknown-model error", c.data, c.name, err)
		}
	}
	// Old names build the architectures they did; a new set builds its own.
	rc := StudyProtocol()
	a, err := NewNet(rc, "dcnn")
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewNet(rc, "dcnn-conv2+conv3")
	if err != nil {
		t.Fatal(err)
	}
	if a.Arch != "mnist-dcnn" || b.Arch != "mnist-dcnn-conv2+conv3" {
		t.Errorf("arch %s, %s", a.Arch, b.Arch)
	}
	rc.Models = []string{"cnn", "dcnn-conv2+conv3", "dcnn"}
	if err := rc.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	rc.Models = []string{"cnn", "dcnn", "dcnn"}
	if err := rc.Validate(); err == nil {
		t.Error("Validate accepted a model listed twice")
	}
}
