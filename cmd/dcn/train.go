package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/deformscope/deformscope/model/data"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/runner"
	"github.com/deformscope/deformscope/model/train"
)

// errUsage reports a flag error already printed by the flag package.
var errUsage = errors.New("usage")

// trainFlags are the flags that define a run.
type trainFlags struct {
	data, model, opt, scales, mnistDir, out, resume  string
	cocoAnn, cocoImages, cocoTestAnn, cocoTestImages string
	cache                                            string
	deform, norm, scaleMode                          string
	cropSize, top, perClass                          int
	minBox                                           float64
	epochs, limit, batch, val, testLimit, stepSize   int
	lr, gamma, momentum, wd                          float64
	seed                                             uint64
	dcnv1                                            bool
	// set holds the flags given on the command line; a COCO run takes
	// experiment.COCOTrain for the training flags not given.
	set map[string]bool
}

// cocoTrainDefaults gives the training flags not on the command line
// COCO's defaults (experiment.COCOTrain), which differ from MNIST's.
func (f *trainFlags) cocoTrainDefaults() {
	d := experiment.COCOTrain()
	for name, apply := range map[string]func(){
		"epochs":    func() { f.epochs = d.Epochs },
		"batch":     func() { f.batch = d.Batch },
		"opt":       func() { f.opt = d.Optimizer },
		"lr":        func() { f.lr = d.LR },
		"gamma":     func() { f.gamma = d.StepGamma },
		"step-size": func() { f.stepSize = max(d.StepSize, 1) },
		"momentum":  func() { f.momentum = d.Momentum },
	} {
		if !f.set[name] {
			apply()
		}
	}
}

func (f *trainFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.data, "data", "mnist", "data set: mnist or coco")
	fs.StringVar(&f.model, "model", "both", "model: cnn, dcnn, both (cnn and dcnn) or, for COCO, all (cnn and the three placements)")
	fs.StringVar(&f.deform, "deform", "", "the dcnn's deformable layers: a set of convolutions (conv4,conv5), for COCO also first, middle or last; several sets separated by ';' train one dcnn each (default: MNIST conv4,conv5, COCO middle)")
	fs.StringVar(&f.cocoAnn, "coco-ann", "", "COCO: an instances_*.json file")
	fs.StringVar(&f.cocoImages, "coco-images", "", "COCO: its image folder")
	fs.StringVar(&f.cocoTestAnn, "coco-test-ann", "", "COCO: an instances file whose crops form the test set (e.g. val2017)")
	fs.StringVar(&f.cocoTestImages, "coco-test-images", "", "COCO: the test file's image folder")
	fs.IntVar(&f.cropSize, "crop-size", 64, "COCO: crops are S×S RGB")
	fs.Float64Var(&f.minBox, "min-box", 32, "COCO: drop boxes smaller than this many pixels on a side")
	fs.IntVar(&f.top, "top", 10, "COCO: keep the most frequent categories")
	fs.IntVar(&f.perClass, "max-per-class", 0, "COCO: at most this many training crops of each category (0: all)")
	fs.StringVar(&f.norm, "norm", "imagenet", "COCO: normalise with imagenet or dataset statistics")
	fs.StringVar(&f.cache, "cache", "", "COCO: the crop cache file (as dcn coco crops --cache writes; default: one in the user cache folder)")
	fs.IntVar(&f.epochs, "epochs", 3, "epochs (COCO: 12)")
	fs.IntVar(&f.limit, "limit", 0, "training images (0: all 60000 less the validation split)")
	fs.IntVar(&f.val, "val", 5000, "validation images held out of the training set")
	fs.IntVar(&f.testLimit, "test-limit", 0, "test images (0: all 10000)")
	fs.IntVar(&f.batch, "batch", 64, "batch size (COCO: 16)")
	fs.StringVar(&f.opt, "opt", "adam", "optimiser: adam or sgd (COCO: adam; the course study's COCO protocol is --opt sgd --lr 0.001 --batch 32 --epochs 5 --gamma 0, as dcn reproduce coco runs it)")
	fs.Float64Var(&f.lr, "lr", 1e-3, "learning rate (COCO: 3e-3)")
	fs.Float64Var(&f.gamma, "gamma", 0.7, "StepLR decay (0: constant rate; COCO: 0)")
	fs.IntVar(&f.stepSize, "step-size", 1, "StepLR period in epochs")
	fs.Float64Var(&f.momentum, "momentum", 0.9, "SGD momentum")
	fs.Float64Var(&f.wd, "wd", 0, "weight decay")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed (weights, split, order)")
	fs.StringVar(&f.scales, "scales", "0.5:1.5:0.1", `Scaled-MNIST test scales ("" skips it)`)
	fs.StringVar(&f.scaleMode, "scale-mode", "seed", "Scaled-MNIST transform: seed (the course study's: nearest, fill 0 after normalising) or bilinear")
	fs.StringVar(&f.mnistDir, "mnist-dir", "", "folder with the four MNIST idx files (default: the GoMNIST module's)")
	fs.BoolVar(&f.dcnv1, "dcnv1", false, "deformable layers without the modulation mask (DCNv1)")
	fs.StringVar(&f.out, "out", "", "run folder to create (default runs/<date-time>)")
	fs.StringVar(&f.resume, "resume", "", "continue the run in this folder after its last complete epoch")
}

