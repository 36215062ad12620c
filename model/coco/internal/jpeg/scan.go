// Copyright 2012 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package jpeg

import (
	"bytes"
	"image"
)

// makeImg allocates and initializes the destination image.
func (d *decoder) makeImg(mxx, myy int) {
	if d.regions != nil {
		d.markRegions(mxx, myy)
	}
	if d.nComp == 1 {
		m := image.NewGray(image.Rect(0, 0, 8*mxx, 8*myy))
		d.img1 = m.SubImage(image.Rect(0, 0, d.width, d.height)).(*image.Gray)
		return
	}

	h0 := d.comp[0].h
	v0 := d.comp[0].v
	hRatio := h0 / d.comp[1].h
	vRatio := v0 / d.comp[1].v
	var subsampleRatio image.YCbCrSubsampleRatio
	switch hRatio<<4 | vRatio {
	case 0x11:
		subsampleRatio = image.YCbCrSubsampleRatio444
	case 0x12:
		subsampleRatio = image.YCbCrSubsampleRatio440
	case 0x21:
		subsampleRatio = image.YCbCrSubsampleRatio422
	case 0x22:
		subsampleRatio = image.YCbCrSubsampleRatio420
	case 0x41:
		subsampleRatio = image.YCbCrSubsampleRatio411
	case 0x42:
		subsampleRatio = image.YCbCrSubsampleRatio410
	default:
		panic("unreachable")
	}
	m := image.NewYCbCr(image.Rect(0, 0, 8*h0*mxx, 8*v0*myy), subsampleRatio)
	d.img3 = m.SubImage(image.Rect(0, 0, d.width, d.height)).(*image.YCbCr)

	if d.nComp == 4 {
		h3, v3 := d.comp[3].h, d.comp[3].v
		d.blackPix = make([]byte, 8*h3*mxx*8*v3*myy)
		d.blackStride = 8 * h3 * mxx
	}
}

