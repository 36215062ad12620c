// Package train is Deformscope's training loop: a Trainer trains one
// network in its own goroutine under a context, with pause, resume and
// stop, reports value snapshots (per step and per epoch, package metrics)
// and captures or restores its state as a checkpoint. It knows nothing of
// run folders (package rundir), settings files (package experiment) or
// the app and dcn, which show it.
package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/data"
	"github.com/deformscope/deformscope/model/metrics"
	"github.com/deformscope/deformscope/model/nn"
	"github.com/deformscope/deformscope/model/optim"
	"github.com/deformscope/deformscope/model/trace"
)

// Config holds the optimisation settings of one training run.
type Config struct {
	Epochs      int     `json:"epochs"`
	Batch       int     `json:"batch"`
	EvalBatch   int     `json:"eval_batch"` // 0: the training batch size
	Optimizer   string  `json:"optimizer"`  // "adam" or "sgd"
	LR          float64 `json:"lr"`
	Momentum    float64 `json:"momentum"`
	WeightDecay float64 `json:"weight_decay"`
	StepGamma   float64 `json:"step_gamma"` // StepLR decay; 0 keeps the rate
	StepSize    int     `json:"step_size"`  // StepLR period in epochs
	Seed        uint64  `json:"seed"`
}

// MaxBatch is the largest batch size accepted: far above any useful batch
// (the course study uses 64), and small enough that the batch's index buffers
// cannot exhaust memory whatever the data set.
const MaxBatch = 1 << 16

// Validate reports the first unusable setting, by the name of its dcn flag
// (the app's form uses the same words).
func (c Config) Validate() error {
	switch {
	case c.Epochs <= 0:
		return fmt.Errorf("train: epochs must be positive, got %d", c.Epochs)
	case c.Batch <= 0 || c.Batch > MaxBatch:
		return fmt.Errorf("train: batch size must be 1 to %d, got %d", MaxBatch, c.Batch)
	case c.EvalBatch < 0 || c.EvalBatch > MaxBatch:
		return fmt.Errorf("train: evaluation batch size must be 0 (the batch size) to %d, got %d", MaxBatch, c.EvalBatch)
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("train: learning rate (lr) must be a positive number, got %v", c.LR)
	case c.Optimizer != "adam" && c.Optimizer != "sgd":
		return fmt.Errorf("train: optimiser must be adam or sgd, got %q", c.Optimizer)
	case !(c.Momentum >= 0 && c.Momentum < 1):
		return fmt.Errorf("train: momentum must be a number from 0 to below 1, got %v", c.Momentum)
	case !(c.WeightDecay >= 0) || math.IsInf(c.WeightDecay, 0):
		return fmt.Errorf("train: weight decay (wd) must be a number, 0 or more, got %v", c.WeightDecay)
	case !(c.StepGamma >= 0) || math.IsInf(c.StepGamma, 0):
		return fmt.Errorf("train: gamma (StepLR decay) must be a number, 0 or more, got %v", c.StepGamma)
	case c.StepSize < 0:
		return fmt.Errorf("train: step size (StepLR period) must not be negative, got %d", c.StepSize)
	}
	return nil
}

func (c Config) schedule() optim.StepLR {
	if c.StepGamma == 0 || c.StepSize == 0 {
		return optim.StepLR{Base: c.LR}
	}
	return optim.StepLR{Base: c.LR, StepSize: c.StepSize, Gamma: c.StepGamma}
}

// Data is what a Trainer learns from and is measured on. Val, Test and
// Scaled may be empty. Sets are shared read-only between trainers.
type Data struct {
	Train  *data.Set
	Val    *data.Set
	Test   *data.Set
	Scales []float64   // the scales of Scaled
	Scaled []*data.Set // the test set at each scale (Scaled-MNIST)

	Classes []string // class names (MNIST: the digits)
}

// Kind says what an Event reports.
type Kind int

