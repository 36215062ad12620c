package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/rundir"
)

// writeRun writes a run folder with epochs records of cnn and dcnn, as
// training would leave it.
func writeRun(t *testing.T, dir, name string, epochs int, acc float64) {
	t.Helper()
	rc := experiment.StudyProtocol()
	rc.Train.Epochs = epochs
	run, err := rundir.Create(dir, rc)
	if err != nil {
		t.Fatal(err)
	}
	for e := 1; e <= epochs; e++ {
		for _, m := range rc.Models {
			a := acc + float64(e)
			if err := run.Record(metrics.Epoch{Model: m, Epoch: e, TrainLoss: metrics.Num(1 / float64(e)), TrainAcc: metrics.Num(a - 1),
				ValLoss: metrics.Num(1.1 / float64(e)), ValAcc: metrics.Num(a), TestLoss: metrics.NaN(), TestAcc: metrics.Num(a),
				ScaledTestAcc: metrics.Num(a - 5), Scaled: []metrics.ScaleAcc{{Scale: 0.5, Acc: metrics.Num(a - 20)}, {Scale: 1, Acc: metrics.Num(a)}},
				EpochSeconds: 30, EvalSeconds: 3}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if name != "" {
		if err := rundir.SetName(dir, name); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPlotCompare(t *testing.T) {
	tmp := t.TempDir()
	a, b := filepath.Join(tmp, "a"), filepath.Join(tmp, "b")
	writeRun(t, a, "adam run", 3, 80)
	writeRun(t, b, "", 2, 60)
	figs := filepath.Join(tmp, "figs")
	code, stdout, stderr := dcn(t, "plot", "--run", a, "--compare", b, "--out", figs, "--formats", "png", "--x", "time")
	if code != 0 {
		t.Fatalf("dcn plot --compare: exit %d: %s", code, stderr)
	}
	// Loss, accuracy and accuracy against scale with their CSVs; the
	// per-step loss has no steps.json to draw from here.
	if !strings.Contains(stdout, "wrote 6 files") {
		t.Errorf("stdout %q, want three curve figures and their CSVs", stdout)
	}
	csv, err := os.ReadFile(filepath.Join(figs, "accuracy.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"adam run · CNN val acc", "b · DCNN val acc", "adam run · CNN train acc"} {
		if !strings.Contains(string(csv), want) {
			t.Errorf("accuracy.csv lacks the series %q:\n%s", want, csv)
		}
	}
	// On the time axis an epoch ends after its 30 s of training and 3 s
	// of evaluation: run a's third at 99 s.
	if !strings.Contains(string(csv), "adam run · CNN val acc,99,83") {
		t.Errorf("accuracy.csv lacks run a's third epoch at 99 s:\n%s", csv)
	}
	if _, err := os.Stat(filepath.Join(figs, "confusion-cnn.png")); !os.IsNotExist(err) {
		t.Errorf("a comparison wrote a confusion matrix (%v); it belongs to one run", err)
	}

	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"compare without out", []string{"plot", "--run", a, "--compare", b}, "--compare needs --out"},
		{"unknown x axis", []string{"plot", "--run", a, "--x", "hours"}, "--x: want epoch or time"},
		{"compare with a missing run", []string{"plot", "--run", a, "--compare", filepath.Join(tmp, "nope"), "--out", figs}, "nope"},
		{"compare with itself only", []string{"plot", "--run", a, "--compare", " , ", "--out", figs}, "at least one other run"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := dcn(t, c.args...)
			if code == 0 || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want a failure naming %q", code, stderr, c.want)
			}
		})
	}
}
