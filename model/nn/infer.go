package nn

// Inference without what training keeps.
//
// A layer's Forward keeps its input, its output and its scratch memory
// (column matrices, padded planes, sampling tables) so that Backward can
// follow and the next batch of the same shape reuses them. For one
// inference on a large input (a whole photo) that is most of the memory:
// on a 356×533 photo the COCO net with deformable middle layers kept
// 534 MB after one Forward, 60 % of it the deformable layers' column
// matrices. Infer runs the same code, so its output is bit-identical to
// Forward(x, false), but each layer lets go of all that as soon as it has
// run.

// releaser is a layer that can drop what its last Forward kept for
// Backward and its scratch memory; its next Backward is then an error
// until a Forward runs again.
type releaser interface {
	release()
}

// Release drops what l's last Forward kept for Backward and its scratch
// memory, if l is a layer of this package; it keeps the parameters and,
// for a DeformBlock, the sampling (offsets, mask, limit) that Sampling
// returns.
func Release[T Float](l Layer[T]) {
	if r, ok := l.(releaser); ok {
		r.release()
	}
}

// Infer runs every layer in order for inference, as Forward(x, false)
// does and with bit-identical results, but releases each layer (Release)
// as soon as its output is computed, so that at any time only the input
// and output of the running layer and its own scratch are held. The
// deformable blocks' sampling stays readable afterwards; Backward is an
// error until the next Forward.
func (s *Sequential[T]) Infer(x *Tensor[T]) (*Tensor[T], error) {
	for _, l := range s.Layers {
		y, err := l.Forward(x, false)
		Release(l)
		if err != nil {
			return nil, err
		}
		x = y
	}
	return x, nil
}

func (c *Conv2D[T]) release() {
	c.x, c.y, c.dx = nil, nil, nil
	c.ws, c.pad = scratch[T]{}, scratch[T]{}
	c.parts, c.cache, c.cacheBuf, c.winoU, c.winoUp = nil, nil, nil, nil, nil
	c.mask, c.maskBuf = nil, nil
}

func (d *DeformConv2D[T]) release() {
	d.x, d.off, d.mask = nil, nil, nil
	d.y, d.dx, d.doff, d.dmask = nil, nil, nil, nil
	d.ws, d.tabs = scratch[T]{}, nil
	d.dwT, d.parts, d.cache, d.cacheBuf = nil, nil, nil, nil
	d.wPix, d.wPixBuf, d.zeroBias, d.wNarrow, d.wDcol = nil, nil, nil, nil, nil
	d.kept, d.views, d.permBuf, d.keepTabs, d.smallCols = nil, nil, nil, false, false
	d.pixPos, d.pixPosKey, d.fsTails = nil, [6]int{}, nil
}

func (b *DeformBlock[T]) release() {
	b.side.release()
	b.Regular.release()
	b.raw, b.dSide = nil, nil
}

func (r *ReLU[T]) release() { r.y, r.dx = nil, nil }

func (m *MaxPool2D[T]) release() { m.y, m.dx, m.arg, m.in = nil, nil, nil, nil }

func (a *GlobalAvgPool[T]) release() { a.y, a.dx, a.in = nil, nil, nil }

func (l *Linear[T]) release() { l.x, l.y, l.dx = nil, nil, nil }

func (d *Dropout[T]) release() { d.y, d.dx, d.keep = nil, nil, nil }
