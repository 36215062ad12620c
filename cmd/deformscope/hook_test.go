package main

import (
	"bytes"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestScriptHookOnlyWithTheTag checks that the end-to-end test's script hook
// (app/script.go, cmd/deformscope/script.go) and the clip check it reports
// with (app/internal/clip, which uses reflect) are in a build only with the
// e2e tag: `go build ./cmd/deformscope`, the app people run, holds neither.
// TestDemoWindowE2E checks the binary itself.
func TestScriptHookOnlyWithTheTag(t *testing.T) {
	const clip = "github.com/deformscope/deformscope/app/internal/clip"
	for _, c := range []struct {
		tags string
		want bool
	}{{"", false}, {"e2e", true}} {
		for _, pkg := range []string{"../../app", "."} {
			files := strings.Fields(goList(t, c.tags, "-f", "{{join .GoFiles \" \"}}", pkg))
			if got := slices.Contains(files, "script.go"); got != c.want {
				t.Errorf("tags %q: %s/script.go compiled: %v, want %v (files: %s)", c.tags, pkg, got, c.want, files)
			}
		}
		deps := goList(t, c.tags, "-deps", ".")
		if got := slices.Contains(strings.Fields(deps), clip); got != c.want {
			t.Errorf("tags %q: %s linked: %v, want %v", c.tags, clip, got, c.want)
		}
	}
}

// goList runs go list with the build tags and arguments, returning its output.
func goList(t *testing.T, tags string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-tags", tags}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

// hasScriptHook reports whether the binary at path reads DEFORMSCOPE_SCRIPT
// (the variable's name is in it only with the hook).
func hasScriptHook(t *testing.T, path string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(b, []byte("DEFORMSCOPE_SCRIPT"))
}
