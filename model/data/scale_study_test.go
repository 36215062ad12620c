package data

import (
	"compress/gzip"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/deformscope/deformscope/internal/npy"
)

// readNpyGz reads one gzip-compressed .npy file of testdata/, as numpy
// wrote it.
func readNpyGz(t *testing.T, name string) *npy.Array {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	a, err := npy.Parse(b, name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestStudyScaleGolden checks the course study's transform against torchvision's own output
// (testdata/make_scaled.py): the first 20 MNIST test digits, normalised, scaled by each of the
// course study's 11 factors. Every value must agree to 1e-6 (in practice they are equal), the grey
// fill included, through StudyScaleImage and through a StudyScaledView.
func TestStudyScaleGolden(t *testing.T) {
	in := readNpyGz(t, "scaled_seed_input.npy.gz")
	sc := readNpyGz(t, "scaled_seed_scales.npy.gz")
	gold := readNpyGz(t, "scaled_seed_golden.npy.gz")
	pix, ok := in.Data.([]uint8)
	if !ok || !slices.Equal(in.Shape, []int{20, 28, 28}) {
		t.Fatalf("input: %T %v, want uint8 [20 28 28]", in.Data, in.Shape)
	}
	scales, ok := sc.Data.([]float64)
	if !ok || len(scales) != 11 {
		t.Fatalf("scales: %T %v, want 11 float64", sc.Data, sc.Shape)
	}
	want, ok := gold.Data.([]float32)
	if !ok || !slices.Equal(gold.Shape, []int{11, 20, 28, 28}) {
		t.Fatalf("golden: %T %v, want float32 [11 20 28 28]", gold.Data, gold.Shape)
	}
	for i, s := range DefaultScales() {
		if scales[i] != s {
			t.Fatalf("golden scale %d is %v, DefaultScales has %v", i, scales[i], s)
		}
	}
	const n, size = 20, 28 * 28
	img := &Images{N: n, Rows: 28, Cols: 28, Pix: pix}
	labels := make([]uint8, n)
	norm, err := NewSetFromIDX(img, labels, MNISTMean, MNISTStd)
	if err != nil {
		t.Fatal(err)
	}
	src := make([]float32, size)
	got := make([]float32, size)
	view := make([]float32, size)
	for si, s := range scales {
		set, err := StudyScaledView(img, labels, s, MNISTMean, MNISTStd)
		if err != nil {
			t.Fatal(err)
		}
		fills := 0
		for d := range n {
			norm.SampleInto(d, src)
			StudyScaleImage(got, src, 28, 28, s)
			set.SampleInto(d, view)
			w := want[(si*n+d)*size : (si*n+d+1)*size]
			for j := range w {
				if math.Abs(float64(got[j]-w[j])) > 1e-6 || math.Abs(float64(view[j]-w[j])) > 1e-6 {
					t.Fatalf("scale %v digit %d pixel (%d, %d): StudyScaleImage %v, view %v, torchvision %v",
						s, d, j/28, j%28, got[j], view[j], w[j])
				}
				if w[j] == 0 {
					fills++
				}
			}
		}
		// Below 1 the digit shrinks and a border of fill (normalised 0, never a pixel value)
		// surrounds it; at 1 and above every output pixel is a pixel of the input.
		if s < 1 && fills == 0 || s >= 1 && fills != 0 {
			t.Errorf("scale %v: %d fill pixels in the golden cases", s, fills)
		}
	}
}

// TestStudyScaleIdentityAndFill checks the properties that do not need torchvision: scale 1 copies,
// a small scale leaves a border of zeros (the normalised fill), and Pixels shows that border as the
// mean's byte.
func TestStudyScaleIdentityAndFill(t *testing.T) {
	const h, w = 28, 28
	pix := make([]uint8, h*w)
	for i := range pix {
		pix[i] = uint8(i*7 + 1) // never 0, so a fill is told apart from a black pixel
	}
	img := &Images{N: 1, Rows: h, Cols: w, Pix: pix}
	labels := []uint8{3}
	for _, tc := range []struct {
		s      float64
		border bool
	}{{1, false}, {0.5, true}, {1.5, false}} {
		set, err := StudyScaledView(img, labels, tc.s, MNISTMean, MNISTStd)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float32, h*w)
		set.SampleInto(0, out)
		b := set.Pixels(0)
		if tc.s == 1 {
			for j := range pix {
				if b[j] != pix[j] || out[j] != set.lut[0][pix[j]] {
					t.Fatalf("scale 1 pixel %d: byte %d value %v, want %d", j, b[j], out[j], pix[j])
				}
			}
		}
		if got := out[0] == 0 && b[0] == 33; got != tc.border {
			t.Errorf("scale %v: corner value %v byte %d, border %v", tc.s, out[0], b[0], tc.border)
		}
	}
	if _, err := StudyScaledView(img, labels, 0, MNISTMean, MNISTStd); err == nil {
		t.Error("scale 0 accepted")
	}
}

func TestParseScaleMode(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{{"seed", true}, {"bilinear", true}, {"", false}, {"Seed", false}, {"nearest", false}} {
		m, err := ParseScaleMode(tc.in)
		if (err == nil) != tc.ok || tc.ok && string(m) != tc.in {
			t.Errorf("ParseScaleMode(%q) = %q, %v", tc.in, m, err)
		}
	}
	if _, err := ScaledSetsMode(&Images{Rows: 28, Cols: 28}, nil, DefaultScales(), "nearest", MNISTMean, MNISTStd); err == nil {
		t.Error("ScaledSetsMode accepted mode nearest")
	}
}
