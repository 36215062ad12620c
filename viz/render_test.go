package viz

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/plot"
)

// simplePlot is a small two-model figure for render tests.
func simplePlot(t testing.TB) *plot.Plot {
	t.Helper()
	p, err := Curves(CurveSpec{Title: "Loss", XLabel: "epoch", YLabel: "loss", Series: []Series{
		{Name: "CNN train loss", Model: "cnn", X: steps(5), Y: []float64{2, 1, 0.7, 0.5, 0.4}},
		{Name: "DCNN train loss", Model: "dcnn", X: steps(5), Y: []float64{2, 0.9, nan, 0.4, 0.3}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRenderSize(t *testing.T) {
	tests := []struct {
		name string
		o    RenderOptions
		w, h int
	}{
		{"800×500 px", RenderOptions{WidthPx: 800, HeightPx: 500}, 800, 500},
		{"odd pixels", RenderOptions{WidthPx: 333, HeightPx: 211}, 333, 211},
		{"full HD", RenderOptions{WidthPx: 1920, HeightPx: 1080}, 1920, 1080},
		{"pixels at high DPI", RenderOptions{WidthPx: 1600, HeightPx: 1000, DPI: 192}, 1600, 1000},
		{"pixels at odd DPI", RenderOptions{WidthPx: 701, HeightPx: 433, DPI: 110}, 701, 433},
		{"inches at 100 dpi", RenderOptions{WidthIn: 4, HeightIn: 3, DPI: 100}, 400, 300},
		{"inches at default 96 dpi", RenderOptions{WidthIn: 2, HeightIn: 1}, 192, 96},
		{"pixels win over inches", RenderOptions{WidthPx: 640, HeightPx: 480, WidthIn: 9, HeightIn: 9}, 640, 480},
		{"zero options", RenderOptions{}, 800, 500},
		{"tiny", RenderOptions{WidthPx: 40, HeightPx: 30}, 40, 30},
	}
	p := simplePlot(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Render(p, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if got := img.Bounds(); got != image.Rect(0, 0, tc.w, tc.h) {
				t.Errorf("Render(%+v) is %v, want %d×%d", tc.o, got, tc.w, tc.h)
			}
			if c := img.NRGBAAt(0, 0); c.A != 0xff || c.R != 0xff {
				t.Errorf("corner pixel is %v, want opaque white", c)
			}
		})
	}
}

func TestRenderTransparent(t *testing.T) {
	img, err := Render(simplePlot(t), RenderOptions{WidthPx: 400, HeightPx: 250, Transparent: true})
	if err != nil {
		t.Fatal(err)
	}
	if c := img.NRGBAAt(0, 0); c.A != 0 {
		t.Errorf("corner pixel is %v, want transparent", c)
	}
	var opaque int
	for i := 3; i < len(img.Pix); i += 4 {
		if img.Pix[i] == 0xff {
			opaque++
		}
	}
	if opaque == 0 {
		t.Errorf("nothing drawn on the transparent image")
	}
}

func TestRenderErrors(t *testing.T) {
	p := simplePlot(t)
	tests := []struct {
		name string
		p    *plot.Plot
		o    RenderOptions
		want string
	}{
		{"nil plot", nil, RenderOptions{}, "nil plot"},
		{"width only", p, RenderOptions{WidthPx: 800}, "positive in both"},
		{"negative pixels", p, RenderOptions{WidthPx: -1, HeightPx: 10}, "positive in both"},
		{"negative inches", p, RenderOptions{WidthIn: -2, HeightIn: 1}, "not a usable image size"},
		{"negative DPI", p, RenderOptions{DPI: -96}, "DPI"},
		{"NaN DPI", p, RenderOptions{DPI: nan}, "DPI"},
		{"too large", p, RenderOptions{WidthPx: 100000, HeightPx: 10}, "exceeds"},
		// Issue 17 item 15: 16384×16384 was within the side limit and took 5.3 GB.
		{"too many pixels", p, RenderOptions{WidthPx: 16384, HeightPx: 16384}, "268.4 megapixels, above the limit of 25"},
		{"too many pixels at DPI", p, RenderOptions{WidthIn: 50, HeightIn: 50, DPI: 300}, "megapixels"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Render(tc.p, tc.o)
			if err == nil || !strings.HasPrefix(err.Error(), "viz: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Render error = %v, want one with %q", err, tc.want)
			}
		})
	}
}

// TestRenderFreshAndConcurrent checks that Render leaves the plot as it was
// and returns a new image each call, also from several goroutines (run with
// -race to check the sharing).
func TestRenderFreshAndConcurrent(t *testing.T) {
	p := simplePlot(t)
	xmin, xmax, ymin, ymax := p.X.Min, p.X.Max, p.Y.Min, p.Y.Max
	o := RenderOptions{WidthPx: 320, HeightPx: 200}
	first, err := Render(p, o)
	if err != nil {
		t.Fatal(err)
	}
	imgs := make([]*image.NRGBA, 4)
	var wg sync.WaitGroup
	for i := range imgs {
		wg.Go(func() {
			img, err := Render(p, o)
			if err != nil {
				t.Error(err)
				return
			}
			imgs[i] = img
		})
	}
	wg.Wait()
	for i, img := range imgs {
		if img == nil {
			continue
		}
		if img == first || &img.Pix[0] == &first.Pix[0] {
			t.Errorf("render %d shares the first image's pixels", i)
		}
		if !bytes.Equal(img.Pix, first.Pix) {
			t.Errorf("render %d differs from the first", i)
		}
	}
	if p.X.Min != xmin || p.X.Max != xmax || p.Y.Min != ymin || p.Y.Max != ymax {
		t.Errorf("Render changed the plot's axes")
	}
}

// TestRenderDrawsText checks that text comes out without any system font:
// gonum/plot embeds the Liberation fonts, and the title band must hold dark
// pixels.
func TestRenderDrawsText(t *testing.T) {
	p, err := Curves(CurveSpec{Title: "TITLE TEXT"})
	if err != nil {
		t.Fatal(err)
	}
	img, err := Render(p, RenderOptions{WidthPx: 400, HeightPx: 300})
	if err != nil {
		t.Fatal(err)
	}
	dark := 0
	for y := range 30 {
		for x := range 400 {
			if c := img.NRGBAAt(x, y); c.R < 100 && c.G < 100 && c.B < 100 {
				dark++
			}
		}
	}
	if dark < 50 {
		t.Errorf("only %d dark pixels in the title band: no text drawn", dark)
	}
}

func TestExport(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		o     RenderOptions
		check func(t *testing.T, b []byte)
	}{
		{"png", "fig.png", RenderOptions{WidthPx: 640, HeightPx: 400}, func(t *testing.T, b []byte) {
			img, err := decodePNGBytes(b)
			if err != nil {
				t.Fatal(err)
			}
			if img.Bounds() != image.Rect(0, 0, 640, 400) {
				t.Errorf("PNG is %v, want 640×400", img.Bounds())
			}
		}},
		{"PNG upper case", "FIG.PNG", RenderOptions{}, func(t *testing.T, b []byte) {
			if _, err := decodePNGBytes(b); err != nil {
				t.Fatal(err)
			}
		}},
		{"svg from pixels", "fig.svg", RenderOptions{WidthPx: 800, HeightPx: 500}, func(t *testing.T, b []byte) {
			if !bytes.HasPrefix(b, []byte("<?xml")) && !bytes.HasPrefix(b, []byte("<svg")) {
				t.Errorf("SVG starts %q", b[:min(len(b), 20)])
			}
			// 800×500 px at 96 dpi is 600×375 pt.
			if !bytes.Contains(b, []byte(`width="600pt"`)) || !bytes.Contains(b, []byte(`height="375pt"`)) {
				t.Errorf("SVG size is not 600×375 pt: %.200s", b)
			}
			if !bytes.Contains(b, []byte("CNN train loss")) {
				t.Errorf("SVG lacks the legend text")
			}
		}},
		{"pdf from inches", "fig.pdf", RenderOptions{WidthIn: 6, HeightIn: 4}, func(t *testing.T, b []byte) {
			if !bytes.HasPrefix(b, []byte("%PDF-")) {
				t.Errorf("PDF starts %q", b[:min(len(b), 20)])
			}
		}},
		{"transparent svg", "clear.svg", RenderOptions{Transparent: true}, func(t *testing.T, b []byte) {
			if !bytes.HasPrefix(b, []byte("<?xml")) && !bytes.HasPrefix(b, []byte("<svg")) {
				t.Errorf("SVG starts %q", b[:min(len(b), 20)])
			}
		}},
	}
	p := simplePlot(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, tc.file)
			if err := Export(p, path, tc.o); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, b)
			if names := dirNames(t, dir); !slices.Equal(names, []string{tc.file}) {
				t.Errorf("folder holds %q, want only %q", names, tc.file)
			}
		})
	}
}

func TestExportReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fig.svg")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Export(simplePlot(t), path, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); bytes.Equal(b, []byte("old")) {
		t.Errorf("old content not replaced")
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"fig.svg"}) {
		t.Errorf("folder holds %q", names)
	}
}

func TestExportErrorsLeaveNothing(t *testing.T) {
	p := simplePlot(t)
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the path to export to
		o     RenderOptions
		want  string
	}{
		{"unknown extension", func(_ *testing.T, dir string) string { return filepath.Join(dir, "fig.jpg") }, RenderOptions{}, `".jpg"`},
		{"no extension", func(_ *testing.T, dir string) string { return filepath.Join(dir, "fig") }, RenderOptions{}, "unknown figure format"},
		{"bad size", func(_ *testing.T, dir string) string { return filepath.Join(dir, "fig.png") }, RenderOptions{WidthPx: 5}, "positive in both"},
		{"bad page size", func(_ *testing.T, dir string) string { return filepath.Join(dir, "fig.pdf") }, RenderOptions{WidthIn: -1, HeightIn: 2}, "page size"},
		{"missing folder", func(_ *testing.T, dir string) string { return filepath.Join(dir, "no", "fig.png") }, RenderOptions{}, "viz: export"},
		// Renaming a file over a folder fails after the temporary file is
		// written, so this checks the clean-up (as root, a read-only
		// folder would not stop the write).
		{"destination is a folder", func(t *testing.T, dir string) string {
			path := filepath.Join(dir, "fig.pdf")
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
			return path
		}, RenderOptions{}, "viz: export"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tc.setup(t, dir)
			before := dirNames(t, dir)
			err := Export(p, path, tc.o)
			if err == nil || !strings.HasPrefix(err.Error(), "viz: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Export error = %v, want one with %q", err, tc.want)
			}
			if after := dirNames(t, dir); !slices.Equal(before, after) {
				t.Errorf("folder held %q before and %q after", before, after)
			}
		})
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func decodePNGBytes(b []byte) (image.Image, error) {
	return png.Decode(bytes.NewReader(b))
}

