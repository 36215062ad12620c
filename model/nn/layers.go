package nn

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// ReLU is max(x, 0). Its gradient passes where the output is positive, as
// PyTorch's does.
type ReLU[T Float] struct {
	name  string
	y, dx *Tensor[T]
}

// NewReLU returns a ReLU layer.
func NewReLU[T Float](name string) *ReLU[T] { return &ReLU[T]{name: name} }

// Name implements Layer.
func (r *ReLU[T]) Name() string { return r.name }

// Params implements Layer; ReLU has none.
func (r *ReLU[T]) Params() []*Param[T] { return nil }

// Forward implements Layer.
func (r *ReLU[T]) Forward(x *Tensor[T], _ bool) (*Tensor[T], error) {
	y := reuse(&r.y, x.shape...)
	parallelRange(len(x.data), func(lo, hi int) {
		out := y.data[lo:hi]
		for i, v := range x.data[lo:hi] {
			out[i] = max(v, 0)
		}
	})
	return y, nil
}

// Backward implements Layer.
func (r *ReLU[T]) Backward(dy *Tensor[T]) (*Tensor[T], error) {
	if r.y == nil || !dy.SameShape(r.y.shape...) {
		return nil, shapeErr(r.name, "output gradient", dy, r.y)
	}
	dx := reuse(&r.dx, dy.shape...)
	parallelRange(len(dy.data), func(lo, hi int) {
		out, g := dx.data[lo:hi], dy.data[lo:hi]
		for i, v := range r.y.data[lo:hi] {
			if v > 0 {
				out[i] = g[i]
			} else {
				out[i] = 0
			}
		}
	})
	return dx, nil
}

func shapeErr[T Float](name, what string, got, want *Tensor[T]) error {
	if want == nil {
		return fmt.Errorf("%s: Backward called before Forward", name)
	}
	return fmt.Errorf("%s: %s has shape %s, want %s", name, what, shapeString(got.shape), shapeString(want.shape))
}

// MaxPool2D takes the maximum over k×k windows with stride k (PyTorch's
// MaxPool2d(k) with floor rounding). Ties go to the first element in
// row-major order, as in PyTorch.
type MaxPool2D[T Float] struct {
	name  string
	K     int
	arg   []int32
	in    []int
	y, dx *Tensor[T]
}

// NewMaxPool2D returns a k×k max-pooling layer with stride k.
func NewMaxPool2D[T Float](name string, k int) *MaxPool2D[T] {
	if k <= 0 {
		panic("nn: MaxPool2D kernel must be positive")
	}
	return &MaxPool2D[T]{name: name, K: k}
}

// Name implements Layer.
func (m *MaxPool2D[T]) Name() string { return m.name }

// Params implements Layer; pooling has none.
func (m *MaxPool2D[T]) Params() []*Param[T] { return nil }

// Forward implements Layer.
func (m *MaxPool2D[T]) Forward(x *Tensor[T], _ bool) (*Tensor[T], error) {
	s := x.shape
	if len(s) != 4 {
		return nil, fmt.Errorf("%s: input must be 4-D B×C×H×W, got shape %s", m.name, shapeString(s))
	}
	ho, wo := s[2]/m.K, s[3]/m.K
	if ho == 0 || wo == 0 {
		return nil, fmt.Errorf("%s: input %s is smaller than the %d×%d window", m.name, shapeString(s), m.K, m.K)
	}
	m.in = slices.Clone(s)
	y := reuse(&m.y, s[0], s[1], ho, wo)
	if cap(m.arg) < y.Len() {
		m.arg = make([]int32, y.Len())
	}
	m.arg = m.arg[:y.Len()]
	planes, h, w := s[0]*s[1], s[2], s[3]
	const perJob = 16 // planes per job: enough work to pay for scheduling
	parallel((planes+perJob-1)/perJob, func(_, job int) {
		for pl := job * perJob; pl < min(planes, (job+1)*perJob); pl++ {
			img := x.data[pl*h*w : (pl+1)*h*w]
			out := y.data[pl*ho*wo : (pl+1)*ho*wo]
			arg := m.arg[pl*ho*wo : (pl+1)*ho*wo]
			if m.K == 2 {
				pool2(img, out, arg, w, ho, wo)
			} else {
				poolK(img, out, arg, w, ho, wo, m.K)
			}
		}
	})
	return y, nil
}

