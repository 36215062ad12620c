package app

import (
	"bytes"
	"image/gif"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

// buildDCN builds the dcn command for a test, or skips it without Go.
func buildDCN(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go command to build dcn")
	}
	dcn := filepath.Join(t.TempDir(), "dcn")
	if out, err := exec.Command(gobin, "build", "-o", dcn, "../cmd/dcn").CombinedOutput(); err != nil {
		t.Fatalf("building dcn: %v\n%s", err, out)
	}
	return dcn
}

// TestAppAndDcnDrawTheSameOffsets: the Offsets view's export and dcn draw
// one scene (viz.OffsetScene) from the same run, so their PNGs are the
// same bytes: a unit's points beside the CNN's grid (dcn offsets), the
// |Δp| and mask heat maps with the robust scale over every epoch, and with
// the clamp bound (dcn heatmap --show), and a capture's points (dcn offsets
// --capture).
func TestAppAndDcnDrawTheSameOffsets(t *testing.T) {
	dcn := buildDCN(t)
	run, _ := tinyRun(t)
	h, v := offsetsHarness(t)
	v.useRunDir(run.Dir)
	waitShown(h, "the first picture", hasScene)
	v.index.SetText("3")
	waitShown(h, "test image 3", func(r *offsetResult) bool { return r.scene != nil && r.req.test == 3 })

	same := func(name string, args ...string) {
		t.Helper()
		r := waitShown(h, name, hasScene)
		dir := t.TempDir()
		appPNG, cliPNG := filepath.Join(dir, "app.png"), filepath.Join(dir, "cli.png")
		v.exportTo(r.scene, 4, appPNG)
		h.waitFor("the export of "+name, flowTimeout, func() bool { return !v.export.Disabled() })
		args = append(args, "--scale", "4", "--out", cliPNG)
		if out, err := exec.Command(dcn, args...).CombinedOutput(); err != nil {
			t.Fatalf("dcn %v: %v\n%s", args, err, out)
		}
		a, err := os.ReadFile(appPNG)
		if err != nil {
			t.Fatal(err)
		}
		c, err := os.ReadFile(cliPNG)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, c) {
			t.Errorf("%s: the window's export (%d bytes) and dcn's (%d bytes) differ", name, len(a), len(c))
		}
	}
	same("the points", "offsets", "--run", run.Dir, "--index", "3")

	// The epoch replay: the window's Export GIF and dcn replay, one frame
	// per epoch.
	dir := t.TempDir()
	appGIF, cliGIF := filepath.Join(dir, "app.gif"), filepath.Join(dir, "cli.gif")
	v.exportGIF(waitShown(h, "the points", hasScene).scene, appGIF)
	h.waitFor("the GIF export", flowTimeout, func() bool { return !v.gif.Disabled() })
	if out, err := exec.Command(dcn, "replay", "--run", run.Dir, "--index", "3", "--scale", "16", "--out", cliGIF).CombinedOutput(); err != nil {
		t.Fatalf("dcn replay: %v\n%s", err, out)
	}
	a, _ := os.ReadFile(appGIF)
	c, _ := os.ReadFile(cliGIF)
	if len(a) == 0 || !bytes.Equal(a, c) {
		t.Errorf("the window's GIF (%d bytes) and dcn replay's (%d bytes) differ", len(a), len(c))
	}
	all, err := gif.DecodeAll(bytes.NewReader(a))
	if err != nil || len(all.Image) != 2 {
		t.Errorf("the window's GIF: %v, want one frame per epoch (2)", err)
	}
	v.mode.SetSelected(modeOffset)
	same("the |Δp| heat map", "heatmap", "--run", run.Dir, "--index", "3", "--show", "offset")
	v.clamp.SetChecked(true)
	same("the |Δp| heat map at the clamp bound", "heatmap", "--run", run.Dir, "--index", "3", "--show", "offset", "--vmax", "clamp")
	v.mode.SetSelected(modeMask)
	same("the mask heat map", "heatmap", "--run", run.Dir, "--index", "3", "--show", "mask")

	v.mode.SetSelected(modePoints)
	v.useCapture(toyCapture)
	waitShown(h, "the capture", func(r *offsetResult) bool { return r.scene != nil && r.scene.cap != nil })
	same("a capture's points", "offsets", "--capture", toyCapture, "--depth", "3")
}

// TestOffsetsDilationChart: the view's Dilation… button measures the run
// it shows, with a busy sign until the chart (dcn dilation's) arrives.
func TestOffsetsDilationChart(t *testing.T) {
	run, _ := tinyRun(t)
	h, v := offsetsHarness(t)
	if !v.dilation.Disabled() {
		t.Error("Dilation… is enabled without a run")
	}
	v.useRunDir(run.Dir)
	waitShown(h, "the overlay", hasScene)
	if v.dilation.Disabled() {
		t.Fatal("Dilation… is disabled with a run")
	}
	test.Tap(v.dilation)
	dd := v.dil
	if dd == nil || !dd.busy.Visible() || !dd.save.Disabled() {
		t.Fatal("no busy dialog while the dilation is measured")
	}
	h.waitFor("the dilation chart", flowTimeout, func() bool { return dd.chart != nil || strings.HasPrefix(dd.text.Text, "Cannot") })
	if dd.chart == nil || dd.busy.Visible() || dd.save.Disabled() || dd.img.Image == nil {
		t.Fatalf("dilation dialog: %q, busy %v", dd.text.Text, dd.busy.Visible())
	}
	// The chart, and the paper's table 2 under it.
	if b := dd.chart.Bounds(); b.Dx() != dilationW || b.Dy() <= dilationH {
		t.Errorf("chart %v, want %d px wide and the table under the %d px chart", b, dilationW, dilationH)
	}
}
