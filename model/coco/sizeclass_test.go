package coco

import "testing"

func TestCOCOSizeClass(t *testing.T) {
	for _, tc := range []struct {
		b    Box
		want string
	}{{Box{0, 0, 31, 33}, "small"}, {Box{0, 0, 32, 32}, "medium"}, {Box{0, 0, 95, 97}, "medium"}, {Box{0, 0, 96, 96}, "large"}} {
		if got := SizeClass(tc.b); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.b, got, tc.want)
		}
	}
}
