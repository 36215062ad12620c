package app

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2/dialog"

	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/rundir"
)

// Continue goes on training the shown run, stopped or interrupted before
// its last epoch, after its last complete epoch: the resume of dcn train
// --resume (rundir.OpenForResume, then runner.Launch with resume), with
// its refusals. The run goes on as its config.json says; only the number
// of epochs may change, from the form (as dcn's --epochs): any other
// setting of the form that differs from the run's is refused by name.
func (u *UI) Continue() {
	if u.closed || u.last.Phase.Active() || !canContinue(u.last) {
		return
	}
	dir := u.last.RunDir
	run, err := rundir.OpenForResume(dir)
	if err != nil {
		dialog.ShowError(err, u.win)
		return
	}
	// OpenForResume holds the folder's lock (no other process may train it
	// meanwhile); Launch lets go of it when training ends, and a refusal
	// before that lets go here.
	s, err := u.resumable(run)
	if err != nil {
		run.Release()
		dialog.ShowError(err, u.win)
		return
	}
	u.endSession()
	u.prev, u.prevRun = nil, nil // a resumed run keeps its folder whatever happens
	u.run = run
	u.prefs.SetString(prefLastRun, run.Dir)
	s.Phase, s.Note = PhaseLoading, "Resumed"
	for i := range s.Models {
		s.Models[i].State = ""
	}
	u.bridge.restore(s)
	u.apply(u.bridge.snapshot())
	u.sess = startResumedSession(run, u.bridge)
}

// resumable sets the run's epochs from the form, refusing what a resume
// cannot change, and returns the snapshot the run's folder holds. It reads
// the snapshot before it touches config.json, so that a refusal leaves the
// run's folder as it was.
func (u *UI) resumable(run *rundir.Run) (Snapshot, error) {
	epochs, err := continueEpochs(run.Config, u.train.form)
	if err != nil {
		return Snapshot{}, err
	}
	s, err := runSnapshot(run)
	if err != nil {
		return Snapshot{}, err
	}
	if err := run.SetEpochs(epochs); err != nil {
		return Snapshot{}, err
	}
	for i := range s.Models {
		s.Models[i].Step.Epochs = run.Config.Train.Epochs
	}
	return s, nil
}

// canContinue reports whether the run that s shows can be continued: a
// run folder, not under way, with a model short of its epochs.
func canContinue(s Snapshot) bool {
	if s.RunDir == "" || s.Phase.Active() || len(s.Models) == 0 {
		return false
	}
	for _, m := range s.Models {
		if m.Step.Epochs > 0 && len(m.Epochs) < m.Step.Epochs {
			return true
		}
	}
	return false
}

// continueEpochs returns the number of epochs a continued run trains to:
// the form's, when the form shows the run's settings otherwise (the form
// follows an opened run); it refuses, naming them, the form's settings
// that differ from the run's, which a resume cannot change.
func continueEpochs(rc experiment.RunConfig, f *trainForm) (int, error) {
	epochs, err := strconv.Atoi(strings.TrimSpace(f.epochs.Text))
	if err != nil || epochs < 1 {
		return 0, fmt.Errorf("epochs: want a whole number of at least 1, got %q", f.epochs.Text)
	}
	fc, err := f.config()
	if err != nil {
		return 0, err
	}
	type field struct {
		name      string
		form, run string
	}
	str := func(v any) string { return fmt.Sprint(v) }
	fields := []field{
		{"data set", fc.Data, rc.Data},
		{"models", strings.Join(fc.Models, ","), strings.Join(rc.Models, ",")},
		{"deformable version", dcnVersion(fc.DCNv1), dcnVersion(rc.DCNv1)},
		{"batch", str(fc.Train.Batch), str(rc.Train.Batch)},
		{"optimiser", fc.Train.Optimizer, rc.Train.Optimizer},
		{"learning rate", str(fc.Train.LR), str(rc.Train.LR)},
		{"seed", str(fc.Train.Seed), str(rc.Train.Seed)},
		{"train images", str(fc.Limit), str(rc.Limit)},
		{"test images", str(fc.TestLimit), str(rc.TestLimit)},
	}
	switch {
	case rc.Data == "mnist" && fc.Data == "mnist":
		fields = append(fields,
			field{"validation images", str(fc.Val), str(rc.Val)},
			field{"test scales", formatScales(fc.Scales), formatScales(rc.Scales)})
	case rc.Data == "coco" && fc.Data == "coco" && rc.COCO != nil && fc.COCO != nil:
		fields = append(fields,
			field{"crop size", str(fc.COCO.Size), str(rc.COCO.Size)},
			field{"categories", str(fc.COCO.TopK), str(rc.COCO.TopK)},
			field{"crops per category", str(fc.COCO.MaxPerClass), str(rc.COCO.MaxPerClass)})
	}
	var diff []string
	for _, fd := range fields {
		if fd.form != fd.run {
			diff = append(diff, fmt.Sprintf("%s %s (the run has %s)", fd.name, orDash(fd.form), orDash(fd.run)))
		}
	}
	if len(diff) > 0 {
		return 0, fmt.Errorf("continue: the run goes on as its config.json says, and only the epochs can change; "+
			"the form's %s cannot. Set them back (opening the run again, Runs → Open, brings its settings into the form), "+
			"or press Start for a new run", strings.Join(diff, ", "))
	}
	return epochs, nil
}

func dcnVersion(v1 bool) string {
	if v1 {
		return "DCNv1"
	}
	return "DCNv2"
}

func orDash(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// resumedFrom keeps, of each model's epochs shown, those up to the epoch
// it resumes after (the launcher drops later records that no checkpoint
// backs), so that the curves go on from where training does.
func (b *bridge) resumedFrom(names []string, from []int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, name := range names {
		if m := b.state.Model(name); m != nil && i < len(from) {
			m.Epochs = slices.DeleteFunc(m.Epochs, func(e metrics.Epoch) bool { return e.Epoch > from[i] })
			m.Step.Epoch = from[i]
		}
	}
	b.dirty = true
}