// The kinds of Event.
const (
	KindStep  Kind = iota // one optimisation step
	KindEpoch             // an epoch ended and was evaluated
	KindState             // paused, resumed, evaluating, finished
)

// Event is a value snapshot sent by a Trainer. Its slices are never changed
// after it is sent.
type Event struct {
	Kind  Kind
	Model string
	Step  metrics.Step
	Epoch metrics.Epoch
	State string // for KindState: "paused", "running", "evaluating", "done"
}

// maxBadSteps is how many non-finite losses in a row stop a run.
const maxBadSteps = 3

// ErrDiverged is returned (wrapped) when the loss stays non-finite.
var ErrDiverged = errors.New("training diverged")

// Trainer trains one network. Create it with NewTrainer, then call Run
// once, from any goroutine; Pause and Resume may be called concurrently.
type Trainer struct {
	Name string // "cnn", "dcnn", ...
	Net  *model.Net[float32]
	Opt  optim.Optimizer[float32]

	// InspectImages is how many test images to inspect after each epoch
	// (0: DefaultInspect; negative: none).
	InspectImages int

	// Gate, when set, is shared with the trainers that run at the same
	// time and bounds how many of them hold their working memory at once
	// (gate.go). Set it before Run.
	Gate *MemoryGate
	turn turn // the hold on Gate's slot (gate.go)

	cfg   Config
	data  Data
	sched optim.StepLR
	start int // epochs already done (resume)

	mu   sync.Mutex
	gate chan struct{} // non-nil while paused

	x    *nn.Tensor[float32]
	y    []int
	grad *nn.Tensor[float32]
}

// NewTrainer prepares a trainer for net on d.
func NewTrainer(name string, net *model.Net[float32], d Data, cfg Config) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Train == nil || d.Train.N == 0 {
		return nil, fmt.Errorf("train: %s: empty training set", name)
	}
	for _, s := range append([]*data.Set{d.Train, d.Val, d.Test}, d.Scaled...) {
		if s != nil && (s.C != net.InC || s.H != net.InH || s.W != net.InW) {
			return nil, fmt.Errorf("train: %s: set %q holds %d×%d×%d samples, the net takes %d×%d×%d",
				name, s.Name, s.C, s.H, s.W, net.InC, net.InH, net.InW)
		}
	}
	for _, s := range append([]*data.Set{d.Train, d.Val, d.Test}, d.Scaled...) {
		if s != nil && s.N > 0 && s.MaxLabel() >= net.Classes {
			return nil, fmt.Errorf("train: %s: set %q has label %d, the net has %d classes", name, s.Name, s.MaxLabel(), net.Classes)
		}
	}
	if len(d.Scales) != len(d.Scaled) {
		return nil, fmt.Errorf("train: %d scales for %d scaled sets", len(d.Scales), len(d.Scaled))
	}
	if cfg.EvalBatch <= 0 {
		// The training batch size, so that every layer keeps one set of
		// buffers instead of reallocating them between phases.
		cfg.EvalBatch = cfg.Batch
	}
	// A batch larger than the data is the whole data set: capping it gives
	// the same steps and keeps buffers sized by the data, not the setting.
	cfg.Batch = min(cfg.Batch, d.Train.N)
	largest := 0
	for _, s := range append([]*data.Set{d.Train, d.Val, d.Test}, d.Scaled...) {
		if s != nil {
			largest = max(largest, s.N)
		}
	}
	cfg.EvalBatch = min(cfg.EvalBatch, largest)
	t := &Trainer{Name: name, Net: net, cfg: cfg, data: d, sched: cfg.schedule()}
	var err error
	t.Opt, err = optim.New(cfg.Optimizer, net.Params(), cfg.LR, cfg.Momentum, cfg.WeightDecay)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Config returns the trainer's settings.
func (t *Trainer) Config() Config { return t.cfg }

// EpochsDone returns the number of completed epochs (after a resume, those
// of the checkpoint).
func (t *Trainer) EpochsDone() int { return t.start }

