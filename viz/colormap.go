package viz

import (
	"fmt"
	"image/color"
	"math"
	"strings"
)

// Anchor colours of the colour maps, evenly spaced from 0 to 1, with linear
// interpolation between them.
//
// viridis and magma are entries 0, 17, 34, ..., 255 of matplotlib's
// 256-entry tables (van der Walt and Smith, 2015) as d3-scale-chromatic
// 3.1.0 publishes them in 8 bits; coolwarm is every other row of Table 2 of
// K. Moreland, "Diverging Color Maps for Scientific Visualization" (2009),
// the map matplotlib calls "coolwarm".
var colormaps = map[string][]color.NRGBA{
	"viridis": {
		{0x44, 0x01, 0x54, 0xff}, {0x48, 0x1a, 0x6c, 0xff}, {0x47, 0x2f, 0x7d, 0xff}, {0x41, 0x44, 0x87, 0xff},
		{0x39, 0x56, 0x8c, 0xff}, {0x31, 0x68, 0x8e, 0xff}, {0x2a, 0x78, 0x8e, 0xff}, {0x23, 0x88, 0x8e, 0xff},
		{0x1f, 0x98, 0x8b, 0xff}, {0x22, 0xa8, 0x84, 0xff}, {0x35, 0xb7, 0x79, 0xff}, {0x54, 0xc5, 0x68, 0xff},
		{0x7a, 0xd1, 0x51, 0xff}, {0xa5, 0xdb, 0x36, 0xff}, {0xd2, 0xe2, 0x1b, 0xff}, {0xfd, 0xe7, 0x25, 0xff},
	},
	"magma": {
		{0x00, 0x00, 0x04, 0xff}, {0x0b, 0x09, 0x24, 0xff}, {0x20, 0x11, 0x4b, 0xff}, {0x3b, 0x0f, 0x70, 0xff},
		{0x57, 0x15, 0x7e, 0xff}, {0x72, 0x1f, 0x81, 0xff}, {0x8c, 0x29, 0x81, 0xff}, {0xa8, 0x32, 0x7d, 0xff},
		{0xc4, 0x3c, 0x75, 0xff}, {0xde, 0x49, 0x68, 0xff}, {0xf1, 0x60, 0x5d, 0xff}, {0xfa, 0x7f, 0x5e, 0xff},
		{0xfe, 0x9f, 0x6d, 0xff}, {0xfe, 0xbf, 0x84, 0xff}, {0xfd, 0xde, 0xa0, 0xff}, {0xfc, 0xfd, 0xbf, 0xff},
	},
	"coolwarm": {
		{59, 76, 192, 0xff}, {77, 104, 215, 0xff}, {98, 130, 234, 0xff}, {119, 154, 247, 0xff},
		{141, 176, 254, 0xff}, {163, 194, 255, 0xff}, {184, 208, 249, 0xff}, {204, 217, 238, 0xff},
		{221, 221, 221, 0xff}, {236, 211, 197, 0xff}, {245, 196, 173, 0xff}, {247, 177, 148, 0xff},
		{244, 154, 123, 0xff}, {236, 127, 99, 0xff}, {222, 96, 77, 0xff}, {203, 62, 56, 0xff},
		{180, 4, 38, 0xff},
	},
}

// defaultColormap is the map used when none is named.
const defaultColormap = "viridis"

// Colormap maps v in [0, 1] to a colour of the named map: "viridis" (also
// the empty name), "magma" or "coolwarm", case-insensitive. v outside [0, 1]
// is clamped, so that a fixed scale shows out-of-range values at its ends.
// It returns an error for an unknown name or a NaN v.
func Colormap(name string, v float64) (color.NRGBA, error) {
	stops, err := colormapStops(name)
	if err != nil {
		return color.NRGBA{}, err
	}
	if math.IsNaN(v) {
		return color.NRGBA{}, fmt.Errorf("viz: colormap %s: value is NaN", name)
	}
	return interpolate(stops, v), nil
}

// colormapStops returns the anchors of the named map.
func colormapStops(name string) ([]color.NRGBA, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	if key == "" {
		key = defaultColormap
	}
	stops, ok := colormaps[key]
	if !ok {
		return nil, fmt.Errorf("viz: unknown colormap %q (want viridis, magma or coolwarm)", name)
	}
	return stops, nil
}

// interpolate returns the colour at v (clamped to [0, 1]) between evenly
// spaced stops.
func interpolate(stops []color.NRGBA, v float64) color.NRGBA {
	v = min(max(v, 0), 1)
	f := v * float64(len(stops)-1)
	i := min(int(f), len(stops)-2)
	u := f - float64(i)
	a, b := stops[i], stops[i+1]
	mix := func(x, y uint8) uint8 { return uint8(float64(x)*(1-u) + float64(y)*u + 0.5) }
	return color.NRGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
}
