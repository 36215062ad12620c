package data

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"
)

// Set is a labelled image set ready for training: N samples of C×H×W pixels, stored as raw bytes
// and normalised per channel as they are copied out ([Set.Batch], [Set.SampleInto]). Byte p of
// channel c becomes (p/255 - mean[c])/std[c], computed in float32. Keeping bytes rather than floats
// takes a quarter of the memory: 47 MB for the MNIST training set instead of 188 MB.
//
// Build a Set with [NewSet] (or [NewSetFromIDX], [ScaledSet], [Set.Gather], [Set.Subset]): a Set
// literal has no normalisation, and Batch panics on it. No method changes a Set, so goroutines may
// share one; its pixels and labels may be shared with the slices it was built from and with other
// Sets, so treat them as read-only.
type Set struct {
	// Pix holds the raw pixels in NCHW order: sample i is Pix[i*C*H*W : (i+1)*C*H*W], channel c of
	// it the H*W bytes from c*H*W on, each row-major.
	Pix []uint8
	// Y holds one class per sample.
	Y []uint8
	// N is the number of samples; C, H and W are the channels, height and width of each.
	N, C, H, W int
	// Name says where the set came from, for logs and plots ("mnist-test", "scale=0.5", ...).
	Name string

	mean, std []float32      // per channel, as given to NewSet
	lut       [][256]float32 // per channel: the normalised value of every byte

	// scale, when set, makes this a view of the one-channel images in Pix
	// scaled on the fly (see ScaledView); the view stores no scaled pixels.
	scale *scaler
	// studyScale, when set, makes this a view scaled with the course study's
	// transform (see StudyScaledView); studyFill is the byte Pixels shows
	// outside the image.
	studyScale *studyScaler
	studyFill  uint8

	// file, when set, holds the pixels instead of Pix (see NewFileSet).
	file *fileBacking
}

// fileBacking is where a set on a file reads its pixels: sample i is the SampleSize bytes at
// off+i*SampleSize. The first read error is kept (a set has no error return on its hot path) and
// reported by Err.
type fileBacking struct {
	r   io.ReaderAt
	off int64
	err atomic.Pointer[error]
	buf sync.Pool // *[]uint8 of one sample, for Batch and SampleInto
}

// NewSet builds a Set of n samples of c×h×w pixels from pix (NCHW, n*c*h*w bytes) and labels (one
// per sample), with the per-channel normalisation mean and std (c values each). The Set keeps pix
// and labels, not copies: the caller must not change them afterwards. Labels are stored as given;
// [Set.MaxLabel] lets a consumer check them against its number of classes.
//
// It returns an error if a dimension is out of range, if pix or labels have the wrong length, if
// mean and std do not hold c values, or if a mean is not finite, a std is not a positive finite
// number, or a normalised byte would overflow float32.
func NewSet(name string, pix, labels []uint8, n, c, h, w int, mean, std []float32) (*Set, error) {
	fail := func(format string, args ...any) (*Set, error) {
		if name != "" {
			format = "set %q: " + format
			args = append([]any{name}, args...)
		}
		return nil, fmt.Errorf("data: "+format, args...)
	}
	if n < 0 || c <= 0 || h <= 0 || w <= 0 || c > math.MaxInt/h || c*h > math.MaxInt/w {
		return fail("bad shape %d×%d×%d×%d", n, c, h, w)
	}
	size := c * h * w
	if len(pix)%size != 0 || len(pix)/size != n {
		return fail("%d samples of %d×%d×%d (%d bytes each) but %d bytes", n, c, h, w, size, len(pix))
	}
	if len(labels) != n {
		return fail("%d samples but %d labels", n, len(labels))
	}
	lut, err := normLUT(mean, std, c)
	if err != nil {
		return fail("%v", err)
	}
	return &Set{
		Pix: pix[: n*size : n*size], Y: labels[:n:n],
		N: n, C: c, H: h, W: w, Name: name,
		mean: append([]float32(nil), mean...), std: append([]float32(nil), std...), lut: lut,
	}, nil
}

// NewFileSet builds a Set of n samples of c×h×w pixels whose bytes are not held in memory but read
// from r, sample i at offset off+i·c·h·w, as they are asked for (Batch, SampleInto, Pixels); labels
// are held (one byte a sample). It is how a data set larger than memory (the COCO crop cache)
// trains: r is typically an *os.File, whose ReadAt goroutines may share. Pix is nil. A read that
// fails makes the samples zero and is kept: check [Set.Err] after a batch. The arguments are
// checked as by NewSet.
func NewFileSet(name string, r io.ReaderAt, off int64, labels []uint8, n, c, h, w int, mean, std []float32) (*Set, error) {
	if n < 0 || c <= 0 || h <= 0 || w <= 0 || c > math.MaxInt/h || c*h > math.MaxInt/w {
		return nil, fmt.Errorf("data: set %q: bad shape %d×%d×%d×%d", name, n, c, h, w)
	}
	if len(labels) != n {
		return nil, fmt.Errorf("data: set %q: %d samples but %d labels", name, n, len(labels))
	}
	s, err := NewSet(name, nil, nil, 0, c, h, w, mean, std)
	if err != nil {
		return nil, err
	}
	if off < 0 {
		return nil, fmt.Errorf("data: set %q: negative offset %d", name, off)
	}
	size := c * h * w
	s.Y, s.N = labels[:n:n], n
	s.file = &fileBacking{r: r, off: off}
	s.file.buf.New = func() any { b := make([]uint8, size); return &b }
	return s, nil
}

