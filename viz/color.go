package viz

import (
	"hash/fnv"
	"image/color"
	"strings"
)

// otherColors are the colours of models other than cnn and dcnn: the rest of
// matplotlib's "tab10" palette, whose first two entries are cnn's and dcnn's.
var otherColors = [...]color.NRGBA{
	{0x2c, 0xa0, 0x2c, 0xff}, // green
	{0xd6, 0x27, 0x28, 0xff}, // red
	{0x94, 0x67, 0xbd, 0xff}, // purple
	{0x8c, 0x56, 0x4b, 0xff}, // brown
	{0xe3, 0x77, 0xc2, 0xff}, // pink
	{0x7f, 0x7f, 0x7f, 0xff}, // grey
	{0xbc, 0xbd, 0x22, 0xff}, // olive
	{0x17, 0xbe, 0xcf, 0xff}, // cyan
}

// ModelColor returns the fixed colour of a model: cnn blue (#1f77b4), dcnn
// orange (#ff7f0e), others from a fixed palette chosen by a hash of the name,
// so that a model keeps its colour in every figure and every run. Names are
// compared without regard to case or surrounding spaces.
func ModelColor(model string) color.NRGBA {
	model = strings.ToLower(strings.TrimSpace(model))
	switch model {
	case "cnn":
		return color.NRGBA{0x1f, 0x77, 0xb4, 0xff}
	case "dcnn":
		return color.NRGBA{0xff, 0x7f, 0x0e, 0xff}
	}
	h := fnv.New32a()
	h.Write([]byte(model))
	return otherColors[h.Sum32()%uint32(len(otherColors))]
}

// withAlpha returns c with its opacity scaled by a in [0, 1].
func withAlpha(c color.NRGBA, a float64) color.NRGBA {
	c.A = uint8(float64(c.A)*a + 0.5)
	return c
}

// blues is a white-to-dark-blue sequential palette for heat maps, after
// ColorBrewer's "Blues".
type blues int

// bluesStops are ColorBrewer's 9-class Blues, light to dark.
var bluesStops = [...]color.NRGBA{
	{0xf7, 0xfb, 0xff, 0xff}, {0xde, 0xeb, 0xf7, 0xff}, {0xc6, 0xdb, 0xef, 0xff},
	{0x9e, 0xca, 0xe1, 0xff}, {0x6b, 0xae, 0xd6, 0xff}, {0x42, 0x92, 0xc6, 0xff},
	{0x21, 0x71, 0xb5, 0xff}, {0x08, 0x51, 0x9c, 0xff}, {0x08, 0x30, 0x6b, 0xff},
}

// Colors implements palette.Palette with n colours interpolated between the
// stops.
func (n blues) Colors() []color.Color {
	cs := make([]color.Color, int(n))
	for i := range cs {
		cs[i] = bluesAt(float64(i) / float64(int(n)-1))
	}
	return cs
}

// bluesAt returns the palette's colour at t in [0, 1].
func bluesAt(t float64) color.NRGBA { return interpolate(bluesStops[:], t) }
