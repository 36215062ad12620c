package data

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// The range of scale factors that ScaledSet and ParseScales accept. Outside it an MNIST digit
// either vanishes into a pixel or fills the frame with one stroke, and 1/s stays far from overflow.
const (
	MinScale = 0.01
	MaxScale = 100
)

// maxScales bounds the length of a list that ParseScales builds from a range.
const maxScales = 1000

// DefaultScales returns the course study's Scaled-MNIST factors 0.5, 0.6, ..., 1.5 (11 values).
// Each is float64(i)/10, the float64 nearest to the decimal, so 0.7 is 0.7 and not 0.5+0.1+0.1.
func DefaultScales() []float64 {
	s := make([]float64, 0, 11)
	for i := 5; i <= 15; i++ {
		s = append(s, float64(i)/10)
	}
	return s
}

// ParseScales parses a list of scale factors, for command-line flags. It accepts a range
// "start:stop:step" (stop included when the steps land on it, as in "0.5:1.5:0.1", which gives
// DefaultScales), a comma-separated list "0.5,1,1.5", or one number. Ranges are computed in exact
// decimal arithmetic, so every value is the float64 nearest to its decimal. Every factor must lie
// in [MinScale, MaxScale]; a range may hold at most 1000 values.
func ParseScales(spec string) ([]float64, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("data: scales %q: %s", spec, fmt.Sprintf(format, args...))
	}
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, bad("empty (want start:stop:step, a comma-separated list, or one number)")
	}
	if strings.Contains(spec, ":") {
		parts := strings.Split(spec, ":")
		if len(parts) != 3 {
			return nil, bad("want start:stop:step, got %d fields", len(parts))
		}
		var r [3]*big.Rat
		for i, p := range parts {
			v, err := parseScale(p, i == 2)
			if err != nil {
				return nil, bad("%s: %v", [3]string{"start", "stop", "step"}[i], err)
			}
			r[i] = v
		}
		start, stop, step := r[0], r[1], r[2]
		if start.Cmp(stop) > 0 {
			return nil, bad("start %s is above stop %s", strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1]))
		}
		q := new(big.Rat).Sub(stop, start)
		q.Quo(q, step)
		if q.Cmp(big.NewRat(maxScales, 1)) >= 0 {
			return nil, bad("more than %d values", maxScales)
		}
		n := new(big.Int).Quo(q.Num(), q.Denom()).Int64() + 1
		out := make([]float64, 0, n)
		v := new(big.Rat)
		for i := range n {
			v.Mul(step, big.NewRat(i, 1))
			v.Add(v, start)
			f, _ := v.Float64()
			out = append(out, f)
		}
		return out, nil
	}
	var out []float64
	for p := range strings.SplitSeq(spec, ",") {
		v, err := parseScale(p, false)
		if err != nil {
			return nil, bad("%v", err)
		}
		if len(out) == maxScales {
			return nil, bad("more than %d values", maxScales)
		}
		f, _ := v.Float64()
		out = append(out, f)
	}
	return out, nil
}

// parseScale parses one decimal number. A step must only be positive; a scale must lie in
// [MinScale, MaxScale].
func parseScale(s string, isStep bool) (*big.Rat, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("empty number")
	}
	// ParseFloat first: it rejects fractions ("1/2") and bounds the exponent that big.Rat would
	// otherwise expand.
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("%q is not a finite number", s)
	}
	if isStep {
		if !(f > 0) || f > MaxScale {
			return nil, fmt.Errorf("step %s must be positive and at most %g", s, float64(MaxScale))
		}
	} else if f < MinScale || f > MaxScale {
		return nil, fmt.Errorf("scale %s outside [%g, %g]", s, MinScale, float64(MaxScale))
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("%q is not a decimal number", s)
	}
	return r, nil
}

