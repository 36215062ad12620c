package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/deformscope/deformscope/model/atomicfile"
	"github.com/deformscope/deformscope/model/train"
)

// seedReported are the seed study's Scaled-MNIST accuracies.
var seedReported = map[string]float64{"cnn": 90.03, "dcnn": 92.90}

func cmdReproduce(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "mnist" {
		fmt.Fprintln(stderr, "usage: dcn reproduce mnist --out DIR [--epochs 14] [--limit N] [--seed S] [--resume]")
		return errUsage
	}
	fs := flag.NewFlagSet("dcn reproduce mnist", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "run folder (required)")
	epochs := fs.Int("epochs", 14, "epochs (the seed's protocol: 14)")
	limit := fs.Int("limit", 0, "training images (the seed's protocol: 0, all 60000)")
	testLimit := fs.Int("test-limit", 0, "test images (the seed's protocol: 0, all 10000)")
	seed := fs.Uint64("seed", 1, "random seed")
	resume := fs.Bool("resume", false, "continue the run already in --out")
	mnistDir := fs.String("mnist-dir", "", "folder with the MNIST idx files (default: the GoMNIST module's)")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	if *out == "" {
		return fmt.Errorf("--out is required")
	}
	var run *train.Run
	var err error
	if *resume {
		run, err = train.Open(*out)
	} else {
		rc := train.SeedProtocol()
		rc.Train.Epochs, rc.Limit, rc.TestLimit, rc.Train.Seed, rc.MNISTDir = *epochs, *limit, *testLimit, *seed, *mnistDir
		if err = rc.Validate(); err != nil {
			return err
		}
		run, err = train.Create(*out, rc)
	}
	if err != nil {
		return err
	}
	start := time.Now()
	recs, err := trainRun(ctx, run, *resume, stdout, stderr)
	if err != nil {
		return err
	}
	table := resultsTable(run.Config, recs, time.Since(start))
	path := filepath.Join(run.Dir, "results.md")
	if err := atomicfile.WriteFile(path, []byte(table), 0o644); err != nil {
		return err
	}
	fmt.Fprint(stdout, table)
	fmt.Fprintf(stdout, "\nwritten to %s\n", path)
	return nil
}

// resultsTable is the seed's comparison: best scaled-test accuracy over the
// epochs for each model, beside the seed's reported figure.
func resultsTable(rc train.RunConfig, recs []train.EpochMetrics, wall time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| model | best Scaled-MNIST acc (epoch) | seed reported | test acc at that epoch | final test acc | s/epoch (train) |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|\n")
	for _, m := range rc.Models {
		var best, last *train.EpochMetrics
		var secs float64
		n := 0
		for i := range recs {
			r := &recs[i]
			if r.Model != m {
				continue
			}
			if best == nil || r.ScaledTestAcc > best.ScaledTestAcc {
				best = r
			}
			if last == nil || r.Epoch > last.Epoch {
				last = r
			}
			secs += r.EpochSeconds
			n++
		}
		if best == nil {
			continue
		}
		fmt.Fprintf(&b, "| %s (%s) | %s (%d) | %.2f%% | %s | %s | %.1f |\n", m, best.Arch, pctStr(best.ScaledTestAcc), best.Epoch,
			seedReported[m], pctStr(best.TestAcc), pctStr(last.TestAcc), secs/float64(n))
	}
	fmt.Fprintf(&b, "\nProtocol: %d epochs, %s lr %g, StepLR γ %g every %d epoch(s), batch %d, seed %d, %s; "+
		"training images: %s; Scaled-MNIST scales %v. Wall time %s on %d cores (GOMAXPROCS), %s/%s.\n",
		rc.Train.Epochs, rc.Train.Optimizer, rc.Train.LR, rc.Train.StepGamma, rc.Train.StepSize, rc.Train.Batch, rc.Train.Seed,
		map[bool]string{false: "DCNv2", true: "DCNv1"}[rc.DCNv1], limitStr(rc.Limit), rc.Scales,
		wall.Round(time.Second), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	return b.String()
}

func limitStr(n int) string {
	if n == 0 {
		return "all"
	}
	return fmt.Sprint(n)
}
