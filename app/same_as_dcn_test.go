package app

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/train"
	"github.com/deformscope/deformscope/viz"
)

// pdfDate matches a PDF's creation time, e.g. (D:20261204154512).
var pdfDate = regexp.MustCompile(`\(D:[0-9]{14}[^)]*\)`)

// TestAppAndDcnWriteTheSameFigures: the figures of one run, exported by the
// window (its records arriving as training events, as in a live run) and
// by `dcn plot` on the run folder, are the same files byte for byte: the
// same list, COCO confusion matrices labelled with class names, and their
// CSVs. The per-step loss is the window's alone (steps are not kept).
func TestAppAndDcnWriteTheSameFigures(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go command to build dcn")
	}
	dcn := filepath.Join(t.TempDir(), "dcn")
	if out, err := exec.Command(gobin, "build", "-o", dcn, "../cmd/dcn").CombinedOutput(); err != nil {
		t.Fatalf("building dcn: %v\n%s", err, out)
	}

	// A COCO run folder of two models and two epochs, three categories.
	rc := experiment.RunConfig{Data: "coco", Models: []string{"cnn", "dcnn-middle"}, COCO: experiment.DefaultCOCO("a.json", "img"),
		Train: train.Config{Epochs: 4, Batch: 8, Optimizer: "sgd", LR: 1e-3, Seed: 1}}
	rc.COCO.TopK = 3
	run, err := rundir.Create(filepath.Join(t.TempDir(), "run"), rc)
	if err != nil {
		t.Fatal(err)
	}
	classes := []string{"person", "car", "dog"}
	if err := run.SetClasses(classes); err != nil {
		t.Fatal(err)
	}
	var recs []metrics.Epoch
	for e := 1; e <= 2; e++ {
		for i, m := range rc.Models {
			f := float64(e) + float64(i)/3
			recs = append(recs, metrics.Epoch{Model: m, Arch: "coco-" + m, Epoch: e, LR: 1e-3,
				TrainLoss: metrics.Num(2 / f), TrainAcc: metrics.Num(40 + 10*f), ValLoss: metrics.Num(2.2 / f), ValAcc: metrics.Num(38 + 10*f),
				TestLoss: metrics.Num(2.1 / f), TestAcc: metrics.Num(39 + 10*f), ScaledTestAcc: metrics.NaN(),
				Confusion: [][]int{{5 + e, 2, 1}, {1, 6 + i, 2}, {0, 3, 4 + e}}})
		}
	}
	for _, r := range recs {
		if err := run.Record(r); err != nil {
			t.Fatal(err)
		}
	}

	// The window: the run's events through the bridge, then Export.
	h := newHarness(t, filepath.Dir(run.Dir))
	b := h.u.bridge
	b.reset(run.Dir, rc.Data, rc.Models)
	b.setData(classes, "3 categories", "")
	for _, m := range rc.Models {
		b.emit(train.Event{Kind: train.KindStep, Model: m, Step: metrics.Step{Epoch: 2, Epochs: rc.Train.Epochs, Batch: 1, Batches: 1, Step: 1, Loss: 1}})
	}
	for _, r := range recs {
		b.emit(train.Event{Kind: train.KindEpoch, Model: r.Model, Epoch: r})
	}
	appDir := t.TempDir()
	render := viz.RenderOptions{WidthPx: 800, HeightPx: 500, DPI: 96}
	if _, err := exportFigures(context.Background(), inputFrom(b.snapshot(), 0, false), viz.FiguresFor(rc.Models),
		exportOptions{Dir: appDir, PNG: true, SVG: true, PDF: true, Render: render}); err != nil {
		t.Fatal(err)
	}

	// The command line, on the folder.
	cliDir := t.TempDir()
	if out, err := exec.Command(dcn, "plot", "--run", run.Dir, "--out", cliDir, "--width", "800", "--height", "500", "--dpi", "96").CombinedOutput(); err != nil {
		t.Fatalf("dcn plot: %v\n%s", err, out)
	}

	names := func(dir string) []string {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	appFiles, cliFiles := names(appDir), names(cliDir)
	want := slices.DeleteFunc(slices.Clone(appFiles), func(n string) bool { return filepath.Ext(n) != "" && n[:len(n)-len(filepath.Ext(n))] == "step-loss" })
	if !slices.Equal(cliFiles, want) {
		t.Fatalf("dcn plot wrote %v\nthe window wrote %v (less the per-step loss)", cliFiles, appFiles)
	}
	for _, n := range cliFiles {
		a, _ := os.ReadFile(filepath.Join(appDir, n))
		c, _ := os.ReadFile(filepath.Join(cliDir, n))
		if filepath.Ext(n) == ".pdf" {
			// A PDF records when it was made; the rest must match.
			a, c = pdfDate.ReplaceAll(a, nil), pdfDate.ReplaceAll(c, nil)
		}
		if !bytes.Equal(a, c) {
			t.Errorf("%s differs between the window (%d bytes) and dcn plot (%d bytes)", n, len(a), len(c))
		}
	}
	conf, _ := os.ReadFile(filepath.Join(cliDir, "confusion-dcnn-middle.csv"))
	if !bytes.HasPrefix(conf, []byte("true\\predicted,person,car,dog\nperson,")) {
		t.Errorf("confusion CSV does not name the classes:\n%s", conf)
	}
	if len(cliFiles) != 4*4 {
		t.Errorf("%d files, want loss, accuracy and two confusion matrices in PNG, SVG, PDF and CSV", len(cliFiles))
	}
}
