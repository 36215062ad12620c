package app

import (
	"image"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"

	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/train"
)

// This file is the only place where work on other goroutines reaches the
// widgets. Trainer goroutines call bridge.emit, which only records the event
// in a mutex-protected state; a ticker goroutine, alive while a session runs,
// copies that state into a Snapshot at most every applyInterval and hands the
// copy to the UI goroutine with fyne.Do. An apply still queued makes the next
// tick skip, so a slow UI never accumulates a backlog. Every other hop to the
// UI goroutine (a finished session, a rendered plot, an Offsets picture, a
// finished export) is a method here too.

// applyInterval is the bridge's refresh period: 20 Hz at most.
const applyInterval = 50 * time.Millisecond

// Phase is where a training session stands.
type Phase string

// The phases of a session, as shown in the status line.
const (
	PhaseIdle     Phase = "idle"
	PhaseLoading  Phase = "loading"
	PhaseTraining Phase = "training"
	PhaseStopping Phase = "stopping"
	PhaseDone     Phase = "done"
	PhaseStopped  Phase = "stopped"
	PhaseFailed   Phase = "failed"
)

// Active reports whether a session is under way in this phase.
func (p Phase) Active() bool {
	return p == PhaseLoading || p == PhaseTraining || p == PhaseStopping
}

// Snapshot is everything the window shows of a session, as a plain value:
// the UI goroutine applies it with (*UI).apply, and tests build one by hand.
// Its slices belong to the snapshot alone.
type Snapshot struct {
	Phase  Phase
	Paused bool   // the user paused the session
	RunDir string // the run folder, "" before a session
	Data   string // the run's data set, "mnist" or "coco"; "" before a session
	// LoadDone and LoadTotal are the images the COCO crop set was built
	// from so far, while it loads (LoadTotal 0 when unknown).
	LoadDone, LoadTotal int
	// LoadETA is the time the crop build has left at its rate so far
	// (metrics.Rate, as dcn's bar shows it); 0 until there is a rate.
	LoadETA time.Duration
	// LoadWaiting, while it loads, says who else is building the same crop
	// cache (another window or dcn); the session waits for it.
	LoadWaiting string
	// Classes are the class names of the data, once loaded; DataInfo says
	// in a line what the data holds.
	Classes  []string
	DataInfo string
	// Advice says, when the training set is too small to learn from, so
	// and how to get more data ("" otherwise).
	Advice string
	Models []ModelState
	// Note is a word for the user in front of the status line: what
	// failed, or what was opened.
	Note string
}

// ModelState is one model's part of a Snapshot.
type ModelState struct {
	Name   string // "cnn", "dcnn"
	Arch   string // the network's description, once built
	Params int    // parameter count, once built
	// State is the trainer's last state event: "", "running", "paused",
	// "evaluating" or "done"; or "stopped" or "failed" when the session
	// ended before the model finished.
	State  string
	Step   metrics.Step    // the latest step
	Epochs []metrics.Epoch // every finished epoch, in order
	// StepX and StepY are the per-step training loss, decimated: X is in
	// epochs (2.5 is half-way through the third epoch).
	StepX, StepY []float64
}

// Names returns the names of the snapshot's models, in order.
func (s *Snapshot) Names() []string {
	names := make([]string, len(s.Models))
	for i, m := range s.Models {
		names[i] = m.Name
	}
	return names
}

// Model returns the state of the named model, or nil.
func (s *Snapshot) Model(name string) *ModelState {
	for i := range s.Models {
		if s.Models[i].Name == name {
			return &s.Models[i]
		}
	}
	return nil
}

// bridge carries training events to the widgets.
type bridge struct {
	ui *UI
	// do runs a function on the UI goroutine: fyne.Do, except in tests that
	// drain a queue on the test goroutine instead.
	do func(func())

	mu     sync.Mutex
	state  Snapshot
	steps  *rundir.StepRecorder // the per-step loss, as Launch keeps it in steps.json
	stepAt []time.Time          // when each model's latest step arrived, parallel to state.Models
	shown  time.Time            // when the last snapshot was handed over
	now    func() time.Time
	dirty  bool
	load   metrics.Rate // the crop build's rate, for LoadETA

	pending atomic.Bool // an apply is queued on the UI goroutine

	offsets latest[*offsetResult] // the Offsets view's newest picture, not yet shown
}