// Pause stops the trainer before its next step until Resume.
func (t *Trainer) Pause() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.gate == nil {
		t.gate = make(chan struct{})
	}
}

// Resume continues a paused trainer.
func (t *Trainer) Resume() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.gate != nil {
		close(t.gate)
		t.gate = nil
	}
}

// Paused reports whether the trainer is paused.
func (t *Trainer) Paused() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.gate != nil
}

// wait blocks while paused; it returns the time spent waiting.
func (t *Trainer) wait(ctx context.Context, emit func(Event)) (time.Duration, error) {
	t.mu.Lock()
	g := t.gate
	t.mu.Unlock()
	if g == nil {
		return 0, ctx.Err()
	}
	t.letGo() // a paused trainer holds no memory slot
	start := time.Now()
	emit(Event{Kind: KindState, Model: t.Name, State: "paused"})
	select {
	case <-g:
		emit(Event{Kind: KindState, Model: t.Name, State: "running"})
		return time.Since(start), nil
	case <-ctx.Done():
		return time.Since(start), ctx.Err()
	}
}

// epochOrder is the training order of an epoch: a permutation drawn from
// the seed and the epoch alone, so that a resumed run sees the same order.
func epochOrder(seed uint64, epoch, n int) []int {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15^uint64(epoch))).Perm(n)
}

// Run trains until the configured number of epochs, an error, or ctx is
// done (then it returns ctx's error promptly, mid-epoch). emit receives
// every event on the trainer's goroutine and must not block for long.
func (t *Trainer) Run(ctx context.Context, emit func(Event)) error {
	if emit == nil {
		emit = func(Event) {}
	}
	defer t.letGo()
	cfg := t.cfg
	n := t.data.Train.N
	batches := (n + cfg.Batch - 1) / cfg.Batch
	step := t.start * batches
	var spent time.Duration // training time of this Run, for the ETA
	stepsRun := 0
	var evalSpent time.Duration // evaluation time of this Run, for the ETA
	evals := 0
	evalImages := t.evalImages()
	for epoch := t.start; epoch < cfg.Epochs; epoch++ {
		t.Opt.SetLR(t.sched.At(epoch))
		order := epochOrder(cfg.Seed, epoch, n)
		pf := t.prefetch(t.data.Train, order, cfg.Batch)
		began := time.Now()
		var paused time.Duration
		var lossSum float64
		var correct, seen, skipped, bad int
		for bi := range batches {
			w, err := t.wait(ctx, emit)
			paused += w
			if err != nil {
				pf.close()
				return err
			}
			idx := order[bi*cfg.Batch : min(n, (bi+1)*cfg.Batch)]
			loss, ok, err := t.step(ctx, pf, idx, &correct)
			if cerr := ctx.Err(); err != nil && cerr != nil && errors.Is(err, cerr) {
				pf.close()
				return cerr // cancelled while waiting for the memory gate
			}
			if err != nil {
				pf.close()
				return fmt.Errorf("train: %s: epoch %d batch %d: %w", t.Name, epoch+1, bi+1, err)
			}
			step++
			stepsRun++
			if !ok {
				skipped++
				bad++
			} else {
				bad = 0
				lossSum += loss * float64(len(idx))
				seen += len(idx)
			}
			el := time.Since(began) - paused
			imgs := float64((bi+1)*cfg.Batch) / max(el.Seconds(), 1e-9)
			total := spent + el
			remaining := (cfg.Epochs-epoch)*batches - (bi + 1)
			perStep := float64(total) / float64(stepsRun)
			perEval := float64(evalSpent) / float64(max(evals, 1))
			if evals == 0 {
				perEval = perStep / float64(cfg.Batch) * float64(evalImages) / 3
			}
			eta := time.Duration(perStep*float64(remaining) + perEval*float64(cfg.Epochs-epoch))
			emit(Event{Kind: KindStep, Model: t.Name, Step: metrics.Step{
				Epoch: epoch + 1, Epochs: cfg.Epochs, Batch: bi + 1, Batches: batches, Step: step,
				Loss: loss, RunningAcc: float64(pct(correct, min(n, (bi+1)*cfg.Batch))), ImagesPerSecond: imgs, ETA: eta, Skipped: skipped,
			}})
			if bad >= maxBadSteps {
				pf.close()
				return fmt.Errorf("train: %s: the loss was NaN or infinite for %d steps in a row (epoch %d, batch %d); "+
					"stopped without saving them: %w (try a lower learning rate)", t.Name, bad, epoch+1, bi+1, ErrDiverged)
			}
		}
		pf.close()
		trainSec := (time.Since(began) - paused).Seconds()
		spent += time.Since(began) - paused
		emit(Event{Kind: KindState, Model: t.Name, State: "evaluating"})
		evalStart := time.Now()
		m, err := t.evaluate(ctx)
		if err != nil {
			return err
		}
		m.Model, m.Arch, m.Epoch, m.LR = t.Name, t.Net.Arch, epoch+1, t.Opt.LR()
		m.TrainLoss, m.TrainAcc = metrics.NaN(), pct(correct, n)
		if seen > 0 {
			m.TrainLoss = metrics.Num(lossSum / float64(seen))
		}
		evalTime := time.Since(evalStart)
		evalSpent += evalTime
		evals++
		m.Skipped, m.EpochSeconds, m.EvalSeconds = skipped, trainSec, evalTime.Seconds()
		t.start = epoch + 1
		t.letGo()
		emit(Event{Kind: KindEpoch, Model: t.Name, Epoch: m})
	}
	emit(Event{Kind: KindState, Model: t.Name, State: "done"})
	return nil
}