// ScaleImage writes into dst the h×w image src scaled by s about its centre, with bilinear sampling
// and zero fill: output pixel (y, x) samples src at (cy + (y-cy)/s, cx + (x-cx)/s), where (cy, cx)
// = ((h-1)/2, (w-1)/2), and each of the four bilinear taps that falls outside src counts as 0. So s
// < 1 shrinks the content towards the centre and s > 1 enlarges it; s = 1 copies src exactly.
//
// Pixel centres sit at integer coordinates and the centre of the image at (h-1)/2, which is
// torchvision's affine on tensors: F.affine(img, angle=0, translate=[0, 0], scale=s, shear=0,
// interpolation=BILINEAR) with fill=None, that is grid_sample(mode="bilinear",
// padding_mode="zeros", align_corners=False). (Its PIL path puts the centre at w/2 in PIL's
// coordinates, the same point. With fill=[0] torchvision also multiplies the border by its coverage
// mask; on MNIST's black border the two agree.) The zero fill is the same rule as the deformable
// convolution's.
//
// It panics if src or dst do not hold h*w values or s is not a positive finite number.
func ScaleImage(dst, src []float32, h, w int, s float64) {
	if h <= 0 || w <= 0 || len(src) != h*w || len(dst) != h*w {
		panic(fmt.Sprintf("data: ScaleImage: %dx%d image but len(src) = %d, len(dst) = %d", h, w, len(src), len(dst)))
	}
	newScaler(h, w, s).apply(dst, src)
}

// scaler holds the bilinear taps of one (h, w, s), shared by every image of that size. Its sums
// round each product before adding it (float32(a*b) + ·): Go may fuse a product into the sum that
// takes it (arm64, GOAMD64=v3), and did so differently in apply and applyFromBytes, so that a
// scaled view's values differed from ScaledSet's in such builds; rounded, every build gives the
// unfused bits amd64 gives by default.
type scaler struct {
	h, w int
	rows []tap // one per output row
	cols []tap // one per output column
}

// tap is a bilinear pair along one axis: out = w0*in[i0] + w1*in[i1]. A tap outside the input has
// weight 0 and index 0, so that the sum needs no branch.
type tap struct {
	i0, i1 int
	w0, w1 float32
}

func newScaler(h, w int, s float64) *scaler {
	if !(s > 0) || math.IsInf(s, 0) {
		panic(fmt.Sprintf("data: scale factor %g: want a positive finite number", s))
	}
	return &scaler{h: h, w: w, rows: taps(h, s), cols: taps(w, s)}
}

func taps(n int, s float64) []tap {
	t := make([]tap, n)
	c := float64(n-1) / 2
	for o := range t {
		p := c + (float64(o)-c)/s
		// Test before converting: far outside, p may not fit an int.
		if !(p > -1 && p < float64(n)) {
			continue
		}
		fl := math.Floor(p)
		i0 := int(fl)
		f := p - fl
		w0, w1 := 1-f, f
		i1 := i0 + 1
		if i0 < 0 {
			i0, w0 = 0, 0
		}
		if i1 >= n {
			i1, w1 = 0, 0
		}
		t[o] = tap{i0: i0, i1: i1, w0: float32(w0), w1: float32(w1)}
	}
	return t
}

func (sc *scaler) apply(dst, src []float32) {
	w := sc.w
	for y, ry := range sc.rows {
		r0 := src[ry.i0*w : ry.i0*w+w]
		r1 := src[ry.i1*w : ry.i1*w+w]
		out := dst[y*w : y*w+w]
		for x, cx := range sc.cols {
			// Each product rounded (float32(·)): no build fuses it into the sum (see scaler).
			top := float32(cx.w0*r0[cx.i0]) + float32(cx.w1*r0[cx.i1])
			bot := float32(cx.w0*r1[cx.i0]) + float32(cx.w1*r1[cx.i1])
			out[x] = float32(ry.w0*top) + float32(ry.w1*bot)
		}
	}
}

// ScaledSet returns the images scaled by s and normalised as NewSetFromIDX does. Each image is
// scaled in float32 as ScaleImage describes (bilinear, black fill) and then rounded to the nearest
// byte, so the set stores bytes like every Set. The scaling runs on the raw values 0..255, which by
// linearity is scaling on [0, 1] and quantising to the nearest multiple of 1/255. This quantisation
// is also what torchvision does when it applies an affine transform to a PIL image before ToTensor,
// though PIL truncates where we round, so an edge pixel may differ by one grey level. At s = 1 the
// pixels are the input's, exactly. The set keeps labels rather than a copy and is named "scale=S".
func ScaledSet(img *Images, labels []uint8, s float64, mean, std float32) (*Set, error) {
	if !(s >= MinScale && s <= MaxScale) {
		return nil, fmt.Errorf("data: scale factor %g outside [%g, %g]", s, MinScale, float64(MaxScale))
	}
	if err := checkImages(img, labels); err != nil {
		return nil, err
	}
	// NewSet first, so that a bad mean or std fails before the work; it keeps pix, which is filled
	// in below.
	pix := make([]uint8, len(img.Pix))
	set, err := NewSet("scale="+strconv.FormatFloat(s, 'g', -1, 64), pix, labels, img.N, 1, img.Rows, img.Cols,
		[]float32{mean}, []float32{std})
	if err != nil {
		return nil, err
	}
	size := img.Rows * img.Cols
	sc := newScaler(img.Rows, img.Cols, s)
	src := make([]float32, size)
	dst := make([]float32, size)
	for i := range img.N {
		for j, p := range img.Pix[i*size : (i+1)*size] {
			src[j] = float32(p)
		}
		sc.apply(dst, src)
		out := pix[i*size : (i+1)*size]
		for j, v := range dst {
			out[j] = quantise(v)
		}
	}
	return set, nil
}