// Specified in section B.2.3.
func (d *decoder) processSOS(n int) error {
	if d.nComp == 0 {
		return FormatError("missing SOF marker")
	}
	if n < 6 || 4+2*d.nComp < n || n%2 != 0 {
		return FormatError("SOS has wrong length")
	}
	if err := d.readFull(d.tmp[:n]); err != nil {
		return err
	}
	nComp := int(d.tmp[0])
	if n != 4+2*nComp {
		return FormatError("SOS length inconsistent with number of components")
	}
	var scan [maxComponents]struct {
		compIndex uint8
		td        uint8 // DC table selector.
		ta        uint8 // AC table selector.
	}
	totalHV := 0
	for i := 0; i < nComp; i++ {
		cs := d.tmp[1+2*i] // Component selector.
		compIndex := -1
		for j, comp := range d.comp[:d.nComp] {
			if cs == comp.c {
				compIndex = j
			}
		}
		if compIndex < 0 {
			return FormatError("unknown component selector")
		}
		scan[i].compIndex = uint8(compIndex)
		// Section B.2.3 states that "the value of Cs_j shall be different from
		// the values of Cs_1 through Cs_(j-1)". Since we have previously
		// verified that a frame's component identifiers (C_i values in section
		// B.2.2) are unique, it suffices to check that the implicit indexes
		// into d.comp are unique.
		for j := 0; j < i; j++ {
			if scan[i].compIndex == scan[j].compIndex {
				return FormatError("repeated component selector")
			}
		}
		totalHV += d.comp[compIndex].h * d.comp[compIndex].v

		// The baseline t <= 1 restriction is specified in table B.3.
		scan[i].td = d.tmp[2+2*i] >> 4
		if t := scan[i].td; t > maxTh || (d.baseline && t > 1) {
			return FormatError("bad Td value")
		}
		scan[i].ta = d.tmp[2+2*i] & 0x0f
		if t := scan[i].ta; t > maxTh || (d.baseline && t > 1) {
			return FormatError("bad Ta value")
		}
	}
	// Section B.2.3 states that if there is more than one component then the
	// total H*V values in a scan must be <= 10.
	if d.nComp > 1 && totalHV > 10 {
		return FormatError("total sampling factors too large")
	}

	// zigStart and zigEnd are the spectral selection bounds.
	// ah and al are the successive approximation high and low values.
	// The spec calls these values Ss, Se, Ah and Al.
	//
	// For progressive JPEGs, these are the two more-or-less independent
	// aspects of progression. Spectral selection progression is when not
	// all of a block's 64 DCT coefficients are transmitted in one pass.
	// For example, three passes could transmit coefficient 0 (the DC
	// component), coefficients 1-5, and coefficients 6-63, in zig-zag
	// order. Successive approximation is when not all of the bits of a
	// band of coefficients are transmitted in one pass. For example,
	// three passes could transmit the 6 most significant bits, followed
	// by the second-least significant bit, followed by the least
	// significant bit.
	//
	// For sequential JPEGs, these parameters are hard-coded to 0/63/0/0, as
	// per table B.3.
	zigStart, zigEnd, ah, al := int32(0), int32(blockSize-1), uint32(0), uint32(0)
	if d.progressive {
		zigStart = int32(d.tmp[1+2*nComp])
		zigEnd = int32(d.tmp[2+2*nComp])
		ah = uint32(d.tmp[3+2*nComp] >> 4)
		al = uint32(d.tmp[3+2*nComp] & 0x0f)
		if (zigStart == 0 && zigEnd != 0) || zigStart > zigEnd || blockSize <= zigEnd {
			return FormatError("bad spectral selection bounds")
		}
		if zigStart != 0 && nComp != 1 {
			return FormatError("progressive AC coefficients for more than one component")
		}
		if ah != 0 && ah != al+1 {
			return FormatError("bad successive approximation values")
		}
	}

	// mxx and myy are the number of MCUs (Minimum Coded Units) in the image.
	h0, v0 := d.comp[0].h, d.comp[0].v // The h and v values from the Y components.
	mxx := (d.width + 8*h0 - 1) / (8 * h0)
	myy := (d.height + 8*v0 - 1) / (8 * v0)
	if d.img1 == nil && d.img3 == nil {
		d.makeImg(mxx, myy)
	}
	if d.progressive {
		for i := 0; i < nComp; i++ {
			compIndex := scan[i].compIndex
			if d.progCoeffs[compIndex] == nil {
				d.progCoeffs[compIndex] = make([]block, mxx*myy*d.comp[compIndex].h*d.comp[compIndex].v)
			}
		}
	}

	// stopY: below pixel row stopY no region needs anything, so a sequential scan that holds every
	// component (the only scan of a well-formed sequential file) stops there and skips the rest of
	// its entropy-coded data (see skipScan); -1 decodes the whole scan.
	stopY := -1
	if d.need != nil && !d.progressive && nComp == d.nComp {
		stopY = d.lastY + 1
	}
	d.bits = bits{}
	mcu, expectedRST := 0, uint8(rst0Marker)
	var (
		// b is the decoded coefficients, in natural (not zig-zag) order.
		b  block
		dc [maxComponents]int32
		// bx and by are the location of the current block, in units of 8x8
		// blocks: the third block in the first row has (bx, by) = (2, 0).
		bx, by     int
		blockCount int
	)
	for my := 0; my < myy; my++ {
		if stopY >= 0 && nComp != 1 && my*8*v0 >= stopY {
			return d.skipScan()
		}
		for mx := 0; mx < mxx; mx++ {
			for i := 0; i < nComp; i++ {
				compIndex := scan[i].compIndex
				hi := d.comp[compIndex].h
				vi := d.comp[compIndex].v
				for j := 0; j < hi*vi; j++ {
					// The blocks are traversed one MCU at a time. For 4:2:0 chroma
					// subsampling, there are four Y 8x8 blocks in every 16x16 MCU.
					//
					// For a sequential 32x16 pixel image, the Y blocks visiting order is:
					//	0 1 4 5
					//	2 3 6 7
					//
					// For progressive images, the interleaved scans (those with nComp > 1)
					// are traversed as above, but non-interleaved scans are traversed left
					// to right, top to bottom:
					//	0 1 2 3
					//	4 5 6 7
					// Only DC scans (zigStart == 0) can be interleaved. AC scans must have
					// only one component.
					//
					// To further complicate matters, for non-interleaved scans, there is no
					// data for any blocks that are inside the image at the MCU level but
					// outside the image at the pixel level. For example, a 24x16 pixel 4:2:0
					// progressive image consists of two 16x16 MCUs. The interleaved scans
					// will process 8 Y blocks:
					//	0 1 4 5
					//	2 3 6 7
					// The non-interleaved scans will process only 6 Y blocks:
					//	0 1 2
					//	3 4 5
					if nComp != 1 {
						bx = hi*mx + j%hi
						by = vi*my + j/hi
					} else {
						q := mxx * hi
						bx = blockCount % q
						by = blockCount / q
						blockCount++
						if bx*8 >= d.width || by*8 >= d.height {
							continue
						}
						if stopY >= 0 && by*8 >= stopY {
							return d.skipScan()
						}
					}

					// Load the previous partially decoded coefficients, if applicable.
					// A sequential block is dequantised as it is decoded (qt), which
					// reconstructBlock would otherwise do to all 64 coefficients; hasAC
					// says whether any AC coefficient was set.
					var qt *block
					hasAC := false
					if d.progressive {
						b = d.progCoeffs[compIndex][by*mxx*hi+bx]
					} else {
						b = block{}
						qt = &d.quant[d.comp[compIndex].tq]
					}

					if ah != 0 {
						if err := d.refine(&b, &d.huff[acTable][scan[i].ta], zigStart, zigEnd, 1<<al); err != nil {
							return err
						}
					} else {
						zig := zigStart
						if zig == 0 {
							zig++
							// Decode the DC coefficient, as specified in section F.2.2.1.
							value, ok := d.lookupHuffman(&d.huff[dcTable][scan[i].td])
							if !ok {
								var err error
								if value, err = d.decodeHuffman(&d.huff[dcTable][scan[i].td]); err != nil {
									return err
								}
							}
							if value > 16 {
								return UnsupportedError("excessive DC component")
							}
							dcDelta, ok := d.extendBuffered(value)
							if !ok {
								var err error
								if dcDelta, err = d.receiveExtend(value); err != nil {
									return err
								}
							}
							dc[compIndex] += dcDelta
							if qt != nil {
								b[0] = dc[compIndex] * qt[0]
							} else {
								b[0] = dc[compIndex] << al
							}
						}

						if zig <= zigEnd && d.eobRun > 0 {
							d.eobRun--
						} else {
							// Decode the AC coefficients, as specified in section F.2.2.2.
							huff := &d.huff[acTable][scan[i].ta]
							for ; zig <= zigEnd; zig++ {
								// A code and its value's bits in one look-up (fastAC), when the
								// accumulator holds fastBits bits and they hold both: the same bits
								// taken, the same value, the same stop past zigEnd as below.
								if n := d.bits.n; n >= fastBits {
									if e := huff.fastAC[(d.bits.a>>uint32(n-fastBits))&(1<<fastBits-1)]; e != 0 {
										zig += int32(e >> 8 & 0x0f)
										if zig > zigEnd {
											d.bits.n = n - int32(e>>4&0x0f)
											break
										}
										d.bits.n = n - int32(e>>4&0x0f) - int32(e&0x0f)
										ac := int32(e) >> 16
										if qt != nil {
											b[unzig[zig]] = ac * qt[zig]
											hasAC = true
										} else {
											b[unzig[zig]] = ac << al
										}
										continue
									}
								}
								// decodeHuffman's and receiveExtend's fast paths, inlined: most
								// codes are in the look-up table and most values' bits are there.
								value, found := d.lookupHuffman(huff)
								if !found {
									var err error
									if value, err = d.decodeHuffman(huff); err != nil {
										return err
									}
								}
								val0 := value >> 4
								val1 := value & 0x0f
								if val1 != 0 {
									zig += int32(val0)
									if zig > zigEnd {
										break
									}
									ac, ok := d.extendBuffered(val1)
									if !ok {
										var err error
										if ac, err = d.receiveExtend(val1); err != nil {
											return err
										}
									}
									if qt != nil {
										b[unzig[zig]] = ac * qt[zig]
										hasAC = true
									} else {
										b[unzig[zig]] = ac << al
									}
								} else {
									if val0 != 0x0f {
										d.eobRun = uint16(1 << val0)
										if val0 != 0 {
											bits, err := d.decodeBits(int32(val0))
											if err != nil {
												return err
											}
											d.eobRun |= uint16(bits)
										}
										d.eobRun--
										break
									}
									zig += 0x0f
								}
							}
						}
					}

					if d.progressive {
						// Save the coefficients.
						d.progCoeffs[compIndex][by*mxx*hi+bx] = b
						// At this point, we could call reconstructBlock to dequantize and perform
						// the inverse DCT, to save early stages of a progressive image to the
						// *image.YCbCr buffers (the whole point of progressive encoding), but in
						// Go, the jpeg.Decode function does not return until the entire image is
						// decoded, so we "continue" here to avoid wasted computation. Instead,
						// reconstructBlock is called on each accumulated block by the
						// reconstructProgressiveImage method after all of the SOS markers are
						// processed.
						continue
					}
					if err := d.reconstructSequential(&b, hasAC, bx, by, int(compIndex)); err != nil {
						return err
					}
				} // for j
			} // for i
			mcu++
			if d.ri > 0 && mcu%d.ri == 0 && mcu < mxx*myy {
				// For well-formed input, the RST[0-7] restart marker follows
				// immediately. For corrupt input, call findRST to try to
				// resynchronize.
				if err := d.readFull(d.tmp[:2]); err != nil {
					return err
				} else if d.tmp[0] != 0xff || d.tmp[1] != expectedRST {
					if err := d.findRST(expectedRST); err != nil {
						return err
					}
				}
				expectedRST++
				if expectedRST == rst7Marker+1 {
					expectedRST = rst0Marker
				}
				// Reset the Huffman decoder.
				d.bits = bits{}
				// Reset the DC components, as per section F.2.1.3.1.
				dc = [maxComponents]int32{}
				// Reset the progressive decoder state, as per section G.1.2.2.
				d.eobRun = 0
			}
		} // for mx
	} // for my

	return nil
}

