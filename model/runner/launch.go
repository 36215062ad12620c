package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/train"
)

// Hooks are what the app or dcn sees of a launch. Any of them may be nil.
type Hooks struct {
	// CropProgress reports the first build of a COCO crop set.
	CropProgress func(done, total int)
	// CropWaiting is called once when another process is building the same
	// crop cache, with who that is; the launch waits for it.
	CropWaiting func(holder string)
	// Loaded is called once the data is loaded, before the models are
	// built.
	Loaded func(d experiment.Data)
	// Ready is called with the built session before training starts;
	// from holds the epoch each trainer continues after (all 0 unless
	// resuming). The caller keeps the trainers to pause and resume them.
	Ready func(s *Session, from []int)
	// Discarded is called when the run folder was removed because the
	// launch failed before anything was trained.
	Discarded func()
	// Event receives every training event, from the trainers' goroutines
	// (so it must be safe for concurrent use).
	Event func(train.Event)
}

// MNISTMemoryLimit is the soft memory limit Launch adds to the heap in use
// for an MNIST run. MNIST's live heap is about 150 MB; the limit keeps the
// collector from letting the process grow to twice that (measured with
// dcn train: 430 MB peak without it, 273 MB with it, same speed). COCO runs
// get none: their crop sets can be far larger than any fixed limit.
const MNISTMemoryLimit = 256 << 20

// Launch trains the models of run to the end: it loads the run's data,
// builds the models, restores them from their last complete epochs when
// resume is set, and trains them all, each in its own goroutine, saving
// every epoch into the folder. A new run (resume unset) whose data or
// models fail, or that is cancelled before training, leaves no folder
// behind with only its config. Cancelling ctx stops training promptly;
// the folder keeps every complete epoch and Launch returns ctx's error.
//
// For an MNIST run, when GOMEMLIMIT is not set, Launch sets a soft memory
// limit for its duration (MNISTMemoryLimit above the heap in use when it
// starts) and restores the previous limit when it returns. For a session
// whose nets share a memory gate, when GOGC is not set, it sets the
// collector's target to GatedGCPercent while they train.
//
// Launch releases the folder's lock (taken by Create or OpenForResume) when
// it returns.
//
// The app and dcn start runs here: dcn train and reproduce, and the app's Start.
func Launch(ctx context.Context, run *rundir.Run, resume bool, h Hooks) error {
	defer run.Release()
	rc := run.Config
	if rc.Data == "mnist" && os.Getenv("GOMEMLIMIT") == "" {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		prev := debug.SetMemoryLimit(MNISTMemoryLimit + int64(ms.HeapAlloc))
		defer debug.SetMemoryLimit(prev)
	}
	discard := func() {
		if resume {
			return
		}
		// A folder that cannot be removed stays; the launch's own error
		// says what went wrong.
		if gone, _ := run.DiscardIfEmpty(); gone && h.Discarded != nil {
			h.Discarded()
		}
	}
	// Up front, before any data is loaded or crop built: a run that cannot fit in memory is
	// refused.
	if err := rc.CheckMemory(experiment.AvailableMemory()); err != nil {
		discard()
		return err
	}
	d, err := experiment.LoadDataHooks(ctx, rc, experiment.LoadHooks{Progress: h.CropProgress, Waiting: h.CropWaiting})
	if cerr := ctx.Err(); cerr != nil || err != nil {
		discard()
		if cerr != nil {
			return cerr
		}
		return fmt.Errorf("loading %s: %w", rundir.DataName(rc.Data), err)
	}
	if err := run.SetClasses(d.Classes); err != nil {
		discard()
		return err
	}
	if h.Loaded != nil {
		h.Loaded(d)
	}
	s, err := NewSession(rc, d.Data, run)
	if err != nil {
		discard()
		return fmt.Errorf("building the models: %w", err)
	}
	from := make([]int, len(s.Trainers))
	if resume {
		if from, err = s.Resume(); err != nil {
			return err
		}
	}
	if h.Ready != nil {
		h.Ready(s, from)
	}
	// The per-step loss goes into steps.json, so that the run opens later
	// with that curve whether the app or dcn trained it (a resumed run's goes on).
	prev, _ := rundir.ReadStepCurves(run.Dir)
	steps := rundir.NewStepRecorder(prev)
	event := func(e train.Event) {
		steps.Add(e)
		if h.Event != nil {
			h.Event(e)
		}
	}
	restore := tuneCollector(s)
	err = s.Train(ctx, event)
	restore()
	var saveErr error
	if len(run.Records()) > 0 {
		saveErr = run.SaveStepCurves(steps.Curves())
	}
	switch {
	case err != nil && !errors.Is(err, context.Canceled):
		return fmt.Errorf("training failed: %w", err)
	case err != nil:
		return err
	case saveErr != nil:
		return fmt.Errorf("keeping the per-step loss: %w", saveErr)
	}
	return nil
}
