package app

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/torchfile"
)

func TestOffsetsExport(t *testing.T) {
	run, _ := tinyRun(t)
	h, v := offsetsHarness(t)
	v.useRunDir(run.Dir)
	r := waitShown(h, "the overlay", hasScene)

	// Two 28×28 overlays at scale 5 side by side: each 28·5 + 2·(5·7) px
	// wide (a margin of a quarter of the side, rounded up to whole input
	// pixels), with viz.SideBySide's 8 px border and 16 px gap.
	out := filepath.Join(t.TempDir(), "figs", "view.png")
	v.exportTo(r.scene, 5, out)
	if !v.export.Disabled() {
		t.Error("export stays enabled while exporting")
	}
	h.waitFor("the export", flowTimeout, func() bool { return !v.export.Disabled() })
	if got := h.overlayText(); !strings.Contains(got, "Wrote "+out) {
		t.Errorf("after the export the window says %q", got)
	}
	size, img := pngSize(t, out)
	if size.X != 2*8+16+2*(28*5+2*5*7) || size.Y <= 8+28*5+2*5*7 {
		t.Errorf("exported %v, want 452 px wide and taller than the overlay", size)
	}
	if !hasColor(img, unitGreen) {
		t.Error("the exported view has no unit ring")
	}

	// Through the dialog: the folder is remembered.
	d := v.exportDialog(r.scene)
	if d.scale.Text != "16" || !strings.HasPrefix(d.name.Text, "offsets-test0-conv5-epoch2-unit3_3") {
		t.Errorf("dialog defaults: scale %q, name %q", d.scale.Text, d.name.Text)
	}
	dir := filepath.Join(t.TempDir(), "mine")
	d.dir.SetText(dir)
	d.scale.SetText("2")
	d.name.SetText("fig")
	d.Submit()
	h.waitFor("the dialog's export", flowTimeout, func() bool { return !v.export.Disabled() })
	// 240 px of panels; the key underneath widens the figure to its least 360 px.
	if size, _ := pngSize(t, filepath.Join(dir, "fig.png")); size.X != max(2*8+16+2*(28*2+2*2*7), 360) {
		t.Errorf("fig.png is %v", size)
	}
	if got := h.u.exportDirFor(v.exportRun()); got != dir {
		t.Errorf("export folder %q not remembered (want %q)", got, dir)
	}

	// Again, in all three formats: fig.png exists, so the export asks
	// before it overwrites anything.
	d = v.exportDialog(r.scene)
	d.dir.SetText(dir)
	d.name.SetText("fig.png")
	d.svg.SetChecked(true)
	d.pdf.SetChecked(true)
	d.Submit()
	if got := h.overlayText(); !strings.Contains(got, "already exist") || !strings.Contains(got, "fig.png") {
		t.Fatalf("a second export into the same file asks %q", got)
	}
	if !h.tapDialogButton("Overwrite") {
		t.Fatal("no Overwrite button")
	}
	h.waitFor("the export in three formats", flowTimeout, func() bool { return !v.export.Disabled() })
	for _, f := range []string{"fig.svg", "fig.pdf"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}

	// NumPy alone: the layer's field as dcn heatmap --npy writes it, and no
	// picture.
	d = v.exportDialog(r.scene)
	d.dir.SetText(dir)
	d.name.SetText("field")
	d.png.SetChecked(false)
	d.npy.SetChecked(true)
	d.Submit()
	h.waitFor("the NumPy export", flowTimeout, func() bool { return !v.export.Disabled() })
	want := filepath.Join(t.TempDir(), "want.npy")
	if _, err := torchfile.WriteFieldNpy(want, r.scene.Field); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"field.npy", "field_mask.npy"} {
		got, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		w, err := os.ReadFile(torchfile.MaskPath(want))
		if f == "field.npy" {
			w, err = os.ReadFile(want)
		}
		if err != nil || !bytes.Equal(got, w) {
			t.Errorf("%s differs from torchfile.WriteFieldNpy's file (%v)", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "field.png")); !os.IsNotExist(err) {
		t.Errorf("a NumPy-only export wrote field.png (%v)", err)
	}
	if got := h.overlayText(); !strings.Contains(got, "field_mask.npy") {
		t.Errorf("after the NumPy export the window says %q", got)
	}
}