// evalImages counts the images an evaluation passes through the net:
// validation, test, and the test set at each scale.
func (t *Trainer) evalImages() int {
	n := 0
	for _, s := range append([]*data.Set{t.data.Val, t.data.Test}, t.data.Scaled...) {
		if s != nil {
			n += s.N
		}
	}
	return n
}

func pct(k, n int) metrics.Num {
	if n == 0 {
		return metrics.NaN()
	}
	return metrics.Num(100 * float64(k) / float64(n))
}

// prefetchDepth is how many batches a set on a file is read ahead of the one training: two keep the
// reader a full step ahead even when one read is slow; with the one being copied out they hold 3 ×
// 1.6 MB at the course study's batch of 32 crops of 64×64.
const prefetchDepth = 2

// batches hands out the batches of one pass over a set: from a data.Prefetcher (reading ahead in a
// goroutine) when the set is on a file, straight from the set otherwise. Its nil value reads
// straight from the set.
type batches struct {
	p *data.Prefetcher
}

// prefetch starts reading s in order, in batches of batch, ahead of use when s is on a file.
func (t *Trainer) prefetch(s *data.Set, order []int, batch int) batches {
	if !s.OnFile() {
		return batches{}
	}
	return batches{s.Prefetch(order, batch, prefetchDepth)}
}

func (b batches) close() {
	if b.p != nil {
		b.p.Close()
	}
}

// step runs one optimisation step on the samples idx (the next batch of pf). ok is false when the
// loss or a gradient was not finite: the step is then skipped.
func (t *Trainer) step(ctx context.Context, pf batches, idx []int, correct *int) (loss float64, ok bool, err error) {
	x, y, err := t.batchFrom(pf, t.data.Train, idx)
	if err != nil {
		return 0, false, err
	}
	if err := t.hold(ctx); err != nil {
		return 0, false, err
	}
	defer t.done()
	out, err := t.Net.Forward(x, true)
	if err != nil {
		return 0, false, err
	}
	*correct += nn.Correct(out, y)
	if t.grad == nil || !t.grad.SameShape(out.Shape()...) {
		t.grad = nn.New[float32](out.Shape()...)
	}
	loss, err = nn.CrossEntropy(out, y, t.grad)
	if err != nil {
		return math.NaN(), false, nil
	}
	t.Net.ZeroGrad()
	if err := t.Net.Backward(t.grad); err != nil {
		return 0, false, err
	}
	for _, p := range t.Net.Params() {
		if p.Grad.CheckFinite(p.Name) != nil {
			return math.NaN(), false, nil
		}
	}
	t.Opt.Step()
	return loss, true, nil
}

