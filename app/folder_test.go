package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenRunFolderStartsInRunsFolder: "Open run folder…" starts in the
// runs folder (not where the last file dialog ended), a typed path opens,
// and a path that is no folder is refused by name, the dialog kept open.
func TestOpenRunFolderStartsInRunsFolder(t *testing.T) {
	root := t.TempDir()
	h := newHarness(t, root)
	h.u.offsets.chooseRun()
	if got := h.overlayText(); !strings.Contains(got, "Open run folder") || !strings.Contains(got, root) {
		t.Errorf("Open run folder… shows %q, want it to start in %s", got, root)
	}
	h.w.Canvas().Overlays().Top().Hide()

	other := t.TempDir()
	file := filepath.Join(other, "file.txt")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, typed, want, wantErr string
	}{
		{"a typed folder", other, other, ""},
		{"a folder that is not there", filepath.Join(other, "nope"), "", "nope"},
		{"a file", file, "", "is a file, not a folder"},
	} {
		var got string
		d := h.u.chooseFolderAt("Open run folder", root, func(dir string) { got = dir })
		d.Show()
		d.path.SetText(c.typed)
		d.path.OnSubmitted(c.typed) // Enter
		if got != c.want {
			t.Errorf("%s: chose %q, want %q", c.name, got, c.want)
		}
		top := h.w.Canvas().Overlays().Top()
		if c.wantErr != "" {
			if text := h.overlayText(); !strings.Contains(text, c.wantErr) {
				t.Errorf("%s: the window says %q, want %q", c.name, text, c.wantErr)
			}
			top.Hide() // the error
		}
		for h.w.Canvas().Overlays().Top() != nil {
			h.w.Canvas().Overlays().Top().Hide()
		}
	}
}
