package viz

import (
	"math"
	"testing"
)

func TestZoomFollowGrowsForNewPoints(t *testing.T) {
	s := []Series{{Model: "cnn", X: []float64{1, 2, 3, 4, 5}, Y: []float64{90, 10, 92, 99, nan}}}
	base := Zoom{On: true, X0: 0.5, X1: 4.5, Y0: 50, Y1: 95}
	tests := []struct {
		name      string
		z         Zoom
		logY      bool
		x1, y0    float64
		y1AtLeast float64
		y1Exact   bool
	}{
		{"a fixed zoom stays put", base, false, 4.5, 50, 95, true},
		// Points after x 3 are new: 99 at x 4 grows the top; 10 at x 2
		// was there when the zoom was set and stays outside it.
		{"follow grows the top for a new point", withFollow(base, 3), false, 4.5, 50, 99, false},
		{"follow moves x1 to the newest point", withFollow(Zoom{On: true, X0: 0.5, X1: 3.5, Y0: 50, Y1: 95}, 3), false, 4, 50, 99, false},
		{"nothing new", withFollow(base, 5), false, 4.5, 50, 95, true},
		{"log axis", withFollow(Zoom{On: true, X0: 0.5, X1: 4.5, Y0: 50, Y1: 95}, 3), true, 4.5, 50, 99, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.z.grow(s, tc.logY)
			if g.X0 != tc.z.X0 || g.X1 != tc.x1 || g.Y0 != tc.y0 {
				t.Errorf("grown to x %v–%v, y from %v; want x %v–%v, y from %v", g.X0, g.X1, g.Y0, tc.z.X0, tc.x1, tc.y0)
			}
			if tc.y1Exact && g.Y1 != tc.y1AtLeast || !tc.y1Exact && !(g.Y1 > tc.y1AtLeast) {
				t.Errorf("y1 = %v, want %v (exactly: %v)", g.Y1, tc.y1AtLeast, tc.y1Exact)
			}
			if math.IsNaN(g.Y1) || math.IsNaN(g.X1) {
				t.Errorf("NaN limits: %+v", g)
			}
		})
	}
}

func withFollow(z Zoom, after float64) Zoom {
	z.Follow, z.After = true, after
	return z
}
