// Package app is Deformscope's desktop UI, built with Fyne: a train view
// (settings for MNIST or COCO object crops, a COCO download, start/pause/
// stop, a progress bar per model), live curves of the plain CNN and the
// deformable CNNs on shared axes, a results view with a comparison table
// and confusion matrices, an Offsets view of the learned sampling locations
// over an image, and figure export.
//
// Each tab is a view type that owns its widgets (trainView, curvesView,
// resultsView, offsetsView, runsView; the COCO download is a downloader);
// UI wires them to the session and to each other. Training runs in
// background goroutines (runner.Session); bridge.go is the one place where
// their events reach the widgets, and latest[T] the one way of handing
// over only the newest of a stream of values. The package never imports
// Fyne's app package (the GL driver), so its tests run with Fyne's test
// driver and no display; cmd/deformscope creates the real app.
package app

import (
	"context"
	"fmt"
	"image"
	"slices"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/rundir"
)

// Options are the command-line choices of the app.
type Options struct {
	// Demo starts both models on a small MNIST subset at launch.
	Demo bool
	// Size is the window's size at launch; zero for the size it had when
	// it last closed, else 1360×860. Either way the window is made to fit
	// the work area (the window works from 1024×640 up).
	Size fyne.Size
	// Screen, when not nil, tells the work area of the screen the window
	// opens on, and reads and sets the window's position, so that the
	// window fits the screen and comes back where it was.
	Screen Screen
}

// startScript, when not nil, starts the end-to-end test's script once the
// window shows. Only builds with the e2e tag set it (UseScript in
// script.go): the shipped app has no script hook.
var startScript func(u *UI)

// Preference keys.
const (
	prefRunsDir  = "runsDir"
	prefCOCODir  = "cocoDir"
	prefDataset  = "dataset"
	prefFetchDir = "cocoDownloadDir"
	prefLastRun  = "lastRun" // the run shown last, reopened at launch
)

// mnistModels are the models of an MNIST run, in order.
var mnistModels = slices.Clone(experiment.MNISTModels)

// allModels are the models any run can have: MNIST's, then COCO's
// deformable ones (cnn, dcnn, dcnn-first, dcnn-middle, dcnn-last).
var allModels = append(slices.Clone(experiment.MNISTModels), deformables(experiment.COCOModels)...)

// UI is the main window: it wires the views of its tabs (one type each,
// owning its widgets) to the session that trains and to each other. Its
// fields belong to the UI goroutine, except where a comment says
// otherwise.
type UI struct {
	app    fyne.App
	win    fyne.Window
	prefs  fyne.Preferences // the settings (openSettings), never a.Preferences()
	bridge *bridge
	rend   *renderer         // draws the curves and the confusion matrices
	keys   map[string]func() // the window's shortcuts by name

	train   *trainView   // left: settings, Start/Pause/Stop, progress; the status line
	curves  *curvesView  // the Curves tab
	results *resultsView // the Results tab
	offsets *offsetsView // the Offsets tab
	runs    *runsView    // the Runs tab
	fetch   *downloader  // Download COCO…
	tabs    *container.AppTabs

	sess  *session    // the last session started, nil before
	run   *rundir.Run // its run folder
	last  Snapshot    // the last snapshot applied
	shown []string    // the models the curves and results show
	// prev and prevRun are what the window showed before the session
	// started: a session that leaves nothing (it failed to start, or was
	// stopped before an epoch ended) gives them back.
	prev     *Snapshot
	prevRun  *rundir.Run
	asking   bool            // a stop or close question is shown
	advised  map[string]bool // the run folders whose too-little-data advice was shown
	recKey   string          // what the plotted records were, to spot changes
	stepKey  string          // likewise for the per-step curves
	exportWG sync.WaitGroup
	// exportCtx is done once the window closes: the exports under way
	// (exportWG) stop at their next check and leave no file.
	exportCtx   context.Context
	stopExports context.CancelFunc
	closed      bool
	ready       bool   // newUI has built every view
	screen      Screen // the screen's work area and the window's position; nil in tests
}