func (f *trainFlags) config() (experiment.RunConfig, error) {
	models, err := modelList(f.data, f.model, f.deform)
	if err != nil {
		return experiment.RunConfig{}, err
	}
	var scales []float64
	if f.data == "mnist" && strings.TrimSpace(f.scales) != "" {
		if scales, err = data.ParseScales(f.scales); err != nil {
			return experiment.RunConfig{}, fmt.Errorf("--scales: %w", err)
		}
	}
	mode, err := data.ParseScaleMode(f.scaleMode)
	if err != nil {
		return experiment.RunConfig{}, fmt.Errorf("--scale-mode: %w", err)
	}
	mom := f.momentum
	if f.opt != "sgd" {
		mom = 0
	}
	var cd *experiment.COCOData
	if f.data == "coco" {
		f.cocoTrainDefaults()
		if f.opt != "sgd" {
			mom = 0
		} else if !f.set["momentum"] {
			mom = 0.9
		}
		if f.cocoAnn == "" || f.cocoImages == "" {
			return experiment.RunConfig{}, fmt.Errorf("--data coco needs --coco-ann FILE and --coco-images DIR")
		}
		cd = experiment.DefaultCOCO(f.cocoAnn, f.cocoImages)
		cd.TestAnn, cd.TestImages, cd.Size, cd.MinBox, cd.TopK, cd.Norm = f.cocoTestAnn, f.cocoTestImages, f.cropSize, f.minBox, f.top, f.norm
		cd.MaxPerClass, cd.Cache = f.perClass, f.cache
		f.val = 0 // the crop set has its own validation split, by image
	}
	rc := experiment.RunConfig{
		Data: f.data, Models: models, DCNv1: f.dcnv1, Limit: f.limit, Val: f.val, TestLimit: f.testLimit,
		Scales: scales, ScaleMode: mode, MNISTDir: f.mnistDir, COCO: cd,
		Train: train.Config{Epochs: f.epochs, Batch: f.batch, Optimizer: f.opt, LR: f.lr, Momentum: mom,
			WeightDecay: f.wd, StepGamma: f.gamma, StepSize: f.stepSize, Seed: f.seed},
	}
	return rc, rc.Validate()
}

// cmdTrain runs dcn train: it trains the CNN and/or the DCNN into a run folder.
func cmdTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dcn train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f trainFlags
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	var run *rundir.Run
	var err error
	if f.resume != "" {
		if run, err = openResume(fs, f); err != nil {
			return err
		}
	} else {
		rc, err := f.config()
		if err != nil {
			return err
		}
		if f.out == "" {
			f.out = "runs/" + time.Now().Format("20060102-150405")
		}
		if run, err = rundir.Create(f.out, rc); err != nil {
			return err
		}
	}
	_, err = trainRun(ctx, run, f.resume != "", "dcn train --resume "+run.Dir, stdout, stderr)
	return err
}

