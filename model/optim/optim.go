// Package optim holds the optimisers (SGD with momentum and weight decay,
// Adam) and the StepLR learning-rate schedule, with PyTorch's update rules
// so that a step here equals a step of torch.optim; New builds one by name.
package optim

import (
	"fmt"
	"math"

	"github.com/deformscope/deformscope/model/nn"
)

// Optimizer updates parameters from their gradients.
type Optimizer[T nn.Float] interface {
	// Step applies one update to every parameter.
	Step()
	// SetLR changes the learning rate (used by schedules).
	SetLR(lr float64)
	// LR returns the current learning rate.
	LR() float64
	// State returns the optimiser's buffers by name ("adam.m.conv1.weight")
	// and its step count, for checkpoints.
	State() (bufs map[string][]T, steps int)
	// SetState restores what State returned; it fails if a buffer is
	// missing or has the wrong length.
	SetState(bufs map[string][]T, steps int) error
}

// SGDConfig configures SGD as torch.optim.SGD (dampening 0).
type SGDConfig struct {
	LR, Momentum, WeightDecay float64
	Nesterov                  bool
}

// SGD is stochastic gradient descent with optional momentum, Nesterov
// momentum and L2 weight decay.
type SGD[T nn.Float] struct {
	cfg    SGDConfig
	params []*nn.Param[T]
	buf    [][]T
	steps  int
}

// NewSGD returns an SGD optimiser over params.
func NewSGD[T nn.Float](params []*nn.Param[T], cfg SGDConfig) (*SGD[T], error) {
	if !(cfg.LR > 0) || cfg.Momentum < 0 || cfg.WeightDecay < 0 {
		return nil, fmt.Errorf("optim: SGD needs lr > 0, momentum ≥ 0 and weight decay ≥ 0, got %+v", cfg)
	}
	if cfg.Nesterov && cfg.Momentum == 0 {
		return nil, fmt.Errorf("optim: Nesterov momentum needs momentum > 0")
	}
	s := &SGD[T]{cfg: cfg, params: params, buf: make([][]T, len(params))}
	return s, nil
}

// Step implements Optimizer.
func (s *SGD[T]) Step() {
	lr, mom, wd := T(s.cfg.LR), T(s.cfg.Momentum), T(s.cfg.WeightDecay)
	for i, p := range s.params {
		w, g := p.Value.Data(), p.Grad.Data()
		if mom != 0 && s.buf[i] == nil {
			s.buf[i] = make([]T, len(w))
		}
		for j := range w {
			d := g[j] + wd*w[j]
			if mom != 0 {
				b := s.buf[i]
				if s.steps == 0 {
					b[j] = d
				} else {
					b[j] = mom*b[j] + d
				}
				if s.cfg.Nesterov {
					d += mom * b[j]
				} else {
					d = b[j]
				}
			}
			w[j] -= lr * d
		}
	}
	s.steps++
}

// SetLR implements Optimizer.
func (s *SGD[T]) SetLR(lr float64) { s.cfg.LR = lr }

// LR implements Optimizer.
func (s *SGD[T]) LR() float64 { return s.cfg.LR }

// State implements Optimizer.
func (s *SGD[T]) State() (map[string][]T, int) {
	m := map[string][]T{}
	for i, p := range s.params {
		if s.buf[i] != nil {
			m["sgd.momentum."+p.Name] = s.buf[i]
		}
	}
	return m, s.steps
}

// SetState implements Optimizer.
func (s *SGD[T]) SetState(bufs map[string][]T, steps int) error {
	for i, p := range s.params {
		b, ok := bufs["sgd.momentum."+p.Name]
		if !ok {
			if s.cfg.Momentum != 0 && steps > 0 {
				return fmt.Errorf("optim: SGD state lacks the momentum of %s", p.Name)
			}
			continue
		}
		if len(b) != p.Value.Len() {
			return fmt.Errorf("optim: SGD momentum of %s has %d values, want %d", p.Name, len(b), p.Value.Len())
		}
		s.buf[i] = append([]T(nil), b...)
	}
	s.steps = steps
	return nil
}

// AdamConfig configures Adam as torch.optim.Adam (L2 weight decay, no
// amsgrad). Zero Beta1, Beta2 and Eps take PyTorch's defaults 0.9, 0.999
// and 1e-8.
type AdamConfig struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
}

// Adam is the Adam optimiser.
type Adam[T nn.Float] struct {
	cfg    AdamConfig
	params []*nn.Param[T]
	m, v   [][]T
	steps  int
}