// Run shows Deformscope's main window in a and blocks until the app quits.
// Closing the window mid-training stops the session and waits for its
// goroutines.
func Run(a fyne.App, opts Options) {
	w := a.NewWindow("Deformscope")
	// The app's settings are its own store, not a.Preferences(): see
	// prefStore for why.
	settings, settingsErr := openSettings(a.UniqueID())
	u := New(a, w, settings)
	if settingsErr != nil {
		fyne.LogError("deformscope", settingsErr)
	}
	w.SetContent(u.Content())
	u.screen = opts.Screen
	pos, hasPos := u.rememberedPosition()
	area, scale := fyne.Size{}, envScale()
	var areaRect image.Rectangle
	if opts.Screen != nil {
		var at *image.Point
		if hasPos {
			at = &pos
		}
		if r, ok := opts.Screen.WorkArea(at); ok {
			areaRect = r
			area = fyne.NewSize(float32(r.Dx()), float32(r.Dy()))
		}
	}
	size := fitWindow(opts.Size, u.rememberedSize(), area, scale)
	w.Resize(size)
	w.SetMaster()
	w.SetCloseIntercept(u.closeRequested)
	a.Lifecycle().SetOnStarted(func() {
		// The canvas knows its real scale once shown: fit again with it.
		// The size asked for is used, not the canvas's: right after the
		// start the canvas may not have taken it yet (a relaunch then
		// came back at another size and place, once in eight).
		sc := w.Canvas().Scale()
		if sc > 0 && sc != scale {
			size = fitWindow(size, fyne.Size{}, area, sc)
			w.Resize(size)
		}
		if sc <= 0 {
			sc = scale
		}
		if hasPos && opts.Screen != nil {
			opts.Screen.Move(w, placeWindow(pos, image.Pt(int(size.Width*sc), int(size.Height*sc)), areaRect))
		}
		if opts.Demo {
			u.StartDemo()
		} else {
			u.reopenLast()
		}
		if settingsErr != nil && !u.last.Phase.Active() && u.last.RunDir == "" {
			// Said in the status line too, once the window shows.
			u.bridge.restore(Snapshot{Phase: PhaseIdle, Note: settingsErr.Error()})
			u.apply(u.bridge.snapshot())
		}
		if startScript != nil {
			startScript(u)
		}
	})
	stopHook := takeStopHook(a)
	w.ShowAndRun()
	u.Close()
	if stopHook != nil {
		stopHook()
	}
}

// takeStopHook takes from a's lifecycle the hook that Fyne runs when its
// loop ends (it saves a.Preferences() at once) and returns it for Run to
// call after the loop. Fyne 2.7.1 can hang at exit with the hook left in
// place: the loop queues it on the lifecycle's event goroutine, which sends
// it back to the loop's function queue; the loop, meanwhile, drains that
// queue by its length, which does not count a function still passing
// through the queue's goroutine, and then closes it, so the hook is never
// run, the event goroutine waits for it forever, and the loop's last step,
// waiting for the event goroutine to be idle, never returns. The
// end-to-end tests caught it (1 exit in about 12; a goroutine dump showed
// main in Lifecycle.WaitForEvents and the event goroutine in
// runOnMainWithWait). With no hook nothing is queued at the end, and
// nothing is lost: the hook runs here, on the main goroutine, once the
// loop has ended. Lifecycles without the internal setter (another driver,
// a later Fyne) are left as they are.
func takeStopHook(a fyne.App) func() {
	lc, ok := a.Lifecycle().(interface {
		OnStopped() func()
		SetOnStopped(func())
		SetOnStoppedHookExecuted(func())
	})
	if !ok {
		return nil
	}
	hook := lc.OnStopped() // the app's own stop function, then Fyne's hook
	lc.SetOnStopped(nil)
	lc.SetOnStoppedHookExecuted(nil)
	return hook
}