// Err returns the first error met reading a set's pixels from its file (see NewFileSet), or nil.
func (s *Set) Err() error {
	if s.file == nil {
		return nil
	}
	if e := s.file.err.Load(); e != nil {
		return *e
	}
	return nil
}

// read fills dst (one sample) with sample i's bytes from the file; on failure it zeroes dst and
// keeps the error.
func (s *Set) read(dst []uint8, i int) {
	f := s.file
	at := f.off + int64(i)*int64(len(dst))
	if _, err := f.r.ReadAt(dst, at); err != nil {
		clear(dst)
		err = fmt.Errorf("data: set %q: reading sample %d at byte %d: %w", s.Name, i, at, err)
		f.err.CompareAndSwap(nil, &err)
	}
}

// NewSetFromIDX builds a one-channel Set from raw idx images and their labels, normalising each
// pixel p as (p/255 - mean)/std; for MNIST the course study uses MNISTMean and MNISTStd. Like
// NewSet, it keeps img.Pix and labels rather than copying them. It returns an error if the counts
// disagree, if Pix does not hold N*Rows*Cols bytes, or if std is not a positive finite number.
func NewSetFromIDX(img *Images, labels []uint8, mean, std float32) (*Set, error) {
	if err := checkImages(img, labels); err != nil {
		return nil, err
	}
	return NewSet("", img.Pix, labels, img.N, 1, img.Rows, img.Cols, []float32{mean}, []float32{std})
}

// normLUT checks one mean and std per channel and returns, for each channel, the normalised value
// of every byte.
func normLUT(mean, std []float32, c int) ([][256]float32, error) {
	if len(mean) != c || len(std) != c {
		return nil, fmt.Errorf("%d channels but %d means and %d stds", c, len(mean), len(std))
	}
	lut := make([][256]float32, c)
	for ch := range lut {
		m, s := mean[ch], std[ch]
		if !(s > 0) || !finite32(s) || !finite32(m) {
			return nil, fmt.Errorf("channel %d: normalisation mean %g, std %g: want a finite mean and a positive "+
				"finite std", ch, m, s)
		}
		for p := range lut[ch] {
			v := (float32(p)/255 - m) / s
			if !finite32(v) {
				return nil, fmt.Errorf("channel %d: normalisation mean %g, std %g: byte %d overflows float32",
					ch, m, s, p)
			}
			lut[ch][p] = v
		}
	}
	return lut, nil
}

