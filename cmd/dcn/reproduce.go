package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/deformscope/deformscope/internal/atomicfile"
	"github.com/deformscope/deformscope/model/data"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/rundir"
)

// studyReported are the course study's Scaled-MNIST accuracies.
var studyReported = map[string]float64{"cnn": 90.03, "dcnn": 92.90}

const reproduceUsage = `usage: dcn reproduce mnist --out DIR [--epochs 14] [--limit N] [--seed S] [--resume]
       dcn reproduce coco --coco-ann FILE --coco-images DIR --out DIR [--epochs 5] [--max-per-class N] [--resume]
(a stopped study continues when the same command is run again)`

// cmdReproduce runs dcn reproduce mnist or coco: the course study's protocol and its table.
func cmdReproduce(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "coco" {
		return reproduceCOCO(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "mnist" {
		fmt.Fprintln(stderr, reproduceUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("dcn reproduce mnist", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "run folder (required)")
	epochs := fs.Int("epochs", 14, "epochs (the course study's protocol: 14)")
	limit := fs.Int("limit", 0, "training images (the course study's protocol: 0, all 60000)")
	testLimit := fs.Int("test-limit", 0, "test images (the course study's protocol: 0, all 10000)")
	seed := fs.Uint64("seed", 1, "random seed")
	resume := fs.Bool("resume", false, "continue the run already in --out")
	mnistDir := fs.String("mnist-dir", "", "folder with the MNIST idx files (default: the GoMNIST module's)")
	scaleMode := fs.String("scale-mode", "seed", "Scaled-MNIST transform: seed (the course study's: nearest, fill 0 after normalising) or bilinear")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("--out is required")
	}
	// One resumable job, as reproduce coco: the command that started the study, run again,
	// continues it (and refuses a run in --out made with other settings); --resume continues it
	// with its own settings.
	var want experiment.RunConfig
	if !*resume {
		want = experiment.StudyProtocol()
		want.Train.Epochs, want.Limit, want.TestLimit, want.Train.Seed, want.MNISTDir = *epochs, *limit, *testLimit, *seed, *mnistDir
		var err error
		if want.ScaleMode, err = data.ParseScaleMode(*scaleMode); err != nil {
			return fmt.Errorf("--scale-mode: %w", err)
		}
		if err := want.Validate(); err != nil {
			return err
		}
	}
	run, fresh, err := studyRun(*out, want, *resume)
	if err != nil {
		return err
	}
	start := time.Now()
	recs, err := trainRun(ctx, run, !fresh, "the same command again", stdout, stderr)
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

// resultsTable is the course study's comparison: best scaled-test accuracy over the
// epochs for each model, beside the course study's reported figure.
func resultsTable(rc experiment.RunConfig, recs []metrics.Epoch, wall time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| model | best Scaled-MNIST acc (epoch) | seed reported | test acc at that epoch | final test acc | s/epoch (train) |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|\n")
	for _, m := range rc.Models {
		var best, last *metrics.Epoch
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
			studyReported[m], pctStr(best.TestAcc), pctStr(last.TestAcc), secs/float64(n))
	}
	fmt.Fprintf(&b, "\nProtocol: %d epochs, %s lr %g, StepLR γ %g every %d epoch(s), batch %d, seed %d, %s; "+
		"training images: %s; Scaled-MNIST scales %v, %s transform. Wall time %s on %d cores (GOMAXPROCS), %s/%s.\n",
		rc.Train.Epochs, rc.Train.Optimizer, rc.Train.LR, rc.Train.StepGamma, rc.Train.StepSize, rc.Train.Batch, rc.Train.Seed,
		map[bool]string{false: "DCNv2", true: "DCNv1"}[rc.DCNv1], limitStr(rc.Limit), rc.Scales, rc.ScaleModeOrBilinear(),
		wall.Round(time.Second), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	return b.String()
}

// limitStr writes a limit, 0 being "all".
func limitStr(n int) string {
	if n == 0 {
		return "all"
	}
	return fmt.Sprint(n)
}

// reproduceCOCO runs the course study's COCO nets: the plain CNN and the three
// placements of the deformable pair, 5 epochs of SGD at lr 0.001
// (momentum 0.9), then the same with Adam at lr 0.001, each in its own run
// folder under --out, and writes one table.
func reproduceCOCO(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dcn reproduce coco", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "folder for the two runs (required)")
	ann := fs.String("coco-ann", "", "an instances_*.json file (required)")
	images := fs.String("coco-images", "", "its image folder (required)")
	testAnn := fs.String("coco-test-ann", "", "an instances file whose crops form the test set (e.g. val2017)")
	testImages := fs.String("coco-test-images", "", "the test file's image folder")
	epochs := fs.Int("epochs", 5, "epochs (the course study's protocol: 5)")
	size := fs.Int("crop-size", 64, "crops are S×S RGB")
	top := fs.Int("top", 10, "categories kept")
	perClass := fs.Int("max-per-class", 0, "at most this many training crops of each category (0: all)")
	batch := fs.Int("batch", 32, "batch size")
	seed := fs.Uint64("seed", 1, "random seed")
	cache := fs.String("cache", "", "the crop cache file (as dcn coco crops --cache writes; default: one in the user cache folder)")
	resume := fs.Bool("resume", false, "continue the runs already in --out with their own settings (the command that started the study, run again, continues it too)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" || (!*resume && (*ann == "" || *images == "")) {
		return fmt.Errorf("--out, --coco-ann and --coco-images are required (with --resume, --out alone)")
	}
	start := time.Now()
	var runs []optRun
	var first experiment.RunConfig
	opts := []string{"sgd", "adam"}
	for k, opt := range opts {
		dir := filepath.Join(*out, opt)
		var want experiment.RunConfig
		if !*resume {
			cd := experiment.DefaultCOCO(*ann, *images)
			cd.TestAnn, cd.TestImages, cd.Size, cd.TopK, cd.MaxPerClass = *testAnn, *testImages, *size, *top, *perClass
			cd.Cache = *cache
			// The course study's protocol (experiment.COCOStudyTrain), then the same with Adam.
			tc := experiment.COCOStudyTrain()
			tc.Epochs, tc.Batch, tc.Seed = *epochs, *batch, *seed
			if opt != "sgd" {
				tc.Optimizer, tc.Momentum = opt, 0
			}
			want = experiment.RunConfig{Data: "coco", Models: slices.Clone(experiment.COCOModels), COCO: cd, Train: tc}
			if err := want.Validate(); err != nil {
				return err
			}
		} else if opt != "sgd" && first.COCO != nil {
			// Stopped during the SGD run: the Adam run is made from the SGD run's settings.
			want = first
			want.Train.Optimizer, want.Train.Momentum = opt, 0
		}
		run, fresh, err := studyRun(dir, want, *resume)
		if err != nil {
			return err
		}
		if opt == "sgd" {
			first = run.Config
		}
		fmt.Fprintf(stderr, "== %s (run %d of %d) ==\n", opt, k+1, len(opts))
		st := &study{run: k, runs: len(opts)}
		recs, err := trainStudyRun(ctx, run, !fresh, "the same command again", st, stdout, stderr)
		if err != nil {
			return err
		}
		label := "Adam"
		if opt == "sgd" {
			label = "SGD (momentum 0.9)"
		}
		runs = append(runs, optRun{label, recs})
	}
	table := cocoTable(first, runs, time.Since(start)) + "\n" + cocoStudyTable(runs)
	path := filepath.Join(*out, "results.md")
	if err := atomicfile.WriteFile(path, []byte(table), 0o644); err != nil {
		return err
	}
	fmt.Fprint(stdout, table)
	fmt.Fprintf(stdout, "\nwritten to %s\n", path)
	return nil
}

// studyRun opens the run of a study in dir to continue it, or creates it from want when dir holds
// none. A study is one resumable job: the command that started it, run again, continues it where it
// stopped. A run already in dir must have been made from the same settings (want, unless resume,
// which takes the run's own); one made from other settings is refused, naming the first setting
// that differs, rather than mixed with this study's.
func studyRun(dir string, want experiment.RunConfig, resume bool) (run *rundir.Run, fresh bool, err error) {
	if _, serr := os.Stat(filepath.Join(dir, "config.json")); serr != nil {
		if !errors.Is(serr, os.ErrNotExist) {
			return nil, false, serr
		}
		if want.Data == "" {
			return nil, false, fmt.Errorf("%s holds no run to resume (start the study without --resume)", dir)
		}
		run, err := rundir.Create(dir, want)
		return run, true, err
	}
	run, err = rundir.OpenForResume(dir)
	if err != nil {
		return nil, false, err
	}
	if !resume {
		if diff := configDiff(run.Config, want); diff != "" {
			run.Release()
			return nil, false, fmt.Errorf("%s holds a run of this study made with other settings (%s): run the command "+
				"that started it to continue it, add --resume to continue it with its own settings, or choose another --out", dir, diff)
		}
	}
	return run, false, nil
}

// configDiff names the first setting in which two run configurations differ ("train.epochs: 5, now
// 2"), or returns "" if they are the same.
func configDiff(had, want experiment.RunConfig) string {
	flat := func(rc experiment.RunConfig) map[string]string {
		b, _ := json.Marshal(rc)
		var m map[string]any
		json.Unmarshal(b, &m)
		out := map[string]string{}
		var walk func(prefix string, v any)
		walk = func(prefix string, v any) {
			if o, ok := v.(map[string]any); ok {
				for k, x := range o {
					walk(strings.TrimPrefix(prefix+"."+k, "."), x)
				}
				return
			}
			b, _ := json.Marshal(v)
			out[prefix] = string(b)
		}
		walk("", m)
		return out
	}
	a, b := flat(had), flat(want)
	keys := slices.Sorted(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if a[k] != b[k] {
			return fmt.Sprintf("%s: %s, now %s", k, cmp.Or(a[k], "none"), cmp.Or(b[k], "none"))
		}
	}
	return ""
}

// optRun is one optimiser's run of the COCO study.
type optRun struct {
	label string
	recs  []metrics.Epoch
}

// cocoTable lists, per optimiser and model, the last epoch's train,
// validation and test accuracy and loss, the best validation accuracy and
// the mean seconds per training epoch.
func cocoTable(rc experiment.RunConfig, runs []optRun, wall time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| optimiser | model | train acc | val acc | test acc | train loss | val loss | test loss | best val acc (epoch) | s/epoch |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|---|\n")
	for _, run := range runs {
		for _, m := range rc.Models {
			var last, best *metrics.Epoch
			var secs float64
			n := 0
			for i := range run.recs {
				r := &run.recs[i]
				if r.Model != m {
					continue
				}
				if last == nil || r.Epoch > last.Epoch {
					last = r
				}
				if best == nil || r.ValAcc > best.ValAcc {
					best = r
				}
				secs += r.EpochSeconds
				n++
			}
			if last == nil {
				continue
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %.3f | %.3f | %.3f | %s (%d) | %.1f |\n", run.label, m,
				pctStr(last.TrainAcc), pctStr(last.ValAcc), pctStr(last.TestAcc), float64(last.TrainLoss), float64(last.ValLoss),
				float64(last.TestLoss), pctStr(best.ValAcc), best.Epoch, secs/float64(n))
		}
	}
	c := rc.COCO
	capped := ""
	if c.MaxPerClass > 0 {
		capped = fmt.Sprintf(" (at most %d training crops each)", c.MaxPerClass)
	}
	fmt.Fprintf(&b, "\nProtocol: %d epochs, lr 0.001, batch %d, seed %d; %d×%d crops of boxes ≥ %g px with 10%% context, top %d categories%s, "+
		"split by image; %s (images %s). Wall time %s on %d cores (GOMAXPROCS), %s/%s.\n",
		rc.Train.Epochs, rc.Train.Batch, rc.Train.Seed, c.Size, c.Size, c.MinBox, c.TopK, capped, c.Ann, c.Images,
		wall.Round(time.Second), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	return b.String()
}

// studyCOCO are the course study's own COCO figures, in percent: the test
// accuracy of its CNN and of its DCNN (the notebook does not say where that
// DCNN's pair sits; ours is compared at middle, the default), and the
// highest train and test accuracy over the epochs of its placement
// experiments.
var studyCOCO = struct {
	cnnTest, dcnnTest float64
	place             map[string][2]float64 // model → max train, max test
}{57.84, 65.89, map[string][2]float64{
	"dcnn-first": {46, 44.63}, "dcnn-middle": {55.25, 53.65}, "dcnn-last": {61.06, 54.62},
}}

// cocoStudyTable puts each of our COCO figures next to the course study's figure for
// it: the last epoch's test accuracy of the CNN and the DCNN, and the
// highest train and test accuracy over the epochs of each placement.
func cocoStudyTable(runs []optRun) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Side by side with the seed's figures (ours per optimiser; test accuracy at the last epoch, max over the epochs where the seed gives a max):\n\n")
	fmt.Fprintf(&b, "| figure | seed |")
	for _, r := range runs {
		fmt.Fprintf(&b, " ours, %s |", r.label)
	}
	fmt.Fprintf(&b, "\n|---|---|%s\n", strings.Repeat("---|", len(runs)))
	pick := func(recs []metrics.Epoch, model string, f func(*metrics.Epoch) float64, best bool) string {
		v, ep, found := 0.0, 0, false
		for i := range recs {
			r := &recs[i]
			if r.Model != model {
				continue
			}
			x := f(r)
			if !found || (best && x > v) || (!best && r.Epoch > ep) {
				v, ep, found = x, r.Epoch, true
			}
		}
		if !found {
			return "–"
		}
		return pctStr(metrics.Num(v))
	}
	test := func(r *metrics.Epoch) float64 { return float64(r.TestAcc) }
	trainAcc := func(r *metrics.Epoch) float64 { return float64(r.TrainAcc) }
	row := func(label string, study string, cell func(recs []metrics.Epoch) string) {
		fmt.Fprintf(&b, "| %s | %s |", label, study)
		for _, r := range runs {
			fmt.Fprintf(&b, " %s |", cell(r.recs))
		}
		b.WriteString("\n")
	}
	row("CNN test acc", fmt.Sprintf("%.2f%%", studyCOCO.cnnTest), func(recs []metrics.Epoch) string {
		return pick(recs, "cnn", test, false)
	})
	row("DCNN test acc (seed: placement not stated; ours: middle)", fmt.Sprintf("%.2f%%", studyCOCO.dcnnTest),
		func(recs []metrics.Epoch) string { return pick(recs, "dcnn-middle", test, false) })
	for _, m := range []string{"dcnn-first", "dcnn-middle", "dcnn-last"} {
		sv := studyCOCO.place[m]
		row(strings.TrimPrefix(m, "dcnn-")+": max train / max test acc", fmt.Sprintf("%.2f%% / %.2f%%", sv[0], sv[1]),
			func(recs []metrics.Epoch) string {
				return pick(recs, m, trainAcc, true) + " / " + pick(recs, m, test, true)
			})
	}
	return b.String()
}