// New builds the UI for window w of app a (its content is Content), with
// its settings kept in prefs.
func New(a fyne.App, w fyne.Window, prefs fyne.Preferences) *UI {
	return newUI(a, w, prefs, nil)
}

// newUI builds the UI with do as the way onto the UI goroutine: nil for
// the bridge's fyne.Do; tests pass a queue that they drain themselves.
func newUI(a fyne.App, w fyne.Window, prefs fyne.Preferences, do func(func())) *UI {
	u := &UI{app: a, win: w, prefs: prefs}
	u.exportCtx, u.stopExports = context.WithCancel(context.Background())
	u.bridge = newBridge(u, do)
	u.rend = newRenderer(u.bridge)
	go u.rend.run()
	u.fetch = &downloader{u: u}

	u.train = newTrainView(prefs, trainActions{start: u.Start, pause: u.TogglePause, stop: u.Stop, cont: u.Continue,
		form: formActions{chooseRuns: u.chooseRunsDir, chooseMNIST: u.chooseMNISTDir, chooseCOCO: u.chooseCOCODir,
			download: u.fetch.show, changed: u.formChanged, shortcut: u.windowShortcut}})
	u.curves = newCurvesView(u.rend, prefs, curvesActions{export: u.ShowExport, exportAll: u.ExportAll,
		changed: func() { u.updatePlots(u.last) }, clearCompare: func() { u.runs.clearChecks() }})
	u.results = newResultsView(u.rend)
	u.offsets = newOffsetsView(offsetsEnv{win: w, bridge: u.bridge, prefs: prefs, shortcut: u.windowShortcut,
		closed: func() bool { return u.closed }, training: func() bool { return u.last.Phase.Active() },
		lastRun: func() string { return u.last.RunDir }, openRun: u.OpenRun, chooseFolder: u.chooseFolderAt,
		runsRoot: u.runsRoot, exports: exportEnv{dirFor: u.exportDirFor, rememberDirFor: u.rememberExportDirFor,
			locationFor: u.exportLocationFor, confirmOverwrite: u.confirmOverwrite, wg: &u.exportWG}})
	u.runs = newRunsView(u)
	u.addShortcuts()
	u.ready = true
	u.apply(Snapshot{Phase: PhaseIdle})
	return u
}

// Content returns the window's content: the train view on the left, the
// curves, results, offsets and runs in tabs on the right, a status line
// below.
func (u *UI) Content() fyne.CanvasObject {
	u.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Curves", theme.GridIcon(), u.curves.object()),
		container.NewTabItemWithIcon("Results", theme.ListIcon(), u.results.object()),
		container.NewTabItemWithIcon("Offsets", theme.VisibilityIcon(), container.NewScroll(u.offsets.object())),
		container.NewTabItemWithIcon("Runs", theme.StorageIcon(), u.runs.object()),
	)
	if i := u.prefs.IntWithFallback(prefTab, 0); i > 0 && i < len(u.tabs.Items) {
		u.tabs.SelectIndex(i)
	}
	u.tabs.OnSelected = func(t *container.TabItem) {
		u.prefs.SetInt(prefTab, u.tabs.SelectedIndex())
		if t.Content == u.runs.object() {
			u.runs.refresh()
		}
	}
	u.runs.refresh()
	split := container.NewHSplit(u.train.root, u.tabs)
	split.Offset = 0.39
	return container.NewBorder(nil, u.train.statusBar, nil, nil, split)
}

// addShortcuts binds the keyboard: Ctrl+Enter start, Ctrl+P pause/resume,
// Ctrl+. stop, Ctrl+E export (Cmd on macOS).
func (u *UI) addShortcuts() {
	mod := fyne.KeyModifierShortcutDefault
	u.keys = map[string]func(){}
	for key, fn := range map[fyne.KeyName]func(){
		fyne.KeyReturn: u.Start,
		fyne.KeyEnter:  u.Start,
		fyne.KeyP:      u.TogglePause,
		fyne.KeyPeriod: u.Stop,
		fyne.KeyE:      u.ShowExport,
	} {
		sc := &desktop.CustomShortcut{KeyName: key, Modifier: mod}
		u.keys[sc.ShortcutName()] = fn
		u.win.Canvas().AddShortcut(sc, func(fyne.Shortcut) { fn() })
	}
}

