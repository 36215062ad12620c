package app

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/deformscope/deformscope/viz"
)

// The choices of the export form.
const (
	allFiguresChoice = "All figures"
	sizePixels       = "Pixels"
	sizeInches       = "Inches and DPI"
	bgWhite          = "White"
	bgTransparent    = "Transparent"
)

// exportAllRender is the size of "Export all": 8×5 in, 150 dpi for PNG
// (1200×750 px).
var exportAllRender = viz.RenderOptions{WidthIn: 8, HeightIn: 5, DPI: 150}

// exportForm holds the export dialog's fields.
type exportForm struct {
	ids           []viz.FigureID // the figures offered
	figure        *widget.Select
	png, svg, pdf *widget.Check
	sizeMode      *widget.RadioGroup
	widthPx       *widget.Entry
	heightPx      *widget.Entry
	widthIn       *widget.Entry
	heightIn      *widget.Entry
	dpi           *widget.Entry
	background    *widget.RadioGroup
	dir           *widget.Entry
}

func newExportForm(dir string, ids []viz.FigureID) *exportForm {
	choices := []string{allFiguresChoice}
	for _, id := range ids {
		choices = append(choices, viz.FigureTitle(id))
	}
	f := &exportForm{
		ids:        ids,
		figure:     widget.NewSelect(choices, nil),
		png:        widget.NewCheck("PNG", nil),
		svg:        widget.NewCheck("SVG", nil),
		pdf:        widget.NewCheck("PDF", nil),
		sizeMode:   widget.NewRadioGroup([]string{sizePixels, sizeInches}, nil),
		widthPx:    widget.NewEntry(),
		heightPx:   widget.NewEntry(),
		widthIn:    widget.NewEntry(),
		heightIn:   widget.NewEntry(),
		dpi:        widget.NewEntry(),
		background: widget.NewRadioGroup([]string{bgWhite, bgTransparent}, nil),
		dir:        widget.NewEntry(),
	}
	f.figure.SetSelected(allFiguresChoice)
	f.png.SetChecked(true)
	f.svg.SetChecked(true)
	f.pdf.SetChecked(true)
	f.sizeMode.Horizontal, f.background.Horizontal = true, true
	f.sizeMode.Required, f.background.Required = true, true
	f.sizeMode.OnChanged = f.sizeModeChanged
	f.sizeMode.SetSelected(sizePixels)
	f.widthPx.SetText("1200")
	f.heightPx.SetText("750")
	f.widthIn.SetText("8")
	f.heightIn.SetText("5")
	f.dpi.SetText("150")
	f.background.SetSelected(bgWhite)
	f.dir.SetText(dir)
	return f
}

// sizeModeChanged enables the size fields of the chosen mode.
func (f *exportForm) sizeModeChanged(mode string) {
	px := mode != sizeInches
	setEnabled(f.widthPx, px)
	setEnabled(f.heightPx, px)
	setEnabled(f.widthIn, !px)
	setEnabled(f.heightIn, !px)
}

func (f *exportForm) items(browse func()) []*widget.FormItem {
	by := func(a, b *widget.Entry, unit string) fyne.CanvasObject {
		return container.NewGridWithColumns(3, a, b, widget.NewLabel(unit))
	}
	return []*widget.FormItem{
		{Text: "Figure", Widget: f.figure},
		{Text: "Formats", Widget: container.NewHBox(f.png, f.svg, f.pdf), HintText: "a CSV of the data goes beside each figure"},
		{Text: "Size", Widget: f.sizeMode},
		{Text: "Pixels", Widget: by(f.widthPx, f.heightPx, "px")},
		{Text: "Inches", Widget: by(f.widthIn, f.heightIn, "in")},
		{Text: "DPI", Widget: f.dpi, HintText: "scales text and lines; PNG size in inches × DPI"},
		{Text: "Background", Widget: f.background},
		{Text: "Folder", Widget: container.NewBorder(nil, nil, nil, widget.NewButton("Browse…", browse), f.dir)},
	}
}

