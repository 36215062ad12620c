//go:build e2e

package app

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseScript(t *testing.T) {
	steps, err := ParseScript("open /runs/my run; tab results\n set mnist-dir /a b ;report;;shot one")
	if err != nil {
		t.Fatal(err)
	}
	want := []ScriptStep{{"open", []string{"/runs/my run"}}, {"tab", []string{"results"}},
		{"set", []string{"mnist-dir", "/a b"}}, {"report", nil}, {"shot", []string{"one"}}}
	if len(steps) != len(want) {
		t.Fatalf("steps %q, want %q", steps, want)
	}
	for i := range want {
		if steps[i].Verb != want[i].Verb || !slices.Equal(steps[i].Args, want[i].Args) {
			t.Errorf("step %d = %q, want %q", i, steps[i], want[i])
		}
	}
	for _, c := range []struct{ text, want string }{
		{"fly away", `unknown verb "fly"`},
		{"tab", "tab takes 1 arguments, got 0"},
		{"set epochs", "set takes 2 arguments, got 1"},
		{"start now", "start takes 0 arguments, got 1"},
	} {
		if _, err := ParseScript(c.text); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseScript(%q): %v, want %q", c.text, err, c.want)
		}
	}
}

// syncWriter collects the script's lines, written on its goroutine.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestScriptDrivesTheWindow runs a script in the test window: its steps
// act as a person would, a failed step says why, and report says what
// the window shows.
func TestScriptDrivesTheWindow(t *testing.T) {
	h := newHarness(t, t.TempDir())
	steps, err := ParseScript("open /nonexistent/run; tab results; set epochs 7; set smoothing 0.25; set log true; " +
		"set colour red; shot here; dismiss; capture " + groupCapture + "; report")
	if err != nil {
		t.Fatal(err)
	}
	var out syncWriter
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.u.runScript(steps, &out, strings.NewReader("\n"))
	}()
	h.waitFor("the script", time.Minute, func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	})
	got := out.String()
	for _, want := range []string{
		"script: open /nonexistent/run\nscript: error: ",
		"script: error: no setting \"colour\"",
		"script: shot here\n",
		"script: dismiss\nscript: error: no dialog to dismiss",
		"script: status: Ready.",
		"script: tab: Results",
		"settings: dataset=mnist epochs=7 seed=1 mnist-dir= smoothing=0.25 log=true",
		"script: results: Test accuracy\t–\t–\t–",
		"script: clipped: 0",
		"script: end",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the script's output lacks %q:\n%s", want, got)
		}
	}
	if v := h.u.offsets; !v.capture || v.runDir != groupCapture {
		t.Error("the capture step did not open the capture in the Offsets view")
	}
	if h.u.train.form.epochs.Text != "7" || h.u.prefs.String("form.mnist.epochs") != "7" {
		t.Errorf("epochs %q, remembered %q; want 7 typed and remembered", h.u.train.form.epochs.Text,
			h.u.prefs.String("form.mnist.epochs"))
	}
}

// TestScriptComparesRuns: the compare verb ticks runs of the runs folder
// for the overlay, and refuses a folder that is not one of them.
func TestScriptComparesRuns(t *testing.T) {
	root, dirs := threeRuns(t)
	h := newHarness(t, root)
	steps, err := ParseScript("compare " + dirs[0] + "; compare " + dirs[2] + "; compare /elsewhere/run; uncompare " + dirs[0] +
		"; compare " + dirs[1] + "; set xaxis time; set xaxis hours; report")
	if err != nil {
		t.Fatal(err)
	}
	var out syncWriter
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.u.runScript(steps, &out, strings.NewReader(""))
	}()
	h.waitFor("the script", time.Minute, func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	})
	got := out.String()
	for _, want := range []string{
		"script: compare /elsewhere/run\nscript: error: /elsewhere/run is not a run of the runs folder " + root,
		"script: error: xaxis: want epoch or time",
		"script: comparing: Comparing 2 runs\n",
		"script: xaxis: " + xTime + "\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the script's output lacks %q:\n%s", want, got)
		}
	}
	if !h.u.runs.checked[dirs[1]] || !h.u.runs.checked[dirs[2]] || h.u.runs.checked[dirs[0]] {
		t.Errorf("ticked %v, want runs 1 and 2", h.u.runs.checked)
	}
}