// windowShortcut runs s if it is one of the window's shortcuts; the text
// entries (formEntry) pass what they are typed through it.
func (u *UI) windowShortcut(s fyne.Shortcut) bool {
	cs, ok := s.(*desktop.CustomShortcut)
	if !ok {
		return false
	}
	fn, ok := u.keys[cs.ShortcutName()]
	if ok {
		fn()
	}
	return ok
}

// Start starts a session with the form's settings (if none is running).
func (u *UI) Start() {
	if u.closed || u.last.Phase.Active() {
		return
	}
	rc, err := u.train.form.config()
	if err != nil {
		dialog.ShowError(err, u.win)
		return
	}
	root := strings.TrimSpace(u.train.form.runsDir.Text)
	run, err := createRun(root, rc)
	if err != nil {
		dialog.ShowError(err, u.win)
		return
	}
	prefs := u.prefs
	prefs.SetString(prefRunsDir, root)
	prefs.SetString(prefDataset, rc.Data)
	if rc.Data == "coco" {
		prefs.SetString(prefCOCODir, strings.TrimSpace(u.train.form.cocoDir.Text))
	}
	u.endSession() // the last one has ended; collect its goroutines
	if u.last.RunDir != "" {
		prev := u.last
		prev.Note = ""
		u.prev, u.prevRun = &prev, u.run
	} else {
		u.prev, u.prevRun = nil, nil
	}
	u.run = run
	prefs.SetString(prefLastRun, run.Dir)
	u.bridge.reset(run.Dir, rc.Data, rc.Models)
	u.apply(u.bridge.snapshot())
	u.sess = startSession(run, u.bridge)
}

// StartDemo fills the form with the demo settings and starts.
func (u *UI) StartDemo() {
	u.train.form.set(demoConfig())
	u.Start()
}

// TogglePause pauses or resumes the running session.
func (u *UI) TogglePause() {
	if u.sess == nil || !u.last.Phase.Active() || u.last.Phase == PhaseStopping {
		return
	}
	p := !u.sess.isPaused()
	u.sess.setPaused(p)
	u.bridge.setPaused(p)
	u.train.setPauseButton(p)
}

// Stop asks whether to stop the running session, saying what the run
// folder will keep, and stops it if the user agrees.
func (u *UI) Stop() {
	if u.sess == nil || !u.last.Phase.Active() || u.last.Phase == PhaseStopping {
		return
	}
	u.askStop("Stop training?", "Stop", u.stopNow)
}

// stopNow stops the running session; the run folder keeps its complete
// epochs. With discard, a run that has no complete epoch is removed.
func (u *UI) stopNow(discard bool) {
	if u.sess == nil || !u.last.Phase.Active() {
		return
	}
	u.sess.stopAndDiscard(discard)
	u.bridge.setPhase(PhaseStopping)
	u.apply(u.bridge.snapshot())
}

// closeRequested is the window's close intercept: during training it asks
// first (once), saying what will be kept.
func (u *UI) closeRequested() {
	u.rememberPosition() // while the window is still there
	if u.sess == nil || !u.last.Phase.Active() {
		u.Close()
		u.win.Close()
		return
	}
	u.askStop("Close Deformscope?", "Stop and close", func(discard bool) {
		u.stopNow(discard)
		u.Close()
		u.win.Close()
	})
}