// pool2 is the 2×2 window: the first maximum wins, NaN propagates, as in
// PyTorch.
func pool2[T Float](img, out []T, arg []int32, w, ho, wo int) {
	if f, ok := any(img).([]float32); ok && vecOK {
		// Bounds: the kernel reads rows 0..2·ho−1 of w values (2·wo ≤ w)
		// and writes ho·wo outputs.
		_, _, _ = f[2*ho*w-1], out[ho*wo-1], arg[ho*wo-1]
		vpool2(&f[0], w, &any(out).([]float32)[0], &arg[0], ho, wo)
		return
	}
	for oy := range ho {
		r0 := img[2*oy*w : 2*oy*w+2*wo]
		r1 := img[(2*oy+1)*w : (2*oy+1)*w+2*wo]
		o := out[oy*wo : (oy+1)*wo]
		a := arg[oy*wo : (oy+1)*wo]
		for ox := range o {
			q := 2*oy*w + 2*ox
			best, at := r0[2*ox], q
			if v := r0[2*ox+1]; v > best || v != v {
				best, at = v, q+1
			}
			if v := r1[2*ox]; v > best || v != v {
				best, at = v, q+w
			}
			if v := r1[2*ox+1]; v > best || v != v {
				best, at = v, q+w+1
			}
			o[ox], a[ox] = best, int32(at)
		}
	}
}

func poolK[T Float](img, out []T, arg []int32, w, ho, wo, k int) {
	for oy := range ho {
		for ox := range wo {
			at := oy*k*w + ox*k
			best := img[at]
			for i := range k {
				for j := range k {
					q := (oy*k+i)*w + ox*k + j
					if v := img[q]; v > best || v != v {
						best, at = v, q
					}
				}
			}
			out[oy*wo+ox], arg[oy*wo+ox] = best, int32(at)
		}
	}
}

// Backward implements Layer.
func (m *MaxPool2D[T]) Backward(dy *Tensor[T]) (*Tensor[T], error) {
	if m.y == nil || !dy.SameShape(m.y.shape...) {
		return nil, shapeErr(m.name, "output gradient", dy, m.y)
	}
	dx := reuse(&m.dx, m.in...)
	h, w := m.in[2], m.in[3]
	hw := h * w
	ho, wo := m.y.shape[2], m.y.shape[3]
	per := ho * wo
	planes := m.in[0] * m.in[1]
	const perJob = 16
	parallel((planes+perJob-1)/perJob, func(_, job int) {
		for pl := job * perJob; pl < min(planes, (job+1)*perJob); pl++ {
			d := dx.data[pl*hw : (pl+1)*hw]
			if f, ok := any(d).([]float32); ok && vecOK && m.K == 2 {
				// The kernel writes every window; a row or column left
				// over by an odd size stays zero.
				if h%2 != 0 || w%2 != 0 {
					clear(f)
				}
				g := any(dy.data[pl*per : (pl+1)*per]).([]float32)
				arg := m.arg[pl*per : (pl+1)*per]
				// Bounds: rows 0..2·ho−1 of dx (2·wo ≤ w), ho·wo gradients.
				_, _, _ = f[2*ho*w-1], g[ho*wo-1], arg[ho*wo-1]
				vunpool2(&f[0], w, &g[0], &arg[0], ho, wo)
				continue
			}
			clear(d)
			for o, g := range dy.data[pl*per : (pl+1)*per] {
				d[m.arg[pl*per+o]] += g
			}
		}
	})
	return dx, nil
}

// GlobalAvgPool averages each channel over its H×W map: B×C×H×W → B×C.
type GlobalAvgPool[T Float] struct {
	name  string
	in    []int
	y, dx *Tensor[T]
}

