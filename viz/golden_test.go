package viz

import (
	"flag"
	"fmt"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot"

	"github.com/deformscope/deformscope/internal/atomicfile"
	"github.com/deformscope/deformscope/model/metrics"
)

var update = flag.Bool("update", false, "regenerate the golden images in testdata")

// Golden comparison tolerance. Font rasterisation and anti-aliasing may round
// differently on other CPUs (FMA on arm64), which moves edge pixels by a few
// levels and, rarely, a text edge by one pixel; a real change to a figure
// (a line, a label, a colour) changes far more than this.
const (
	goldenChannelTol = 8     // largest accepted difference in any channel, of 255
	goldenPixelShare = 0.002 // share of pixels allowed beyond goldenChannelTol
)

// nan is a NaN for test data.
var nan = math.NaN()

// stepLoss returns a noisy, decreasing loss curve of n steps for a model
// whose loss levels off at floor, with a fixed seed.
func stepLoss(n int, floor float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	y := make([]float64, n)
	for i := range y {
		t := float64(i) / float64(n)
		y[i] = floor + 2.2*math.Exp(-6*t) + 0.15*r.NormFloat64()*math.Exp(-2*t)
		y[i] = math.Max(y[i], 0.01)
	}
	return y
}

// logLoss returns a loss falling exponentially over three decades with
// multiplicative noise, with a fixed seed.
func logLoss(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 2))
	y := make([]float64, n)
	for i := range y {
		y[i] = 2 * math.Exp(-7*float64(i)/float64(n)+0.15*r.NormFloat64())
	}
	return y
}

// steps returns 1, 2, ..., n.
func steps(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(i + 1)
	}
	return x
}

// epochRecords returns hand-built per-epoch records of cnn and dcnn over 14
// epochs, shaped like the course study's Scaled-MNIST run (CNN 90.03 % against
// DCNN 92.90 % at the end); dcnn's validation loss is missing at epoch 5.
func epochRecords() []metrics.Epoch {
	var recs []metrics.Epoch
	scales := []float64{0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5}
	for e := 1; e <= 14; e++ {
		for _, m := range []struct {
			name       string
			loss, acc  float64
			scaledBase float64
		}{{"cnn", 0.30, 97.0, 90.03}, {"dcnn", 0.24, 97.8, 92.90}} {
			t := float64(e)
			train_ := m.loss*math.Exp(-t/4) + 0.03
			val := train_*1.15 + 0.01
			if m.name == "dcnn" && e == 5 {
				val = nan
			}
			var sc []metrics.ScaleAcc
			for _, s := range scales {
				// Accuracy falls away from the training scale 1.0, more
				// for small digits; the DCNN falls less.
				drop := 60 * (s - 1) * (s - 1) * (1 + 0.6*math.Max(0, 1-s)*4)
				if m.name == "dcnn" {
					drop *= 0.7
				}
				sc = append(sc, metrics.ScaleAcc{Scale: s, Acc: metrics.Num(math.Min(99.5, m.acc-drop) - 14/t)})
			}
			recs = append(recs, metrics.Epoch{
				Model: m.name, Epoch: e,
				TrainLoss: metrics.Num(train_), ValLoss: metrics.Num(val),
				TrainAcc: metrics.Num(m.acc - 8/t), ValAcc: metrics.Num(m.acc - 9/t),
				ScaledTestAcc: metrics.Num(m.scaledBase - 12/t), Scaled: sc,
			})
		}
	}
	return recs
}

// mnistConfusion returns a plausible 10-class confusion matrix.
func mnistConfusion() [][]int {
	r := rand.New(rand.NewPCG(7, 7))
	m := make([][]int, 10)
	for i := range m {
		m[i] = make([]int, 10)
		total := 900 + r.IntN(250)
		wrong := 10 + r.IntN(80)
		m[i][i] = total - wrong
		for range wrong {
			j := r.IntN(10)
			if j == i {
				j = (j + 7) % 10
			}
			m[i][j]++
		}
	}
	return m
}

