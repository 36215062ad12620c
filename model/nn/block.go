package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// DeformBlockConfig describes the seed's deformable block.
type DeformBlockConfig struct {
	Conv2DConfig      // the regular (deformable) convolution
	Groups       int  // offset groups; 0 means 1
	NoMask       bool // DCNv1: no modulation mask
}

// DeformBlock is the seed's DeformableConv2d: an offset convolution
// (C→2·G·kh·kw) and, for DCNv2, a modulator convolution (C→G·kh·kw), both
// zero-initialised so that the block starts as a plain convolution; the
// offsets are clamped to ±max(H, W)/4 and the mask is 2·sigmoid(modulator).
// Its parameters are named like the seed's: name.offset.*, name.modulator.*,
// name.regular.*.
type DeformBlock[T Float] struct {
	name      string
	Offset    *Conv2D[T]
	Modulator *Conv2D[T] // nil for DCNv1
	Regular   *DeformConv2D[T]

	raw, off, mask *Tensor[T] // raw offsets, clamped offsets, mask
	limit          T
	dOffRaw, dMod  *Tensor[T]
	dx             *Tensor[T]
}

var _ Layer[float64] = (*DeformBlock[float64])(nil)

// NewDeformBlock returns the block with the regular convolution initialised
// as PyTorch initialises nn.Conv2d (nil rng leaves it zero).
func NewDeformBlock[T Float](name string, cfg DeformBlockConfig, rng *rand.Rand) (*DeformBlock[T], error) {
	if cfg.Groups == 0 {
		cfg.Groups = 1
	}
	reg, err := NewDeformConv2D[T](name+".regular", cfg.Conv2DConfig, cfg.Groups, rng)
	if err != nil {
		return nil, err
	}
	k := cfg.Kernel[0] * cfg.Kernel[1]
	side := reg.Config()
	side.NoBias = false
	side.Out = 2 * cfg.Groups * k
	offset, err := NewConv2D[T](name+".offset", side, nil)
	if err != nil {
		return nil, err
	}
	b := &DeformBlock[T]{name: name, Offset: offset, Regular: reg}
	if !cfg.NoMask {
		side.Out = cfg.Groups * k
		if b.Modulator, err = NewConv2D[T](name+".modulator", side, nil); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Name implements Layer.
func (b *DeformBlock[T]) Name() string { return b.name }

// Params implements Layer, in the seed's order: offset, modulator, regular.
func (b *DeformBlock[T]) Params() []*Param[T] {
	ps := b.Offset.Params()
	if b.Modulator != nil {
		ps = append(ps, b.Modulator.Params()...)
	}
	return append(ps, b.Regular.Params()...)
}

// Sampling returns the clamped offsets and the mask (nil for DCNv1) of the
// last Forward, in torchvision's layout. They are owned by the block and
// overwritten by the next Forward.
func (b *DeformBlock[T]) Sampling() (offset, mask *Tensor[T]) { return b.off, b.mask }

// Limit returns the clamp bound ±max(H, W)/4 of the last Forward.
func (b *DeformBlock[T]) Limit() float64 { return float64(b.limit) }

// Forward implements Layer.
func (b *DeformBlock[T]) Forward(x *Tensor[T], train bool) (*Tensor[T], error) {
	raw, err := b.Offset.Forward(x, train)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.name, err)
	}
	b.raw = raw
	s := x.Shape()
	b.limit = T(max(s[2], s[3])) / 4
	off := reuse(&b.off, raw.shape...)
	for i, v := range raw.data {
		off.data[i] = min(max(v, -b.limit), b.limit)
	}
	var mask *Tensor[T]
	if b.Modulator != nil {
		mod, err := b.Modulator.Forward(x, train)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", b.name, err)
		}
		mask = reuse(&b.mask, mod.shape...)
		for i, v := range mod.data {
			mask.data[i] = T(2 / (1 + math.Exp(-float64(v))))
		}
	}
	b.Regular.NoColumnCache = !train
	return b.Regular.Forward(x, off, mask)
}

// Backward implements Layer.
func (b *DeformBlock[T]) Backward(dy *Tensor[T]) (*Tensor[T], error) {
	dx1, doff, dmask, err := b.Regular.Backward(dy)
	if err != nil {
		return nil, err
	}
	// Clamp passes the gradient where min ≤ x ≤ max, as torch.clamp does.
	dr := reuse(&b.dOffRaw, doff.shape...)
	for i, v := range b.raw.data {
		if v >= -b.limit && v <= b.limit {
			dr.data[i] = doff.data[i]
		} else {
			dr.data[i] = 0
		}
	}
	dx2, err := b.Offset.Backward(dr)
	if err != nil {
		return nil, err
	}
	dx := reuse(&b.dx, dx1.shape...)
	for i := range dx.data {
		dx.data[i] = dx1.data[i] + dx2.data[i]
	}
	if b.Modulator != nil {
		dm := reuse(&b.dMod, dmask.shape...)
		for i, m := range b.mask.data {
			dm.data[i] = dmask.data[i] * m * (1 - m/2) // d(2σ)/dz = 2σ(1−σ)
		}
		dx3, err := b.Modulator.Backward(dm)
		if err != nil {
			return nil, err
		}
		for i, v := range dx3.data {
			dx.data[i] += v
		}
	}
	return dx, nil
}

// Sequential chains layers.
type Sequential[T Float] struct {
	Layers []Layer[T]
}

// Forward runs every layer in order.
func (s *Sequential[T]) Forward(x *Tensor[T], train bool) (*Tensor[T], error) {
	var err error
	for _, l := range s.Layers {
		if x, err = l.Forward(x, train); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// Backward runs every layer's backward pass in reverse order, accumulating
// parameter gradients. It stops early at a layer that skips its input
// gradient.
func (s *Sequential[T]) Backward(dy *Tensor[T]) error {
	var err error
	for i := len(s.Layers) - 1; i >= 0; i-- {
		if dy, err = s.Layers[i].Backward(dy); err != nil {
			return err
		}
		if dy == nil {
			return nil
		}
	}
	return nil
}

// Params lists every layer's parameters in order.
func (s *Sequential[T]) Params() []*Param[T] {
	var ps []*Param[T]
	for _, l := range s.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// ZeroGrad sets every parameter gradient to 0.
func (s *Sequential[T]) ZeroGrad() {
	for _, p := range s.Params() {
		p.Grad.Zero()
	}
}

// Layer returns the layer with the given name, or nil.
func (s *Sequential[T]) Layer(name string) Layer[T] {
	for _, l := range s.Layers {
		if l.Name() == name {
			return l
		}
	}
	return nil
}

// DeformBlocks returns the network's deformable blocks in order.
func (s *Sequential[T]) DeformBlocks() []*DeformBlock[T] {
	var bs []*DeformBlock[T]
	for _, l := range s.Layers {
		if b, ok := l.(*DeformBlock[T]); ok {
			bs = append(bs, b)
		}
	}
	return bs
}

// NumParams returns the number of trainable scalars.
func (s *Sequential[T]) NumParams() int {
	n := 0
	for _, p := range s.Params() {
		n += p.Value.Len()
	}
	return n
}