// Close stops any session and the renderer and waits for every goroutine
// the UI started. It is safe to call more than once.
func (u *UI) Close() {
	if u.closed {
		return
	}
	u.rememberSize()
	u.closed = true
	// Tell every piece of work to stop first, then wait for each: no wait
	// holds the UI goroutine on work that would be told to stop only after.
	if u.sess != nil {
		u.sess.stop()
	}
	u.fetch.stop()
	u.runs.watch.halt()
	u.stopExports()
	u.rend.halt()
	u.offsets.w.halt()
	if u.sess != nil {
		u.sess.wait()
	}
	u.fetch.close()
	u.runs.close()
	u.exportWG.Wait()
	u.rend.close()
	u.offsets.close()
}

// endSession stops the last session, if any, and then waits for its
// goroutines: switching runs never waits on work it has not told to stop.
// Callers switch only between sessions, so the stop is a formality there.
func (u *UI) endSession() {
	if u.sess != nil {
		u.sess.stop()
		u.sess.wait()
	}
}

// apply shows a snapshot. It runs on the UI goroutine.
func (u *UI) apply(s Snapshot) {
	u.last = s
	// Before a run the window shows what Start would train.
	names, data := s.Names(), s.Data
	if len(names) == 0 {
		names, data = u.train.form.models(), u.train.form.datasetKey()
	}
	u.train.show(s, u.progressRows(s))
	u.showModels(names)
	u.results.show(s, names, data)
	u.updatePlots(s)
	if s.Advice != "" && s.Phase == PhaseTraining && !u.advised[s.RunDir] && !u.closed {
		u.advise(s.RunDir, "Too little data", s.Advice)
	}
	u.offsets.sessionChanged(s, u.run)
}

// progressRows are the models the train view's progress rows show: those
// of the session under way; between sessions those of the run shown while
// the form would train the same models, else those that Start would train,
// so that nothing of another data set or placement lingers beside the form.
func (u *UI) progressRows(s Snapshot) []string {
	names := s.Names()
	if s.Phase.Active() && len(names) > 0 {
		return names
	}
	if next := u.train.form.models(); !slices.Equal(names, next) {
		return next
	}
	return names
}

// showModels shows the curves' and the results' models, when they are not
// those shown already.
func (u *UI) showModels(names []string) {
	if slices.Equal(names, u.shown) {
		return
	}
	u.results.showModels(u.rend, u.shown, names)
	u.shown = slices.Clone(names)
}

// formChanged follows the form's data set and placement: the progress
// rows show the models that Start would train.
func (u *UI) formChanged() {
	if !u.ready {
		return
	}
	u.train.relayout() // the form's rows changed
	if !u.last.Phase.Active() {
		u.train.show(u.last, u.progressRows(u.last))
		if u.last.RunDir == "" {
			u.apply(u.last)
		}
	}
}

func setEnabled(w fyne.Disableable, on bool) {
	if on {
		w.Enable()
	} else {
		w.Disable()
	}
}

// statusText is the status line for a snapshot.
func statusText(s Snapshot) string {
	var msg string
	switch s.Phase {
	case PhaseIdle:
		msg = "Ready. Set up a run and press Start (Ctrl+Enter)."
		if s.Note != "" { // a deleted run, a last run or settings that did not open
			msg = s.Note + " · " + msg
		}
		return msg
	case PhaseLoading:
		switch {
		case s.Data == "coco" && s.LoadWaiting != "" && s.LoadTotal == 0:
			msg = "Waiting for another build of the same COCO crops (" + s.LoadWaiting + ")…"
		case s.Data == "coco" && s.LoadTotal > 0:
			msg = fmt.Sprintf("Building the COCO crops: %s of %s images…", groupDigits(s.LoadDone), groupDigits(s.LoadTotal))
			if s.LoadETA > 0 {
				msg += " ETA " + formatDuration(s.LoadETA)
			}
		case s.Data == "coco":
			msg = "Loading the COCO crops…"
		default:
			msg = "Loading MNIST…"
		}
	case PhaseTraining:
		msg = "Training"
		if s.Paused {
			msg = "Paused"
		}
	case PhaseStopping:
		msg = "Stopping…"
	case PhaseDone:
		msg = "Finished"
	case PhaseStopped:
		msg = "Stopped; the run folder keeps every complete epoch"
	case PhaseFailed:
		msg = "Failed"
	}
	if s.DataInfo != "" && s.Phase != PhaseLoading {
		msg += " · " + s.DataInfo
	}
	if s.RunDir != "" {
		msg += " — run folder " + s.RunDir
	}
	if s.Note != "" {
		msg = s.Note + " · " + msg
	}
	return msg
}

