package rundir

import (
	"math"
	"slices"
	"sync"

	"github.com/deformscope/deformscope/model/train"
)

// MaxStepPoints bounds the per-step loss curve kept for each model.
const MaxStepPoints = 1000

// StepRecorder builds each model's per-step training loss curve from the
// training events, decimated as they arrive: each kept point is the mean of
// stride steps; when a curve fills up, neighbours are merged in pairs and
// its stride doubles, so memory stays bounded and the curve keeps its shape
// over any number of steps. Launch keeps one for the run folder's
// steps.json (so runs trained by dcn and by the app open alike), and the
// app one for the curve it draws live: both are the same curve. It is safe
// for concurrent use.
type StepRecorder struct {
	mu     sync.Mutex
	models []string
	curves []stepCurve
}

// NewStepRecorder starts from the curves kept so far (a resumed run's);
// their points are kept as they are.
func NewStepRecorder(prev []StepCurve) *StepRecorder {
	r := &StepRecorder{}
	for _, c := range prev {
		if len(c.X) == len(c.Y) && !slices.Contains(r.models, c.Model) {
			r.models = append(r.models, c.Model)
			r.curves = append(r.curves, stepCurve{x: slices.Clone(c.X), y: slices.Clone(c.Y), stride: 1})
		}
	}
	return r
}

// Add records a step event's loss; other events are ignored, as are steps
// whose loss is not finite (the epoch record reports those).
func (r *StepRecorder) Add(e train.Event) {
	s := e.Step
	if e.Kind != train.KindStep || s.Batches <= 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	i := slices.Index(r.models, e.Model)
	if i < 0 {
		r.models = append(r.models, e.Model)
		r.curves = append(r.curves, stepCurve{})
		i = len(r.models) - 1
	}
	r.curves[i].add(float64(s.Epoch-1)+float64(s.Batch)/float64(s.Batches), s.Loss)
}

// Curve returns a copy of the named model's curve so far: x in epochs
// (2.5 is half-way through the third epoch), y the loss.
func (r *StepRecorder) Curve(model string) (x, y []float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if i := slices.Index(r.models, model); i >= 0 {
		return slices.Clone(r.curves[i].x), slices.Clone(r.curves[i].y)
	}
	return nil, nil
}

// Curves returns a copy of every model's curve that has points, in the
// order the models first reported.
func (r *StepRecorder) Curves() []StepCurve {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []StepCurve
	for i, m := range r.models {
		if c := r.curves[i]; len(c.x) > 0 {
			out = append(out, StepCurve{Model: m, X: slices.Clone(c.x), Y: slices.Clone(c.y)})
		}
	}
	return out
}

// stepCurve is one model's decimated curve.
type stepCurve struct {
	x, y       []float64
	stride     int
	sumX, sumY float64
	n          int
}

func (c *stepCurve) add(x, y float64) {
	if math.IsNaN(y) || math.IsInf(y, 0) {
		return
	}
	if c.stride == 0 {
		c.stride = 1
	}
	c.sumX += x
	c.sumY += y
	c.n++
	if c.n < c.stride {
		return
	}
	c.x = append(c.x, c.sumX/float64(c.n))
	c.y = append(c.y, c.sumY/float64(c.n))
	c.sumX, c.sumY, c.n = 0, 0, 0
	if len(c.x) >= MaxStepPoints {
		h := len(c.x) / 2
		for i := range h {
			c.x[i] = (c.x[2*i] + c.x[2*i+1]) / 2
			c.y[i] = (c.y[2*i] + c.y[2*i+1]) / 2
		}
		c.x, c.y = c.x[:h], c.y[:h]
		c.stride *= 2
	}
}