// openResume opens the run that --resume names. The run continues as its
// config.json says: --epochs may change how far it goes; any other flag
// that defines a run is refused by name rather than silently ignored.
func openResume(fs *flag.FlagSet, f trainFlags) (*rundir.Run, error) {
	var refused []string
	epochs := false
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "resume":
		case "epochs":
			epochs = true
		default:
			refused = append(refused, "--"+fl.Name)
		}
	})
	if len(refused) > 0 {
		return nil, fmt.Errorf("--resume continues %s as its config.json says; %s cannot change it (only --epochs can)",
			f.resume, strings.Join(refused, ", "))
	}
	run, err := rundir.OpenForResume(f.resume)
	if err != nil {
		return nil, err
	}
	if epochs {
		if err := run.SetEpochs(f.epochs); err != nil {
			run.Release()
			return nil, err
		}
	}
	return run, nil
}

// trainRun trains every model of the run to the end through the engine's
// launcher (the app's Start calls the same), printing what it loaded and
// the progress. It returns the run's records.
func trainRun(ctx context.Context, run *rundir.Run, resume bool, hint string, stdout, stderr io.Writer) ([]metrics.Epoch, error) {
	return trainStudyRun(ctx, run, resume, hint, nil, stdout, stderr)
}

// trainStudyRun is trainRun for one run of a study of several (st; nil for a lone run), whose
// progress line adds the whole study's ETA.
func trainStudyRun(ctx context.Context, run *rundir.Run, resume bool, hint string, st *study, stdout, stderr io.Writer) ([]metrics.Epoch, error) {
	rc := run.Config
	fmt.Fprintf(stderr, "loading %s ...\n", rc.Data)
	p := newProgress(stderr, rc.Models)
	p.study = st
	err := runner.Launch(ctx, run, resume, runner.Hooks{
		CropProgress: cropProgress(stderr),
		CropWaiting: func(holder string) {
			fmt.Fprintf(stderr, "waiting: the crop cache is being built by %s (Ctrl+C stops waiting)\n", holder)
		},
		Loaded: func(d experiment.Data) {
			for _, r := range d.Reports {
				fmt.Fprintf(stderr, "%s: %d images, %d annotations, %d crops kept, %d entries skipped\n",
					r.File, r.Images, r.Annotations, sumCounts(r.Kept), sumCounts(r.Skipped))
			}
			fmt.Fprintf(stderr, "%d training, %d validation, %d test images", d.Train.N, setLen(d.Val), setLen(d.Test))
			if len(d.Scales) > 0 {
				fmt.Fprintf(stderr, ", Scaled-MNIST at %d scales", len(d.Scales))
			}
			fmt.Fprintln(stderr)
		},
		Ready: func(s *runner.Session, from []int) {
			for i, t := range s.Trainers {
				if resume {
					fmt.Fprintf(stderr, "%s: resuming after epoch %d of %d\n", t.Name, from[i], rc.Train.Epochs)
				}
			}
			for _, t := range s.Trainers {
				fmt.Fprintf(stderr, "%s: %s, %d parameters\n", t.Name, t.Net.Arch, t.Net.NumParams())
			}
		},
		Discarded: func() { fmt.Fprintf(stderr, "removed the empty run folder %s\n", run.Dir) },
		Event:     p.event,
	})
	p.done()
	if errors.Is(err, context.Canceled) {
		if _, serr := os.Stat(run.Dir); serr == nil {
			fmt.Fprintf(stderr, "stopped; %s keeps every complete epoch (continue with: %s)\n", run.Dir, hint)
		}
		return run.Records(), err
	}
	if err != nil {
		return run.Records(), err
	}
	fmt.Fprintf(stdout, "run folder: %s\n", run.Dir)
	return run.Records(), nil
}

func setLen(s *data.Set) int {
	if s == nil {
		return 0
	}
	return s.N
}

// cropProgress prints the crop set's build progress at most every 2 s, with its rate and ETA.
func cropProgress(w io.Writer) func(done, total int) {
	var last time.Time
	var rate metrics.Rate
	return func(done, total int) {
		r, eta, ok := rate.Update(int64(done), int64(total), time.Now())
		if done == total || time.Since(last) > 2*time.Second {
			last = time.Now()
			line := fmt.Sprintf("building crops: %d/%d images", done, total)
			if ok {
				line += fmt.Sprintf(" %.0f/s ETA %s", r, eta.Round(time.Second))
			}
			fmt.Fprintln(w, line)
		}
	}
}

func sumCounts(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