// updatePlots hands the snapshot's data to the renderer, saying what
// changed since the last one.
func (u *UI) updatePlots(s Snapshot) {
	var nrec, nstep int
	var lastX float64
	for _, m := range s.Models {
		nrec += len(m.Epochs)
		nstep += len(m.StepX)
		if n := len(m.StepX); n > 0 {
			lastX += m.StepX[n-1]
		}
	}
	smooth, logY := u.curves.settings()
	in := inputFrom(s, smooth, logY)
	u.curves.overlay(&in, s)
	recKey := fmt.Sprintf("%s|%d|%d|%s", s.RunDir, nrec, in.Epochs, u.curves.key())
	stepKey := fmt.Sprintf("%s|%d|%g|%d|%s", s.RunDir, nstep, lastX, in.Epochs, u.curves.key())
	u.rend.setInput(in, recKey != u.recKey, stepKey != u.stepKey)
	u.recKey, u.stepKey = recKey, stepKey
}

// sessionEnded reports how a session ended. It runs on the UI goroutine,
// after the session's last snapshot was applied.
func (u *UI) sessionEnded(p Phase, err error) {
	if u.closed {
		return
	}
	if u.last.RunDir == "" && u.prev != nil {
		// The session left no run folder: show again what was shown.
		prev := *u.prev
		if p == PhaseFailed {
			prev.Note = "Start failed; still showing the run before"
		} else {
			prev.Note = "Stopped before an epoch finished (run folder removed); still showing the run before"
		}
		u.run = u.prevRun
		u.bridge.restore(prev)
		u.apply(u.bridge.snapshot())
	}
	u.prev, u.prevRun = nil, nil
	u.runs.refresh()
	if p == PhaseFailed && err != nil {
		dialog.ShowError(err, u.win)
	} else if p == PhaseDone && u.last.Advice != "" && !u.advised[u.last.RunDir] {
		u.advise(u.last.RunDir, "Too little data", "The run has finished, but its results mean little. "+u.last.Advice)
	}
}

// advise shows the too-little-data advice of run, once per run: not again
// at the run's end, nor when it is continued.
func (u *UI) advise(run, title, text string) {
	if u.advised == nil {
		u.advised = map[string]bool{}
	}
	u.advised[run] = true
	dialog.ShowInformation(title, text, u.win)
}

// chooseRunsDir lets the user pick the folder that holds the runs.
func (u *UI) chooseRunsDir() {
	u.chooseFolder(u.runsRoot(), func(dir string) {
		u.train.form.runsDir.SetText(dir)
		u.prefs.SetString(prefRunsDir, dir)
		u.runs.refresh()
	})
}

// chooseMNISTDir lets the user pick a folder of MNIST idx files.
func (u *UI) chooseMNISTDir() {
	u.chooseFolder(u.train.form.mnistDir.Text, u.train.form.mnistDir.SetText)
}

// chooseFolder asks for a folder, starting at start (or its nearest
// existing parent), not where the last file dialog ended.
func (u *UI) chooseFolder(start string, chosen func(string)) {
	d := dialog.NewFolderOpen(func(uri fyne.ListableURI, err error) {
		if err != nil {
			dialog.ShowError(err, u.win)
			return
		}
		if uri != nil {
			chosen(uri.Path())
		}
	}, u.win)
	if l := nearestFolder(start); l != nil {
		d.SetLocation(l)
	}
	d.Show()
}

// runsRoot is the runs folder the form names.
func (u *UI) runsRoot() string {
	return strings.TrimSpace(u.train.form.runsDir.Text)
}
