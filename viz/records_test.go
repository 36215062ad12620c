package viz

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/metrics"
)

func TestWriteCSV(t *testing.T) {
	tests := []struct {
		name   string
		series []Series
		want   string
	}{
		{"two series with NaN", []Series{
			{Name: "CNN train loss", Model: "cnn", X: []float64{1, 2, 3}, Y: []float64{0.5, nan, 0.25}},
			{Name: "DCNN train loss", Model: "dcnn", X: []float64{1, 2}, Y: []float64{0.4, 1e-7}},
		}, "series,x,y\nCNN train loss,1,0.5\nCNN train loss,2,\nCNN train loss,3,0.25\n" +
			"DCNN train loss,1,0.4\nDCNN train loss,2,1e-07\n"},
		{"name quoted, model when unnamed, infinities", []Series{
			{Name: `loss, "smoothed"`, X: []float64{0.5}, Y: []float64{math.Inf(1)}},
			{Model: "dcnn", X: []float64{nan}, Y: []float64{math.Inf(-1)}},
		}, "series,x,y\n\"loss, \"\"smoothed\"\"\",0.5,+Inf\ndcnn,,-Inf\n"},
		{"no series", nil, "series,x,y\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "data.csv")
			if err := WriteCSV(path, tc.series); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("CSV =\n%s\nwant\n%s", b, tc.want)
			}
			if names := dirNames(t, dir); !slices.Equal(names, []string{"data.csv"}) {
				t.Errorf("folder holds %q", names)
			}
		})
	}
	t.Run("mismatched lengths leave nothing", func(t *testing.T) {
		dir := t.TempDir()
		err := WriteCSV(filepath.Join(dir, "bad.csv"), []Series{{Name: "bad", X: []float64{1}, Y: nil}})
		if err == nil || !strings.HasPrefix(err.Error(), "viz: ") {
			t.Errorf("WriteCSV error = %v", err)
		}
		if names := dirNames(t, dir); len(names) != 0 {
			t.Errorf("folder holds %q", names)
		}
	})
}

// recordsForSeries are hand-built records: dcnn's first, epochs out of
// order, epoch 2 of cnn recorded twice (a resumed run; the second counts),
// and missing values.
func recordsForSeries() []metrics.Epoch {
	n := metrics.Num(math.NaN())
	sc := func(accs ...float64) []metrics.ScaleAcc {
		// Given for scales 1.5, 0.5, 1.0, out of order on purpose.
		scales := []float64{1.5, 0.5, 1.0}
		var out []metrics.ScaleAcc
		for i, a := range accs {
			out = append(out, metrics.ScaleAcc{Scale: scales[i], Acc: metrics.Num(a)})
		}
		return out
	}
	return []metrics.Epoch{
		{Model: "dcnn", Epoch: 1, TrainLoss: 1.0, ValLoss: 1.1, TrainAcc: 60, ScaledTestAcc: 70, Scaled: sc(60, 65, 85)},
		{Model: "cnn", Epoch: 2, TrainLoss: 0.9, ValLoss: 1.0, TrainAcc: 70, ScaledTestAcc: 75, Scaled: sc(50, 60, 90)},
		{Model: "cnn", Epoch: 1, TrainLoss: 1.2, ValLoss: n, TrainAcc: 50, ScaledTestAcc: 72, Scaled: sc(40, 50, 80)},
		{Model: "dcnn", Epoch: 2, TrainLoss: 0.7, ValLoss: 0.8, TrainAcc: 80, ScaledTestAcc: 78, Scaled: sc(70, 75, 95)},
		{Model: "cnn", Epoch: 2, TrainLoss: 0.8, ValLoss: 0.95, TrainAcc: 72, ScaledTestAcc: 74, Scaled: sc(55, 65, 92)},
		{Model: "cnn", Epoch: 3, TrainLoss: 0.6, ValLoss: 0.7, TrainAcc: 80, ScaledTestAcc: 73, Scaled: sc(52, 63, 93)},
		{Model: "dcnn", Epoch: 3, TrainLoss: 0.5, ValLoss: 0.6, TrainAcc: 85, ScaledTestAcc: 77},
		{Model: "nan", Epoch: 1, ScaledTestAcc: n, Scaled: sc(1, 2, 3)},
		{Model: "nan", Epoch: 2, ScaledTestAcc: n, Scaled: sc(4, 5, 6)},
		{Model: "none", Epoch: 1, ScaledTestAcc: 50},
	}
}

