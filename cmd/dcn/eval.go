package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/deformscope/deformscope/model/data"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/runner"
)

// evalResult is one model's evaluation, as `dcn eval --json` prints it.
type evalResult struct {
	Model         string             `json:"model"`
	Arch          string             `json:"arch"`
	Epoch         int                `json:"epoch"`
	TestLoss      metrics.Num        `json:"test_loss"`
	TestAcc       metrics.Num        `json:"test_acc"`
	ScaledTestAcc metrics.Num        `json:"scaled_test_acc"`
	Scaled        []metrics.ScaleAcc `json:"scaled,omitempty"`
}

// cmdEval runs dcn eval: it evaluates the checkpoints of a run folder.
func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dcn eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("run", "", "run folder (required)")
	scales := fs.String("scales", "", `Scaled-MNIST scales, e.g. 0.5:1.5:0.1 (default: the run's; "none" skips)`)
	scaleMode := fs.String("scale-mode", "", "Scaled-MNIST transform: seed or bilinear (default: the run's; bilinear for runs made before the choice existed)")
	asJSON := fs.Bool("json", false, "print JSON")
	testLimit := fs.Int("test-limit", -1, "test images (default: the run's)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("--run is required")
	}
	limitSet := false
	fs.Visit(func(f *flag.Flag) { limitSet = limitSet || f.Name == "test-limit" })
	if limitSet && *testLimit < 0 {
		return fmt.Errorf("--test-limit: want 0 (all) or more, got %d", *testLimit)
	}
	run, err := rundir.Open(*dir)
	if err != nil {
		return err
	}
	rc := run.Config
	rc.Limit, rc.Val = 1, 0 // evaluation needs no training data beyond one image
	switch s := strings.TrimSpace(*scales); s {
	case "":
	case "none":
		rc.Scales = nil
	default:
		if rc.Scales, err = data.ParseScales(s); err != nil {
			return fmt.Errorf("--scales: %w", err)
		}
	}
	if *scaleMode != "" {
		m, err := data.ParseScaleMode(*scaleMode)
		if err != nil {
			return fmt.Errorf("--scale-mode: %w", err)
		}
		rc.ScaleMode = m
	}
	if *testLimit >= 0 {
		rc.TestLimit = *testLimit
	}
	d, err := experiment.LoadData(rc)
	if err != nil {
		return err
	}
	s, err := runner.NewSession(rc, d.Data, nil)
	if err != nil {
		return err
	}
	var out []evalResult
	for _, t := range s.Trainers {
		epoch, path := run.LatestCheckpoint(t.Name)
		if path == "" {
			return fmt.Errorf("%s has no complete epoch of %s yet", run.Dir, t.Name)
		}
		if err := runner.RestoreRun(run, t, epoch); err != nil {
			return err
		}
		m, err := t.EvaluateAll(ctx)
		if err != nil {
			return err
		}
		out = append(out, evalResult{Model: t.Name, Arch: t.Net.Arch, Epoch: epoch, TestLoss: m.TestLoss, TestAcc: m.TestAcc,
			ScaledTestAcc: m.ScaledTestAcc, Scaled: m.Scaled})
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, "model\tepoch\ttest loss\ttest acc\tscaled acc")
	if len(out) > 0 {
		for _, sa := range out[0].Scaled {
			fmt.Fprintf(tw, "\t×%.2g", sa.Scale)
		}
	}
	fmt.Fprintln(tw)
	for _, r := range out {
		fmt.Fprintf(tw, "%s\t%d\t%.4f\t%s\t%s", r.Model, r.Epoch, float64(r.TestLoss), pctStr(r.TestAcc), pctStr(r.ScaledTestAcc))
		for _, sa := range r.Scaled {
			fmt.Fprintf(tw, "\t%s", pctStr(sa.Acc))
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}
