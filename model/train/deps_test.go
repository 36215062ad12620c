package train_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDataHoldsNoCOCOTypes keeps the training loop apart from the data
// sets' loaders: train.Data holds sets and class names, and what the COCO
// loader reports stays with its callers (experiment.Data).
func TestDataHoldsNoCOCOTypes(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/deformscope/deformscope/model/coco") {
			t.Errorf("model/train depends on %s", p)
		}
	}
}
