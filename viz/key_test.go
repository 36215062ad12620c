package viz

import (
	"image"
	"strings"
	"testing"
)

// TestKeyNeverCutsText is the regression test of the heat-map export's
// key, whose entries were cut with "…" at the window's width: every word
// of every entry is drawn, on as many lines as it needs, each inside the
// width.
func TestKeyNeverCutsText(t *testing.T) {
	face, err := newFace(notePx)
	if err != nil {
		t.Fatal(err)
	}
	defer face.Close()
	long := HeatmapKey("mean offset length |Δp| over the taps (left) and DCNv2 mask (right, magma, fixed 0-2)",
		"99th percentile over every epoch, 0.42 px")[0].Text
	tests := []struct {
		name  string
		text  string
		width int
		lines int // at least
	}{
		{"fits on one line", "a short entry", 300, 1},
		{"heat-map key at 360 px", long, 360 - 44, 3},
		{"heat-map key at 900 px", long, 900 - 44, 2},
		{"one word wider than the line", strings.Repeat("x", 80), 100, 2},
		{"empty", "", 100, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines := wrapText(face, tc.text, tc.width)
			if len(lines) < tc.lines {
				t.Errorf("%d lines, want at least %d: %q", len(lines), tc.lines, lines)
			}
			for _, l := range lines {
				if w := textWidth(face, l); w > tc.width {
					t.Errorf("line %q is %d px, wider than %d", l, w, tc.width)
				}
				if strings.Contains(l, "…") {
					t.Errorf("line %q is cut with an ellipsis", l)
				}
			}
			if got := strings.ReplaceAll(strings.Join(lines, " "), " ", ""); got != strings.ReplaceAll(tc.text, " ", "") {
				t.Errorf("the lines %q do not hold the whole text %q", lines, tc.text)
			}
		})
	}
	t.Run("the band grows with the lines", func(t *testing.T) {
		img := image.NewNRGBA(image.Rect(0, 0, 360, 50))
		items := HeatmapKey("mean offset length |Δp| over the taps (left) and DCNv2 mask (right, magma, fixed 0-2)", "fixed 0-2")
		narrow, err := WithKey(img, items)
		if err != nil {
			t.Fatal(err)
		}
		wide, err := WithKey(image.NewNRGBA(image.Rect(0, 0, 2000, 50)), items)
		if err != nil {
			t.Fatal(err)
		}
		if narrow.Bounds().Dy() <= wide.Bounds().Dy() {
			t.Errorf("the key at 360 px is %d px high, at 2000 px %d: the narrow one should wrap onto more lines",
				narrow.Bounds().Dy(), wide.Bounds().Dy())
		}
	})
}
