package app

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/deformscope/deformscope/app/internal/clip"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/train"
	"github.com/deformscope/deformscope/viz"
)

// fakeRun writes a run folder of rc with epochs records a model, whose
// accuracies rise from base, as dcn would leave it; created dates it.
func fakeRun(t *testing.T, dir string, rc experiment.RunConfig, epochs int, base float64, created time.Time) {
	t.Helper()
	rc.Train.Epochs = max(rc.Train.Epochs, epochs)
	run, err := rundir.Create(dir, rc)
	if err != nil {
		t.Fatal(err)
	}
	for e := 1; e <= epochs; e++ {
		for i, m := range rc.Models {
			acc := base + float64(i) + 10*(1-1/float64(e))
			err := run.Record(metrics.Epoch{Model: m, Epoch: e, LR: rc.Train.LR,
				TrainLoss: metrics.Num(2 / float64(e)), TrainAcc: metrics.Num(acc - 1),
				ValLoss: metrics.NaN(), ValAcc: metrics.NaN(),
				TestLoss: metrics.Num(2.2 / float64(e)), TestAcc: metrics.Num(acc), ScaledTestAcc: metrics.Num(acc - 5),
				Scaled:       []metrics.ScaleAcc{{Scale: 0.5, Acc: metrics.Num(acc - 20)}, {Scale: 1, Acc: metrics.Num(acc)}},
				EpochSeconds: 10, EvalSeconds: 1})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, f := range []string{"config.json", "metrics.jsonl", "metrics.csv"} {
		if err := os.Chtimes(filepath.Join(dir, f), created, created); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
}

// threeRuns writes three runs that differ in optimiser, rate, epochs and
// age into a new runs folder.
func threeRuns(t *testing.T) (root string, dirs []string) {
	root = t.TempDir()
	day := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for i, c := range []struct {
		opt    string
		lr     float64
		epochs int
		base   float64
	}{{"adam", 1e-3, 3, 80}, {"sgd", 0.01, 2, 60}, {"adam", 5e-4, 4, 70}} {
		rc := tinyConfig()
		rc.Train.Optimizer, rc.Train.LR = c.opt, c.lr
		dir := filepath.Join(root, fmt.Sprintf("run-%d", i))
		fakeRun(t, dir, rc, c.epochs, c.base, day.Add(time.Duration(i)*time.Hour))
		dirs = append(dirs, dir)
	}
	return root, dirs
}

func TestRunsSortByAnyColumn(t *testing.T) {
	root, dirs := threeRuns(t)
	h := newHarness(t, root)
	v := h.u.runs
	v.refresh()
	order := func() string {
		var out []string
		for _, r := range v.runs {
			out = append(out, filepath.Base(r.Dir))
		}
		return fmt.Sprint(out)
	}
	if got := order(); got != "[run-2 run-1 run-0]" {
		t.Fatalf("first listing %s, want the newest first", got)
	}
	v.table.Select(widget.TableCellID{Row: 2, Col: colName}) // run-0
	tests := []struct {
		col  int
		want string
	}{
		{colLR, "[run-2 run-0 run-1]"},        // 0.0005, 0.001, 0.01
		{colLR, "[run-1 run-0 run-2]"},        // again: reversed
		{colOptimiser, "[run-2 run-0 run-1]"}, // adam, adam (newest first), sgd
		{colEpochs, "[run-2 run-0 run-1]"},    // most epochs first
		{colBest, "[run-0 run-2 run-1]"},      // best accuracy first: 80+…, 70+…, 60+…
		{colStarted, "[run-2 run-1 run-0]"},
		{colStarted, "[run-0 run-1 run-2]"},
	}
	for _, tc := range tests {
		v.sortBy(tc.col)
		if got := order(); got != tc.want {
			t.Errorf("sorted by %s (ascending %v): %s, want %s", runsColumns[tc.col].title, v.sortAsc, got, tc.want)
		}
		if ri, ok := v.selectedRun(); !ok || ri.Dir != dirs[0] {
			t.Errorf("sorted by %s: the selection moved to %v", runsColumns[tc.col].title, ri.Dir)
		}
	}
	// The columns that tell the runs apart.
	ri := v.runs[slicesIndex(v.runs, dirs[1])]
	for col, want := range map[int]string{colOptimiser: "sgd", colLR: "0.01 ×0.7/ep", colEpochs: "2 of 2", colData: "MNIST", colModels: "CNN, DCNN"} {
		if got, _ := runsCellText(ri, col); got != want {
			t.Errorf("column %s says %q, want %q", runsColumns[col].title, got, want)
		}
	}
}

func slicesIndex(runs []rundir.RunInfo, dir string) int {
	for i, r := range runs {
		if r.Dir == dir {
			return i
		}
	}
	return -1
}

// TestRunsFollowTheFolder: a run that dcn writes into the folder, and a
// new epoch or name of a listed one, show without Refresh.
func TestRunsFollowTheFolder(t *testing.T) {
	defer func(d time.Duration) { runsPollInterval = d }(runsPollInterval)
	runsPollInterval = 20 * time.Millisecond
	root := t.TempDir()
	h := newHarness(t, root)
	v := h.u.runs
	if len(v.runs) != 0 {
		t.Fatalf("an empty folder lists %d runs", len(v.runs))
	}
	dir := filepath.Join(root, "from-dcn")
	rc := tinyConfig()
	rc.Train.Epochs = 3
	fakeRun(t, dir, rc, 1, 50, time.Now())
	// The poll may catch the folder before its first epoch is written: the
	// list shows it at once and its epoch count on a later poll.
	h.waitFor("the new run in the list with its epoch", 10*time.Second, func() bool {
		if len(v.runs) != 1 {
			return false
		}
		s, _ := runsCellText(v.runs[0], colEpochs)
		return s == "1 of 3"
	})
	run, err := rundir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Record(metrics.Epoch{Model: "cnn", Epoch: 2, TestAcc: 70, EpochSeconds: 1}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the new epoch", 10*time.Second, func() bool {
		s, _ := runsCellText(v.runs[0], colEpochs)
		return s == "2 of 3"
	})
	if err := rundir.SetName(dir, "nightly"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the new name", 10*time.Second, func() bool { return v.runs[0].Title() == "nightly" })
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the run gone", 10*time.Second, func() bool { return len(v.runs) == 0 })
}

// TestCompareOverlaysRunsInCurves ticks two runs in the Runs tab and checks
// that Curves draws both, each in its run's colour, and that unticking one
// shows the window's own run again.
func TestCompareOverlaysRunsInCurves(t *testing.T) {
	root, dirs := threeRuns(t)
	h := newHarness(t, root)
	v := h.u.runs
	v.refresh()
	if !v.compare.Disabled() {
		t.Error("Compare is enabled with no run ticked")
	}
	h.u.tabs.SelectIndex(3)
	// Tick run-0 and run-1 as a click on their check boxes would.
	for _, d := range dirs[:2] {
		cell := newRunsCell()
		v.cell(widget.TableCellID{Row: slicesIndex(v.runs, d), Col: colCompare}, cell)
		check := cell.(*fyne.Container).Objects[1].(*widget.Check)
		if !check.Visible() || check.Checked {
			t.Fatalf("the compare cell of %s: visible %v, checked %v", d, check.Visible(), check.Checked)
		}
		test.Tap(check)
		if !v.checked[d] {
			t.Fatalf("tapping the check box of %s did not tick it", d)
		}
	}
	if v.compare.Disabled() {
		t.Fatal("Compare is disabled with two runs ticked")
	}
	test.Tap(v.compare)
	if h.u.tabs.SelectedIndex() != 0 {
		t.Fatalf("Compare shows tab %d, want Curves", h.u.tabs.SelectedIndex())
	}
	in := h.u.rend.input()
	if len(in.Runs) != 2 {
		t.Fatalf("the figures' input overlays %d runs, want 2", len(in.Runs))
	}
	if h.u.curves.comparing.Hidden || h.u.curves.comparing.Text != "Comparing 2 runs" {
		t.Errorf("the Curves tab says %q (hidden %v)", h.u.curves.comparing.Text, h.u.curves.comparing.Hidden)
	}
	h.settle()
	for _, id := range []viz.FigureID{viz.FigLoss, viz.FigAccuracy, viz.FigScale} {
		img := viewOf(h.u, id).img.Image
		if img == nil {
			t.Fatalf("%s shows no image: %q", id, viewOf(h.u, id).msg.Text)
		}
		for i := range 2 {
			if n := countColour(img, viz.RunColor(i)); n < 20 {
				t.Errorf("%s: %d pixels of run %d's colour %v, want a line", id, n, i, viz.RunColor(i))
			}
		}
		if n := countColour(img, viz.RunColor(2)); n > 0 {
			t.Errorf("%s: %d pixels of a third run's colour, but only two are ticked", id, n)
		}
	}

	// Nothing is cut while comparing, at the smallest window either.
	for _, sz := range []fyne.Size{{Width: 1024, Height: 640}, {Width: 1366, Height: 768}} {
		h.w.Resize(sz)
		for _, tab := range []int{0, 3} {
			h.u.tabs.SelectIndex(tab)
			h.settle()
			for _, c := range clip.Clipped(h.w) {
				t.Errorf("at %v, comparing, %s tab: %s", sz, h.u.tabs.Items[tab].Text, c)
			}
		}
	}
	h.u.tabs.SelectIndex(0)
	h.capture("compare")

	// The elapsed-time axis.
	h.u.curves.xAxis.SetSelected(xTime)
	if in := h.u.rend.input(); !in.Time {
		t.Error("the time axis did not reach the figures")
	}
	h.settle()
	if img := viewOf(h.u, viz.FigLoss).img.Image; img == nil {
		t.Errorf("loss against time shows no image: %q", viewOf(h.u, viz.FigLoss).msg.Text)
	}
	h.u.curves.xAxis.SetSelected(xEpoch)

	// Unticking one run ends the overlay; Stop comparing unticks all.
	v.setChecked(dirs[1], false)
	if in := h.u.rend.input(); len(in.Runs) != 0 {
		t.Errorf("with one run ticked the figures still overlay %d", len(in.Runs))
	}
	v.setChecked(dirs[2], true)
	test.Tap(h.u.curves.clear)
	if len(v.checked) != 0 || len(h.u.rend.input().Runs) != 0 || !h.u.curves.comparing.Hidden {
		t.Errorf("after Stop comparing: %d ticked, %d overlaid", len(v.checked), len(h.u.rend.input().Runs))
	}
}

// countColour counts the pixels of img within a small distance of c.
func countColour(img image.Image, c color.NRGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			p := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			if absDiff(p.R, c.R) <= 12 && absDiff(p.G, c.G) <= 12 && absDiff(p.B, c.B) <= 12 && p.A > 200 {
				n++
			}
		}
	}
	return n
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// TestAxesFollowLiveTraining applies the snapshots of a training that
// improves epoch after epoch, as the bridge hands them over, and checks
// after each that every curve figure's drawn axes hold all its data: the
// accuracy axis reaches the newest validation accuracy (it lagged, and a
// val-acc line ran off the top), the loss axis the lowest loss.
func TestAxesFollowLiveTraining(t *testing.T) {
	h := newHarness(t, "/runs")
	s := sampleSnapshot("/runs/live")
	for e := 2; e <= 4; e++ {
		for i := range s.Models {
			m := &s.Models[i]
			r := m.Epochs[len(m.Epochs)-1]
			r.Epoch = e
			r.TrainAcc, r.ValAcc, r.TestAcc = r.TrainAcc+2, r.ValAcc+3, r.TestAcc+2.5
			r.TrainLoss, r.ValLoss = r.TrainLoss*0.6, r.ValLoss*0.6
			m.Epochs = append(m.Epochs, r)
			m.Step.Epoch = e
		}
		h.u.apply(s)
		h.settle()
		for _, c := range []struct {
			id       viz.FigureID
			hi, lo   float64
			describe string
		}{
			{viz.FigAccuracy, maxOf(s, func(r metrics.Epoch) float64 { return float64(r.ValAcc) }), minOf(s, func(r metrics.Epoch) float64 { return float64(r.TrainAcc) }), "accuracy"},
			{viz.FigLoss, maxOf(s, func(r metrics.Epoch) float64 { return float64(r.TrainLoss) }), minOf(s, func(r metrics.Epoch) float64 { return float64(r.ValLoss) }), "loss"},
		} {
			f := viewOf(h.u, c.id).frame
			if !f.ok || f.y1 < c.hi || f.y0 > c.lo || f.x1 < float64(e) {
				t.Errorf("after epoch %d the %s axes are x %.3g–%.3g, y %.4g–%.4g; the data reach epoch %d and %.4g–%.4g",
					e, c.describe, f.x0, f.x1, f.y0, f.y1, e, c.lo, c.hi)
			}
		}
	}
}

func maxOf(s Snapshot, get func(metrics.Epoch) float64) float64 {
	v := -1e300
	for _, m := range s.Models {
		for _, r := range m.Epochs {
			v = max(v, get(r))
		}
	}
	return v
}

func minOf(s Snapshot, get func(metrics.Epoch) float64) float64 {
	v := 1e300
	for _, m := range s.Models {
		for _, r := range m.Epochs {
			v = min(v, get(r))
		}
	}
	return v
}

// BenchmarkRunsPollUnchanged is one look of the runs watcher at a folder
// of 100 runs that did not change: what it costs every two seconds.
func BenchmarkRunsPollUnchanged(b *testing.B) {
	root := b.TempDir()
	rc := tinyConfig()
	for i := range 100 {
		run, err := rundir.Create(filepath.Join(root, fmt.Sprintf("run-%03d", i)), rc)
		if err != nil {
			b.Fatal(err)
		}
		if err := run.Record(metrics.Epoch{Model: "cnn", Epoch: 1, TestAcc: 90}); err != nil {
			b.Fatal(err)
		}
	}
	w := &runsWatcher{cache: map[string]cachedInfo{}}
	if _, runs, err := w.scan(root); err != nil || len(runs) != 100 {
		b.Fatalf("%d runs, %v", len(runs), err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := w.scan(root); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRunsColumnsTellRunsApart(t *testing.T) {
	mnist := tinyConfig()
	mnist.Train.StepGamma, mnist.Train.StepSize = 0.5, 3
	coco := experiment.RunConfig{Data: "coco", Models: []string{"cnn", "dcnn-middle"}, DCNv1: true,
		COCO:  &experiment.COCOData{Size: 64, MaxPerClass: 300},
		Train: train.Config{Epochs: 5, Optimizer: "sgd", LR: 0.001, Momentum: 0.9}}
	cocoAll := coco
	cocoAll.COCO = &experiment.COCOData{Size: 96}
	tests := []struct {
		name string
		ri   rundir.RunInfo
		col  int
		want string
	}{
		{"MNIST scale mode", rundir.RunInfo{Config: mnist}, colScaleMode, string(mnist.ScaleModeOrBilinear())},
		{"MNIST has no crops", rundir.RunInfo{Config: mnist}, colCrops, "–"},
		{"StepLR every 3 epochs", rundir.RunInfo{Config: mnist}, colLR, "0.001 ×0.5/3 ep"},
		{"COCO crops capped", rundir.RunInfo{Config: coco}, colCrops, "64 px, ≤300 a class"},
		{"COCO crops all", rundir.RunInfo{Config: cocoAll}, colCrops, "96 px, all a class"},
		{"COCO has no scale mode", rundir.RunInfo{Config: coco}, colScaleMode, "–"},
		{"placement and DCNv1", rundir.RunInfo{Config: coco}, colModels, "CNN, DCNN-MIDDLE (DCNv1)"},
		{"SGD momentum", rundir.RunInfo{Config: coco}, colOptimiser, "sgd m 0.9"},
		{"constant rate", rundir.RunInfo{Config: coco}, colLR, "0.001"},
		{"data set", rundir.RunInfo{Config: coco}, colData, "COCO"},
		{"no accuracy yet", rundir.RunInfo{Config: coco}, colBest, "–"},
		{"damaged run", rundir.RunInfo{Dir: "/r/x", Err: errors.New("config.json: bad")}, colOptimiser, "–"},
		{"damaged run's state", rundir.RunInfo{Dir: "/r/x", Err: errors.New("config.json: bad")}, colState, "damaged: config.json: bad"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := runsCellText(tc.ri, tc.col); got != tc.want {
				t.Errorf("%s column: %q, want %q", runsColumns[tc.col].title, got, tc.want)
			}
		})
	}
}

// TestCompareFollowsTheLiveRun: a compared run that the window is training
// is drawn from the live snapshot, not from its folder's last epoch.
func TestCompareFollowsTheLiveRun(t *testing.T) {
	root, dirs := threeRuns(t)
	h := newHarness(t, root)
	v := h.u.runs
	v.refresh()
	v.setChecked(dirs[0], true)
	v.setChecked(dirs[1], true)
	live := sampleSnapshot(dirs[0]) // one epoch a model, as if training it now
	h.u.apply(live)
	in := h.u.rend.input()
	if len(in.Runs) != 2 {
		t.Fatalf("%d runs overlaid, want 2", len(in.Runs))
	}
	for _, r := range in.Runs {
		n := len(r.Records)
		switch r.Label {
		case "run-0":
			if n != 2 || len(r.Steps) != 2 {
				t.Errorf("the live run has %d records and %d step curves, want the snapshot's 2 and 2", n, len(r.Steps))
			}
		case "run-1":
			if n != 4 { // two epochs of two models, from its folder
				t.Errorf("the other run has %d records, want its folder's 4", n)
			}
		default:
			t.Errorf("unexpected run %q", r.Label)
		}
	}
}
