package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"
)

// Fyne's folder dialog starts where the last file dialog ended (which may
// be another run's figures folder) and has no field to type a path in.
// folderDialog puts a path field in front of it: it starts at a folder the
// caller names, a typed path opens with Enter or Open, and Browse… starts
// Fyne's dialog at the typed path.

// folderDialog is a dialog that asks for a folder.
type folderDialog struct {
	*dialog.CustomDialog
	path *widget.Entry
	open func() // what Open and Enter do: check the folder, then use it
}

// chooseFolderAt returns a dialog (not yet shown) that asks for a folder,
// starting at start; chosen gets the folder, which exists.
func (u *UI) chooseFolderAt(title, start string, chosen func(dir string)) *folderDialog {
	d := &folderDialog{path: widget.NewEntry()}
	d.path.SetText(start)
	d.path.SetPlaceHolder("a folder: type its path, or Browse…")
	browse := widget.NewButton("Browse…", func() {
		fd := dialog.NewFolderOpen(func(uri fyne.ListableURI, err error) {
			if err != nil {
				dialog.ShowError(err, u.win)
				return
			}
			if uri != nil {
				d.path.SetText(uri.Path())
			}
		}, u.win)
		if l := nearestFolder(d.path.Text); l != nil {
			fd.SetLocation(l)
		}
		fd.Show()
	})
	d.open = func() {
		dir := expandHome(strings.TrimSpace(d.path.Text))
		st, err := os.Stat(dir)
		switch {
		case dir == "":
			err = errors.New("type a folder's path, or Browse…")
		case err == nil && !st.IsDir():
			err = fmt.Errorf("%s is a file, not a folder", dir)
		}
		if err != nil {
			dialog.ShowError(err, u.win)
			return
		}
		d.Hide()
		chosen(dir)
	}
	d.path.OnSubmitted = func(string) { d.open() }
	form := widget.NewForm(&widget.FormItem{Text: "Folder", Widget: container.NewBorder(nil, nil, nil, browse, d.path),
		HintText: "type a path and press Enter, or Browse…"})
	d.CustomDialog = dialog.NewCustomWithoutButtons(title, form, u.win)
	openBtn := widget.NewButton("Open", d.open)
	openBtn.Importance = widget.HighImportance
	d.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", d.Hide), openBtn})
	d.Resize(fyne.NewSize(560, d.MinSize().Height))
	return d
}

// nearestFolder is the folder path names, or its nearest existing parent,
// for a file dialog to start in; nil if none can be listed.
func nearestFolder(path string) fyne.ListableURI {
	dir := expandHome(strings.TrimSpace(path))
	if dir == "" {
		return nil
	}
	for {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			if l, err := storage.ListerForURI(storage.NewFileURI(dir)); err == nil {
				return l
			}
			return nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return nil
		}
		dir = up
	}
}

// expandHome reads a leading ~ as the home folder, as a shell would.
func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}
