package nn

import (
	"math"
	"math/rand/v2"
)

// Param is a trainable tensor and its gradient, named as PyTorch names it
// ("conv1.weight", "conv4.offset.bias", "fc.weight").
type Param[T Float] struct {
	Name  string
	Value *Tensor[T]
	Grad  *Tensor[T]
}

func newParam[T Float](name string, shape ...int) *Param[T] {
	return &Param[T]{Name: name, Value: New[T](shape...), Grad: New[T](shape...)}
}

// Layer is one stage of a network with a forward and a backward pass.
// Forward caches what Backward needs, so calls must alternate per batch;
// returned tensors are owned by the layer and reused by the next call.
type Layer[T Float] interface {
	// Name is the layer's parameter prefix ("conv1").
	Name() string
	// Forward maps a batch x to the layer's output; train selects
	// training behaviour (dropout).
	Forward(x *Tensor[T], train bool) (*Tensor[T], error)
	// Backward takes dL/dy for the last Forward, accumulates parameter
	// gradients and returns dL/dx.
	Backward(dy *Tensor[T]) (*Tensor[T], error)
	// Params lists the trainable parameters in a fixed order.
	Params() []*Param[T]
}

// initUniform fills t from U(-bound, bound).
func initUniform[T Float](t *Tensor[T], bound float64, rng *rand.Rand) {
	for i := range t.data {
		t.data[i] = T((rng.Float64()*2 - 1) * bound)
	}
}

// initPyTorch applies PyTorch's default initialisation of Conv2d and Linear:
// kaiming_uniform_(a=√5) for the weight, which is U(-1/√fan_in, 1/√fan_in),
// and the same bound for the bias.
func initPyTorch[T Float](w, b *Param[T], fanIn int, rng *rand.Rand) {
	bound := 1 / math.Sqrt(float64(fanIn))
	initUniform(w.Value, bound, rng)
	if b != nil {
		initUniform(b.Value, bound, rng)
	}
}
