package main

import (
	"bufio"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/deformscope/deformscope/viz"
)

// TestPastRunsE2E drives the real window under Xvfb through the scripted
// steps of DEFORMSCOPE_SCRIPT (app.ParseScript), as a person would use it:
//
//  1. open a past run (trained by dcn beforehand) and see its curves and
//     its results;
//  2. press Start with an MNIST folder that does not exist: the Start
//     fails, and the past run stays on screen;
//  3. close, launch again with the same profile (HOME and XDG folders):
//     the settings typed before are back;
//  4. closing the window during training asks once, and keeping on lets
//     the run end;
//  5. at 1024×640, 1366×768 and 1920×1080 (FYNE_SCALE=1) no widget is
//     clipped, on any tab, for either data set.
//
// It runs only with DEFORMSCOPE_E2E=1, like TestDemoWindowE2E; with
// DEFORMSCOPE_E2E_SCREENSHOTS=DIR it keeps its screenshots there, the
// three window sizes' as window-WxH.png (docs/screenshots holds them).
func TestPastRunsE2E(t *testing.T) {
	bin := buildForE2E(t)
	tmp := t.TempDir()
	home := filepath.Join(tmp, "home")
	runs := filepath.Join(home, "Deformscope", "runs")
	past := filepath.Join(runs, "past")
	trainPastRun(t, past)
	display := startXvfbSized(t, "1920x1080x24")
	keep := os.Getenv("DEFORMSCOPE_E2E_SCREENSHOTS")
	shots := keep
	if shots == "" {
		shots = t.TempDir()
	}

	// 1 and 2: open the run, see it; a failed Start keeps it.
	w := launch(t, bin, display, home, "1366x768", strings.Join([]string{
		"open " + past, "tab curves", "settle", "shot curves",
		"tab results", "settle", "report", "shot results",
		"set epochs 2", "set smoothing 0.3", "set log true", "set mnist-dir " + filepath.Join(tmp, "no-mnist"),
		"start", "wait", "settle", "report", "dismiss", "tab curves", "settle", "shot failed-start", "tab results", "close",
	}, ";"))
	img := w.shot("curves", filepath.Join(shots, "curves.png"))
	if blue, orange := countNear(img, viz.ModelColor("cnn")), countNear(img, viz.ModelColor("dcnn")); blue < 400 || orange < 400 {
		t.Errorf("the opened run's curves: %d CNN-blue and %d DCNN-orange pixels, want curves of both", blue, orange)
	}
	w.shot("results", filepath.Join(shots, "results.png"))
	rep := w.report(0)
	if !strings.Contains(rep["run"], past) || !strings.HasPrefix(rep["status"], `Opened "past"`) && !strings.HasPrefix(rep["status"], "Opened past") {
		t.Errorf("after open: run %q, status %q; want %s opened", rep["run"], rep["status"], past)
	}
	if acc := rep["results: Test accuracy"]; acc == "" || strings.Contains(acc, "–") {
		t.Errorf("the opened run's results table: test accuracy %q, want both models' figures\n%s", acc, w.logs.String())
	}
	img = w.shot("failed-start", filepath.Join(shots, "failed.png"))
	rep = w.report(1)
	if !strings.Contains(rep["status"], "Start failed; still showing the run before") || !strings.Contains(rep["run"], past) {
		t.Errorf("after a failed Start: status %q, run %q; want the past run still shown", rep["status"], rep["run"])
	}
	if rep["dialogs"] == "0" {
		t.Error("the failed Start showed no error")
	}
	if blue := countNear(img, viz.ModelColor("cnn")); blue < 400 {
		t.Errorf("after the failed Start %d CNN-blue pixels: the curves are gone", blue)
	}
	w.waitExit(time.Minute)

	// 3: the same profile again.
	w = launch(t, bin, display, home, "1366x768", "settle;report;close")
	rep = w.report(0)
	want := "dataset=mnist epochs=2 seed=1 mnist-dir=" + filepath.Join(tmp, "no-mnist") + " smoothing=0.30 log=true"
	if rep["settings"] != want || rep["tab"] != "Results" {
		t.Errorf("after a restart: settings %q, tab %q; want %q, Results", rep["settings"], rep["tab"], want)
	}
	w.waitExit(time.Minute)

	// Closing the window during training asks first, once; kept training,
	// the run ends and the window then closes without a question.
	w = launch(t, bin, display, filepath.Join(tmp, "closer"), "1366x768", strings.Join([]string{
		"set epochs 1", "set images 500,100,200", "set log false", "tab curves", "start", "close", "close", "report",
		"shot closing", "dismiss", "wait", "report", "close",
	}, ";"))
	w.shot("closing", filepath.Join(shots, "closing.png"))
	rep = w.report(0)
	if !strings.HasPrefix(rep["phase"], "loading") && rep["phase"] != "training" || rep["dialogs"] != "1" {
		t.Errorf("closing during training: phase %q with %s dialogs; want a session under way and one question",
			rep["phase"], rep["dialogs"])
	}
	rep = w.report(1)
	if rep["phase"] != "done" || rep["dialogs"] != "0" {
		t.Errorf("after keeping on: phase %q with %s dialogs, want done and none", rep["phase"], rep["dialogs"])
	}
	// The wait holds a whole training session (loading MNIST, both nets,
	// Scaled-MNIST), not only the exit: .ci/run once passed a minute here.
	w.waitExit(3 * time.Minute)

	// 5: three window sizes, in a fresh profile (its form as a new user
	// sees it); each launch ends with the run open and a screenshot.
	fresh := filepath.Join(tmp, "fresh")
	for _, size := range []string{"1024x640", "1366x768", "1920x1080"} {
		var steps []string
		for _, ds := range []string{"coco", "mnist"} {
			steps = append(steps, "set dataset "+ds)
			for _, tab := range []string{"results", "offsets", "runs", "curves"} {
				steps = append(steps, "tab "+tab, "settle", "report")
			}
		}
		steps = append(steps, "open "+past, "settle", "report", "shot window", "settle", "close")
		w := launch(t, bin, display, fresh, size, strings.Join(steps, ";"))
		img := w.shot("window", filepath.Join(shots, "screen-"+size+".png"))
		for i := range 9 {
			rep := w.report(i)
			if rep["clipped"] != "0" {
				t.Errorf("at %s, %s, %s tab: %s widgets clipped:\n%s", size, rep["settings"], rep["tab"], rep["clipped"],
					strings.Join(w.reportLines(i, "clipped: "), "\n"))
			}
		}
		var sw, sh int
		fmt.Sscanf(size, "%dx%d", &sw, &sh)
		if b := img.Bounds(); b.Dx() < sw || b.Dy() < sh {
			t.Fatalf("screenshot %v smaller than the window %s", b, size)
		}
		if keep != "" {
			if err := writeCrop(filepath.Join(keep, "window-"+size+".png"), img, image.Rect(0, 0, sw, sh)); err != nil {
				t.Error(err)
			}
		}
		w.waitExit(time.Minute)
	}
}

