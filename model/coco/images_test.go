package coco

import (
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/coco/internal/cocotest"
)

func TestCOCOLoadChecksImageFiles(t *testing.T) {
	annPath, images := cocotest.ImageFaults(t)
	for _, tc := range []struct {
		decode bool
		want   map[string]int
	}{
		// Reading headers only, the truncated JPEG passes.
		{false, map[string]int{ReasonBadImage: 2, ReasonTooLarge: 1, ReasonSizeMismatch: 1, ReasonMissingFile: 1,
			ReasonPathEscapes: 1}},
		{true, map[string]int{ReasonBadImage: 3, ReasonTooLarge: 1, ReasonSizeMismatch: 1, ReasonMissingFile: 1,
			ReasonPathEscapes: 1}},
	} {
		x, err := Load(t.Context(), annPath, LoadOptions{ImageDir: images, Decode: tc.decode})
		if err != nil {
			t.Fatal(err)
		}
		checkInvariants(t, x, LoadOptions{})
		if !maps.Equal(x.Skipped.Images, tc.want) {
			t.Errorf("decode %v: images skipped %v, want %v", tc.decode, x.Skipped.Images, tc.want)
		}
		n := 0
		for _, v := range tc.want {
			n += v
		}
		if x.Skipped.Annotations[ReasonImageSkipped] != n || len(x.Annotations) != 12-n {
			t.Errorf("decode %v: annotations skipped %v, %d kept", tc.decode, x.Skipped.Annotations, len(x.Annotations))
		}
	}
	if _, err := Load(t.Context(), annPath, LoadOptions{ImageDir: filepath.Join(images, "nope")}); err == nil {
		t.Error("a missing image folder is not an error")
	}
	if _, err := Load(t.Context(), filepath.Join(images, "nope.json"), LoadOptions{}); err == nil ||
		!strings.Contains(err.Error(), "nope.json") {
		t.Errorf("missing file: %v", err)
	}
}