func TestEpochSeries(t *testing.T) {
	recs := recordsForSeries()
	tests := []struct {
		name   string
		metric string
		want   []Series
	}{
		{"train loss", "train_loss", []Series{
			{Name: "DCNN train loss", Model: "dcnn", Style: "solid", X: []float64{1, 2, 3}, Y: []float64{1.0, 0.7, 0.5}},
			{Name: "CNN train loss", Model: "cnn", Style: "solid", X: []float64{1, 2, 3}, Y: []float64{1.2, 0.8, 0.6}},
			{Name: "NAN train loss", Model: "nan", Style: "solid", X: []float64{1, 2}, Y: []float64{0, 0}},
			{Name: "NONE train loss", Model: "none", Style: "solid", X: []float64{1}, Y: []float64{0}},
		}},
		{"val loss is dashed, NaN kept", "val_loss", []Series{
			{Name: "DCNN val loss", Model: "dcnn", Style: "dashed", X: []float64{1, 2, 3}, Y: []float64{1.1, 0.8, 0.6}},
			{Name: "CNN val loss", Model: "cnn", Style: "dashed", X: []float64{1, 2, 3}, Y: []float64{nan, 0.95, 0.7}},
			{Name: "NAN val loss", Model: "nan", Style: "dashed", X: []float64{1, 2}, Y: []float64{0, 0}},
			{Name: "NONE val loss", Model: "none", Style: "dashed", X: []float64{1}, Y: []float64{0}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := EpochSeries(recs, tc.metric)
			if err != nil {
				t.Fatal(err)
			}
			checkSeries(t, got, tc.want)
		})
	}
	t.Run("every key is accepted", func(t *testing.T) {
		for _, k := range EpochMetricKeys() {
			if _, err := EpochSeries(recs, k); err != nil {
				t.Errorf("EpochSeries(%q): %v", k, err)
			}
		}
	})
	t.Run("unknown metric", func(t *testing.T) {
		_, err := EpochSeries(recs, "train_los")
		if err == nil || !strings.Contains(err.Error(), `"train_los"`) || !strings.HasPrefix(err.Error(), "viz: ") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("no records", func(t *testing.T) {
		got, err := EpochSeries(nil, "test_acc")
		if err != nil || len(got) != 0 {
			t.Errorf("EpochSeries(nil) = %v, %v", got, err)
		}
	})
}

func TestScaleSeries(t *testing.T) {
	want := []Series{
		// dcnn's best scaled accuracy is epoch 2 (78).
		{Name: "DCNN (epoch 2)", Model: "dcnn", X: []float64{0.5, 1.0, 1.5}, Y: []float64{75, 95, 70}},
		// cnn's epoch 2 was re-recorded at 74; epoch 3 has 73; epoch 1 has 72.
		{Name: "CNN (epoch 2)", Model: "cnn", X: []float64{0.5, 1.0, 1.5}, Y: []float64{65, 92, 55}},
		// All NaN: the last epoch.
		{Name: "NAN (epoch 2)", Model: "nan", X: []float64{0.5, 1.0, 1.5}, Y: []float64{5, 6, 4}},
		// "none" has no per-scale accuracies: no series.
	}
	checkSeries(t, ScaleSeries(recordsForSeries()), want)
	if got := ScaleSeries(nil); len(got) != 0 {
		t.Errorf("ScaleSeries(nil) = %v", got)
	}
}

func TestStepLossSeries(t *testing.T) {
	got := StepLossSeries("dcnn", []metrics.Step{{Step: 1, Loss: 2.3}, {Step: 2, Loss: math.NaN()}, {Step: 3, Loss: 1.9}})
	checkSeries(t, []Series{got}, []Series{{Name: "DCNN train loss", Model: "dcnn", X: []float64{1, 2, 3}, Y: []float64{2.3, nan, 1.9}}})
}

// checkSeries compares series, NaN equal to NaN.
func checkSeries(t *testing.T, got, want []Series) {
	t.Helper()
	eq := func(a, b []float64) bool {
		return slices.EqualFunc(a, b, func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) })
	}
	if len(got) != len(want) {
		t.Fatalf("got %d series, want %d: %+v", len(got), len(want), got)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Name != w.Name || g.Model != w.Model || g.Style != w.Style || !eq(g.X, w.X) || !eq(g.Y, w.Y) {
			t.Errorf("series %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestConfusionErrors(t *testing.T) {
	tests := []struct {
		name   string
		m      [][]int
		labels []string
		want   string
	}{
		{"empty", nil, nil, "empty"},
		{"not square", [][]int{{1, 2}, {3}}, nil, "row 1 has 1 entries, want 2"},
		{"negative", [][]int{{1, -2}, {3, 4}}, nil, "[0][1] is negative"},
		{"labels length", [][]int{{1, 2}, {3, 4}}, []string{"a"}, "2 classes but 1 labels"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Confusion("t", tc.m, tc.labels)
			if err == nil || !strings.HasPrefix(err.Error(), "viz: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Confusion error = %v, want one with %q", err, tc.want)
			}
		})
	}
}

func TestConfusionGrid(t *testing.T) {
	// Row 0 (true class 0) is drawn at the top, so grid row 2 of 3.
	g := newConfusionGrid([][]int{{3, 1, 0}, {0, 0, 0}, {2, 2, 4}})
	tests := []struct {
		name   string
		c, r   int
		want   float64
		wantCt int
	}{
		{"true 0 predicted 0", 0, 2, 0.75, 3},
		{"true 0 predicted 1", 1, 2, 0.25, 1},
		{"empty row is NaN", 1, 1, nan, 0},
		{"true 2 predicted 2", 2, 0, 0.5, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			z := g.Z(tc.c, tc.r)
			if !(z == tc.want || math.IsNaN(z) && math.IsNaN(tc.want)) || g.count(tc.c, tc.r) != tc.wantCt {
				t.Errorf("cell (%d, %d) = %v with count %d, want %v with %d", tc.c, tc.r, z, g.count(tc.c, tc.r), tc.want, tc.wantCt)
			}
		})
	}
	t.Run("renders with an empty row and zero total", func(t *testing.T) {
		for _, m := range [][][]int{{{3, 1, 0}, {0, 0, 0}, {2, 2, 4}}, {{0, 0}, {0, 0}}, {{5}}} {
			p, err := Confusion("", m, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Render(p, RenderOptions{WidthPx: 200, HeightPx: 200}); err != nil {
				t.Fatal(err)
			}
		}
	})
}
