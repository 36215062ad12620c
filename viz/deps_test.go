package viz

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// module is this repository's module path.
const module = "github.com/deformscope/deformscope"

// forbiddenDeps are the packages viz and its subpackages must never link:
// the training loop, run folders and their orchestration, the inspection
// that runs a run's nets, the data sets, and the GUI toolkit. viz takes
// values (traces, records, reports) and draws them.
var forbiddenDeps = []string{
	module + "/model/train",
	module + "/model/rundir",
	module + "/model/runner",
	module + "/model/experiment",
	module + "/model/inspect",
	module + "/model/coco", // and model/coco/cropset under it
	"fyne.io/fyne",
}

// forbidden returns the packages of deps that are, or lie under, one of
// forbiddenDeps.
func forbidden(deps []string) []string {
	var bad []string
	for _, d := range deps {
		if slices.ContainsFunc(forbiddenDeps, func(f string) bool { return d == f || strings.HasPrefix(d, f+"/") }) {
			bad = append(bad, d)
		}
	}
	return bad
}

func TestForbidden(t *testing.T) {
	for _, tc := range []struct {
		name string
		deps []string
		want []string
	}{
		{"clean", []string{module + "/model/trace", module + "/model/metrics", module + "/model/dilation", "image"}, nil},
		{"the training loop", []string{module + "/model/train", module + "/model/trace"}, []string{module + "/model/train"}},
		{"cropset under coco", []string{module + "/model/coco/cropset"}, []string{module + "/model/coco/cropset"}},
		{"fyne", []string{"fyne.io/fyne/v2/canvas"}, []string{"fyne.io/fyne/v2/canvas"}},
		{"a name that only starts alike", []string{module + "/model/trainer", module + "/model/cocoa"}, nil},
	} {
		if got := forbidden(tc.deps); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestDepsStayDrawing: `go list -deps ./viz/...` holds none of
// forbiddenDeps.
func TestDepsStayDrawing(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH to list viz's dependencies")
	}
	// The test runs in viz/, so ./... is ./viz/... of the repository.
	out, err := exec.Command(gobin, "list", "-deps", "./...").Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list -deps ./viz/...: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list -deps ./viz/...: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 || !slices.Contains(deps, module+"/viz") {
		t.Fatalf("go list -deps ./viz/... printed no viz: %q", out)
	}
	if bad := forbidden(deps); len(bad) > 0 {
		t.Errorf("viz links %s; viz draws values and must not import them (README, package layout)", strings.Join(bad, ", "))
	}
}
