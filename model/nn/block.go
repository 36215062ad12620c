package nn

import (
	"fmt"
	"math/rand/v2"
)

// DeformBlockConfig describes the course study's deformable block.
type DeformBlockConfig struct {
	Conv2DConfig      // the regular (deformable) convolution
	Groups       int  // offset groups; 0 means 1
	NoMask       bool // DCNv1: no modulation mask
}

// DeformBlock is the course study's DeformableConv2d: an offset convolution
// (C→2·G·kh·kw) and, for DCNv2, a modulator convolution (C→G·kh·kw), both
// zero-initialised so that the block starts as a plain convolution; the
// offsets are clamped to ±max(H, W)/4 and the mask is 2·sigmoid(modulator).
// Its parameters are named like the course study's: name.offset.*, name.modulator.*,
// name.regular.*.
//
// The offset and modulator convolutions read the same input, so they run
// as one convolution (side) whose output channels are the offsets then the
// modulator; their parameters are views of its weight and bias.
type DeformBlock[T Float] struct {
	name    string
	side    *Conv2D[T] // offset channels, then modulator channels
	params  []*Param[T]
	Regular *DeformConv2D[T]
	masked  bool

	off, mask   *Tensor[T] // clamped offsets, mask
	raw         []T        // side output (offsets before the clamp, modulator)
	limit       T
	fixedLimit  T   // if positive, the clamp bound whatever the input's size (SetLimit)
	nOff, nMask int // channels of each in side's output
	dSide       *Tensor[T]

	// NoInputGrad makes Backward skip dL/dx and return nil (for a
	// network's first layer, as Conv2D.NoInputGrad): neither the
	// deformable convolution nor the side convolution computes its input
	// gradient; every parameter gradient is computed as always.
	NoInputGrad bool
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
	b := &DeformBlock[T]{name: name, Regular: reg, masked: !cfg.NoMask, nOff: 2 * cfg.Groups * k}
	if b.masked {
		b.nMask = cfg.Groups * k
	}
	side := reg.Config()
	side.NoBias = false
	side.ReLU = false
	side.Out = b.nOff + b.nMask
	if b.side, err = NewConv2D[T](name+".side", side, nil); err != nil {
		return nil, err
	}
	ck := side.In * side.Kernel[0] * side.Kernel[1]
	view := func(pname string, w, bias bool, lo, hi int) *Param[T] {
		src := b.side.Weight
		n := ck
		shape := []int{hi - lo, side.In, side.Kernel[0], side.Kernel[1]}
		if bias {
			src, n, shape = b.side.Bias, 1, []int{hi - lo}
		}
		v, _ := FromSlice(src.Value.data[lo*n:hi*n], shape...)
		g, _ := FromSlice(src.Grad.data[lo*n:hi*n], shape...)
		return &Param[T]{Name: pname, Value: v, Grad: g}
	}
	b.params = []*Param[T]{view(name+".offset.weight", true, false, 0, b.nOff), view(name+".offset.bias", false, true, 0, b.nOff)}
	if b.masked {
		b.params = append(b.params, view(name+".modulator.weight", true, false, b.nOff, side.Out),
			view(name+".modulator.bias", false, true, b.nOff, side.Out))
	}
	b.params = append(b.params, reg.Params()...)
	return b, nil
}

// Name implements Layer.
func (b *DeformBlock[T]) Name() string { return b.name }

// Params implements Layer, in the course study's order: offset, modulator, regular.
func (b *DeformBlock[T]) Params() []*Param[T] { return b.params }

// Sampling returns the clamped offsets and the mask (nil for DCNv1) of the
// last Forward, in torchvision's layout. They are owned by the block and
// overwritten by the next Forward.
func (b *DeformBlock[T]) Sampling() (offset, mask *Tensor[T]) {
	if !b.masked {
		return b.off, nil
	}
	return b.off, b.mask
}

// Limit returns the clamp bound of the last Forward: ±max(H, W)/4 of its
// input, or the bound SetLimit fixed.
func (b *DeformBlock[T]) Limit() float64 { return float64(b.limit) }

