package trace

import (
	"os/exec"
	"strings"
	"testing"
)

// TestTraceImportsOnlyTheEngine keeps traces a record: trace may read the
// engine's layers (nn) and the records' sampling field (metrics), never the
// training loop, run folders or data.
func TestTraceImportsOnlyTheEngine(t *testing.T) {
	const mod = "github.com/deformscope/deformscope/"
	allowed := map[string]bool{mod + "model/trace": true, mod + "model/nn": true, mod + "model/metrics": true}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, mod) && !allowed[p] {
			t.Errorf("trace depends on %s; it may import only model/nn and model/metrics", p)
		}
	}
}