// batchFrom is batch, taking the samples from pf when it prefetches (they are the samples idx: pf
// was given the same order).
func (t *Trainer) batchFrom(pf batches, s *data.Set, idx []int) (*nn.Tensor[float32], []int, error) {
	if pf.p == nil {
		return t.batch(s, idx)
	}
	x, y := t.buffers(len(idx))
	if got := pf.p.Next(x.Data(), y); len(got) != len(idx) {
		return nil, nil, fmt.Errorf("train: prefetched a batch of %d samples, want %d", len(got), len(idx))
	}
	if err := s.Err(); err != nil {
		return nil, nil, fmt.Errorf("train: %w", err)
	}
	return x, y, nil
}

// buffers returns the trainer's input buffers sized for n samples.
func (t *Trainer) buffers(n int) (*nn.Tensor[float32], []int) {
	shape := t.Net.InputShape(n)
	if t.x == nil || !t.x.SameShape(shape...) {
		t.x = nn.New[float32](shape...)
	}
	if cap(t.y) < n {
		t.y = make([]int, n)
	}
	t.y = t.y[:n]
	return t.x, t.y
}

// batch copies the samples idx of s into the trainer's input buffers. It fails only when s reads
// its pixels from a file (the COCO crop cache) and a read failed.
func (t *Trainer) batch(s *data.Set, idx []int) (*nn.Tensor[float32], []int, error) {
	t.buffers(len(idx))
	s.Batch(idx, t.x.Data(), t.y)
	if err := s.Err(); err != nil {
		return nil, nil, fmt.Errorf("train: %w", err)
	}
	return t.x, t.y, nil
}

// evalResult is what one pass over a set measures.
type evalResult struct {
	loss, acc metrics.Num
	confusion [][]int
	offsets   []nn.SamplingStats
}

// Evaluate measures the network on s (forward only): mean loss, accuracy in
// percent, the confusion matrix and, for each deformable layer, the
// statistics of its sampling points.
func (t *Trainer) Evaluate(ctx context.Context, s *data.Set) (loss, acc float64, confusion [][]int, offsets []nn.SamplingStats, err error) {
	defer t.letGo()
	r, err := t.pass(ctx, s)
	return float64(r.loss), float64(r.acc), r.confusion, r.offsets, err
}

func (t *Trainer) pass(ctx context.Context, s *data.Set) (evalResult, error) {
	k := t.Net.Classes
	r := evalResult{confusion: make([][]int, k)}
	for i := range r.confusion {
		r.confusion[i] = make([]int, k)
	}
	blocks := t.Net.DeformBlocks()
	r.offsets = make([]nn.SamplingStats, len(blocks))
	all := make([]int, s.N)
	for i := range all {
		all[i] = i
	}
	pf := t.prefetch(s, all, t.cfg.EvalBatch)
	defer pf.close()
	var lossSum float64
	var correct, finite int
	for lo := 0; lo < s.N; lo += t.cfg.EvalBatch {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		idx := all[lo:min(s.N, lo+t.cfg.EvalBatch)]
		x, y, err := t.batchFrom(pf, s, idx)
		if err != nil {
			return r, err
		}
		if err := t.hold(ctx); err != nil {
			return r, err
		}
		out, err := t.Net.Forward(x, false)
		if err != nil {
			t.done()
			return r, err
		}
		for i, target := range y {
			p := nn.Argmax(out.Data()[i*k : (i+1)*k])
			r.confusion[target][p]++
			if p == target {
				correct++
			}
		}
		if l, err := nn.CrossEntropy(out, y, nil); err == nil {
			lossSum += l * float64(len(y))
			finite += len(y)
		}
		for i, b := range blocks {
			r.offsets[i].Add(b.Stats())
		}
		t.done()
	}
	r.loss, r.acc = metrics.NaN(), pct(correct, s.N)
	if finite > 0 {
		r.loss = metrics.Num(lossSum / float64(finite))
	}
	return r, nil
}

