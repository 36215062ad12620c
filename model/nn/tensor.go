package nn

import (
	"fmt"
	"math"
	"slices"
)

// Float is the element type of the engine: float32 for training, float64 for
// reference checks.
type Float interface {
	~float32 | ~float64
}

// Tensor is a dense row-major array over a plain slice. Its Data slice is
// the backing array itself, so loops over it are as fast as loops over a
// plain slice.
type Tensor[T Float] struct {
	shape []int
	data  []T
}

// New returns a zeroed tensor of the given shape. It panics if a dimension
// is negative, which is a programming error.
func New[T Float](shape ...int) *Tensor[T] {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("nn: negative dimension in shape %v", shape))
		}
		n *= d
	}
	return wrap(make([]T, n), shape)
}

// FromSlice wraps data (not a copy) as a tensor of the given shape.
func FromSlice[T Float](data []T, shape ...int) (*Tensor[T], error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("nn: negative dimension in shape %v", shape)
		}
		n *= d
	}
	if n != len(data) {
		return nil, fmt.Errorf("nn: shape %v holds %d values, data has %d", shape, n, len(data))
	}
	return wrap(data, shape), nil
}

func wrap[T Float](data []T, shape []int) *Tensor[T] {
	shape = slices.Clone(shape)
	return &Tensor[T]{shape: shape, data: data}
}

// Shape returns the tensor's dimensions; the caller must not modify it.
func (t *Tensor[T]) Shape() []int { return t.shape }

// Data returns the backing slice in row-major order.
func (t *Tensor[T]) Data() []T { return t.data }

// Len returns the number of elements.
func (t *Tensor[T]) Len() int { return len(t.data) }

// Clone returns a deep copy.
func (t *Tensor[T]) Clone() *Tensor[T] {
	return wrap(slices.Clone(t.data), t.shape)
}

// Zero sets every element to 0.
func (t *Tensor[T]) Zero() { clear(t.data) }

// SameShape reports whether t has exactly the given shape.
func (t *Tensor[T]) SameShape(shape ...int) bool { return slices.Equal(t.shape, shape) }

// CheckFinite returns an error naming what if any element is NaN or ±Inf.
func (t *Tensor[T]) CheckFinite(what string) error {
	for i, v := range t.data {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%s: non-finite value %v at flat index %d of shape %v", what, f, i, t.shape)
		}
	}
	return nil
}

// reuse returns *p if it already has the given shape, else a new tensor
// stored in *p. Layers use it to keep their output buffers across steps.
func reuse[T Float](p **Tensor[T], shape ...int) *Tensor[T] {
	if *p == nil || !slices.Equal((*p).shape, shape) {
		*p = New[T](shape...)
	}
	return *p
}

// Convert returns a copy of src with elements converted to type U.
func Convert[U, T Float](src *Tensor[T]) *Tensor[U] {
	out := make([]U, len(src.data))
	for i, v := range src.data {
		out[i] = U(v)
	}
	return wrap(out, src.shape)
}

// shapeString writes a shape as 4×3×28×28.
func shapeString(s []int) string {
	if len(s) == 0 {
		return "scalar"
	}
	b := make([]byte, 0, 4*len(s))
	for i, d := range s {
		if i > 0 {
			b = append(b, "×"...)
		}
		b = fmt.Appendf(b, "%d", d)
	}
	return string(b)
}