// refine decodes a successive approximation refinement block, as specified in
// section G.1.2.
func (d *decoder) refine(b *block, h *huffman, zigStart, zigEnd, delta int32) error {
	// Refining a DC component is trivial.
	if zigStart == 0 {
		if zigEnd != 0 {
			panic("unreachable")
		}
		bit, err := d.decodeBit()
		if err != nil {
			return err
		}
		if bit {
			b[0] |= delta
		}
		return nil
	}

	// Refining AC components is more complicated; see sections G.1.2.2 and G.1.2.3.
	zig := zigStart
	if d.eobRun == 0 {
	loop:
		for ; zig <= zigEnd; zig++ {
			z := int32(0)
			value, err := d.decodeHuffman(h)
			if err != nil {
				return err
			}
			val0 := value >> 4
			val1 := value & 0x0f

			switch val1 {
			case 0:
				if val0 != 0x0f {
					d.eobRun = uint16(1 << val0)
					if val0 != 0 {
						bits, err := d.decodeBits(int32(val0))
						if err != nil {
							return err
						}
						d.eobRun |= uint16(bits)
					}
					break loop
				}
			case 1:
				z = delta
				bit, err := d.decodeBit()
				if err != nil {
					return err
				}
				if !bit {
					z = -z
				}
			default:
				return FormatError("unexpected Huffman code")
			}

			zig, err = d.refineNonZeroes(b, zig, zigEnd, int32(val0), delta)
			if err != nil {
				return err
			}
			if zig > zigEnd {
				return FormatError("too many coefficients")
			}
			if z != 0 {
				b[unzig[zig]] = z
			}
		}
	}
	if d.eobRun > 0 {
		d.eobRun--
		if _, err := d.refineNonZeroes(b, zig, zigEnd, -1, delta); err != nil {
			return err
		}
	}
	return nil
}

