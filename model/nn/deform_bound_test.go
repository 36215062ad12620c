package nn

import (
	"strings"
	"testing"
)

// withBaseChecks turns checkBases on for the rest of the test: every
// sampling kernel's run then checks each of its bases against the bound
// the layer passed (baseLimit), and panics past it.
func withBaseChecks(t *testing.T) {
	t.Helper()
	checkBases = true
	t.Cleanup(func() { checkBases = false })
}

// TestCheckBound checks checkBound itself: silent within [0, last] or
// with checkBases off, a panic naming the base past either end.
func TestCheckBound(t *testing.T) {
	checkBound([]int32{-1, 99}, 10) // off: no check
	withBaseChecks(t)
	checkBound([]int32{0, 5, 10}, 10)
	for _, base := range [][]int32{{0, 11}, {-1}} {
		func() {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, "outside [0, 10]") {
					t.Fatalf("bases %v past 10: recovered %v", base, r)
				}
			}()
			checkBound(base, 10)
		}()
	}
}

// TestSampleSize wants a clear error for an input whose padded image has
// more pixels than the sampling's int32 bases can index, and none at the
// largest size that fits.
func TestSampleSize(t *testing.T) {
	if err := sampleSize("dcn", 46338, 46338); err != nil { // 46340² < 2³¹
		t.Fatal(err)
	}
	err := sampleSize("dcn", 46340, 46340)
	if err == nil || !strings.Contains(err.Error(), "dcn: input of 46340×46340 pixels is too large") {
		t.Fatalf("46340×46340: %v", err)
	}
}
