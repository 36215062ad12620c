package model

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/deformscope/deformscope/model/nn"
)

// This file holds the cases that the benchmarks of this package and
// `dcn bench` time, written once so that both measure the same work: the
// COCO net's step and evaluation (BenchmarkCOCONetStep, BenchmarkCOCONetEval),
// its convolutions as the net runs them and its deformable layers beside
// the plain ones of the same shape (BenchmarkCOCOLayers).

// NetBench is a net on a batch of random inputs (N(0, 1)), ready to time a
// training step's passes or evaluation's forward pass.
type NetBench struct {
	Net *Net[float32]
	X   *nn.Tensor[float32]
	dy  *nn.Tensor[float32]
}

// NewCOCONetBench returns the COCO net with the deformable pair at p (10
// classes, weights drawn as in training) on batch random size×size crops.
func NewCOCONetBench(p Placement, batch, size int) (*NetBench, error) {
	if batch < 1 {
		return nil, fmt.Errorf("model: bench batch must be at least 1, got %d", batch)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	net, err := NewCOCONet[float32](COCOConfig{Size: size, Classes: 10, Deform: p}, rng)
	if err != nil {
		return nil, err
	}
	return &NetBench{Net: net, X: randomTensor(rng, net.InputShape(batch)...)}, nil
}

// Batch returns the number of inputs a call processes.
func (b *NetBench) Batch() int { return b.X.Shape()[0] }

// Step runs a training step's forward and backward pass (dL/dy = 0.01
// everywhere; no optimizer step, so every call does the same work).
func (b *NetBench) Step() error {
	y, err := b.Net.Forward(b.X, true)
	if err != nil {
		return err
	}
	if b.dy == nil {
		b.dy = nn.New[float32](y.Shape()...)
		for i := range b.dy.Data() {
			b.dy.Data()[i] = 0.01
		}
	}
	return b.Net.Backward(b.dy)
}

// Eval runs evaluation's forward pass (train false).
func (b *NetBench) Eval() error {
	_, err := b.Net.Forward(b.X, false)
	return err
}

// ConvBench is one plain convolution on a batch of random inputs, with
// dL/dy = 1 (as PyTorch's y.sum().backward()).
type ConvBench struct {
	Name           string // the net's layer name, "conv2"
	Batch, In, Out int
	H, W           int
	Conv           *nn.Conv2D[float32]
	X, DY          *nn.Tensor[float32]
	kernelPix      int // kernel taps × output pixels
}

// NewConvBench puts conv on batch random h×w inputs.
func NewConvBench(name string, conv *nn.Conv2D[float32], batch, h, w int, rng *rand.Rand) *ConvBench {
	cfg := conv.Config()
	x := randomTensor(rng, batch, cfg.In, h, w)
	y, _ := conv.Forward(x, false)
	dy := nn.New[float32](y.Shape()...)
	for i := range dy.Data() {
		dy.Data()[i] = 1
	}
	return &ConvBench{Name: name, Batch: batch, In: cfg.In, Out: cfg.Out, H: h, W: w, Conv: conv, X: x, DY: dy,
		kernelPix: cfg.Kernel[0] * cfg.Kernel[1] * y.Shape()[2] * y.Shape()[3]}
}

// Shape names the case: "32×32→32 64×64" (batch×in→out, map).
func (c *ConvBench) Shape() string { return shapeName(c.Batch, c.In, c.Out, c.H, c.W) }

// Forward runs the forward pass as evaluation does (train false).
func (c *ConvBench) Forward() { c.Conv.Forward(c.X, false) }

// FwdBwd runs the forward pass in training mode and the backward pass.
func (c *ConvBench) FwdBwd() {
	c.Conv.Forward(c.X, true)
	c.Conv.Backward(c.DY)
}

// Flops counts the multiply-adds (×2) of the forward pass, or with
// backward of forward and backward: three passes of the same size, two
// when the layer computes no input gradient (NoInputGrad).
func (c *ConvBench) Flops(backward bool) float64 {
	pass := 2 * float64(c.Batch) * float64(c.In) * float64(c.Out) * float64(c.kernelPix)
	switch {
	case !backward:
		return pass
	case c.Conv.NoInputGrad:
		return 2 * pass
	}
	return 3 * pass
}

// DeformBench is one deformable convolution (the DCNv2 layer alone,
// without the block's offset and mask convolution) on a batch of random
// inputs, offsets ~ N(0, 1) pixels and a mask σ(N(0, 1)), as
// model/nn's BenchmarkDeformCOCO draws them; dL/dy = 1.
type DeformBench struct {
	Name                 string
	Batch, In, Out, H, W int
	Layer                *nn.DeformConv2D[float32]
	X, Offset, Mask, DY  *nn.Tensor[float32]
	kernelPix            int // taps × output pixels an image
}

// NewDeformBench puts d on batch random h×w inputs.
func NewDeformBench(name string, d *nn.DeformConv2D[float32], batch, h, w int, rng *rand.Rand) *DeformBench {
	cfg := d.Config()
	k := cfg.Kernel[0] * cfg.Kernel[1]
	b := &DeformBench{Name: name, Batch: batch, In: cfg.In, Out: cfg.Out, H: h, W: w, Layer: d,
		X: randomTensor(rng, batch, cfg.In, h, w), Offset: randomTensor(rng, batch, 2*k, h, w),
		Mask: randomTensor(rng, batch, k, h, w)}
	for i, v := range b.Mask.Data() {
		b.Mask.Data()[i] = float32(1 / (1 + math.Exp(-float64(v))))
	}
	y, _ := d.Forward(b.X, b.Offset, b.Mask)
	b.DY = nn.New[float32](y.Shape()...)
	for i := range b.DY.Data() {
		b.DY.Data()[i] = 1
	}
	b.kernelPix = k * y.Shape()[2] * y.Shape()[3]
	return b
}

// Flops counts the multiply-adds (×2) no deformable layer can do without:
// the forward's product of the sampled columns and the weights, and with
// backward also the weight gradient and the columns' gradient Wᵀ·dL/dy,
// which the offset and mask gradients need even where no input gradient is
// asked for: three passes the size of the forward's. No fast algorithm
// (Winograd, FFT) applies, since no two output pixels share their samples.
func (b *DeformBench) Flops(backward bool) float64 {
	pass := 2 * float64(b.Batch) * float64(b.In) * float64(b.Out) * float64(b.kernelPix)
	if backward {
		return 3 * pass
	}
	return pass
}

// Shape names the case as ConvBench.Shape does.
func (b *DeformBench) Shape() string { return shapeName(b.Batch, b.In, b.Out, b.H, b.W) }

// Forward runs the forward pass as evaluation does (no column cache kept
// for a backward pass, as a DeformBlock with train false).
func (b *DeformBench) Forward() {
	b.Layer.NoColumnCache = true
	b.Layer.Forward(b.X, b.Offset, b.Mask)
}

// FwdBwd runs the forward pass as training does and the backward pass
// (input, offset, mask and weight gradients).
func (b *DeformBench) FwdBwd() {
	b.Layer.NoColumnCache = false
	b.Layer.Forward(b.X, b.Offset, b.Mask)
	b.Layer.Backward(b.DY)
}

// COCOConvBenches returns the plain COCO net's six convolutions (conv1 …
// conv6) on batch random size×size crops' worth of input each, taken from
// NewCOCONet itself so that each runs as in the net: ReLU fused, conv1
// without the input gradient.
func COCOConvBenches(batch, size int) ([]*ConvBench, error) {
	rng := rand.New(rand.NewPCG(5, 6))
	net, err := NewCOCONet[float32](COCOConfig{Size: size, Classes: 10}, rng)
	if err != nil {
		return nil, err
	}
	shapes, err := layerInputs(net)
	if err != nil {
		return nil, err
	}
	var out []*ConvBench
	for i, l := range net.Layers {
		if c, ok := l.(*nn.Conv2D[float32]); ok {
			out = append(out, NewConvBench(c.Name(), c, batch, shapes[i][2], shapes[i][3], rng))
		}
	}
	return out, nil
}

// COCOLayerPair is one convolution of the COCO net as the cnn runs it and
// as a net with that convolution deformable runs its DCNv2 layer.
type COCOLayerPair struct {
	Plain  *ConvBench
	Deform *DeformBench
}

// COCOLayerPairs returns, for each convolution of placement p's deformable
// pair (first: conv1 and conv2), the cnn's plain layer and that net's
// deformable layer (its DeformBlock's regular convolution) on the same
// batch of random size×size crops' worth of input.
func COCOLayerPairs(p Placement, batch, size int) ([]COCOLayerPair, error) {
	plain, err := COCOConvBenches(batch, size)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(7, 8))
	net, err := NewCOCONet[float32](COCOConfig{Size: size, Classes: 10, Deform: p}, rng)
	if err != nil {
		return nil, err
	}
	shapes, err := layerInputs(net)
	if err != nil {
		return nil, err
	}
	var out []COCOLayerPair
	for i, l := range net.Layers {
		blk, ok := l.(*nn.DeformBlock[float32])
		if !ok {
			continue
		}
		for _, c := range plain {
			if c.Name == blk.Name() {
				// As the block's Backward sets it: the first layer's
				// deformable convolution computes no dL/dx.
				blk.Regular.NoInputGrad = blk.NoInputGrad
				d := NewDeformBench(blk.Name(), blk.Regular, batch, shapes[i][2], shapes[i][3], rng)
				d.X = c.X // the same input as the plain layer
				out = append(out, COCOLayerPair{Plain: c, Deform: d})
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("model: placement %q has no deformable layer", p)
	}
	return out, nil
}

// layerInputs returns the input shape of each of net's layers (batch 1).
func layerInputs(net *Net[float32]) ([][]int, error) {
	x := nn.New[float32](net.InputShape(1)...)
	shapes := make([][]int, len(net.Layers))
	for i, l := range net.Layers {
		shapes[i] = append([]int(nil), x.Shape()...)
		var err error
		if x, err = l.Forward(x, false); err != nil {
			return nil, err
		}
	}
	return shapes, nil
}

func shapeName(batch, in, out, h, w int) string {
	return fmt.Sprintf("%d×%d→%d %d×%d", batch, in, out, h, w)
}

func randomTensor(rng *rand.Rand, shape ...int) *nn.Tensor[float32] {
	t := nn.New[float32](shape...)
	for i := range t.Data() {
		t.Data()[i] = float32(rng.NormFloat64())
	}
	return t
}