func newBridge(u *UI, do func(func())) *bridge {
	if do == nil {
		do = fyne.Do
	}
	return &bridge{ui: u, do: do, state: Snapshot{Phase: PhaseIdle}, now: time.Now, steps: rundir.NewStepRecorder(nil)}
}

// reset starts the state of a new session of models on data, in
// PhaseLoading.
func (b *bridge) reset(runDir, data string, models []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.state = Snapshot{Phase: PhaseLoading, RunDir: runDir, Data: data}
	b.load = metrics.Rate{}
	for _, m := range models {
		b.state.Models = append(b.state.Models, ModelState{Name: m})
	}
	b.steps = rundir.NewStepRecorder(nil)
	b.stepAt = make([]time.Time, len(models))
	b.dirty = true
}

// restore makes s the state again: a run shown before a session that left
// nothing, or a run opened from its folder.
func (b *bridge) restore(s Snapshot) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.state = s
	var prev []rundir.StepCurve
	for _, m := range s.Models {
		prev = append(prev, rundir.StepCurve{Model: m.Name, X: m.StepX, Y: m.StepY})
	}
	b.steps = rundir.NewStepRecorder(prev)
	b.stepAt = make([]time.Time, len(s.Models))
	b.dirty = true
}

// setPhase records a new phase (not over a finished one).
func (b *bridge) setPhase(p Phase) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.state.Phase = p
	b.dirty = true
}

// setPaused records the user's pause.
func (b *bridge) setPaused(p bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.state.Paused = p
	b.dirty = true
}

// loadProgress records how far the crop set is built; the crop builder
// calls it, one call at a time.
func (b *bridge) loadProgress(done, total int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.state.LoadDone, b.state.LoadTotal = done, total
	if _, eta, ok := b.load.Update(int64(done), int64(total), b.now()); ok {
		b.state.LoadETA = eta
	}
	b.dirty = true
}

// cropWaiting records that another process is building the session's crop
// cache; the loader waits for it.
func (b *bridge) cropWaiting(holder string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.state.LoadWaiting = holder
	b.dirty = true
}

// discarded records that the session's run folder was removed (nothing was
// trained), so that nothing points at it any more.
func (b *bridge) discarded() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.state.RunDir = ""
	b.dirty = true
}

// setData records what the loaded data holds.
func (b *bridge) setData(classes []string, info, advice string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.state.Classes = slices.Clone(classes)
	b.state.DataInfo = info
	b.state.Advice = advice
	b.dirty = true
}

// setNets records each model's network once the session is built.
func (b *bridge) setNets(ts []*train.Trainer) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, t := range ts {
		if m := b.state.Model(t.Name); m != nil {
			m.Arch, m.Params = t.Net.Arch, t.Net.NumParams()
		}
	}
	if b.state.Phase == PhaseLoading {
		b.state.Phase = PhaseTraining
	}
	b.dirty = true
}

// emit is the session's event sink; trainer goroutines call it
// concurrently. It never blocks on the UI.
func (b *bridge) emit(e train.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	i := slices.IndexFunc(b.state.Models, func(m ModelState) bool { return m.Name == e.Model })
	if i < 0 {
		return
	}
	m := &b.state.Models[i]
	switch e.Kind {
	case train.KindStep:
		m.Step = e.Step
		if i < len(b.stepAt) {
			b.stepAt[i] = b.now()
		}
		if m.State == "" || m.State == "evaluating" {
			m.State = "running"
		}
		b.steps.Add(e)
	case train.KindEpoch:
		m.Epochs = append(m.Epochs, e.Epoch)
	case train.KindState:
		m.State = e.State
	}
	b.dirty = true
}

// snapshot returns a deep copy of the current state.
func (b *bridge) snapshot() Snapshot {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.copyLocked()
}

func (b *bridge) copyLocked() Snapshot {
	s := b.state
	s.Classes = slices.Clone(s.Classes)
	s.Models = slices.Clone(s.Models)
	for i := range s.Models {
		// Epoch records are immutable values (train.Event's promise), so a
		// copy of the list is enough.
		s.Models[i].Epochs = slices.Clone(s.Models[i].Epochs)
		// While a model evaluates no step arrives: its ETA counts down
		// from the last step's.
		if m := &s.Models[i]; m.State == "evaluating" && i < len(b.stepAt) && !b.stepAt[i].IsZero() {
			m.Step.ETA = max(0, m.Step.ETA-b.now().Sub(b.stepAt[i]))
		}
		s.Models[i].StepX, s.Models[i].StepY = b.steps.Curve(s.Models[i].Name)
	}
	return s
}

