package main

import (
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/viz"
)

// TestCompareRunsE2E drives the real window under Xvfb at 1366×768: two
// runs that dcn trained into the runs folder (adam against sgd) are ticked
// in the Runs tab (the script's compare verb) and Curves overlays them,
// checked by the pixels of each run's colour in the screenshot, against
// epochs and then against elapsed time. It runs with DEFORMSCOPE_E2E=1;
// with DEFORMSCOPE_E2E_SCREENSHOTS=DIR it keeps the comparison's
// screenshots there as compare-1366x768.png and compare-time-1366x768.png.
func TestCompareRunsE2E(t *testing.T) {
	bin := buildForE2E(t)
	tmp := t.TempDir()
	home := filepath.Join(tmp, "home")
	runs := filepath.Join(home, "Deformscope", "runs")
	adam, sgd := filepath.Join(runs, "adam"), filepath.Join(runs, "sgd")
	common := []string{"--model", "both", "--epochs", "3", "--limit", "3000", "--val", "300", "--test-limit", "1000",
		"--scales", "0.6,0.8,1,1.2,1.4"}
	trainWith(t, adam, append(common, "--opt", "adam", "--lr", "0.001")...)
	trainWith(t, sgd, append(common, "--opt", "sgd", "--lr", "0.02")...)
	for dir, name := range map[string]string{adam: "adam 1e-3", sgd: "sgd 0.02"} {
		if err := rundir.SetName(dir, name); err != nil {
			t.Fatal(err)
		}
	}
	display := startXvfbSized(t, "1366x768x24")
	keep := os.Getenv("DEFORMSCOPE_E2E_SCREENSHOTS")
	shots := keep
	if shots == "" {
		shots = t.TempDir()
	}
	w := launch(t, bin, display, home, "1366x768", strings.Join([]string{
		"tab runs", "compare " + adam, "compare " + sgd, "settle", "shot runs",
		"tab curves", "settle", "report", "shot compare",
		"set xaxis time", "settle", "report", "shot compare-time",
		"set xaxis epoch", "close",
	}, ";"))
	w.shot("runs", filepath.Join(shots, "runs.png"))
	for i, name := range []string{"compare", "compare-time"} {
		img := w.shot(name, filepath.Join(shots, name+".png"))
		rep := w.report(i)
		if rep["comparing"] != "Comparing 2 runs" {
			t.Errorf("%s: Curves says %q, want it comparing 2 runs", name, rep["comparing"])
		}
		// The figures: right of the train panel (39 % of the width) and
		// below the tabs and controls.
		figs := img.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(image.Rect(560, 110, 1366, 740))
		a, b := countNear(figs, viz.RunColor(0)), countNear(figs, viz.RunColor(1))
		// With no run opened, the single-run colours must be absent.
		cnn, dcnn := countNear(figs, viz.ModelColor("cnn")), countNear(figs, viz.ModelColor("dcnn"))
		t.Logf("%s: %d pixels of run 1's colour, %d of run 2's; %d CNN blue, %d DCNN orange", name, a, b, cnn, dcnn)
		if a < 300 || b < 300 {
			t.Errorf("%s: %d and %d pixels of the two runs' colours, want both runs' curves", name, a, b)
		}
		if cnn > 50 || dcnn > 50 {
			t.Errorf("%s: %d CNN-blue and %d DCNN-orange pixels: single-run curves where runs are compared", name, cnn, dcnn)
		}
		if keep != "" {
			if err := writeCrop(filepath.Join(keep, name+"-1366x768.png"), img, image.Rect(0, 0, 1366, 768)); err != nil {
				t.Error(err)
			}
		}
	}
	if rep := w.report(1); rep["xaxis"] != "x: time" {
		t.Errorf("x axis %q after set xaxis time", rep["xaxis"])
	}
	w.waitExit(time.Minute)
}

// trainWith trains a small MNIST run into dir with dcn and args.
func trainWith(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"run", "../dcn", "train", "--out", dir}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dcn train: %v\n%s", err, out)
	}
}
