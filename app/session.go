package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/deformscope/deformscope/model/coco"
	"github.com/deformscope/deformscope/model/data"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/runner"
	"github.com/deformscope/deformscope/model/train"
)

// session is one training run started from the window: a goroutine that
// loads the data and trains every model through runner.Session, and the
// bridge's ticker goroutine beside it. The UI goroutine owns the pointer;
// the fields below mu are shared with the worker.
type session struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu           sync.Mutex
	trainers     []*train.Trainer
	paused       bool
	discardEmpty bool // stopped by a user who wants a run with no complete epoch removed
}

// startSession starts training the run's models, reporting through b. It
// returns at once; the session ends with b.finished.
func startSession(run *rundir.Run, b *bridge) *session {
	return launchSession(run, b, false)
}

// startResumedSession is startSession for a run that goes on after its
// last complete epoch (Continue), as dcn train --resume.
func startResumedSession(run *rundir.Run, b *bridge) *session {
	return launchSession(run, b, true)
}

func launchSession(run *rundir.Run, b *bridge, resume bool) *session {
	ctx, cancel := context.WithCancel(context.Background())
	s := &session{cancel: cancel}
	stop := make(chan struct{})
	ticker := make(chan struct{})
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		defer close(ticker)
		b.loop(stop)
	}()
	go func() {
		defer s.wg.Done()
		err := s.work(ctx, run, resume, b)
		close(stop)
		<-ticker
		cancel()
		b.finished(outcome(err), err)
	}()
	return s
}

// outcome names the phase a session's error leaves it in.
func outcome(err error) Phase {
	switch {
	case err == nil:
		return PhaseDone
	case errors.Is(err, context.Canceled):
		return PhaseStopped
	}
	return PhaseFailed
}

// work trains rc's models into run through the engine's launcher (dcn
// train calls the same), keeping the trainers so that Pause reaches them.
func (s *session) work(ctx context.Context, run *rundir.Run, resume bool, b *bridge) error {
	rc := run.Config
	err := runner.Launch(ctx, run, resume, runner.Hooks{
		CropProgress: b.loadProgress,
		CropWaiting:  b.cropWaiting,
		Loaded:       func(d experiment.Data) { b.setData(d.Classes, dataInfo(rc, d), smallDataAdvice(rc, d)) },
		Ready: func(ts *runner.Session, from []int) {
			if resume {
				names := make([]string, len(ts.Trainers))
				for i, t := range ts.Trainers {
					names[i] = t.Name
				}
				b.resumedFrom(names, from)
			}
			s.mu.Lock()
			s.trainers = ts.Trainers
			for _, t := range ts.Trainers {
				if s.paused {
					t.Pause()
				}
			}
			s.mu.Unlock()
			b.setNets(ts.Trainers)
		},
		Discarded: b.discarded,
		Event:     b.emit,
	})
	if errors.Is(err, context.Canceled) {
		// Stopped by a user who chose to remove a run with no complete
		// epoch.
		s.mu.Lock()
		discard := s.discardEmpty
		s.mu.Unlock()
		if discard && !resume && len(run.Records()) == 0 {
			if rundir.RemoveRun(run.Dir) == nil {
				b.discarded()
			}
		}
	}
	return err
}

// dataInfo says in a line what the loaded data holds, with the entries of
// the data set that were skipped.
func dataInfo(rc experiment.RunConfig, d experiment.Data) string {
	n := func(s *data.Set) string {
		if s == nil {
			return "0"
		}
		return groupDigits(s.N)
	}
	unit := "images"
	if rc.Data == "coco" {
		unit = "crops"
	}
	text := fmt.Sprintf("%s training, %s validation, %s test %s", n(d.Train), n(d.Val), n(d.Test), unit)
	if rc.Data == "coco" {
		text += fmt.Sprintf(" of %d categories", len(d.Classes))
		skipped, capped := 0, 0
		for _, r := range d.Reports {
			for reason, v := range r.Skipped {
				if reason == coco.ReasonClassCap {
					capped += v
				} else {
					skipped += v
				}
			}
		}
		if skipped > 0 {
			text += fmt.Sprintf(", %s COCO entries left out", groupDigits(skipped))
		}
		if capped > 0 {
			text += fmt.Sprintf(", %s boxes over the per-category cap", groupDigits(capped))
		}
	}
	if len(d.Scales) > 0 {
		text += fmt.Sprintf(", Scaled-MNIST at %d scales", len(d.Scales))
	}
	if fewest, ok := tooFewCrops(rc, d); ok {
		text += fmt.Sprintf(" — too few to learn from (%d in the smallest category)", fewest)
	}
	return text
}

