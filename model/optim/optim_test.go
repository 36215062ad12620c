package optim

import (
	"math"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/nn"
)

func param(name string, w, g []float64) *nn.Param[float64] {
	v, _ := nn.FromSlice(append([]float64(nil), w...), len(w))
	gr, _ := nn.FromSlice(append([]float64(nil), g...), len(g))
	return &nn.Param[float64]{Name: name, Value: v, Grad: gr}
}

func near(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("%s[%d] = %.15g, want %.15g", what, i, got[i], want[i])
		}
	}
}

// torch.optim.SGD(lr=0.1, momentum=0.9, weight_decay=0.01): the first step
// sets buf = g + wd·w; later steps buf = 0.9·buf + (g + wd·w); w -= lr·buf.
func TestSGDMomentumWeightDecay(t *testing.T) {
	p := param("w", []float64{1, -2}, []float64{0.5, 0.25})
	s, err := NewSGD([]*nn.Param[float64]{p}, SGDConfig{LR: 0.1, Momentum: 0.9, WeightDecay: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	s.Step()
	// buf = (0.51, 0.23); w = (1 − 0.051, −2 − 0.023)
	near(t, "step 1", p.Value.Data(), []float64{0.949, -2.023})
	s.Step()
	// d = g + wd·w = (0.50949, 0.22977); buf = 0.9·(0.51, 0.23) + d
	b := []float64{0.9*0.51 + 0.5 + 0.01*0.949, 0.9*0.23 + 0.25 + 0.01*-2.023}
	near(t, "step 2", p.Value.Data(), []float64{0.949 - 0.1*b[0], -2.023 - 0.1*b[1]})
}

func TestSGDNesterovAndPlain(t *testing.T) {
	p := param("w", []float64{1}, []float64{2})
	s, _ := NewSGD([]*nn.Param[float64]{p}, SGDConfig{LR: 0.5})
	s.Step()
	near(t, "plain", p.Value.Data(), []float64{0})
	q := param("w", []float64{1}, []float64{2})
	n, _ := NewSGD([]*nn.Param[float64]{q}, SGDConfig{LR: 0.5, Momentum: 0.5, Nesterov: true})
	n.Step()
	// buf = 2; d = g + 0.5·buf = 3; w = 1 − 1.5
	near(t, "nesterov", q.Value.Data(), []float64{-0.5})
}

// One Adam step moves each weight by lr·m̂/(√v̂ + eps) = lr·sign(g) for
// |g| ≫ eps; the second step follows PyTorch's bias corrections.
func TestAdamTwoSteps(t *testing.T) {
	p := param("w", []float64{1, 1}, []float64{0.3, -4})
	a, err := NewAdam([]*nn.Param[float64]{p}, AdamConfig{LR: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	a.Step()
	near(t, "step 1", p.Value.Data(), []float64{1 - 0.01*0.3/(0.3+1e-8), 1 + 0.01*4/(4+1e-8)})
	w1 := append([]float64(nil), p.Value.Data()...)
	copy(p.Grad.Data(), []float64{0.1, 1})
	a.Step()
	for i, g := range [][2]float64{{0.3, 0.1}, {-4, 1}} {
		m := 0.9*(0.1*g[0]) + 0.1*g[1]
		v := 0.999*(0.001*g[0]*g[0]) + 0.001*g[1]*g[1]
		want := w1[i] - 0.01/(1-0.81)*m/(math.Sqrt(v)/math.Sqrt(1-0.999*0.999)+1e-8)
		near(t, "step 2", p.Value.Data()[i:i+1], []float64{want})
	}
}

func TestStateRoundTrip(t *testing.T) {
	p := param("conv1.weight", []float64{1, 2}, []float64{0.1, 0.2})
	a, _ := NewAdam([]*nn.Param[float64]{p}, AdamConfig{LR: 0.01})
	a.Step()
	bufs, steps := a.State()
	q := param("conv1.weight", []float64{1, 2}, []float64{0.1, 0.2})
	b, _ := NewAdam([]*nn.Param[float64]{q}, AdamConfig{LR: 0.01})
	if err := b.SetState(bufs, steps); err != nil {
		t.Fatal(err)
	}
	copy(q.Value.Data(), p.Value.Data())
	a.Step()
	b.Step()
	near(t, "after restore", q.Value.Data(), p.Value.Data())
	bad := map[string][]float64{"adam.m.conv1.weight": {1}, "adam.v.conv1.weight": {1, 2}}
	if err := b.SetState(bad, 1); err == nil || !strings.Contains(err.Error(), "has 1 values, want 2") {
		t.Errorf("short state: %v", err)
	}
	if err := b.SetState(map[string][]float64{}, 1); err == nil || !strings.Contains(err.Error(), "lacks adam.m.conv1.weight") {
		t.Errorf("missing state: %v", err)
	}
}

func TestStepLR(t *testing.T) {
	s := StepLR{Base: 1e-3, StepSize: 1, Gamma: 0.7}
	for e, want := range []float64{1e-3, 7e-4, 4.9e-4, 3.43e-4} {
		if got := s.At(e); math.Abs(got-want) > 1e-15 {
			t.Errorf("epoch %d: lr %g, want %g", e, got, want)
		}
	}
	if got := (StepLR{Base: 0.1, StepSize: 3, Gamma: 0.5}).At(5); got != 0.05 {
		t.Errorf("step size 3, epoch 5: %g, want 0.05", got)
	}
}

func TestConfigErrors(t *testing.T) {
	p := []*nn.Param[float64]{param("w", []float64{1}, []float64{1})}
	if _, err := NewSGD(p, SGDConfig{LR: 0}); err == nil {
		t.Error("SGD with lr 0 accepted")
	}
	if _, err := NewSGD(p, SGDConfig{LR: 0.1, Nesterov: true}); err == nil {
		t.Error("Nesterov without momentum accepted")
	}
	if _, err := NewAdam(p, AdamConfig{LR: 0.1, Beta1: 1}); err == nil {
		t.Error("Adam with beta1 = 1 accepted")
	}
}

// TestNew: the factory builds each optimiser with its settings, passes on
// their refusals, and refuses a name it does not know.
func TestNew(t *testing.T) {
	cases := []struct {
		name    string
		lr      float64
		wantErr string
		check   func(t *testing.T, o Optimizer[float64])
	}{
		{"adam", 0.01, "", func(t *testing.T, o Optimizer[float64]) {
			if a, ok := o.(*Adam[float64]); !ok || a.cfg != (AdamConfig{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.5}) {
				t.Errorf("got %#v", o)
			}
		}},
		{"sgd", 0.01, "", func(t *testing.T, o Optimizer[float64]) {
			if s, ok := o.(*SGD[float64]); !ok || s.cfg != (SGDConfig{LR: 0.01, Momentum: 0.9, WeightDecay: 0.5}) {
				t.Errorf("got %#v", o)
			}
		}},
		{"adam", 0, "Adam needs lr > 0", nil},
		{"sgd", -1, "SGD needs lr > 0", nil},
		{"rmsprop", 0.01, `no optimiser "rmsprop"`, nil},
		{"", 0.01, `no optimiser ""`, nil},
	}
	for _, c := range cases {
		p := []*nn.Param[float64]{param("w", []float64{1}, []float64{1})}
		o, err := New(c.name, p, c.lr, 0.9, 0.5)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) || o != nil {
				t.Errorf("New(%q, lr %g) = %v, %v; want a nil optimiser and an error with %q", c.name, c.lr, o, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("New(%q): %v", c.name, err)
		}
		c.check(t, o)
	}
}
