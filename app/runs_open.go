package app

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/rundir"
)

// OpenRun shows the run in dir in Curves, Results and Offsets, as if it
// had just trained, and the Train panel and form follow it (whichever data
// set the form showed). A folder that cannot be opened leaves the window
// as it was and returns the error.
func (u *UI) OpenRun(dir string) error {
	return u.openRun(dir, true)
}

// openRun is OpenRun; withForm unset leaves the form as it is (the run
// reopened at launch: the form keeps what was typed last).
func (u *UI) openRun(dir string, withForm bool) error {
	if u.last.Phase.Active() {
		return errors.New("a run is training: stop it before opening another")
	}
	run, err := rundir.Open(dir)
	if err != nil {
		return err
	}
	s, err := runSnapshot(run)
	if err != nil {
		return err
	}
	u.endSession()
	if withForm {
		u.train.form.set(run.Config)
		u.prefs.SetString(prefDataset, run.Config.Data)
	}
	u.prefs.SetString(prefLastRun, run.Dir)
	u.run = run
	u.bridge.restore(s)
	u.apply(u.bridge.snapshot())
	u.offsets.useSession()
	return nil
}

// runSnapshot builds the snapshot a run's folder holds: its epoch records,
// class names and per-step loss, each model ended as it ended.
func runSnapshot(run *rundir.Run) (Snapshot, error) {
	rc := run.Config
	classes := run.Classes()
	curves, err := rundir.ReadStepCurves(run.Dir)
	if err != nil {
		return Snapshot{}, err
	}
	name, _ := rundir.ReadName(run.Dir)
	title := filepath.Base(run.Dir)
	if name != "" {
		title = fmt.Sprintf("%q", name)
	}
	s := Snapshot{Phase: PhaseDone, RunDir: run.Dir, Data: rc.Data, Classes: classes, Note: "Opened " + title}
	recs := run.Records()
	for _, m := range rc.Models {
		ms := ModelState{Name: m, State: "done"}
		for _, r := range recs {
			if r.Model == m {
				ms.Epochs = append(ms.Epochs, r)
			}
		}
		slices.SortFunc(ms.Epochs, func(a, b metrics.Epoch) int { return a.Epoch - b.Epoch })
		if len(ms.Epochs) > 0 {
			ms.Arch = ms.Epochs[0].Arch
		}
		if net, err := experiment.NewNet(rc, m); err == nil {
			ms.Params = net.NumParams()
			if ms.Arch == "" {
				ms.Arch = net.Arch
			}
		}
		ms.Step = metrics.Step{Epoch: len(ms.Epochs), Epochs: rc.Train.Epochs}
		if len(ms.Epochs) < rc.Train.Epochs {
			ms.State = string(PhaseStopped)
			s.Phase = PhaseStopped
		}
		if i := slices.IndexFunc(curves, func(c rundir.StepCurve) bool { return c.Model == m }); i >= 0 {
			ms.StepX, ms.StepY = curves[i].X, curves[i].Y
		}
		s.Models = append(s.Models, ms)
	}
	return s, nil
}
