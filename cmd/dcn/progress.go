package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/train"
)

// progress prints training progress on stderr: one status line for all
// models (rewritten in place on a terminal, every few seconds otherwise)
// and a line per finished epoch.
type progress struct {
	w        io.Writer
	tty      bool
	every    time.Duration
	mu       sync.Mutex
	last     time.Time
	models   []string
	steps    map[string]metrics.Step
	state    map[string]string
	lineOpen bool
	study    *study
}

// study is a job of several runs one after the other (dcn reproduce coco: the SGD run, then the
// Adam run). Its ETA is the current run's (its slowest model's) plus, for each run still to come,
// as long as the current run takes in all: the runs train the same models on the same data for the
// same epochs.
type study struct {
	run, runs int       // the current run (0-based) and how many there are
	began     time.Time // the current run's first training step
}

// eta returns the whole study's time left, given the current run's.
func (st *study) eta(runLeft time.Duration) time.Duration {
	whole := time.Since(st.began) + runLeft
	return runLeft + time.Duration(st.runs-st.run-1)*whole
}

func newProgress(w io.Writer, models []string) *progress {
	p := &progress{w: w, models: models, steps: map[string]metrics.Step{}, state: map[string]string{}, every: 5 * time.Second}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty, p.every = true, 250*time.Millisecond
		}
	}
	return p
}

// event is the session's emit function; it is safe for concurrent use.
func (p *progress) event(e train.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e.Kind {
	case train.KindStep:
		if p.study != nil && p.study.began.IsZero() {
			p.study.began = time.Now()
		}
		p.steps[e.Model] = e.Step
		p.state[e.Model] = ""
		if time.Since(p.last) >= p.every {
			p.status()
		}
	case train.KindState:
		p.state[e.Model] = e.State
	case train.KindEpoch:
		p.clear()
		fmt.Fprintln(p.w, epochLine(e.Epoch))
	}
}

func (p *progress) status() {
	p.last = time.Now()
	var parts []string
	for _, m := range p.models {
		s, ok := p.steps[m]
		if !ok {
			continue
		}
		part := fmt.Sprintf("%s epoch %d/%d batch %d/%d loss %.4f acc %.1f%% %.0f img/s ETA %s",
			m, s.Epoch, s.Epochs, s.Batch, s.Batches, s.Loss, s.RunningAcc, s.ImagesPerSecond, s.ETA.Round(time.Second))
		if st := p.state[m]; st != "" && st != "running" {
			part += " (" + st + ")"
		}
		parts = append(parts, part)
	}
	if st := p.study; st != nil && len(parts) > 0 {
		var left time.Duration
		for _, s := range p.steps {
			left = max(left, s.ETA)
		}
		parts = append(parts, fmt.Sprintf("study: run %d/%d, ETA %s", st.run+1, st.runs, st.eta(left).Round(time.Second)))
	}
	line := strings.Join(parts, " | ")
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.lineOpen = true
	} else {
		fmt.Fprintln(p.w, line)
	}
}

func (p *progress) clear() {
	if p.lineOpen {
		fmt.Fprint(p.w, "\r\033[K")
		p.lineOpen = false
	}
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
}

func pctStr(n metrics.Num) string {
	if n != n {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", float64(n))
}

func epochLine(m metrics.Epoch) string {
	s := fmt.Sprintf("%s epoch %d: train loss %.4f acc %s", m.Model, m.Epoch, float64(m.TrainLoss), pctStr(m.TrainAcc))
	if m.ValAcc == m.ValAcc {
		s += fmt.Sprintf(" | val loss %.4f acc %s", float64(m.ValLoss), pctStr(m.ValAcc))
	}
	if m.TestAcc == m.TestAcc {
		s += fmt.Sprintf(" | test loss %.4f acc %s", float64(m.TestLoss), pctStr(m.TestAcc))
	}
	if m.ScaledTestAcc == m.ScaledTestAcc {
		s += " | scaled " + pctStr(m.ScaledTestAcc)
	}
	for _, o := range m.Offsets {
		s += fmt.Sprintf(" | %s |Δp| %.3f out %.1f%% mask %.3f", o.Layer, float64(o.MeanAbs), 100*float64(o.OutsideShare), float64(o.MeanMask))
	}
	if m.Skipped > 0 {
		s += fmt.Sprintf(" | %d steps skipped (non-finite loss)", m.Skipped)
	}
	s += fmt.Sprintf(" | %.1fs (+%.1fs eval)", m.EpochSeconds, m.EvalSeconds)
	return s
}

// modelList expands --data, --model and --deform into model names
// (experiment.ModelChoice, which the app's form fills too); an error names
// the flag at fault.
func modelList(data, which, deform string) ([]string, error) {
	if data != "mnist" && data != "coco" {
		return nil, fmt.Errorf("--data must be mnist or coco, got %q", data)
	}
	models, err := experiment.ModelChoice{Data: data, Which: which, Deform: deform}.Models()
	if ce, ok := errors.AsType[*experiment.ChoiceError](err); ok {
		return nil, fmt.Errorf("--%s: %w", ce.Field, ce.Err)
	}
	return models, err
}
