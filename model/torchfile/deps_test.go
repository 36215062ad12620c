package torchfile

import (
	"os/exec"
	"strings"
	"testing"
)

// TestReadsAndWritesFilesOnly keeps torchfile a file format package: it reads and writes PyTorch
// files, and what makes runs of them (run folders, settings, training) is model/runner's.
func TestReadsAndWritesFilesOnly(t *testing.T) {
	const mod = "github.com/deformscope/deformscope/"
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list -deps listed nothing")
	}
	for _, p := range deps {
		switch strings.TrimPrefix(p, mod) {
		case "model/rundir", "model/runner", "model/experiment", "model/train":
			t.Errorf("torchfile depends on %s; runs are model/runner's", p)
		}
	}
}
