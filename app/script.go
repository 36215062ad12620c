//go:build e2e

package app

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/deformscope/deformscope/app/internal/clip"
	"github.com/deformscope/deformscope/model/rundir"
)

// A script drives the real window the way a person would, for the
// end-to-end test under Xvfb. This file, and so the script hook, is only
// in builds with the e2e tag: a binary built with it runs the steps that
// DEFORMSCOPE_SCRIPT holds, one after the other, each on the UI goroutine,
// and writes what it did to stderr, one "script: " line each. Steps are
// separated by ";" or new lines:
//
//	open DIR          open a past run (as the Runs view's Open)
//	compare DIR       tick a run in the Runs view, to overlay in Curves
//	uncompare DIR     untick it
//	capture FILE      open a capture file in the Offsets view (as its
//	                  Open capture…)
//	tab NAME          show a tab: curves, results, offsets or runs
//	set KEY VALUE     type into the form or the curves' controls: epochs,
//	                  seed, images (train,validation,test), mnist-dir,
//	                  dataset (mnist or coco), smoothing, log (true or
//	                  false), xaxis (epoch or time), layer (the Offsets
//	                  view's)
//	start             press Start
//	continue          press Continue (the shown run goes on)
//	move X Y          move the window to X, Y on the desktop, as a person
//	                  dragging it would
//	export WHAT       export with the dialog's defaults, as pressing its
//	                  Export: "curves" (the figures) or "offsets" (the
//	                  Offsets view, once it shows a picture)
//	wait              wait until the session under way has ended
//	settle            wait until every figure shows its current data
//	report            write the status line, the run shown, the tab, the
//	                  form's settings, the results table, the dialogs
//	                  shown, the window's size and least size, and every
//	                  clipped widget (see clip.Clipped), then "end of report"
//	shot NAME         write "script: shot NAME" and wait for a line on
//	                  stdin: the test takes its screenshot meanwhile
//	dismiss           close the dialog on top, as its button would
//	close             close the window (asking first while training)
//
// A step that fails writes "script: error: …" and the script goes on.

// UseScript makes Run drive the window with steps once it shows: what
// they do goes to out, and shot steps wait for a line on in. Call it
// before Run.
func UseScript(steps []ScriptStep, out io.Writer, in io.Reader) {
	startScript = func(u *UI) { go u.runScript(steps, out, in) }
}

// ScriptStep is one step of a script: a verb and its arguments.
type ScriptStep struct {
	Verb string
	Args []string
}

// scriptVerbs are the verbs and how many arguments each takes.
var scriptVerbs = map[string]int{"open": 1, "compare": 1, "uncompare": 1, "capture": 1, "tab": 1, "set": 2, "start": 0, "wait": 0, "settle": 0,
	"report": 0, "shot": 1, "dismiss": 0, "close": 0, "continue": 0, "export": 1, "move": 2}

// ParseScript reads a script's steps, naming the first it cannot use.
func ParseScript(text string) ([]ScriptStep, error) {
	var steps []ScriptStep
	for i, line := range strings.FieldsFunc(text, func(r rune) bool { return r == ';' || r == '\n' }) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		n, ok := scriptVerbs[f[0]]
		if !ok {
			return nil, fmt.Errorf("script step %d %q: unknown verb %q", i+1, strings.TrimSpace(line), f[0])
		}
		args := f[1:]
		if n == 1 && len(args) > 1 || n == 2 && len(args) > 2 {
			// The last argument may hold spaces (a folder).
			args = append(args[:n-1:n-1], strings.Join(args[n-1:], " "))
		}
		if len(args) != n {
			return nil, fmt.Errorf("script step %d %q: %s takes %d arguments, got %d", i+1, strings.TrimSpace(line), f[0], n, len(args))
		}
		steps = append(steps, ScriptStep{Verb: f[0], Args: args})
	}
	return steps, nil
}

// scriptTimeout bounds a wait or settle step.
const scriptTimeout = 10 * time.Minute

