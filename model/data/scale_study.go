package data

import (
	"fmt"
	"math"
)

// ScaleMode names the way Scaled-MNIST rescales the test digits.
type ScaleMode string

const (
	// ScaleStudy is the course study's transform: torchvision's transforms.functional.affine(x,
	// angle=0, translate=[0, 0], scale=s, shear=0) on the normalised tensor, with its default
	// nearest-neighbour sampling and the fill 0 in normalised units (the pixel value 0.1307, a dark
	// grey, not black). See StudyScaleImage.
	ScaleStudy ScaleMode = "seed"
	// ScaleBilinear is bilinear sampling of the raw pixels with a black fill, rounded to 8 bits,
	// then normalised (ScaleImage, ScaledSet). It was this tool's only transform before the course
	// study's was matched; run folders written then carry no scale mode and read as bilinear.
	ScaleBilinear ScaleMode = "bilinear"
)

// ScaleModes lists the transforms, the default first.
var ScaleModes = []ScaleMode{ScaleStudy, ScaleBilinear}

// ParseScaleMode checks a scale-mode name given by a user: "seed" or "bilinear".
func ParseScaleMode(s string) (ScaleMode, error) {
	switch m := ScaleMode(s); m {
	case ScaleStudy, ScaleBilinear:
		return m, nil
	}
	return "", fmt.Errorf("data: unknown scale mode %q (want seed or bilinear)", s)
}

// StudyScaleImage writes into dst the h×w normalised image src scaled by s about its centre exactly
// as the course study's notebook did it: torchvision's F.affine(img, angle=0, translate=[0, 0],
// scale=s, shear=0) on a float tensor, that is nearest-neighbour grid_sample(align_corners=False,
// padding_mode="zeros"). Output pixels that fall outside src are 0, which on a normalised image is
// the mean grey, not black. The arithmetic is torchvision's, in float32, step by step (see
// studyTaps), so the result equals torchvision's bit for bit (golden cases in testdata/, written by
// testdata/make_scaled.py).
//
// It panics if src or dst do not hold h*w values or s is not a positive finite number.
func StudyScaleImage(dst, src []float32, h, w int, s float64) {
	if h <= 0 || w <= 0 || len(src) != h*w || len(dst) != h*w {
		panic(fmt.Sprintf("data: StudyScaleImage: %dx%d image but len(src) = %d, len(dst) = %d", h, w, len(src), len(dst)))
	}
	sc := newStudyScaler(h, w, s)
	for y, ry := range sc.rows {
		out := dst[y*w : y*w+w]
		if ry < 0 {
			clear(out)
			continue
		}
		row := src[ry*w : ry*w+w]
		for x, cx := range sc.cols {
			if cx < 0 {
				out[x] = 0
			} else {
				out[x] = row[cx]
			}
		}
	}
}

// studyScaler holds, for one (h, w, s), the source row of every output row and the source column of
// every output column, -1 where the sample falls outside the image. The course study's transform
// has no rotation or shear, so the sampling separates into the two axes.
type studyScaler struct {
	h, w       int
	rows, cols []int
}

func newStudyScaler(h, w int, s float64) *studyScaler {
	if !(s > 0) || math.IsInf(s, 0) {
		panic(fmt.Sprintf("data: scale factor %g: want a positive finite number", s))
	}
	return &studyScaler{h: h, w: w, rows: studyTaps(h, s), cols: studyTaps(w, s)}
}