// minCropsPerClass is the fewest training crops of a category that a net
// learns it from in a few epochs: on 214 crops of 10 categories every net
// of the course study's protocol ended predicting the majority class.
const minCropsPerClass = 300

// tooFewCrops reports whether a COCO training set is too small to learn
// from, with the crops of its smallest category.
func tooFewCrops(rc experiment.RunConfig, d experiment.Data) (fewest int, ok bool) {
	if rc.Data != "coco" || d.Train == nil || len(d.Classes) == 0 {
		return 0, false
	}
	counts := make([]int, len(d.Classes))
	if len(d.Train.Y) == d.Train.N {
		for _, y := range d.Train.Y {
			if int(y) < len(counts) {
				counts[y]++
			}
		}
	} else {
		for i := range counts {
			counts[i] = d.Train.N / len(counts)
		}
	}
	fewest = slices.Min(counts)
	return fewest, fewest < minCropsPerClass
}

// smallDataAdvice warns when a COCO training set is too small to learn
// from, and says how to get more; "" when it is large enough.
func smallDataAdvice(rc experiment.RunConfig, d experiment.Data) string {
	fewest, ok := tooFewCrops(rc, d)
	if !ok {
		return ""
	}
	more := []string{"download a larger split (Download COCO…, or dcn coco fetch --split train2017)"}
	if rc.COCO != nil && rc.COCO.MaxPerClass > 0 {
		// A cap of 0 takes every crop already: raising it gives nothing.
		more = append(more, fmt.Sprintf("raise the crops per category above %d (the Crops row, or --max-per-class; 0 takes all)",
			rc.COCO.MaxPerClass))
	}
	if rc.COCO != nil && rc.COCO.TopK > 2 {
		more = append(more, fmt.Sprintf("train fewer than %d categories (the Crops row's second field, or --top), which keeps the larger ones",
			rc.COCO.TopK))
	}
	return fmt.Sprintf("The training set is too small to learn from: its smallest category has %d crops "+
		"(%d on average), and a net needs a few hundred per category. On so little data the nets often end "+
		"predicting the most common category for every crop, and the comparison says nothing.\n\n"+
		"Use more data: %s.", fewest, d.Train.N/len(d.Classes), strings.Join(more, ", or "))
}

// setPaused pauses or resumes every trainer, and those not built yet.
func (s *session) setPaused(p bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.paused = p
	for _, t := range s.trainers {
		if p {
			t.Pause()
		} else {
			t.Resume()
		}
	}
}

func (s *session) isPaused() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paused
}

// stop cancels the session; it ends promptly, keeping the complete epochs.
func (s *session) stop() { s.cancel() }

// stopAndDiscard stops the session; with discard, a run left with no
// complete epoch is removed.
func (s *session) stopAndDiscard(discard bool) {
	s.mu.Lock()
	s.discardEmpty = discard
	s.mu.Unlock()
	s.cancel()
}

// wait blocks until every goroutine of the session has returned.
func (s *session) wait() { s.wg.Wait() }

// createRun makes a new run folder for rc under root, named after the
// current time.
func createRun(root string, rc experiment.RunConfig) (*rundir.Run, error) {
	if root == "" {
		return nil, errors.New("choose a folder for the runs")
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("run folder: %w", err)
	}
	base := filepath.Join(root, time.Now().Format("20060102-150405"))
	dir := base
	for i := 2; ; i++ {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			break
		}
		dir = fmt.Sprintf("%s-%d", base, i)
	}
	return rundir.Create(dir, rc)
}

// defaultRunsDir is where runs go unless the user chose a folder: a
// visible folder in the user's documents (or home), never a hidden cache,
// so that file dialogs and file managers show it.
func defaultRunsDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "deformscope-runs")
	}
	if st, err := os.Stat(filepath.Join(home, "Documents")); err == nil && st.IsDir() {
		return filepath.Join(home, "Documents", "Deformscope", "runs")
	}
	return filepath.Join(home, "Deformscope", "runs")
}