// buildForE2E skips unless DEFORMSCOPE_E2E=1 and the tools are there, and
// builds the app with the e2e tag (its script hook) into a temporary folder.
func buildForE2E(t *testing.T) string {
	t.Helper()
	if os.Getenv("DEFORMSCOPE_E2E") != "1" {
		t.Skip("end-to-end test: set DEFORMSCOPE_E2E=1 to build and run the real window under Xvfb")
	}
	for _, tool := range []string{"Xvfb", "import", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("end-to-end test needs %s on PATH (apt install xvfb imagemagick): %v", tool, err)
		}
	}
	if out, err := exec.Command("go", "env", "CGO_ENABLED").Output(); err != nil || strings.TrimSpace(string(out)) != "1" {
		t.Skip("end-to-end test needs cgo for Fyne's GL driver")
	}
	bin := filepath.Join(t.TempDir(), "deformscope")
	if out, err := exec.Command("go", "build", "-tags", "e2e", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build -tags e2e: %v\n%s", err, out)
	}
	if !hasScriptHook(t, bin) {
		t.Fatal("built with the e2e tag, the app has no script hook")
	}
	return bin
}

// trainPastRun trains a small run of both models into dir with dcn.
func trainPastRun(t *testing.T, dir string) {
	t.Helper()
	cmd := exec.Command("go", "run", "../dcn", "train", "--model", "both", "--epochs", "2", "--limit", "1000",
		"--val", "200", "--test-limit", "500", "--scales", "0.6,0.8,1,1.2,1.4", "--out", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dcn train: %v\n%s", err, out)
	}
}

// scriptedApp is the app running a script, with its output read line by
// line.
type scriptedApp struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	logs   *syncBuffer
	lines  chan string
	exited chan struct{}
	seen   []string // the script's lines read so far
	dpy    string
}

// launch starts the app in the profile home (its XDG folders inside), at
// size ("" for the size the app picks), running script.
func launch(t *testing.T, bin, display, home, size, script string) *scriptedApp {
	t.Helper()
	modcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	a := &scriptedApp{t: t, logs: &syncBuffer{}, lines: make(chan string, 1024), exited: make(chan struct{}), dpy: display}
	a.cmd = exec.Command(bin)
	if size != "" { // else the window picks its own size
		a.cmd.Args = append(a.cmd.Args, "--size", size)
	}
	a.cmd.Env = append(os.Environ(), "DISPLAY="+display, "LANG=en_US.UTF-8", "FYNE_SCALE=1", "HOME="+home,
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"GOMODCACHE="+strings.TrimSpace(string(modcache)), "DEFORMSCOPE_SCRIPT="+script)
	if a.stdin, err = a.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stderr, err := a.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	a.cmd.Stdout = a.logs
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var read sync.WaitGroup
	read.Go(func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<16), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			a.logs.Write([]byte(line + "\n"))
			if s, ok := strings.CutPrefix(line, "script: "); ok {
				a.lines <- s
			}
		}
		close(a.lines)
	})
	go func() {
		read.Wait()
		_ = a.cmd.Wait()
		close(a.exited)
	}()
	t.Cleanup(func() {
		_ = a.cmd.Process.Kill()
		<-a.exited
	})
	return a
}