// cocoConfusion returns a 30-class confusion matrix with COCO names.
func cocoConfusion() ([][]int, []string) {
	names := []string{"person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
		"traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse",
		"sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie",
		"suitcase", "frisbee"}
	r := rand.New(rand.NewPCG(3, 3))
	n := len(names)
	m := make([][]int, n)
	for i := range m {
		m[i] = make([]int, n)
		total := 20 + r.IntN(400)
		for range total {
			j := i
			if r.Float64() < 0.45 {
				j = r.IntN(n)
			}
			m[i][j]++
		}
	}
	return m, names
}

// goldenCases are the figures with golden images in testdata.
func goldenCases(t testing.TB) []struct {
	name string
	plot func() (*plot.Plot, error)
	opts RenderOptions
} {
	recs := epochRecords()
	size := RenderOptions{WidthPx: 800, HeightPx: 500}
	return []struct {
		name string
		plot func() (*plot.Plot, error)
		opts RenderOptions
	}{
		{"curves_epochs", func() (*plot.Plot, error) {
			tr, err := EpochSeries(recs, "train_loss")
			if err != nil {
				return nil, err
			}
			va, err := EpochSeries(recs, "val_loss")
			if err != nil {
				return nil, err
			}
			return Curves(CurveSpec{Title: "Scaled-MNIST: loss per epoch (dcnn val missing at epoch 5)",
				XLabel: "epoch", YLabel: "loss", Series: append(tr, va...)})
		}, size},
		{"curves_steps_smoothed", func() (*plot.Plot, error) {
			cnn, dcnn := stepLoss(1500, 0.12, 1), stepLoss(1500, 0.07, 2)
			for i := 700; i < 760; i++ {
				dcnn[i] = nan // a diverged stretch: a gap in raw and smoothed lines
			}
			return Curves(CurveSpec{Title: "Training loss per step, smoothed 0.9", XLabel: "step", YLabel: "loss",
				Smooth: 0.9, Series: []Series{
					{Name: "CNN train loss", Model: "cnn", X: steps(1500), Y: cnn},
					{Name: "DCNN train loss", Model: "dcnn", X: steps(1500), Y: dcnn},
				}})
		}, size},
		{"curves_log", func() (*plot.Plot, error) {
			cnn, dcnn := logLoss(400, 1), logLoss(400, 2)
			for i := range dcnn {
				dcnn[i] *= 0.2 // apart from cnn's, so that both lines' gaps show
			}
			for i := 100; i < 115; i++ {
				cnn[i] = 0 // skipped on a log axis: a gap
			}
			cnn[250], dcnn[300] = -1, -0.5
			return Curves(CurveSpec{Title: "Log loss (CNN zero at steps 101-115 and negative at 251, DCNN at 301)",
				XLabel: "step", YLabel: "loss", LogY: true, Series: []Series{
					{Name: "CNN train loss", Model: "cnn", X: steps(400), Y: cnn},
					{Name: "DCNN train loss", Model: "dcnn", X: steps(400), Y: dcnn},
				}})
		}, size},
		{"curves_long", func() (*plot.Plot, error) {
			return Curves(CurveSpec{Title: "5000 steps, decimated", XLabel: "step", YLabel: "loss",
				Series: []Series{
					{Name: "CNN train loss", Model: "cnn", X: steps(5000), Y: stepLoss(5000, 0.12, 8)},
					{Name: "DCNN train loss", Model: "dcnn", X: steps(5000), Y: stepLoss(5000, 0.07, 9)},
				}})
		}, size},
		{"curves_limits", func() (*plot.Plot, error) {
			x0, x1, y0, y1 := 2.0, 12.0, 90.0, 100.0
			acc, err := EpochSeries(recs, "val_acc")
			if err != nil {
				return nil, err
			}
			acc = append(acc, Series{Name: "DCNN-LAST val acc", Model: "dcnn-last", Style: "dotted",
				X: steps(14), Y: []float64{80, 88, 91, 93, 94, 95, nan, 96, 96.5, 96.8, 97, 97.2, 97.3, 97.3}})
			return Curves(CurveSpec{Title: "Validation accuracy, axes fixed to epochs 2-12 and 90-100 %",
				XLabel: "epoch", YLabel: "accuracy (%)", Series: acc, XMin: &x0, XMax: &x1, YMin: &y0, YMax: &y1})
		}, size},
		{"overlay_accuracy", func() (*plot.Plot, error) {
			fd, err := BuildFigure(FigAccuracy, FigureInput{Runs: twoRuns()}, Zoom{})
			return fd.Plot, err
		}, size},
		{"overlay_step_loss_time", func() (*plot.Plot, error) {
			fd, err := BuildFigure(FigStepLoss, FigureInput{Runs: twoRuns(), Time: true, Smooth: 0.6}, Zoom{})
			return fd.Plot, err
		}, RenderOptions{WidthPx: 420, HeightPx: 300}},
		{"scale_accuracy", func() (*plot.Plot, error) {
			return ScaleAccuracy("Scaled-MNIST: accuracy against scale", ScaleSeries(recs))
		}, size},
		{"confusion_mnist", func() (*plot.Plot, error) {
			return Confusion("MNIST test set, DCNN", mnistConfusion(), nil)
		}, RenderOptions{WidthPx: 640, HeightPx: 560}},
		{"confusion_coco", func() (*plot.Plot, error) {
			m, names := cocoConfusion()
			return Confusion("COCO crops, 30 classes", m, names)
		}, RenderOptions{WidthPx: 800, HeightPx: 760}},
	}
}