// options reads the form, naming the first unusable field.
func (f *exportForm) options() ([]viz.FigureID, exportOptions, error) {
	ids := f.ids
	if f.figure.Selected != allFiguresChoice {
		ids = nil
		for _, id := range f.ids {
			if viz.FigureTitle(id) == f.figure.Selected {
				ids = []viz.FigureID{id}
			}
		}
		if ids == nil {
			return nil, exportOptions{}, errors.New("export: choose a figure")
		}
	}
	o := exportOptions{Dir: strings.TrimSpace(f.dir.Text), PNG: f.png.Checked, SVG: f.svg.Checked, PDF: f.pdf.Checked}
	o.Render.Transparent = f.background.Selected == bgTransparent
	num := func(name string, e *widget.Entry) (float64, error) {
		v, err := strconv.ParseFloat(strings.TrimSpace(e.Text), 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("export: %s: want a positive number, got %q", name, e.Text)
		}
		return v, nil
	}
	var err error
	if o.Render.DPI, err = num("DPI", f.dpi); err != nil {
		return nil, o, err
	}
	if f.sizeMode.Selected == sizeInches {
		if o.Render.WidthIn, err = num("width in inches", f.widthIn); err != nil {
			return nil, o, err
		}
		if o.Render.HeightIn, err = num("height in inches", f.heightIn); err != nil {
			return nil, o, err
		}
	} else {
		for _, p := range []struct {
			name string
			e    *widget.Entry
			dst  *int
		}{{"width in pixels", f.widthPx, &o.Render.WidthPx}, {"height in pixels", f.heightPx, &o.Render.HeightPx}} {
			v, err := strconv.Atoi(strings.TrimSpace(p.e.Text))
			if err != nil || v <= 0 {
				return nil, o, fmt.Errorf("export: %s: want a positive whole number, got %q", p.name, p.e.Text)
			}
			*p.dst = v
		}
	}
	return ids, o, nil
}

// ShowExport opens the export dialog.
func (u *UI) ShowExport() {
	if u.closed {
		return
	}
	u.exportDialog().Show()
}

// exportDialog builds the export dialog; its form writes the chosen
// figures when submitted.
func (u *UI) exportDialog() *exportDialog {
	f := newExportForm(u.exportDir(), viz.FiguresFor(u.shown))
	browse := func() {
		d := dialog.NewFolderOpen(func(uri fyne.ListableURI, err error) {
			if err == nil && uri != nil {
				f.dir.SetText(uri.Path())
			}
		}, u.win)
		if l := u.exportLocation(); l != nil {
			d.SetLocation(l)
		}
		d.Show()
	}
	items := f.items(browse)
	items[len(items)-1].HintText = exportWhere(u.last.RunDir)
	d := dialog.NewForm("Export figures", "Export", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		ids, o, err := f.options()
		if err != nil {
			dialog.ShowError(err, u.win)
			return
		}
		if err := u.rememberExportDir(o.Dir); err != nil {
			dialog.ShowError(err, u.win)
			return
		}
		u.confirmOverwrite(plannedFiles(ids, o), func() { u.exportTo(ids, o) })
	}, u.win)
	d.Resize(fyne.NewSize(560, d.MinSize().Height))
	return &exportDialog{FormDialog: d, form: f}
}

// exportWhere says, under an export dialog's folder, whose folder it is.
func exportWhere(run string) string {
	if run == "" {
		return "not a run's: no run folder is shown"
	}
	return "the run " + filepath.Base(run) + "'s own; remembered for this run"
}

// exportDialog is the export dialog and its fields.
type exportDialog struct {
	*dialog.FormDialog
	form *exportForm
}

// ExportAll writes every figure of the current run in PNG, SVG and PDF,
// with its CSV, to the run folder's figures/ folder.
func (u *UI) ExportAll() {
	if u.closed {
		return
	}
	if u.last.RunDir == "" {
		dialog.ShowError(errors.New("export: nothing to export yet; train first"), u.win)
		return
	}
	ids := viz.FiguresFor(u.shown)
	o := exportOptions{Dir: filepath.Join(u.last.RunDir, "figures"), PNG: true, SVG: true, PDF: true, Render: exportAllRender}
	u.confirmOverwrite(plannedFiles(ids, o), func() { u.exportTo(ids, o) })
}

// exportTo writes the figures on a goroutine of its own (PDF and large PNGs
// take a moment) and reports through the bridge.
func (u *UI) exportTo(ids []viz.FigureID, o exportOptions) {
	in := u.rend.input()
	u.curves.setExporting(true)
	u.exportWG.Add(1)
	ctx := u.exportCtx
	go func() {
		defer u.exportWG.Done()
		files, err := exportFigures(ctx, in, ids, o)
		u.bridge.exported(files, o.Dir, err)
	}()
}

// exportEnded reports an export's outcome; it runs on the UI goroutine.
func (u *UI) exportEnded(files []string, dir string, err error) {
	u.curves.setExporting(false)
	if u.closed {
		return
	}
	if err != nil {
		dialog.ShowError(err, u.win)
		return
	}
	dialog.ShowInformation("Export", fmt.Sprintf("Wrote %d files to %s", len(files), dir), u.win)
}
