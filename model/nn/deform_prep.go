package nn

// The deformable block's element-wise work inside the deformable layer's
// passes. The block turns its side convolution's output into offsets (a
// clamp) and a mask (2·sigmoid) before the layer samples, and the layer's
// offset and mask gradients into the side convolution's gradient (the
// clamp's and the sigmoid's) after. As passes of their own over the whole
// batch, each read a tensor that had gone out to memory (14 MB for 32 crops
// of 64×64 at dcnn-first's conv1 and conv2) and wrote one that the next
// pass read from memory again. Run per image by the worker that then
// samples that image (prep) or has just computed its gradients (post), the
// image's 0.4 MB are still in the core's cache. Each image's values are
// computed by the same functions on the same slices as before: the same
// bits (TestDeformBlockPrepSameBits).

// prepare runs the block's per-image preparation of image b, if any.
func (d *DeformConv2D[T]) prepare(b int) {
	if d.prep != nil {
		d.prep(b)
	}
}

// prepAll prepares every image on all workers, for the passes that sample
// one image on several workers at once (forwardBands).
func (d *DeformConv2D[T]) prepAll() {
	if d.prep == nil {
		return
	}
	parallel(d.g.B, func(_, b int) { d.prep(b) })
}

// prepImage writes image i's clamped offsets and mask from the side
// convolution's output (the layer's prep).
func (b *DeformBlock[T]) prepImage(i int) {
	p := b.off.Shape()[2] * b.off.Shape()[3]
	ch := b.nOff + b.nMask
	src := b.raw[i*ch*p : (i+1)*ch*p]
	clampOffsets(b.off.data[i*b.nOff*p:(i+1)*b.nOff*p], src[:b.nOff*p], b.limit)
	if b.masked {
		twoSigmoid(b.mask.data[i*b.nMask*p:(i+1)*b.nMask*p], src[b.nOff*p:])
	}
}

// sideGradImage writes image i's side-convolution gradient from the
// layer's offset and mask gradients (the layer's post): the clamp passes
// the gradient where −lim ≤ x ≤ lim, as torch.clamp does, and
// d(2σ)/dz = 2σ(1−σ).
func (b *DeformBlock[T]) sideGradImage(i int) {
	d := b.Regular
	p := b.off.Shape()[2] * b.off.Shape()[3]
	ch := b.nOff + b.nMask
	raw := b.raw[i*ch*p : (i+1)*ch*p]
	dst := b.dSide.data[i*ch*p : (i+1)*ch*p]
	clampGrad(dst[:b.nOff*p], d.doff.data[i*b.nOff*p:(i+1)*b.nOff*p], raw, b.limit)
	if b.masked {
		m := b.mask.data[i*b.nMask*p : (i+1)*b.nMask*p]
		twoSigmoidGrad(dst[b.nOff*p:], d.dmask.data[i*b.nMask*p:(i+1)*b.nMask*p], m)
	}
}