// TestPlotFrame: the data area PlotFrame reports is where Render draws the
// data: inside the image, inset by the axes, with the plot's axis ranges;
// a nil plot and an unusable size are errors, not panics.
func TestPlotFrame(t *testing.T) {
	lo, hi := 0.0, 4.0
	p, err := Curves(CurveSpec{Title: "t", XLabel: "epoch", YLabel: "loss", XMin: &lo, XMax: &hi,
		Series: []Series{{Name: "CNN", Model: "cnn", X: []float64{1, 2, 3}, Y: []float64{2, 1, 0.5}}}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := PlotFrame(p, RenderOptions{WidthPx: 800, HeightPx: 500, DPI: 96})
	if err != nil {
		t.Fatal(err)
	}
	if f.X0 != 0 || f.X1 != 4 || !(f.Y0 < 0.5 && f.Y1 > 2) || f.LogY {
		t.Errorf("axes %+v, want x 0..4 and y around 0.5..2", f)
	}
	// The axes' labels and ticks take room on the left and bottom; the
	// figure margin (6 pt = 8 px at 96 dpi) on every side.
	if !(f.Left > 8.0/800 && f.Right < 1-8.0/800 && f.Top > 8.0/500 && f.Bottom < 1-8.0/500 && f.Left > 0.05 && f.Bottom < 0.95) {
		t.Errorf("data area %.3f..%.3f × %.3f..%.3f", f.Left, f.Right, f.Top, f.Bottom)
	}
	if _, err := PlotFrame(nil, RenderOptions{}); err == nil {
		t.Error("a nil plot has a frame")
	}
	if _, err := PlotFrame(p, RenderOptions{WidthPx: -1, HeightPx: 5}); err == nil {
		t.Error("a negative size has a frame")
	}
}