// quantise rounds a scaled pixel value to the nearest byte, halves up. The sum is exact in float64
// (v has 24 significant bits and lies far below 2^28), unlike adding 0.5 in float32, which rounds
// 0.49999997 up to 1.
func quantise(v float32) uint8 {
	f := float64(v) + 0.5
	switch {
	case f < 1:
		return 0
	case f >= 255:
		return 255
	}
	return uint8(f)
}

// ScaledSets returns ScaledSet for each factor in scales, in order; with DefaultScales and the
// MNIST test set it is the course study's Scaled-MNIST. Each set holds its own pixels, 7.8 MB per
// factor for the 10,000 MNIST test images (the labels are shared), so the course study's 11 factors
// take 86 MB.
func ScaledSets(img *Images, labels []uint8, scales []float64, mean, std float32) ([]*Set, error) {
	sets := make([]*Set, 0, len(scales))
	for _, s := range scales {
		set, err := ScaledView(img, labels, s, mean, std)
		if err != nil {
			return nil, err
		}
		sets = append(sets, set)
	}
	return sets, nil
}

// ScaledView is ScaledSet without the copy: a Set that keeps the images as
// they are and scales each sample when it is read (Batch, SampleInto,
// Pixels), with the same arithmetic, so its values equal ScaledSet's bit for
// bit. Eleven Scaled-MNIST test sets cost no memory beside the test set this
// way, and about 1.5 µs per 28×28 sample read. Pixels returns a new slice.
func ScaledView(img *Images, labels []uint8, s float64, mean, std float32) (*Set, error) {
	set, err := viewOf(img, labels, s, mean, std)
	if err != nil {
		return nil, err
	}
	set.scale = newScaler(img.Rows, img.Cols, s)
	return set, nil
}

// scaleInto writes sample i of a scaled view, scaled, quantised and
// normalised, into dst.
func (s *Set) scaleInto(dst []float32, i int) {
	size := s.H * s.W
	out := dst[:size]
	s.scale.applyFromBytes(out, s.Pix[i*size:(i+1)*size])
	lut := &s.lut[0]
	for j, v := range out {
		out[j] = lut[quantise(v)]
	}
}

// applyFromBytes is apply reading bytes: the same float32 operations in the
// same order as apply on float32(byte) values.
func (sc *scaler) applyFromBytes(dst []float32, src []uint8) {
	w := sc.w
	for y, ry := range sc.rows {
		r0 := src[ry.i0*w : ry.i0*w+w]
		r1 := src[ry.i1*w : ry.i1*w+w]
		out := dst[y*w : y*w+w]
		for x, cx := range sc.cols {
			top := float32(cx.w0*float32(r0[cx.i0])) + float32(cx.w1*float32(r0[cx.i1]))
			bot := float32(cx.w0*float32(r1[cx.i0])) + float32(cx.w1*float32(r1[cx.i1]))
			out[x] = float32(ry.w0*top) + float32(ry.w1*bot)
		}
	}
}

// applyBytes scales and quantises src into dst.
func (sc *scaler) applyBytes(dst, src []uint8) {
	f := make([]float32, len(dst))
	sc.applyFromBytes(f, src)
	for j, v := range f {
		dst[j] = quantise(v)
	}
}

// viewOf checks s and the images and returns the set named "scale=S" over
// img's bytes that ScaledView and StudyScaledView give their scaler.
func viewOf(img *Images, labels []uint8, s float64, mean, std float32) (*Set, error) {
	if !(s >= MinScale && s <= MaxScale) {
		return nil, fmt.Errorf("data: scale factor %g outside [%g, %g]", s, MinScale, float64(MaxScale))
	}
	if err := checkImages(img, labels); err != nil {
		return nil, err
	}
	return NewSet("scale="+strconv.FormatFloat(s, 'g', -1, 64), img.Pix, labels, img.N, 1, img.Rows, img.Cols,
		[]float32{mean}, []float32{std})
}
