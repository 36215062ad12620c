package app

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"

	"github.com/deformscope/deformscope/model/rundir"
)

// Exports belong to the run they show. Each run remembers its own export
// folder (by default its figures/ folder); nothing of one run's exports
// is offered to, or written into, another run's folder, so that deleting a
// run removes only what that run wrote. The folders are kept in the
// preferences as one JSON object, run folder → export folder.

// prefExportDirs is the preference key of the remembered export folders.
const prefExportDirs = "exportDirs"

// maxExportDirs bounds the remembered folders: the oldest runs' go first.
const maxExportDirs = 200

// exportDirs reads the remembered export folders.
func (u *UI) exportDirs() map[string]string {
	m := map[string]string{}
	if s := u.prefs.String(prefExportDirs); s != "" {
		if json.Unmarshal([]byte(s), &m) != nil {
			return map[string]string{}
		}
	}
	return m
}

// exportDir is where the export dialogs of the shown run start: the folder
// its figures were last exported to, else its own figures/ folder; with no
// run shown, the home folder. The Offsets view's exports ask here too.
func (u *UI) exportDir() string {
	return u.exportDirFor(u.last.RunDir)
}

// exportDirFor is exportDir for the run in folder run ("" for none).
func (u *UI) exportDirFor(run string) string {
	if run == "" {
		if d, err := os.UserHomeDir(); err == nil {
			return d
		}
		return "."
	}
	if d := u.exportDirs()[run]; d != "" && u.checkExportDir(run, d) == nil {
		return d
	}
	return filepath.Join(run, "figures")
}

// rememberExportDir keeps dir as the shown run's export folder, after
// checking that it is no other run's: it returns an error naming that run
// (and remembers nothing) if it is.
func (u *UI) rememberExportDir(dir string) error {
	return u.rememberExportDirFor(u.last.RunDir, dir)
}

// rememberExportDirFor is rememberExportDir for the run in folder run
// ("" for none: nothing is remembered).
func (u *UI) rememberExportDirFor(run, dir string) error {
	if err := u.checkExportDir(run, dir); err != nil {
		return err
	}
	if run == "" {
		return nil
	}
	m := u.exportDirs()
	for r := range m {
		if _, err := os.Stat(r); err != nil {
			delete(m, r) // a run deleted since
		}
	}
	if len(m) >= maxExportDirs {
		clear(m)
	}
	m[run] = filepath.Clean(dir)
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	u.prefs.SetString(prefExportDirs, string(b))
	return nil
}

// checkExportDir refuses dir as an export folder of the run in folder run
// when dir lies inside another run's folder.
func (u *UI) checkExportDir(run, dir string) error {
	owner := runOwning(dir)
	if owner == "" || run != "" && sameDir(owner, run) {
		return nil
	}
	what := "these figures"
	if run != "" {
		what = "the figures of " + filepath.Base(run)
	}
	return fmt.Errorf("export: %s is inside the run folder %s; %s go elsewhere (deleting that run would take them with it)",
		dir, owner, what)
}

// runOwning returns the run folder that holds dir or is dir, or "". A
// folder counts as a run only when rundir.Open reads it as one: a
// config.json of another tool (~/proj/config.json) makes no run.
func runOwning(dir string) string {
	d, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		if st, err := os.Stat(filepath.Join(d, "config.json")); err == nil && st.Mode().IsRegular() {
			if _, err := rundir.Open(d); err == nil {
				return d
			}
		}
		up := filepath.Dir(d)
		if up == d {
			return ""
		}
		d = up
	}
}

// sameDir reports whether a and b name the same folder.
func sameDir(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// exportLocation is exportDir as a starting place for Fyne's file
// dialogs (created if missing, since a dialog cannot start in a folder
// that does not exist); nil if it cannot be listed. Without it a file
// dialog starts where the last one ended, which may be another run's.
func (u *UI) exportLocation() fyne.ListableURI {
	return u.exportLocationFor(u.last.RunDir)
}

// exportLocationFor is exportLocation for the run in folder run.
func (u *UI) exportLocationFor(run string) fyne.ListableURI {
	dir := u.exportDirFor(run)
	if run != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil
		}
	}
	l, err := storage.ListerForURI(storage.NewFileURI(dir))
	if err != nil {
		return nil
	}
	return l
}