// tick hands the latest state to the UI goroutine if it changed and no
// earlier apply is still waiting there.
func (b *bridge) tick() {
	b.mu.Lock()
	if !b.dirty && b.evaluatingLocked() && b.now().Sub(b.shown) >= time.Second {
		b.dirty = true // the ETA of an evaluating model moves on
	}
	if !b.dirty || b.pending.Load() {
		b.mu.Unlock()
		return
	}
	b.dirty = false
	b.shown = b.now()
	s := b.copyLocked()
	b.mu.Unlock()
	b.pending.Store(true)
	b.do(func() {
		b.pending.Store(false)
		b.ui.apply(s)
	})
}

// evaluatingLocked reports whether a model is evaluating.
func (b *bridge) evaluatingLocked() bool {
	for _, m := range b.state.Models {
		if m.State == "evaluating" {
			return true
		}
	}
	return false
}

// loop ticks every applyInterval until stop is closed.
func (b *bridge) loop(stop <-chan struct{}) {
	t := time.NewTicker(applyInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			b.tick()
		}
	}
}

// finished is called on the session's goroutine after training ended and
// the ticker stopped: it records the final phase and hands the last
// snapshot and the outcome to the UI goroutine in one step, so that the
// window never shows an older snapshot after the outcome.
func (b *bridge) finished(p Phase, err error) {
	b.mu.Lock()
	b.state.Phase = p
	b.state.Paused = false
	if p != PhaseDone {
		for i := range b.state.Models {
			if m := &b.state.Models[i]; m.State != "done" {
				m.State = string(p) // "stopped" or "failed"
			}
		}
	}
	b.dirty = false
	s := b.copyLocked()
	b.mu.Unlock()
	b.do(func() {
		b.ui.apply(s)
		b.ui.sessionEnded(p, err)
	})
}

// showPlot swaps a freshly rendered image into a plot view. The image is
// new: nothing else holds or changes it.
func (b *bridge) showPlot(v *plotView, img image.Image, f plotFrame, err error) {
	b.do(func() { v.set(img, f, err) })
}

// exported reports a finished export on the UI goroutine.
func (b *bridge) exported(files []string, dir string, err error) {
	b.do(func() { b.ui.exportEnded(files, dir, err) })
}

// showOffsets hands the Offsets view's newest picture to the UI goroutine.
// At most one show waits there, and it takes whatever picture is newest
// when it runs, so a slow UI skips stale pictures instead of queueing them.
func (b *bridge) showOffsets(v *offsetsView, r *offsetResult) {
	b.offsets.post(b.do, r, v.show)
}

// offsetsProgress shows what the Offsets view's worker is busy with, on
// the UI goroutine; the next picture replaces it.
func (b *bridge) offsetsProgress(v *offsetsView, text string) {
	b.do(func() { v.progress(text) })
}

// offsetsDilation hands the Offsets view's dilation chart (or why there
// is none) to the UI goroutine.
func (b *bridge) offsetsDilation(d *dilationDialog, img image.Image, err error) {
	b.do(func() { d.done(img, err) })
}

// offsetsBusySoon turns the Offsets view's busy sign on if request seq is
// still unanswered a moment from now.
func (b *bridge) offsetsBusySoon(v *offsetsView, seq uint64) {
	time.AfterFunc(v.busyDelay, func() { b.do(func() { v.markBusy(seq) }) })
}

// offsetsExported reports a finished Offsets export on the UI goroutine.
func (b *bridge) offsetsExported(v *offsetExports, path string, size image.Point, err error) {
	b.do(func() { v.exportEnded(path, size, err) })
}

// downloadProgress hands a COCO download's progress to the UI goroutine;
// the fetcher calls it for every chunk, and only the newest is shown.
func (b *bridge) downloadProgress(f *downloader, d *download, p fetchProgress) {
	d.progress.post(b.do, p, func(p fetchProgress) { f.showProgress(d, p) })
}

// downloadEnded reports a finished (or failed, or stopped) COCO download
// on the UI goroutine, after any progress still queued.
func (b *bridge) downloadEnded(f *downloader, d *download, err error) {
	b.do(func() { f.ended(d, err) })
}

// runsListed hands the runs watcher's new listing of folder root to the
// Runs tab on the UI goroutine.
func (b *bridge) runsListed(v *runsView, root string, runs []rundir.RunInfo, err error) {
	b.do(func() { v.listed(root, runs, err) })
}
