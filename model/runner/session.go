// Package runner starts and runs training: Launch (what the app's Start and
// dcn train both call), a Session training a run's models together and
// saving each epoch into its run folder, resuming from the last complete
// epochs, and a run's import from and export to PyTorch files.
package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/deformscope/deformscope/model/ckpt"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/train"
)

// Session trains several models at once, each in its own goroutine, and
// keeps the run folder: after each epoch it saves the model's checkpoint,
// then its metrics record.
type Session struct {
	Run      *rundir.Run
	Trainers []*train.Trainer
}

// RestoreRun restores t from its checkpoint after epoch in the run r,
// refusing a checkpoint of another model or epoch than its name says (a
// renamed or copied file) and one trained under another configuration than
// config.json's (an edited file), the number of epochs aside.
func RestoreRun(r *rundir.Run, t *train.Trainer, epoch int) error {
	path := r.CheckpointPath(t.Name, epoch)
	return t.RestoreChecked(path, r.CheckMeta(path, t.Name, epoch, true))
}

// Resume restores each trainer from its last complete epoch in the run
// folder, and drops records of later epochs. It returns the epochs each
// model continues from. It refuses a folder whose checkpoints were trained
// under another configuration, and one with checkpoints that no metrics
// record (metrics.jsonl lost or cut short), which resuming would
// overwrite.
func (s *Session) Resume() ([]int, error) {
	var from []int
	for _, t := range s.Trainers {
		epoch, path := s.Run.LatestCheckpoint(t.Name)
		if err := s.Run.CheckUnrecorded(t.Name, epoch); err != nil {
			return nil, err
		}
		if path != "" {
			if err := RestoreRun(s.Run, t, epoch); err != nil {
				return nil, err
			}
		}
		if err := s.Run.Truncate(t.Name, epoch); err != nil {
			return nil, err
		}
		from = append(from, epoch)
	}
	return from, nil
}

// Train runs every trainer concurrently until all finish. emit receives
// every event from every trainer's goroutine, so it must be safe for
// concurrent use. If one trainer fails, the others are stopped. Cancelling
// ctx stops all promptly; the run folder keeps the last complete epochs.
func (s *Session) Train(ctx context.Context, emit func(train.Event)) error {
	if emit == nil {
		emit = func(train.Event) {}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(s.Trainers))
	var wg sync.WaitGroup
	for i, t := range s.Trainers {
		wg.Go(func() {
			var saveErr error
			err := t.Run(ctx, func(e train.Event) {
				if e.Kind == train.KindEpoch && s.Run != nil && saveErr == nil {
					saveErr = s.save(t, e.Epoch)
					if saveErr != nil {
						cancel()
					}
				}
				emit(e)
			})
			if saveErr != nil {
				err = saveErr
			}
			if err != nil && !errors.Is(err, context.Canceled) {
				cancel()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	// A trainer stopped because another failed reports only the cause.
	var out []error
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			out = append(out, err)
		}
	}
	if len(out) > 0 {
		return errors.Join(out...)
	}
	return ctx.Err()
}

func (s *Session) save(t *train.Trainer, m metrics.Epoch) error {
	c, err := t.Checkpoint(s.Run.Config)
	if err != nil {
		return err
	}
	if err := ckpt.Save(s.Run.CheckpointPath(t.Name, m.Epoch), c); err != nil {
		return fmt.Errorf("runner: %s: %w", t.Name, err)
	}
	return s.Run.Record(m)
}

// NewSession builds the trainers of rc on d, attached to run (which may be
// nil for a session that keeps no folder).
func NewSession(rc experiment.RunConfig, d train.Data, run *rundir.Run) (*Session, error) {
	s := &Session{Run: run}
	for _, name := range rc.Models {
		net, err := experiment.NewNet(rc, name)
		if err != nil {
			return nil, err
		}
		t, err := train.NewTrainer(name, net, d, rc.Train)
		if err != nil {
			return nil, err
		}
		s.Trainers = append(s.Trainers, t)
	}
	shareMemory(rc, s.Trainers)
	return s, nil
}