// runScript runs steps on its own goroutine, each step on the UI
// goroutine, writing to out and reading shot acknowledgements from in.
func (u *UI) runScript(steps []ScriptStep, out io.Writer, in io.Reader) {
	say := func(format string, a ...any) {
		fmt.Fprintf(out, "script: "+format+"\n", a...)
	}
	acks := bufio.NewReader(in)
	for _, st := range steps {
		if u.onUI(func() bool { return u.closed }) {
			return
		}
		say("%s", strings.Join(append([]string{st.Verb}, st.Args...), " "))
		var err error
		switch st.Verb {
		case "wait":
			err = u.waitUntil(func() bool { return !u.last.Phase.Active() })
		case "settle":
			err = u.waitUntil(u.rend.upToDate)
			time.Sleep(500 * time.Millisecond) // a frame or two for the GL driver to paint
		case "shot": // the echo above told the test
			if _, rerr := acks.ReadString('\n'); rerr != nil {
				err = fmt.Errorf("shot %s: no acknowledgement on stdin: %w", st.Args[0], rerr)
			}
		case "export":
			if st.Args[0] == "offsets" {
				err = u.waitUntil(func() bool { return u.offsets.shown != nil && u.offsets.shown.scene != nil })
			}
			if err == nil {
				u.onUI(func() bool { err = u.scriptExport(st.Args[0]); return true })
			}
		case "report":
			var lines []string
			u.onUI(func() bool { lines = u.report(); return true })
			for _, l := range lines {
				say("%s", l)
			}
		default:
			u.onUI(func() bool { err = u.scriptStep(st); return true })
		}
		if err != nil {
			say("error: %v", err)
		}
	}
	say("end")
}

// onUI runs f on the UI goroutine, waits for it and returns its result.
// It must not be called from the UI goroutine.
func (u *UI) onUI(f func() bool) bool {
	done := make(chan bool, 1)
	u.bridge.do(func() { done <- f() })
	return <-done
}

