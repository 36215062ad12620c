package rundir

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deformscope/deformscope/model/experiment/experimenttest"

	"github.com/deformscope/deformscope/model/metrics"
)

// makeRun writes a run folder under root with the given epochs recorded
// for each model (test accuracy 50+epoch for cnn, 60+epoch for dcnn).
func makeRun(t *testing.T, root, name string, epochs map[string]int) string {
	t.Helper()
	rc := experimenttest.TinyConfig("cnn", "dcnn")
	dir := filepath.Join(root, name)
	r, err := Create(dir, rc)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range rc.Models {
		for e := 1; e <= epochs[m]; e++ {
			acc := metrics.Num(50 + e)
			if m == "dcnn" {
				acc += 10
			}
			if err := r.Record(metrics.Epoch{Model: m, Epoch: e, TestAcc: acc, ScaledTestAcc: metrics.Num(math.NaN())}); err != nil {
				t.Fatal(err)
			}
		}
	}
	r.Release() // made, as a finished run is: nobody trains it
	return dir
}

func TestListRuns(t *testing.T) {
	root := t.TempDir()
	done := makeRun(t, root, "a-done", map[string]int{"cnn": 2, "dcnn": 2})
	half := makeRun(t, root, "b-half", map[string]int{"cnn": 2, "dcnn": 1})
	empty := makeRun(t, root, "c-empty", nil)
	broken := makeRun(t, root, "d-broken", map[string]int{"cnn": 1})
	if err := os.WriteFile(filepath.Join(broken, MetricsJSON), []byte("{not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "not-a-run"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "file.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// Creation times decide the order: make them distinct, oldest first.
	base := time.Now().Add(-time.Hour)
	for i, d := range []string{done, half, empty, broken} {
		ts := base.Add(time.Duration(i) * time.Minute)
		if err := os.Chtimes(filepath.Join(d, configFile), ts, ts); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := ListRuns(root)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, r := range runs {
		dirs = append(dirs, filepath.Base(r.Dir))
	}
	if got, want := strings.Join(dirs, ","), "d-broken,c-empty,b-half,a-done"; got != want {
		t.Fatalf("runs %s, want %s (newest first, non-runs left out)", got, want)
	}
	tests := []struct {
		name              string
		ri                RunInfo
		complete, trained bool
		broken            bool
		cnnEpochs         int
		bestDCNN          float64
	}{
		{"complete", runs[3], true, true, false, 2, 62},
		{"incomplete", runs[2], false, true, false, 2, 61},
		{"no epoch", runs[1], false, false, false, 0, math.NaN()},
		{"damaged", runs[0], false, false, true, 0, math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.ri.Complete(); got != tc.complete {
				t.Errorf("Complete = %v, want %v", got, tc.complete)
			}
			if got := tc.ri.Trained(); got != tc.trained {
				t.Errorf("Trained = %v, want %v", got, tc.trained)
			}
			if (tc.ri.Err != nil) != tc.broken {
				t.Fatalf("Err = %v, want an error: %v", tc.ri.Err, tc.broken)
			}
			if tc.broken {
				if !strings.Contains(tc.ri.Err.Error(), MetricsJSON) {
					t.Errorf("Err = %v, want it to name %s", tc.ri.Err, MetricsJSON)
				}
				return
			}
			if len(tc.ri.Models) != 2 || tc.ri.Models[0].Model != "cnn" || tc.ri.Models[1].Model != "dcnn" {
				t.Fatalf("models %+v, want cnn and dcnn", tc.ri.Models)
			}
			if got := tc.ri.Models[0].Epochs; got != tc.cnnEpochs {
				t.Errorf("cnn epochs %d, want %d", got, tc.cnnEpochs)
			}
			got := tc.ri.Models[1].BestTest
			if !(got == tc.bestDCNN || math.IsNaN(got) && math.IsNaN(tc.bestDCNN)) {
				t.Errorf("dcnn best test accuracy %v, want %v", got, tc.bestDCNN)
			}
			if !math.IsNaN(tc.ri.Models[1].BestScaled) {
				t.Errorf("best scaled accuracy %v, want NaN (none measured)", tc.ri.Models[1].BestScaled)
			}
		})
	}
	if runs, err := ListRuns(filepath.Join(root, "missing")); err != nil || len(runs) != 0 {
		t.Errorf("ListRuns of a missing folder = %v, %v; want none and no error", runs, err)
	}
}

func TestRunNames(t *testing.T) {
	root := t.TempDir()
	dir := makeRun(t, root, "r", nil)
	if name, err := ReadName(dir); err != nil || name != "" {
		t.Fatalf("ReadName of an unnamed run = %q, %v", name, err)
	}
	if err := SetName(dir, "  Scaled MNIST, lr 1e-3 "); err != nil {
		t.Fatal(err)
	}
	ri, err := Summarize(dir)
	if err != nil || ri.Name != "Scaled MNIST, lr 1e-3" || ri.Title() != ri.Name {
		t.Fatalf("after SetName: name %q title %q, %v", ri.Name, ri.Title(), err)
	}
	// config.json stays what dcn reads.
	if _, err := Open(dir); err != nil {
		t.Fatalf("Open after SetName: %v", err)
	}
	bad := []struct{ name, want string }{
		{"two\nlines", "control character"},
		{strings.Repeat("x", maxNameLen+1), "the most is"},
	}
	for _, tc := range bad {
		if err := SetName(dir, tc.name); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SetName(%q) = %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	if err := SetName(dir, ""); err != nil {
		t.Fatal(err)
	}
	if ri, _ := Summarize(dir); ri.Name != "" || ri.Title() != "r" {
		t.Errorf("after clearing: name %q title %q, want none and the folder's name", ri.Name, ri.Title())
	}
	if err := SetName(filepath.Join(root, "nope"), "x"); err == nil {
		t.Error("SetName on a folder that is not a run: no error")
	}
	if err := os.WriteFile(filepath.Join(dir, nameFile), []byte("a\x00b"), 0o644); err != nil {
		t.Fatal(err)
	}
	if ri, _ := Summarize(dir); ri.Err == nil || !strings.Contains(ri.Err.Error(), nameFile) {
		t.Errorf("a damaged name file: Err = %v, want it named", ri.Err)
	}
}

func TestRemoveRun(t *testing.T) {
	root := t.TempDir()
	dir := makeRun(t, root, "r", map[string]int{"cnn": 1})
	plain := filepath.Join(root, "plain")
	if err := os.Mkdir(plain, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := RemoveRun(plain); err == nil || !strings.Contains(err.Error(), "not a run folder") {
		t.Errorf("RemoveRun of a plain folder = %v, want a refusal", err)
	}
	if _, err := os.Stat(plain); err != nil {
		t.Errorf("the plain folder is gone: %v", err)
	}
	// A run being trained (here by a Run that holds its lock, as `dcn train` in another process
	// would) is not removed: the app's Delete only refused the run its own window trained.
	held, err := OpenForResume(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := RemoveRun(dir); err == nil || !strings.Contains(err.Error(), "is being trained by pid ") ||
		!strings.Contains(err.Error(), "not removed") {
		t.Errorf("RemoveRun of a run being trained = %v, want a refusal naming the holder", err)
	}
	if _, err := os.Stat(filepath.Join(dir, configFile)); err != nil {
		t.Errorf("the run being trained lost its config: %v", err)
	}
	held.Release()
	if err := RemoveRun(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the run folder is still there (%v)", err)
	}
}

func TestSlug(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Scaled MNIST, lr 1e-3", "scaled-mnist-lr-1e-3"},
		{"  ../../etc ", "etc"},
		{"Über Größe", "ber-gr-e"},
		{"", ""},
		{"日本", ""},
		{strings.Repeat("ab ", 30), "ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-a"}, // 40 bytes,
	}
	for _, tc := range tests {
		if got := Slug(tc.in); got != tc.want {
			t.Errorf("Slug(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestStepCurves(t *testing.T) {
	dir := makeRun(t, t.TempDir(), "r", nil)
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	curves := []StepCurve{{Model: "cnn", X: []float64{0.5, 1}, Y: []float64{2.3, 1.1}}}
	if err := r.SaveStepCurves(curves); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadStepCurves(dir); err != nil || len(got) != 1 || got[0].Model != "cnn" || got[0].Y[1] != 1.1 {
		t.Errorf("step curves read back %+v, %v", got, err)
	}
	for name, text := range map[string]string{"not json": "{", "lengths differ": `[{"model":"cnn","x":[1],"y":[]}]`} {
		if err := os.WriteFile(filepath.Join(dir, stepsFile), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadStepCurves(dir); err == nil || !strings.Contains(err.Error(), stepsFile) {
			t.Errorf("%s: error %v, want one naming %s", name, err, stepsFile)
		}
	}
}
