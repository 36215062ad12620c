package app

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/deformscope/deformscope/viz"
)

// existing returns those of paths that are already on disk.
func existing(paths []string) []string {
	var out []string
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// confirmOverwrite runs write at once when none of paths exists; else it
// asks first, naming the files an export would replace, so that an export
// never silently overwrites an earlier one (of another run, say).
func (u *UI) confirmOverwrite(paths []string, write func()) {
	old := existing(paths)
	if len(old) == 0 {
		write()
		return
	}
	names := make([]string, 0, 4)
	for i, p := range old {
		if i == 3 {
			names = append(names, fmt.Sprintf("and %d more", len(old)-3))
			break
		}
		names = append(names, filepath.Base(p))
	}
	msg := fmt.Sprintf("%d of the files to write already exist in %s (%s), perhaps from another run.\n"+
		"Overwrite them, or cancel and choose another folder?", len(old), filepath.Dir(old[0]), strings.Join(names, ", "))
	d := dialog.NewConfirm("Replace existing files?", msg, func(ok bool) {
		if ok {
			write()
		}
	}, u.win)
	d.SetConfirmText("Overwrite")
	d.SetDismissText("Cancel")
	d.SetConfirmImportance(widget.DangerImportance)
	d.Show()
}

// plannedFiles lists the files an export of ids with o writes (CSV
// included), whether or not each figure has data yet.
func plannedFiles(ids []viz.FigureID, o exportOptions) []string {
	var out []string
	for _, id := range ids {
		base := filepath.Join(o.Dir, string(id))
		for _, f := range []struct {
			on  bool
			ext string
		}{{o.PNG, ".png"}, {o.SVG, ".svg"}, {o.PDF, ".pdf"}, {true, ".csv"}} {
			if f.on {
				out = append(out, base+f.ext)
			}
		}
	}
	return out
}
