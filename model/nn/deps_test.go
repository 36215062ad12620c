package nn

import (
	"os/exec"
	"strings"
	"testing"
)

// TestEngineImportsNothingOfOurs keeps the engine at the bottom: nn links
// no data, records or training code of ours, and no tensor library (its
// tensors are plain slices; gorgonia.org/tensor serves only .npy files).
func TestEngineImportsNothingOfOurs(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		ours := strings.HasPrefix(p, "github.com/deformscope/deformscope/") && p != "github.com/deformscope/deformscope/model/nn"
		if ours || strings.HasPrefix(p, "gorgonia.org/") {
			t.Errorf("model/nn depends on %s", p)
		}
	}
}