// SetLimit fixes the clamp bound at v whatever the input's size, so that a
// net trained on small crops and run on a whole photo clamps its offsets as
// in training; v ≤ 0 (or NaN) restores the bound ±max(H, W)/4 of each input.
func (b *DeformBlock[T]) SetLimit(v float64) {
	if !(v > 0) {
		v = 0
	}
	b.fixedLimit = T(v)
}

// Forward implements Layer.
func (b *DeformBlock[T]) Forward(x *Tensor[T], train bool) (*Tensor[T], error) {
	raw, err := b.side.Forward(x, train)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.name, err)
	}
	b.raw = raw.data
	s := raw.Shape()
	bs, p := s[0], s[2]*s[3]
	in := x.Shape()
	b.limit = T(max(in[2], in[3])) / 4
	if b.fixedLimit > 0 {
		b.limit = b.fixedLimit
	}
	off := reuse(&b.off, bs, b.nOff, s[2], s[3])
	var mask *Tensor[T]
	if b.masked {
		mask = reuse(&b.mask, bs, b.nMask, s[2], s[3])
	}
	ch := b.nOff + b.nMask
	parallel(bs, func(_, i int) {
		src := raw.data[i*ch*p : (i+1)*ch*p]
		dst := off.data[i*b.nOff*p : (i+1)*b.nOff*p]
		clampOffsets(dst, src[:b.nOff*p], b.limit)
		if mask != nil {
			dm := mask.data[i*b.nMask*p : (i+1)*b.nMask*p]
			twoSigmoid(dm, src[b.nOff*p:])
		}
	})
	b.Regular.NoColumnCache = !train
	return b.Regular.Forward(x, off, mask)
}

// Backward implements Layer. With NoInputGrad it returns nil.
func (b *DeformBlock[T]) Backward(dy *Tensor[T]) (*Tensor[T], error) {
	b.Regular.NoInputGrad, b.side.NoInputGrad = b.NoInputGrad, b.NoInputGrad
	dx1, doff, dmask, err := b.Regular.Backward(dy)
	if err != nil {
		return nil, err
	}
	s := doff.Shape()
	bs, p := s[0], s[2]*s[3]
	ch := b.nOff + b.nMask
	ds := reuse(&b.dSide, bs, ch, s[2], s[3])
	parallel(bs, func(_, i int) {
		raw := b.raw[i*ch*p : (i+1)*ch*p]
		dst := ds.data[i*ch*p : (i+1)*ch*p]
		// Clamp passes the gradient where min ≤ x ≤ max, as torch.clamp does.
		clampGrad(dst[:b.nOff*p], doff.data[i*b.nOff*p:(i+1)*b.nOff*p], raw, b.limit)
		if dmask != nil {
			m := b.mask.data[i*b.nMask*p : (i+1)*b.nMask*p]
			// d(2σ)/dz = 2σ(1−σ)
			twoSigmoidGrad(dst[b.nOff*p:], dmask.data[i*b.nMask*p:(i+1)*b.nMask*p], m)
		}
	})
	if b.NoInputGrad {
		_, err := b.side.Backward(ds)
		return nil, err
	}
	// dL/dx = dx1 + dx2, the side convolution's dx2 added into the
	// deformable convolution's dx1 (its own buffer, rewritten by its next
	// Backward only) by the side convolution's Backward itself: on the
	// Winograd route inside the scatter's last pass, with no pass of its
	// own. x + y is y + x to the bit.
	if blockNoBackwardAdd { // tests: the two passes it replaces
		dx2, err := b.side.Backward(ds)
		if err != nil {
			return nil, err
		}
		addTo(dx1.data, dx2.data)
		return dx1, nil
	}
	if err := b.side.BackwardAdd(ds, dx1); err != nil {
		return nil, err
	}
	return dx1, nil
}

// blockNoBackwardAdd makes DeformBlock.Backward take the side
// convolution's input gradient from its Backward and add it in a pass of
// its own (tests compare the bits).
var blockNoBackwardAdd bool

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