// NewGlobalAvgPool returns a global average pooling layer.
func NewGlobalAvgPool[T Float](name string) *GlobalAvgPool[T] { return &GlobalAvgPool[T]{name: name} }

// Name implements Layer.
func (a *GlobalAvgPool[T]) Name() string { return a.name }

// Params implements Layer; pooling has none.
func (a *GlobalAvgPool[T]) Params() []*Param[T] { return nil }

// Forward implements Layer.
func (a *GlobalAvgPool[T]) Forward(x *Tensor[T], _ bool) (*Tensor[T], error) {
	s := x.shape
	if len(s) != 4 {
		return nil, fmt.Errorf("%s: input must be 4-D B×C×H×W, got shape %s", a.name, shapeString(s))
	}
	a.in = slices.Clone(s)
	y := reuse(&a.y, s[0], s[1])
	hw := s[2] * s[3]
	for i := range y.data {
		var sum T
		for _, v := range x.data[i*hw : (i+1)*hw] {
			sum += v
		}
		y.data[i] = sum / T(hw)
	}
	return y, nil
}

// Backward implements Layer.
func (a *GlobalAvgPool[T]) Backward(dy *Tensor[T]) (*Tensor[T], error) {
	if a.y == nil || !dy.SameShape(a.y.shape...) {
		return nil, shapeErr(a.name, "output gradient", dy, a.y)
	}
	dx := reuse(&a.dx, a.in...)
	hw := a.in[2] * a.in[3]
	for i, g := range dy.data {
		v := g / T(hw)
		for q := range hw {
			dx.data[i*hw+q] = v
		}
	}
	return dx, nil
}

// Flatten reshapes B×… to B×(product of the rest). It shares memory with
// its input.
type Flatten[T Float] struct {
	name string
	in   []int
}

// NewFlatten returns a flattening layer.
func NewFlatten[T Float](name string) *Flatten[T] { return &Flatten[T]{name: name} }

// Name implements Layer.
func (f *Flatten[T]) Name() string { return f.name }

// Params implements Layer; Flatten has none.
func (f *Flatten[T]) Params() []*Param[T] { return nil }

// Forward implements Layer.
func (f *Flatten[T]) Forward(x *Tensor[T], _ bool) (*Tensor[T], error) {
	if len(x.shape) < 1 || x.shape[0] == 0 {
		return nil, fmt.Errorf("%s: input has no batch dimension (shape %s)", f.name, shapeString(x.shape))
	}
	f.in = slices.Clone(x.shape)
	return wrap(x.data, []int{x.shape[0], len(x.data) / x.shape[0]}), nil
}

// Backward implements Layer.
func (f *Flatten[T]) Backward(dy *Tensor[T]) (*Tensor[T], error) {
	if f.in == nil {
		return nil, fmt.Errorf("%s: Backward called before Forward", f.name)
	}
	n := 1
	for _, d := range f.in {
		n *= d
	}
	if dy.Len() != n {
		return nil, fmt.Errorf("%s: output gradient has %d values, want %d", f.name, dy.Len(), n)
	}
	return wrap(dy.data, f.in), nil
}

// Linear is y = x·Wᵀ + b with W of shape Out×In (PyTorch's nn.Linear).
type Linear[T Float] struct {
	name    string
	In, Out int
	Weight  *Param[T]
	Bias    *Param[T]

	x, y, dx *Tensor[T]
}

// NewLinear returns a fully connected layer initialised as PyTorch
// initialises nn.Linear (nil rng leaves it zero).
func NewLinear[T Float](name string, in, out int, rng *rand.Rand) (*Linear[T], error) {
	if in <= 0 || out <= 0 {
		return nil, fmt.Errorf("%s: sizes must be positive, got in=%d out=%d", name, in, out)
	}
	l := &Linear[T]{name: name, In: in, Out: out}
	l.Weight = newParam[T](name+".weight", out, in)
	l.Bias = newParam[T](name+".bias", out)
	if rng != nil {
		initPyTorch(l.Weight, l.Bias, in, rng)
	}
	return l, nil
}

