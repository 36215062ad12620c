package metrics

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsNothingOfOurs keeps metrics a leaf: viz, run folders, the
// app and dcn read its values, so it must not link the engine, the
// training loop or the data.
func TestImportsNothingOfOurs(t *testing.T) {
	for _, dep := range ourDeps(t, ".") {
		t.Errorf("metrics depends on %s; it must import nothing of ours", dep)
	}
}

// ourDeps lists the packages of this module that pkg depends on, itself
// excluded.
func ourDeps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	self, err := exec.Command("go", "list", pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	var deps []string
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/deformscope/deformscope/") && p != strings.TrimSpace(string(self)) {
			deps = append(deps, p)
		}
	}
	return deps
}