// TestGolden renders each figure kind to testdata/<name>.png and compares it
// with testdata/<name>_golden.png; -update regenerates the golden images.
func TestGolden(t *testing.T) {
	for _, tc := range goldenCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.plot()
			if err != nil {
				t.Fatal(err)
			}
			got := filepath.Join("testdata", tc.name+".png")
			if err := Export(p, got, tc.opts); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tc.name+"_golden.png")
			if *update {
				b, err := os.ReadFile(got)
				if err != nil {
					t.Fatal(err)
				}
				if err := atomicfile.WriteFile(golden, b, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err := compareImages(got, golden); err != nil {
				t.Errorf("%v (run go test ./viz/ -run TestGolden -update if the change is intended)", err)
			}
		})
	}
}

// compareImages reports whether the PNG files got and want differ beyond the
// golden tolerance.
func compareImages(got, want string) error {
	a, err := decodePNG(got)
	if err != nil {
		return err
	}
	b, err := decodePNG(want)
	if err != nil {
		return err
	}
	if a.Bounds() != b.Bounds() {
		return fmt.Errorf("%s is %v, golden is %v", got, a.Bounds(), b.Bounds())
	}
	var bad, worst int
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			d := pixelDiff(a.At(x, y), b.At(x, y))
			worst = max(worst, d)
			if d > goldenChannelTol {
				bad++
			}
		}
	}
	if share := float64(bad) / float64(r.Dx()*r.Dy()); share > goldenPixelShare {
		return fmt.Errorf("%s differs from %s in %d pixels (%.3f %%, worst channel difference %d)", got, want, bad, 100*share, worst)
	}
	return nil
}

// pixelDiff is the largest channel difference of two colours, in 8 bits.
func pixelDiff(a, b interface{ RGBA() (r, g, b, a uint32) }) int {
	ar, ag, ab, aa := a.RGBA()
	br, bg, bb, ba := b.RGBA()
	d := 0
	for _, p := range [][2]uint32{{ar, br}, {ag, bg}, {ab, bb}, {aa, ba}} {
		d = max(d, abs(int(p[0]>>8)-int(p[1]>>8)))
	}
	return d
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func decodePNG(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}