// studyTaps returns, for each of the n output positions along one axis, the source index that
// torchvision's nearest-neighbour affine reads, or -1 for none. The steps, each rounded to float32
// as torch computes them:
//
//   - _get_inverse_affine_matrix (float64) gives the diagonal 1/s and a zero translation (centre
//     [0, 0], the image centre in torchvision's tensor convention); torch.tensor(matrix,
//     dtype=float32) rounds it: θ = f32(1/s).
//   - _gen_affine_grid divides θ by n/2 (r = θ / (n/2)) and multiplies the base grid,
//     linspace(-n/2+0.5, n/2-0.5, n), whose values o - (n-1)/2 are exact: g = base·r. The other
//     terms of the bmm are exact zeros.
//   - grid_sample (align_corners=False) unnormalises g as ((g + 1)·(n/2)) - 0.5, rounds half to
//     even (nearbyint), and reads nothing outside [0, n-1].
//
// Every product and sum is converted to float32 explicitly, which also keeps the compiler from
// fusing them.
func studyTaps(n int, s float64) []int {
	theta := float32(1 / s)
	half := float32(n) / 2
	r := float32(theta / half)
	c := float32(n-1) / 2
	t := make([]int, n)
	for o := range t {
		base := float32(o) - c
		g := float32(base * r)
		p := float32(float32(float32(g+1)*half) - 0.5)
		q := math.RoundToEven(float64(p))
		if q < 0 || q > float64(n-1) {
			t[o] = -1
			continue
		}
		t[o] = int(q)
	}
	return t
}

// applyNorm writes the scaled, normalised image of the raw bytes src into dst, reading each byte's
// normalised value from lut; positions outside the image get 0.
func (sc *studyScaler) applyNorm(dst []float32, src []uint8, lut *[256]float32) {
	w := sc.w
	for y, ry := range sc.rows {
		out := dst[y*w : y*w+w]
		if ry < 0 {
			clear(out)
			continue
		}
		row := src[ry*w : ry*w+w]
		for x, cx := range sc.cols {
			if cx < 0 {
				out[x] = 0
			} else {
				out[x] = lut[row[cx]]
			}
		}
	}
}

// applyBytes writes the scaled image as bytes, for display: the pixels the transform reads, and
// fill for the positions outside the image (the byte nearest to the normalised 0, so that the
// picture shows the grey border the network sees).
func (sc *studyScaler) applyBytes(dst, src []uint8, fill uint8) {
	w := sc.w
	for y, ry := range sc.rows {
		for x, cx := range sc.cols {
			if ry < 0 || cx < 0 {
				dst[y*w+x] = fill
			} else {
				dst[y*w+x] = src[ry*w+cx]
			}
		}
	}
}

// StudyScaledView is ScaledView with the course study's transform (StudyScaleImage): a Set that
// keeps the images and, when a sample is read, normalises it and scales it with nearest-neighbour
// sampling and the fill 0 in normalised units. Its values equal torchvision's on the normalised
// tensor bit for bit. Pixels (for display) returns the sampled bytes with the fill shown as the
// byte nearest to the mean, round(255·mean). The set is named "scale=S".
func StudyScaledView(img *Images, labels []uint8, s float64, mean, std float32) (*Set, error) {
	set, err := viewOf(img, labels, s, mean, std)
	if err != nil {
		return nil, err
	}
	set.studyScale = newStudyScaler(img.Rows, img.Cols, s)
	set.studyFill = uint8(math.Round(math.Min(math.Max(float64(mean)*255, 0), 255)))
	return set, nil
}

// ScaledSetsMode returns the Scaled-MNIST sets for each factor in scales, in order, with the
// transform mode: views that scale on read (StudyScaledView for ScaleStudy, ScaledView for
// ScaleBilinear), so they cost no memory beside the test set.
func ScaledSetsMode(img *Images, labels []uint8, scales []float64, mode ScaleMode, mean, std float32) ([]*Set, error) {
	if _, err := ParseScaleMode(string(mode)); err != nil {
		return nil, err
	}
	sets := make([]*Set, 0, len(scales))
	for _, s := range scales {
		var set *Set
		var err error
		if mode == ScaleStudy {
			set, err = StudyScaledView(img, labels, s, mean, std)
		} else {
			set, err = ScaledView(img, labels, s, mean, std)
		}
		if err != nil {
			return nil, err
		}
		sets = append(sets, set)
	}
	return sets, nil
}