// waitUntil polls cond on the UI goroutine until it holds.
func (u *UI) waitUntil(cond func() bool) error {
	deadline := time.Now().Add(scriptTimeout)
	for !u.onUI(func() bool { return u.closed || cond() }) {
		if time.Now().After(deadline) {
			return fmt.Errorf("still waiting after %v", scriptTimeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// scriptStep runs one step that acts on the window; it runs on the UI
// goroutine.
func (u *UI) scriptStep(st ScriptStep) error {
	switch st.Verb {
	case "open":
		return u.OpenRun(st.Args[0])
	case "compare", "uncompare":
		u.runs.refresh()
		dir := filepath.Clean(st.Args[0])
		if !slices.ContainsFunc(u.runs.runs, func(r rundir.RunInfo) bool { return r.Dir == dir }) {
			return fmt.Errorf("%s is not a run of the runs folder %s", dir, u.runs.folder.Text)
		}
		u.runs.setChecked(dir, st.Verb == "compare")
	case "capture":
		u.offsets.useCapture(st.Args[0])
	case "tab":
		for i, t := range u.tabs.Items {
			if strings.EqualFold(t.Text, st.Args[0]) {
				u.tabs.SelectIndex(i)
				return nil
			}
		}
		return fmt.Errorf("no tab %q", st.Args[0])
	case "set":
		return u.scriptSet(st.Args[0], st.Args[1])
	case "start":
		u.Start()
	case "continue":
		u.Continue()
	case "move":
		x, errx := strconv.Atoi(st.Args[0])
		y, erry := strconv.Atoi(st.Args[1])
		if errx != nil || erry != nil || u.screen == nil {
			return fmt.Errorf("move: want X Y in pixels on a real screen, got %q %q", st.Args[0], st.Args[1])
		}
		u.screen.Move(u.win, image.Pt(x, y))
	case "dismiss":
		top := u.win.Canvas().Overlays().Top()
		if top == nil {
			return errors.New("no dialog to dismiss")
		}
		top.Hide() // a dialog's pop-up leaves the overlays when hidden
	case "close":
		u.closeRequested()
	}
	return nil
}

// scriptExport opens the export dialog of what and submits it as it
// opens; it runs on the UI goroutine.
func (u *UI) scriptExport(what string) error {
	switch what {
	case "curves":
		u.exportDialog().Submit()
	case "offsets":
		u.offsets.exportDialog(u.offsets.shown.scene).Submit()
	default:
		return fmt.Errorf("export: want curves or offsets, got %q", what)
	}
	return nil
}

// scriptSet types value into the setting key, as a person would.
func (u *UI) scriptSet(key, value string) error {
	f := u.train.form
	switch key {
	case "epochs":
		f.epochs.SetText(value)
	case "seed":
		f.seed.SetText(value)
	case "images":
		// train, validation and test images: "500,100,200"
		parts := strings.Split(value, ",")
		if len(parts) != 3 {
			return fmt.Errorf("images: want train,validation,test, got %q", value)
		}
		f.limit.SetText(parts[0])
		f.val.SetText(parts[1])
		f.testLimit.SetText(parts[2])
	case "mnist-dir":
		f.mnistDir.SetText(value)
	case "dataset":
		switch value {
		case "mnist":
			f.dataset.SetSelected(dataMNIST)
		case "coco":
			f.dataset.SetSelected(dataCOCO)
		default:
			return fmt.Errorf("dataset: want mnist or coco, got %q", value)
		}
	case "smoothing":
		v, err := strconv.ParseFloat(value, 64)
		if err != nil || v < u.curves.smooth.Min || v > u.curves.smooth.Max {
			return fmt.Errorf("smoothing: want a number from 0 to 0.99, got %q", value)
		}
		u.curves.smooth.SetValue(v)
	case "log":
		on, err := strconv.ParseBool(value)
		if err != nil {
			return fmt.Errorf("log: want true or false, got %q", value)
		}
		u.curves.logY.SetChecked(on)
	case "layer": // the Offsets view's deformable layer
		if !slices.Contains(u.offsets.layer.Options, value) {
			return fmt.Errorf("layer: want one of %v, got %q", u.offsets.layer.Options, value)
		}
		u.offsets.layer.SetSelected(value)
	case "xaxis":
		switch value {
		case "epoch":
			u.curves.xAxis.SetSelected(xEpoch)
		case "time":
			u.curves.xAxis.SetSelected(xTime)
		default:
			return fmt.Errorf("xaxis: want epoch or time, got %q", value)
		}
	default:
		return fmt.Errorf("no setting %q (epochs, seed, images, mnist-dir, dataset, smoothing, log, xaxis, layer)", key)
	}
	return nil
}

// report describes what the window shows, a line each; it runs on the UI
// goroutine.
func (u *UI) report() []string {
	f := u.train.form
	smooth, logY := u.curves.settings()
	lines := []string{
		"status: " + u.train.status.Text,
		"run: " + u.last.RunDir,
		"phase: " + string(u.last.Phase),
		"tab: " + u.tabs.Selected().Text,
		"models: " + strings.Join(u.shown, ","),
		"comparing: " + u.curves.comparing.Text,
		"xaxis: " + u.curves.xAxis.Selected,
		fmt.Sprintf("settings: dataset=%s epochs=%s seed=%s mnist-dir=%s smoothing=%.2f log=%t",
			f.datasetKey(), f.epochs.Text, f.seed.Text, f.mnistDir.Text, smooth, logY),
	}
	for l := range strings.SplitSeq(strings.TrimSuffix(u.results.table.text(), "\n"), "\n") {
		lines = append(lines, "results: "+l)
	}
	for _, m := range u.train.rows {
		lines = append(lines, "progress: "+m+" "+strings.ReplaceAll(u.train.progress[m].detail.Text, "\n", " / "))
	}
	lines = append(lines, "continue: "+strconv.FormatBool(u.train.cont.Visible()))
	lines = append(lines, "rss: "+residentMemory())
	lines = append(lines, fmt.Sprintf("dialogs: %d", len(u.win.Canvas().Overlays().List())))
	size, least := u.win.Canvas().Size(), u.win.Content().MinSize()
	if u.screen != nil {
		if at, ok := u.screen.Position(u.win); ok {
			lines = append(lines, fmt.Sprintf("window-at: %d,%d", at.X, at.Y))
		}
		if r, ok := u.screen.WorkArea(nil); ok {
			lines = append(lines, fmt.Sprintf("work-area: %dx%d", r.Dx(), r.Dy()))
		}
	}
	lines = append(lines, fmt.Sprintf("window: %.0fx%.0f", size.Width, size.Height),
		fmt.Sprintf("window-min: %.0fx%.0f", least.Width, least.Height))
	cut := clip.Clipped(u.win)
	lines = append(lines, fmt.Sprintf("clipped: %d", len(cut)))
	for _, c := range cut {
		lines = append(lines, "clipped: "+c)
	}
	return append(lines, "end of report")
}