// next returns the script's next line, failing after timeout.
func (a *scriptedApp) next(timeout time.Duration) string {
	a.t.Helper()
	select {
	case l, ok := <-a.lines:
		if !ok {
			a.t.Fatalf("the app ended its output early; it wrote:\n%s", a.logs.String())
		}
		a.seen = append(a.seen, l)
		if strings.HasPrefix(l, "error: ") {
			a.t.Logf("script %s", l)
		}
		return l
	case <-time.After(timeout):
		a.t.Fatalf("no script output for %v; the app wrote:\n%s", timeout, a.logs.String())
	}
	return ""
}

// shot waits for the script's shot step name, takes the screenshot into
// path, and lets the script go on.
func (a *scriptedApp) shot(name, path string) image.Image {
	a.t.Helper()
	for a.next(10*time.Minute) != "shot "+name {
	}
	img, err := screenshot(a.dpy, path)
	if err != nil {
		a.t.Fatal(err)
	}
	if _, err := io.WriteString(a.stdin, "\n"); err != nil {
		a.t.Fatal(err)
	}
	return img
}

// report returns the i-th report of the script (waiting for it), as its
// "key: value" lines; results rows are keyed by their label ("results:
// Test accuracy").
func (a *scriptedApp) report(i int) map[string]string {
	a.t.Helper()
	for a.reports() <= i {
		a.next(10 * time.Minute)
	}
	rep := map[string]string{}
	for _, l := range a.reportLines(i, "") {
		key, val, _ := strings.Cut(l, ": ")
		if key == "results" {
			label, rest, _ := strings.Cut(val, "\t")
			key, val = "results: "+label, rest
		}
		if _, dup := rep[key]; !dup {
			rep[key] = val
		}
	}
	return rep
}

// reports counts the complete reports read so far.
func (a *scriptedApp) reports() int {
	n := 0
	for _, l := range a.seen {
		if l == "end of report" {
			n++
		}
	}
	return n
}

// reportLines returns the lines of the i-th report that start with
// prefix.
func (a *scriptedApp) reportLines(i int, prefix string) []string {
	var out []string
	n, in := -1, false
	for _, l := range a.seen {
		switch {
		case l == "report":
			n++
			in = n == i
		case l == "end of report":
			in = false
		case in && strings.HasPrefix(l, prefix):
			out = append(out, l)
		}
	}
	return out
}

// waitExit reads the script to its end and waits for the app to exit.
func (a *scriptedApp) waitExit(timeout time.Duration) {
	a.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l, ok := <-a.lines:
			if ok {
				a.seen = append(a.seen, l)
				continue
			}
			select {
			case <-a.exited:
			case <-deadline:
				a.t.Fatalf("the app did not exit within %v of its script's end:\n%s", timeout, a.hang())
			}
			if strings.Contains(a.logs.String(), "panic") {
				a.t.Errorf("the app logged a panic:\n%s", a.logs.String())
			}
			return
		case <-deadline:
			a.t.Fatalf("the app did not exit within %v:\n%s", timeout, a.hang())
		}
	}
}

// hang says why the app has not exited: the processes holding its output
// (a child that inherited stderr keeps the pipe open after the app ends)
// and, if the app still runs, its goroutines (SIGQUIT makes the Go runtime
// write them to stderr and exit). It returns the app's output with those.
func (a *scriptedApp) hang() string {
	var b strings.Builder
	ps, err := exec.Command("ps", "-eo", "pid,ppid,stat,etime,args").CombinedOutput()
	fmt.Fprintf(&b, "the app is pid %d; processes (%v):\n%s\n", a.cmd.Process.Pid, err, ps)
	if err := a.cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		fmt.Fprintf(&b, "SIGQUIT: %v\n", err)
	}
	select {
	case <-a.exited:
	case <-time.After(15 * time.Second):
		b.WriteString("its output is still open 15 s after SIGQUIT\n")
	}
	return b.String() + "its output:\n" + a.logs.String()
}

// writeCrop writes the part r of img to path as a PNG.
func writeCrop(path string, img image.Image, r image.Rectangle) error {
	sub, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	})
	if !ok {
		return fmt.Errorf("screenshot %T cannot be cropped", img)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, sub.SubImage(r)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
