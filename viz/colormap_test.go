package viz

import (
	"image/color"
	"strings"
	"testing"
)

// TestColormapAnchors checks the maps' ends and middles against the
// published colours: matplotlib's viridis and magma (first and last of their
// 256 entries) and Moreland's cool-warm table (first, middle and last rows).
func TestColormapAnchors(t *testing.T) {
	tests := []struct {
		name string
		v    float64
		want color.NRGBA
	}{
		{"viridis", 0, color.NRGBA{0x44, 0x01, 0x54, 0xff}},
		{"viridis", 1, color.NRGBA{0xfd, 0xe7, 0x25, 0xff}},
		// matplotlib's entry 128 is #21918c; halfway between anchors 7
		// and 8 comes within one level of it.
		{"viridis", 0.5, color.NRGBA{0x21, 0x90, 0x8d, 0xff}},
		{"magma", 0, color.NRGBA{0x00, 0x00, 0x04, 0xff}},
		{"magma", 1, color.NRGBA{0xfc, 0xfd, 0xbf, 0xff}},
		{"coolwarm", 0, color.NRGBA{59, 76, 192, 0xff}},
		{"coolwarm", 0.5, color.NRGBA{221, 221, 221, 0xff}},
		{"coolwarm", 1, color.NRGBA{180, 4, 38, 0xff}},
		// Moreland's row 0.25 is an anchor.
		{"coolwarm", 0.25, color.NRGBA{141, 176, 254, 0xff}},
		// Clamped outside [0, 1].
		{"viridis", -0.5, color.NRGBA{0x44, 0x01, 0x54, 0xff}},
		{"magma", 7, color.NRGBA{0xfc, 0xfd, 0xbf, 0xff}},
		// The empty name is viridis; names ignore case and spaces.
		{"", 1, color.NRGBA{0xfd, 0xe7, 0x25, 0xff}},
		{" CoolWarm ", 0, color.NRGBA{59, 76, 192, 0xff}},
	}
	for _, tc := range tests {
		got, err := Colormap(tc.name, tc.v)
		if err != nil {
			t.Errorf("Colormap(%q, %v): %v", tc.name, tc.v, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Colormap(%q, %v) = %v, want %v", tc.name, tc.v, got, tc.want)
		}
	}
}

// TestColormapInterpolates checks linear interpolation between anchors:
// a quarter of the way from viridis's first anchor to its second.
func TestColormapInterpolates(t *testing.T) {
	got, err := Colormap("viridis", 0.25/15)
	if err != nil {
		t.Fatal(err)
	}
	// #440154 to #481a6c: 0x44 + 4/4, 0x01 + 25/4, 0x54 + 24/4, rounded.
	if want := (color.NRGBA{0x45, 0x07, 0x5a, 0xff}); got != want {
		t.Errorf("Colormap(viridis, 1/60) = %v, want %v", got, want)
	}
}

// TestColormapSequentialLightens checks that viridis and magma get lighter
// all the way, as perceptually uniform sequential maps do.
func TestColormapSequentialLightens(t *testing.T) {
	for _, name := range []string{"viridis", "magma"} {
		prev := -1.0
		for i := range 101 {
			c, err := Colormap(name, float64(i)/100)
			if err != nil {
				t.Fatal(err)
			}
			l := 0.2126*float64(c.R) + 0.7152*float64(c.G) + 0.0722*float64(c.B)
			if l < prev {
				t.Errorf("%s darkens at %v: luminance %.1f after %.1f", name, float64(i)/100, l, prev)
			}
			prev = l
		}
	}
}

func TestColormapErrors(t *testing.T) {
	tests := []struct {
		name string
		cmap string
		v    float64
		want string
	}{
		{"unknown name", "jet", 0.5, `unknown colormap "jet"`},
		{"NaN value", "viridis", nan, "NaN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Colormap(tc.cmap, tc.v)
			if err == nil || !strings.HasPrefix(err.Error(), "viz: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Colormap error = %v, want one with %q", err, tc.want)
			}
		})
	}
}