// NewAdam returns an Adam optimiser over params.
func NewAdam[T nn.Float](params []*nn.Param[T], cfg AdamConfig) (*Adam[T], error) {
	if cfg.Beta1 == 0 {
		cfg.Beta1 = 0.9
	}
	if cfg.Beta2 == 0 {
		cfg.Beta2 = 0.999
	}
	if cfg.Eps == 0 {
		cfg.Eps = 1e-8
	}
	if !(cfg.LR > 0) || cfg.Beta1 < 0 || cfg.Beta1 >= 1 || cfg.Beta2 < 0 || cfg.Beta2 >= 1 || cfg.WeightDecay < 0 {
		return nil, fmt.Errorf("optim: Adam needs lr > 0, betas in [0, 1) and weight decay ≥ 0, got %+v", cfg)
	}
	a := &Adam[T]{cfg: cfg, params: params}
	for _, p := range params {
		a.m = append(a.m, make([]T, p.Value.Len()))
		a.v = append(a.v, make([]T, p.Value.Len()))
	}
	return a, nil
}

// Step implements Optimizer.
func (a *Adam[T]) Step() {
	a.steps++
	b1, b2 := a.cfg.Beta1, a.cfg.Beta2
	bc1 := 1 - math.Pow(b1, float64(a.steps))
	bc2 := 1 - math.Pow(b2, float64(a.steps))
	step := T(a.cfg.LR / bc1)
	sq2 := T(math.Sqrt(bc2))
	eps, wd := T(a.cfg.Eps), T(a.cfg.WeightDecay)
	tb1, tb2 := T(b1), T(b2)
	for i, p := range a.params {
		w, g, m, v := p.Value.Data(), p.Grad.Data(), a.m[i], a.v[i]
		for j := range w {
			d := g[j] + wd*w[j]
			m[j] = tb1*m[j] + (1-tb1)*d
			v[j] = tb2*v[j] + (1-tb2)*d*d
			denom := T(math.Sqrt(float64(v[j])))/sq2 + eps
			w[j] -= step * m[j] / denom
		}
	}
}

// SetLR implements Optimizer.
func (a *Adam[T]) SetLR(lr float64) { a.cfg.LR = lr }

// LR implements Optimizer.
func (a *Adam[T]) LR() float64 { return a.cfg.LR }

// State implements Optimizer.
func (a *Adam[T]) State() (map[string][]T, int) {
	s := map[string][]T{}
	for i, p := range a.params {
		s["adam.m."+p.Name] = a.m[i]
		s["adam.v."+p.Name] = a.v[i]
	}
	return s, a.steps
}

// SetState implements Optimizer.
func (a *Adam[T]) SetState(bufs map[string][]T, steps int) error {
	for i, p := range a.params {
		for _, k := range []struct {
			key string
			dst []T
		}{{"adam.m." + p.Name, a.m[i]}, {"adam.v." + p.Name, a.v[i]}} {
			b, ok := bufs[k.key]
			if !ok {
				return fmt.Errorf("optim: Adam state lacks %s", k.key)
			}
			if len(b) != len(k.dst) {
				return fmt.Errorf("optim: Adam state %s has %d values, want %d", k.key, len(b), len(k.dst))
			}
			copy(k.dst, b)
		}
	}
	a.steps = steps
	return nil
}

// StepLR decays the learning rate by Gamma every StepSize epochs, as
// torch.optim.lr_scheduler.StepLR does.
type StepLR struct {
	Base     float64
	StepSize int
	Gamma    float64
}

// At returns the learning rate for the given 0-based epoch.
func (s StepLR) At(epoch int) float64 {
	if s.StepSize <= 0 {
		return s.Base
	}
	return s.Base * math.Pow(s.Gamma, float64(epoch/s.StepSize))
}

// New returns the optimiser called name ("adam" or "sgd") over params, with
// learning rate lr and L2 weight decay wd; momentum is SGD's (Adam has
// none). Any other name is an error.
func New[T nn.Float](name string, params []*nn.Param[T], lr, momentum, wd float64) (Optimizer[T], error) {
	switch name {
	case "adam":
		a, err := NewAdam(params, AdamConfig{LR: lr, WeightDecay: wd})
		if err != nil {
			return nil, err
		}
		return a, nil
	case "sgd":
		s, err := NewSGD(params, SGDConfig{LR: lr, Momentum: momentum, WeightDecay: wd})
		if err != nil {
			return nil, err
		}
		return s, nil
	default:
		return nil, fmt.Errorf("optim: no optimiser %q (want adam or sgd)", name)
	}
}