// Name implements Layer.
func (l *Linear[T]) Name() string { return l.name }

// Params implements Layer.
func (l *Linear[T]) Params() []*Param[T] { return []*Param[T]{l.Weight, l.Bias} }

// Forward implements Layer.
func (l *Linear[T]) Forward(x *Tensor[T], _ bool) (*Tensor[T], error) {
	if len(x.shape) != 2 || x.shape[1] != l.In {
		return nil, fmt.Errorf("%s: input has shape %s, want B×%d", l.name, shapeString(x.shape), l.In)
	}
	l.x = x
	b := x.shape[0]
	y := reuse(&l.y, b, l.Out)
	for i := range b {
		copy(y.data[i*l.Out:(i+1)*l.Out], l.Bias.Value.data)
	}
	gemm(false, true, b, l.Out, l.In, 1, x.data, l.In, l.Weight.Value.data, l.In, 1, y.data, l.Out)
	return y, nil
}

// Backward implements Layer.
func (l *Linear[T]) Backward(dy *Tensor[T]) (*Tensor[T], error) {
	if l.y == nil || !dy.SameShape(l.y.shape...) {
		return nil, shapeErr(l.name, "output gradient", dy, l.y)
	}
	b := dy.shape[0]
	gemm(true, false, l.Out, l.In, b, 1, dy.data, l.Out, l.x.data, l.In, 1, l.Weight.Grad.data, l.In)
	for i := range b {
		for o, g := range dy.data[i*l.Out : (i+1)*l.Out] {
			l.Bias.Grad.data[o] += g
		}
	}
	dx := reuse(&l.dx, b, l.In)
	gemm(false, false, b, l.In, l.Out, 1, dy.data, l.Out, l.Weight.Value.data, l.In, 0, dx.data, l.In)
	return dx, nil
}

// Dropout zeroes each element with probability P during training and
// scales the rest by 1/(1−P); at evaluation it is the identity.
type Dropout[T Float] struct {
	name string
	P    float64
	rng  *rand.Rand
	keep []T
	y    *Tensor[T]
	dx   *Tensor[T]
	eval bool
}

// NewDropout returns a dropout layer drawing its masks from rng.
func NewDropout[T Float](name string, p float64, rng *rand.Rand) (*Dropout[T], error) {
	if !(p >= 0 && p < 1) {
		return nil, fmt.Errorf("%s: drop probability must be in [0, 1), got %v", name, p)
	}
	if rng == nil {
		return nil, fmt.Errorf("%s: dropout needs a random source", name)
	}
	return &Dropout[T]{name: name, P: p, rng: rng}, nil
}

// Name implements Layer.
func (d *Dropout[T]) Name() string { return d.name }

// Params implements Layer; dropout has none.
func (d *Dropout[T]) Params() []*Param[T] { return nil }

// Forward implements Layer.
func (d *Dropout[T]) Forward(x *Tensor[T], train bool) (*Tensor[T], error) {
	d.eval = !train || d.P == 0
	if d.eval {
		return x, nil
	}
	y := reuse(&d.y, x.shape...)
	if cap(d.keep) < x.Len() {
		d.keep = make([]T, x.Len())
	}
	d.keep = d.keep[:x.Len()]
	scale := T(1 / (1 - d.P))
	for i, v := range x.data {
		if d.rng.Float64() < d.P {
			d.keep[i] = 0
		} else {
			d.keep[i] = scale
		}
		y.data[i] = v * d.keep[i]
	}
	return y, nil
}

// Backward implements Layer.
func (d *Dropout[T]) Backward(dy *Tensor[T]) (*Tensor[T], error) {
	if d.eval {
		return dy, nil
	}
	if !dy.SameShape(d.y.shape...) {
		return nil, shapeErr(d.name, "output gradient", dy, d.y)
	}
	dx := reuse(&d.dx, dy.shape...)
	for i, g := range dy.data {
		dx.data[i] = g * d.keep[i]
	}
	return dx, nil
}