// evaluate fills the evaluation part of an epoch record.
func (t *Trainer) evaluate(ctx context.Context) (metrics.Epoch, error) {
	m := metrics.Epoch{ValLoss: metrics.NaN(), ValAcc: metrics.NaN(), TestLoss: metrics.NaN(), TestAcc: metrics.NaN(), ScaledTestAcc: metrics.NaN()}
	if t.data.Val != nil && t.data.Val.N > 0 {
		r, err := t.pass(ctx, t.data.Val)
		if err != nil {
			return m, err
		}
		m.ValLoss, m.ValAcc = r.loss, r.acc
	}
	if t.data.Test != nil && t.data.Test.N > 0 {
		r, err := t.pass(ctx, t.data.Test)
		if err != nil {
			return m, err
		}
		m.TestLoss, m.TestAcc, m.Confusion = r.loss, r.acc, r.confusion
		for i, b := range t.Net.DeformBlocks() {
			st := r.offsets[i]
			m.Offsets = append(m.Offsets, metrics.LayerOffsets{Layer: b.Name(), MeanAbs: metrics.Num(st.MeanAbs()),
				OutsideShare: metrics.Num(st.OutsideShare()), MeanMask: metrics.Num(st.MeanMask())})
		}
	}
	var sum float64
	var total int
	for i, s := range t.data.Scaled {
		r, err := t.pass(ctx, s)
		if err != nil {
			return m, err
		}
		m.Scaled = append(m.Scaled, metrics.ScaleAcc{Scale: t.data.Scales[i], Acc: r.acc})
		sum += float64(r.acc) * float64(s.N)
		total += s.N
	}
	if total > 0 {
		m.ScaledTestAcc = metrics.Num(sum / float64(total))
	}
	insp, err := t.inspect(ctx)
	if err != nil {
		return m, err
	}
	m.Inspect = insp
	return m, nil
}

// DefaultInspect is how many test images a deformable net's trainer
// inspects after each epoch.
const DefaultInspect = 8

// inspect records the sampling fields of the first InspectImages test
// images (nil for a net without deformable layers or without a test set).
func (t *Trainer) inspect(ctx context.Context) (*metrics.Inspection, error) {
	n := t.InspectImages
	if n == 0 {
		n = DefaultInspect
	}
	if n < 0 || len(t.Net.DeformBlocks()) == 0 || t.data.Test == nil || t.data.Test.N == 0 {
		return nil, nil
	}
	n = min(n, t.data.Test.N)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	x, _, err := t.batch(t.data.Test, idx)
	if err != nil {
		return nil, err
	}
	if err := t.hold(ctx); err != nil {
		return nil, err
	}
	defer t.done()
	if _, err := t.Net.Forward(x, false); err != nil {
		return nil, err
	}
	in := &metrics.Inspection{Index: idx}
	for b := range n {
		in.Fields = append(in.Fields, trace.Fields(t.Net.Layers, b))
	}
	return in, nil
}

// EvaluateAll measures the network on the validation, test and scaled
// sets, as at the end of an epoch, without training.
func (t *Trainer) EvaluateAll(ctx context.Context) (metrics.Epoch, error) {
	defer t.letGo()
	m, err := t.evaluate(ctx)
	m.Model, m.Arch, m.Epoch = t.Name, t.Net.Arch, t.start
	return m, err
}