// refineNonZeroes refines non-zero entries of b in zig-zag order. If nz >= 0,
// the first nz zero entries are skipped over.
func (d *decoder) refineNonZeroes(b *block, zig, zigEnd, nz, delta int32) (int32, error) {
	for ; zig <= zigEnd; zig++ {
		u := unzig[zig]
		if b[u] == 0 {
			if nz == 0 {
				break
			}
			nz--
			continue
		}
		bit, err := d.decodeBit()
		if err != nil {
			return 0, err
		}
		if !bit {
			continue
		}
		if b[u] >= 0 {
			b[u] += delta
		} else {
			b[u] -= delta
		}
	}
	return zig, nil
}

func (d *decoder) reconstructProgressiveImage() error {
	// The h0, mxx, by and bx variables have the same meaning as in the
	// processSOS method.
	h0 := d.comp[0].h
	mxx := (d.width + 8*h0 - 1) / (8 * h0)
	for i := 0; i < d.nComp; i++ {
		if d.progCoeffs[i] == nil {
			continue
		}
		v := 8 * d.comp[0].v / d.comp[i].v
		h := 8 * d.comp[0].h / d.comp[i].h
		stride := mxx * d.comp[i].h
		for by := 0; by*v < d.height; by++ {
			for bx := 0; bx*h < d.width; bx++ {
				if err := d.reconstructBlock(&d.progCoeffs[i][by*stride+bx], bx, by, i); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// skipBlock reports whether no region needs block (bx, by) of component compIndex.
func (d *decoder) skipBlock(bx, by, compIndex int) bool {
	if d.need == nil {
		return false
	}
	h, v := d.comp[compIndex].h, d.comp[compIndex].v
	if d.nComp == 1 {
		h, v = 1, 1
	}
	mx, my := bx/h, by/v
	return mx < d.mcusX && !d.need[my*d.mcusX+mx]
}

// blockDst returns where block (bx, by) of component compIndex goes in the image, and its stride.
func (d *decoder) blockDst(bx, by, compIndex int) ([]byte, int, error) {
	if d.nComp == 1 {
		return d.img1.Pix[8*(by*d.img1.Stride+bx):], d.img1.Stride, nil
	}
	switch compIndex {
	case 0:
		return d.img3.Y[8*(by*d.img3.YStride+bx):], d.img3.YStride, nil
	case 1:
		return d.img3.Cb[8*(by*d.img3.CStride+bx):], d.img3.CStride, nil
	case 2:
		return d.img3.Cr[8*(by*d.img3.CStride+bx):], d.img3.CStride, nil
	case 3:
		return d.blackPix[8*(by*d.blackStride+bx):], d.blackStride, nil
	}
	return nil, 0, UnsupportedError("too many components")
}

// reconstructSequential is reconstructBlock for a block of a sequential scan, already
// dequantised. A block without AC coefficients (hasAC false) is one value throughout: idct turns
// a lone DC coefficient c into ((c<<17 + 1<<19) >> 2) >> 18 at every pixel (its row pass spreads
// c<<17 over row 0 and leaves the other rows zero; its column pass adds the rounding and shifts),
// in the same int32 arithmetic, so that value is stored without the transform
// (TestDCOnlyBlockMatchesIDCT).
func (d *decoder) reconstructSequential(b *block, hasAC bool, bx, by, compIndex int) error {
	if d.skipBlock(bx, by, compIndex) {
		return nil // no region needs this block: its pixels stay zero
	}
	dst, stride, err := d.blockDst(bx, by, compIndex)
	if err != nil {
		return err
	}
	if hasAC {
		idctStore(b, dst, stride)
		return nil
	}
	v := dcOnlyPixel(b[0])
	for y := 0; y < 8; y++ {
		row := dst[y*stride : y*stride+8 : y*stride+8]
		for x := range row {
			row[x] = v
		}
	}
	return nil
}

// dcOnlyPixel is the stored value of every pixel of a block whose only coefficient is the
// dequantised DC coefficient dc: idct's result, level-shifted and clipped as storeBlock does.
func dcOnlyPixel(dc int32) uint8 {
	c := ((dc<<17 + 1<<19) >> 2) >> 18
	if c < -128 {
		return 0
	} else if c > 127 {
		return 255
	}
	return uint8(c + 128)
}

// reconstructBlock dequantizes, performs the inverse DCT and stores the block
// to the image.
func (d *decoder) reconstructBlock(b *block, bx, by, compIndex int) error {
	if d.skipBlock(bx, by, compIndex) {
		return nil // no region needs this block: its pixels stay zero
	}
	qt := &d.quant[d.comp[compIndex].tq]
	for zig := 0; zig < blockSize; zig++ {
		b[unzig[zig]] *= qt[zig]
	}
	dst, stride, err := d.blockDst(bx, by, compIndex)
	if err != nil {
		return err
	}
	idctStore(b, dst, stride)
	return nil
}

// storeBlock level-shifts the inverse DCT's output b by +128, clips it to [0, 255] and writes it
// to dst.
func storeBlock(b *block, dst []byte, stride int) {
	for y := 0; y < 8; y++ {
		y8 := y * 8
		yStride := y * stride
		for x := 0; x < 8; x++ {
			c := b[y8+x]
			if c < -128 {
				c = 0
			} else if c > 127 {
				c = 255
			} else {
				c += 128
			}
			dst[yStride+x] = uint8(c)
		}
	}
}

// findRST advances past the next RST restart marker that matches expectedRST.
// Other than I/O errors, it is also an error if we encounter an {0xFF, M}
// two-byte marker sequence where M is not 0x00, 0xFF or the expectedRST.
//
// This is similar to libjpeg's jdmarker.c's next_marker function.
// https://github.com/libjpeg-turbo/libjpeg-turbo/blob/2dfe6c0fe9e18671105e94f7cbf044d4a1d157e6/jdmarker.c#L892-L935
//
// Precondition: d.tmp[:2] holds the next two bytes of JPEG-encoded input
// (input in the d.readFull sense).
func (d *decoder) findRST(expectedRST uint8) error {
	for {
		// i is the index such that, at the bottom of the loop, we read 2-i
		// bytes into d.tmp[i:2], maintaining the invariant that d.tmp[:2]
		// holds the next two bytes of JPEG-encoded input. It is either 0 or 1,
		// so that each iteration advances by 1 or 2 bytes (or returns).
		i := 0

		if d.tmp[0] == 0xff {
			if d.tmp[1] == expectedRST {
				return nil
			} else if d.tmp[1] == 0xff {
				i = 1
			} else if d.tmp[1] != 0x00 {
				// libjpeg's jdmarker.c's jpeg_resync_to_restart does something
				// fancy here, treating RST markers within two (modulo 8) of
				// expectedRST differently from RST markers that are 'more
				// distant'. Until we see evidence that recovering from such
				// cases is frequent enough to be worth the complexity, we take
				// a simpler approach for now. Any marker that's not 0x00, 0xff
				// or expectedRST is a fatal FormatError.
				return FormatError("bad RST marker")
			}

		} else if d.tmp[1] == 0xff {
			d.tmp[0] = 0xff
			i = 1
		}

		if err := d.readFull(d.tmp[i:2]); err != nil {
			return err
		}
	}
}

// markRegions marks the MCUs of an mxx×myy grid that d.regions touch. An MCU is 8×8 pixels for a
// one-component image and 8·h0 × 8·v0 (the luma sampling factors) otherwise, and holds every sample
// of its pixels.
func (d *decoder) markRegions(mxx, myy int) {
	w, h := 8, 8
	if d.nComp != 1 {
		w, h = 8*d.comp[0].h, 8*d.comp[0].v
	}
	d.mcusX = mxx
	d.need = make([]bool, mxx*myy)
	d.lastY = -1
	for _, r := range d.regions {
		r = r.Intersect(image.Rect(0, 0, d.width, d.height))
		if r.Empty() {
			continue
		}
		d.lastY = max(d.lastY, r.Max.Y-1)
		for my := r.Min.Y / h; my <= (r.Max.Y-1)/h && my < myy; my++ {
			for mx := r.Min.X / w; mx <= (r.Max.X-1)/w && mx < mxx; mx++ {
				d.need[my*mxx+mx] = true
			}
		}
	}
}

// skipScan ends a sequential scan early, at the first MCU row below every region: it skips the rest
// of the scan's entropy-coded data without decoding it and leaves the input at the marker that
// follows (restart markers inside the data are skipped with it). The bytes are still read to that
// marker, so a file cut short fails as it does in image/jpeg; a fault in the Huffman data of the
// rows skipped goes unnoticed (no pixel of any region depends on those rows). A later scan is
// refused (see decode): a well-formed sequential file whose scan holds every component has no
// other, and the decoder state it would carry into one is unknown.
func (d *decoder) skipScan() error {
	d.skipped = true
	d.eobRun = 0
	d.bytes.nUnreadable = 0
	for {
		if d.bytes.i == d.bytes.j {
			if err := d.fill(); err != nil {
				return err
			}
		}
		k := bytes.IndexByte(d.bytes.buf[d.bytes.i:d.bytes.j], 0xff)
		if k < 0 {
			d.bytes.i = d.bytes.j
			continue
		}
		d.bytes.i += k + 1
		x, err := d.readByte()
		for err == nil && x == 0xff {
			x, err = d.readByte() // fill bytes before a marker
		}
		if err != nil {
			return err
		}
		if x == 0x00 || rst0Marker <= x && x <= rst7Marker {
			continue // a stuffed 0xff data byte, or a restart marker
		}
		// A marker: give its two bytes back for decode's loop (fill keeps the last two bytes of the
		// buffer, so they are still there).
		d.bytes.i -= 2
		return nil
	}
}