func finite32(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

func checkImages(img *Images, labels []uint8) error {
	if img == nil {
		return errors.New("data: nil images")
	}
	if img.N < 0 || img.Rows <= 0 || img.Cols <= 0 || img.Rows > math.MaxInt/img.Cols ||
		len(img.Pix)%(img.Rows*img.Cols) != 0 || len(img.Pix)/(img.Rows*img.Cols) != img.N {
		return fmt.Errorf("data: images claim %d of %dx%d but hold %d pixels", img.N, img.Rows, img.Cols, len(img.Pix))
	}
	if img.N != len(labels) {
		return fmt.Errorf("data: %d images but %d labels", img.N, len(labels))
	}
	return nil
}

// SampleSize returns the number of values in one sample, C*H*W.
func (s *Set) SampleSize() int { return s.C * s.H * s.W }

// Norm returns copies of the per-channel mean and standard deviation that the Set normalises with.
func (s *Set) Norm() (mean, std []float32) {
	return append([]float32(nil), s.mean...), append([]float32(nil), s.std...)
}

// MaxLabel returns the largest label in the Set, or -1 if it is empty.
func (s *Set) MaxLabel() int {
	m := -1
	for _, y := range s.Y {
		m = max(m, int(y))
	}
	return m
}

// Pixels returns the raw bytes of sample i, C×H×W in CHW order (a view into Pix, not a copy; do not
// change it; for a set on a file, or a scaled view (ScaledView, StudyScaledView), a new slice).
// It panics if i is out of range.
func (s *Set) Pixels(i int) []uint8 {
	s.checkIndex("Pixels", i)
	size := s.SampleSize()
	if s.studyScale != nil {
		out := make([]uint8, size)
		s.studyScale.applyBytes(out, s.Pix[i*size:(i+1)*size], s.studyFill)
		return out
	}
	if s.scale != nil {
		out := make([]uint8, size)
		s.scale.applyBytes(out, s.Pix[i*size:(i+1)*size])
		return out
	}
	if s.file != nil {
		out := make([]uint8, size)
		s.read(out, i)
		return out
	}
	return s.Pix[i*size : (i+1)*size : (i+1)*size]
}

// SampleInto writes the normalised pixels of sample i into dst[:C*H*W], CHW order, without
// allocating. It panics if i is out of range or dst is too short.
func (s *Set) SampleInto(i int, dst []float32) {
	s.checkIndex("SampleInto", i)
	if size := s.SampleSize(); len(dst) < size {
		panic(fmt.Sprintf("data: SampleInto: dst holds %d values, want at least %d", len(dst), size))
	}
	s.checkNorm("SampleInto")
	s.normalise(dst, i)
}

// Batch writes the normalised samples at indices into x (len(indices)*C*H*W values, NCHW) and their
// classes into y, without allocating. x and y may be longer than needed; the rest is left
// untouched. It panics if a buffer is too short or an index is out of range, which are programming
// errors.
func (s *Set) Batch(indices []int, x []float32, y []int) {
	size := s.SampleSize()
	if len(x) < len(indices)*size {
		panic(fmt.Sprintf("data: Batch: x holds %d values, want at least %d (%d samples of %d)",
			len(x), len(indices)*size, len(indices), size))
	}
	if len(y) < len(indices) {
		panic(fmt.Sprintf("data: Batch: y holds %d values, want at least %d", len(y), len(indices)))
	}
	if len(indices) > 0 {
		s.checkNorm("Batch")
	}
	for b, i := range indices {
		s.checkIndex("Batch", i)
		s.normalise(x[b*size:(b+1)*size], i)
		y[b] = int(s.Y[i])
	}
}

// normalise writes sample i, normalised, into dst[:C*H*W]; the caller has checked i, len(dst) and
// the table.
func (s *Set) normalise(dst []float32, i int) {
	if s.studyScale != nil {
		size := s.H * s.W
		s.studyScale.applyNorm(dst[:size], s.Pix[i*size:(i+1)*size], &s.lut[0])
		return
	}
	if s.scale != nil {
		s.scaleInto(dst, i)
		return
	}
	plane := s.H * s.W
	var src []uint8
	if s.file != nil {
		b := s.file.buf.Get().(*[]uint8)
		defer s.file.buf.Put(b)
		src = *b
		s.read(src, i)
	} else {
		src = s.Pix[i*s.C*plane : (i+1)*s.C*plane]
	}
	for c := range s.C {
		lut := &s.lut[c]
		in := src[c*plane : (c+1)*plane]
		out := dst[c*plane : (c+1)*plane]
		out = out[:len(in)]
		for j, p := range in {
			out[j] = lut[p]
		}
	}
}

func (s *Set) checkIndex(op string, i int) {
	if i < 0 || i >= s.N {
		panic(fmt.Sprintf("data: %s: sample index %d out of range [0, %d)", op, i, s.N))
	}
}

func (s *Set) checkNorm(op string) {
	if len(s.lut) != s.C {
		panic(fmt.Sprintf("data: %s: set %q has no normalisation for its %d channels (build it with NewSet)",
			op, s.Name, s.C))
	}
}

// Subset returns a Set of the first n samples (all of them if n ≥ N). It shares Pix and Y with s;
// nothing is copied. It panics if n is negative.
func (s *Set) Subset(n int) *Set {
	if n < 0 {
		panic(fmt.Sprintf("data: Subset(%d): negative size", n))
	}
	c := *s
	if n >= s.N {
		return &c
	}
	size := s.SampleSize()
	c.Y, c.N = s.Y[:n:n], n
	if s.file == nil {
		c.Pix = s.Pix[: n*size : n*size]
	}
	c.Name = fmt.Sprintf("%s[:%d]", s.Name, n)
	return &c
}

// Gather returns a new Set holding copies of the samples at indices (in memory, also for a set on a
// file), in that order (an index may repeat), with the same shape and normalisation as s; use it to
// split a set into training and validation parts. It is named "NAME[k of N]"; callers usually
// rename it. It panics if an index is out of range.
func (s *Set) Gather(indices []int) *Set {
	size := s.SampleSize()
	pix := make([]uint8, len(indices)*size)
	y := make([]uint8, len(indices))
	for b, i := range indices {
		s.checkIndex("Gather", i)
		if s.file != nil {
			s.read(pix[b*size:(b+1)*size], i)
		} else {
			copy(pix[b*size:(b+1)*size], s.Pix[i*size:(i+1)*size])
		}
		y[b] = s.Y[i]
	}
	c := *s
	c.Pix, c.Y, c.N, c.file = pix, y, len(indices), nil
	c.Name = fmt.Sprintf("%s[%d of %d]", s.Name, len(indices), s.N)
	return &c
}
