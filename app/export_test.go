package app

import (
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/viz"
)

func sampleInput() viz.FigureInput {
	return inputFrom(sampleSnapshot("/runs/demo"), 0.6, false)
}

func checkFiles(t *testing.T, files []string) {
	t.Helper()
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			t.Errorf("missing: %v", err)
			continue
		}
		if st.Size() == 0 {
			t.Errorf("%s is empty", f)
		}
	}
}

func pngSize(t *testing.T, path string) (image.Point, image.Image) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img.Bounds().Size(), img
}

func TestExportFigures(t *testing.T) {
	for _, tc := range []struct {
		name        string
		render      viz.RenderOptions
		size        image.Point
		transparent bool
	}{
		{"pixels", viz.RenderOptions{WidthPx: 640, HeightPx: 400}, image.Pt(640, 400), false},
		{"inches", viz.RenderOptions{WidthIn: 4, HeightIn: 3, DPI: 100}, image.Pt(400, 300), false},
		{"transparent", viz.RenderOptions{WidthPx: 300, HeightPx: 200, Transparent: true}, image.Pt(300, 200), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "figures") // created on demand
			files, err := exportFigures(context.Background(), sampleInput(), allFigures, exportOptions{Dir: dir, PNG: true, SVG: true, PDF: true, Render: tc.render})
			if err != nil {
				t.Fatal(err)
			}
			if want := 4 * len(allFigures); len(files) != want {
				t.Errorf("%d files, want %d: %v", len(files), want, files)
			}
			for _, id := range allFigures {
				for _, ext := range []string{".png", ".svg", ".pdf", ".csv"} {
					checkFiles(t, []string{filepath.Join(dir, string(id)+ext)})
				}
			}
			size, img := pngSize(t, filepath.Join(dir, "loss.png"))
			if size != tc.size {
				t.Errorf("loss.png is %v, want %v", size, tc.size)
			}
			if _, _, _, a := img.At(0, 0).RGBA(); (a == 0) != tc.transparent {
				t.Errorf("corner alpha %d, transparent %v", a, tc.transparent)
			}
			csv, _ := os.ReadFile(filepath.Join(dir, "loss.csv"))
			if !strings.HasPrefix(string(csv), "series,x,y\n") || !strings.Contains(string(csv), "DCNN val loss") {
				t.Errorf("loss.csv:\n%s", csv)
			}
			conf, _ := os.ReadFile(filepath.Join(dir, "confusion-dcnn.csv"))
			if lines := strings.Split(strings.TrimSpace(string(conf)), "\n"); len(lines) != 11 || lines[1] != "0,95,5,0,0,0,0,0,0,0,0" {
				t.Errorf("confusion-dcnn.csv:\n%s", conf)
			}
		})
	}
}

func TestExportErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		in   viz.FigureInput
		o    exportOptions
		want string
	}{
		{"no folder", sampleInput(), exportOptions{PNG: true}, "choose a folder"},
		{"no format", sampleInput(), exportOptions{Dir: dir}, "at least one format"},
		{"no data", viz.FigureInput{}, exportOptions{Dir: dir, PNG: true}, "no figure has data"},
		{"bad size", sampleInput(), exportOptions{Dir: dir, PNG: true, Render: viz.RenderOptions{WidthPx: -1, HeightPx: 5}}, "pixel size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := exportFigures(context.Background(), tc.in, allFigures, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// TestCancelledExportLeavesNoFile: an export whose context is done (the
// window closing) returns context.Canceled and writes nothing; one
// stopped mid-way by the window's own context does too.
func TestCancelledExportLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	files, err := exportFigures(ctx, sampleInput(), allFigures, exportOptions{Dir: dir, PNG: true, PDF: true})
	if !errors.Is(err, context.Canceled) || len(files) > 0 {
		t.Errorf("cancelled export: files %v, error %v; want none and context.Canceled", files, err)
	}
	if des, _ := os.ReadDir(dir); len(des) > 0 {
		t.Errorf("cancelled export left %d files, first %s", len(des), des[0].Name())
	}
}

func TestExportForm(t *testing.T) {
	test.NewTempApp(t)
	f := newExportForm("/out", allFigures)
	ids, o, err := f.options()
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != len(allFigures) || o.Dir != "/out" || !o.PNG || !o.SVG || !o.PDF ||
		o.Render != (viz.RenderOptions{WidthPx: 1200, HeightPx: 750, DPI: 150}) {
		t.Errorf("defaults: %v %+v", ids, o)
	}
	if f.widthPx.Disabled() || !f.widthIn.Disabled() {
		t.Error("in pixel mode the pixel fields are the enabled ones")
	}
	f.figure.SetSelected(viz.FigureTitle(viz.FigScale))
	f.sizeMode.SetSelected(sizeInches)
	if !f.widthPx.Disabled() || f.widthIn.Disabled() {
		t.Error("in inch mode the inch fields are the enabled ones")
	}
	f.widthIn.SetText("3.5")
	f.heightIn.SetText("2")
	f.dpi.SetText("300")
	f.background.SetSelected(bgTransparent)
	f.svg.SetChecked(false)
	ids, o, err = f.options()
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || ids[0] != viz.FigScale || o.SVG || o.Render != (viz.RenderOptions{WidthIn: 3.5, HeightIn: 2, DPI: 300, Transparent: true}) {
		t.Errorf("inches: %v %+v", ids, o)
	}
	f.dpi.SetText("lots")
	if _, _, err := f.options(); err == nil || !strings.Contains(err.Error(), "DPI") {
		t.Errorf("bad DPI: %v", err)
	}
	f.dpi.SetText("96")
	f.sizeMode.SetSelected(sizePixels)
	f.widthPx.SetText("12.5")
	if _, _, err := f.options(); err == nil || !strings.Contains(err.Error(), "width in pixels") {
		t.Errorf("bad width: %v", err)
	}
}

func TestExportAllFromWindow(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.u.ExportAll()
	if got := h.overlayText(); !strings.Contains(strings.ToLower(got), "nothing to export") {
		t.Errorf("Export all before training says %q", got)
	}
	h.w.Canvas().Overlays().Top().Hide()
	h.w.Canvas().Overlays().Remove(h.w.Canvas().Overlays().Top())

	run := t.TempDir()
	h.u.apply(sampleSnapshot(run))
	h.u.ExportAll()
	if !h.u.curves.all.Disabled() {
		t.Error("Export all stays enabled while exporting")
	}
	h.waitFor("the export", time.Minute, func() bool { return !h.u.curves.all.Disabled() })
	if got := h.overlayText(); !strings.Contains(got, "Wrote 24 files") {
		t.Errorf("after the export the window says %q", got)
	}
	var files []string
	for _, id := range allFigures {
		for _, ext := range []string{".png", ".svg", ".pdf", ".csv"} {
			files = append(files, filepath.Join(run, "figures", string(id)+ext))
		}
	}
	checkFiles(t, files)
	if size, _ := pngSize(t, filepath.Join(run, "figures", "step-loss.png")); size != image.Pt(1200, 750) {
		t.Errorf("step-loss.png is %v, want 1200×750", size)
	}

	// A second Export all asks before it overwrites the first.
	h.u.ExportAll()
	if got := h.overlayText(); !strings.Contains(got, "already exist") {
		t.Fatalf("a second Export all says %q, want a question", got)
	}
	if !h.u.curves.all.Disabled() && h.tapDialogButton("Cancel") && !h.u.curves.all.Disabled() {
		return // cancelled: nothing written, nothing running
	}
	t.Error("cancelling the overwrite question started an export")
}

func TestExportDialogRemembersFolder(t *testing.T) {
	h := newHarness(t, t.TempDir())
	run := t.TempDir()
	h.u.apply(sampleSnapshot(run))
	if got, want := h.u.exportDir(), filepath.Join(run, "figures"); got != want {
		t.Errorf("first export folder %q, want %q", got, want)
	}
	d := h.u.exportDialog()
	d.Show()
	h.capture("export-dialog")
	if got := h.overlayText(); !strings.Contains(got, "Export figures") {
		t.Fatalf("export dialog not shown: %q", got)
	}
	out := filepath.Join(t.TempDir(), "mine")
	d.form.dir.SetText(out)
	d.form.figure.SetSelected(viz.FigureTitle(viz.ConfusionFigure("cnn")))
	d.form.pdf.SetChecked(false)
	d.Submit()
	h.waitFor("the export", time.Minute, func() bool { return !h.u.curves.all.Disabled() })
	checkFiles(t, []string{filepath.Join(out, "confusion-cnn.png"), filepath.Join(out, "confusion-cnn.svg"), filepath.Join(out, "confusion-cnn.csv")})
	if _, err := os.Stat(filepath.Join(out, "confusion-cnn.pdf")); err == nil {
		t.Error("PDF written though unchecked")
	}
	if got := h.u.exportDir(); got != out {
		t.Errorf("next export folder %q, want the remembered %q", got, out)
	}
}

// TestExportFolderPerRun: each run's exports start in its own figures/
// folder, a folder chosen for one run is remembered for that run alone,
// and a folder inside another run's is refused (issue 24: exports of later
// runs landed in an earlier run's folder).
func TestExportFolderPerRun(t *testing.T) {
	h := newHarness(t, t.TempDir())
	runs := t.TempDir()
	a, b := filepath.Join(runs, "a"), filepath.Join(runs, "b")
	for _, d := range []string{a, b} {
		run, err := rundir.Create(d, experiment.StudyProtocol())
		if err != nil {
			t.Fatal(err)
		}
		run.Release()
	}
	mine := filepath.Join(t.TempDir(), "mine")
	// A project folder whose config.json belongs to another tool is no run:
	// exporting into it was refused.
	proj := t.TempDir()
	if err := os.WriteFile(filepath.Join(proj, "config.json"), []byte(`{"tool": "other"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	figs := filepath.Join(proj, "figs")
	steps := []struct {
		name     string
		show     string // the run shown
		remember string // a folder chosen in a dialog, "" for none
		wantErr  string
		want     string // exportDir afterwards
	}{
		{"first run", a, "", "", filepath.Join(a, "figures")},
		{"a folder of the user's", a, mine, "", mine},
		{"the next run starts in its own", b, "", "", filepath.Join(b, "figures")},
		{"the other run's folder is refused", b, filepath.Join(a, "figures"), "inside the run folder " + a, filepath.Join(b, "figures")},
		{"inside its own folder is fine", b, filepath.Join(b, "figures", "x"), "", filepath.Join(b, "figures", "x")},
		{"back to the first: its own choice", a, "", "", mine},
		{"another tool's config.json is no run", a, figs, "", figs},
	}
	for _, st := range steps {
		h.u.apply(sampleSnapshot(st.show))
		if st.remember != "" {
			err := h.u.rememberExportDir(st.remember)
			if st.wantErr == "" && err != nil || st.wantErr != "" && (err == nil || !strings.Contains(err.Error(), st.wantErr)) {
				t.Errorf("%s: remember %s: %v, want error %q", st.name, st.remember, err, st.wantErr)
			}
		}
		if got := h.u.exportDir(); got != st.want {
			t.Errorf("%s: export folder %q, want %q", st.name, got, st.want)
		}
	}
	// The dialog says whose folder it is.
	h.u.apply(sampleSnapshot(b))
	d := h.u.exportDialog()
	d.Show()
	if got := h.overlayText(); !strings.Contains(got, "the run b's own") || !strings.Contains(got, filepath.Join(b, "figures", "x")) {
		t.Errorf("the export dialog says %q, want run b's folder named", got)
	}
	d.Hide()
	// A file dialog starts in the run's folder, created for it.
	if l := h.u.exportLocation(); l == nil || l.Path() != filepath.Join(b, "figures", "x") {
		t.Errorf("file dialogs start in %v, want %s", l, filepath.Join(b, "figures", "x"))
	}
}
