package data

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeMNIST writes a small MNIST-shaped folder: files maps a standard base name (plus ".gz" if
// wanted) to content.
func writeMNIST(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadMNISTSmall(t *testing.T) {
	trainImages := idxImages(idxImagesMagic, 4, 3, 2, seq(24))
	trainLabels := idxLabels(idxLabelsMagic, 4, labelSeq(4))
	testImages := idxImages(idxImagesMagic, 2, 3, 2, seq(12))
	testLabels := idxLabels(idxLabelsMagic, 2, labelSeq(2))
	good := map[string][]byte{
		TrainImagesFile + ".gz": gz(trainImages),
		TrainLabelsFile:         trainLabels,
		TestImagesFile:          testImages,
		TestLabelsFile + ".gz":  gz(testLabels),
	}
	without := func(name string) map[string][]byte {
		m := map[string][]byte{}
		for k, v := range good {
			if k != name {
				m[k] = v
			}
		}
		return m
	}
	with := func(name string, b []byte) map[string][]byte {
		m := without(name)
		m[name] = b
		return m
	}
	tests := []struct {
		name    string
		files   map[string][]byte
		wantErr []string // fragments of the error, all required
	}{
		{name: "valid", files: good},
		{
			name:    "train count mismatch",
			files:   with(TrainLabelsFile, idxLabels(idxLabelsMagic, 3, labelSeq(3))),
			wantErr: []string{TrainImagesFile + ".gz holds 4 images but ", TrainLabelsFile + " holds 3 labels"},
		},
		{
			name:    "test count mismatch",
			files:   with(TestImagesFile, idxImages(idxImagesMagic, 3, 3, 2, seq(18))),
			wantErr: []string{TestImagesFile + " holds 3 images but ", TestLabelsFile + ".gz holds 2 labels"},
		},
		{
			name:    "missing file",
			files:   without(TestImagesFile),
			wantErr: []string{"found neither " + TestImagesFile + " nor " + TestImagesFile + ".gz"},
		},
		{
			name:    "bad label",
			files:   with(TrainLabelsFile, idxLabels(idxLabelsMagic, 4, []byte{1, 2, 10, 3})),
			wantErr: []string{TrainLabelsFile + ": label 10 at index 2 (want 0..9)"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeMNIST(t, tc.files)
			m, err := LoadMNIST(dir)
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error, want one saying %q", tc.wantErr)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Train.Images.N != 4 || len(m.Train.Labels) != 4 || m.Test.Images.N != 2 || len(m.Test.Labels) != 2 {
				t.Errorf("loaded %d/%d train, %d/%d test; want 4/4, 2/2",
					m.Train.Images.N, len(m.Train.Labels), m.Test.Images.N, len(m.Test.Labels))
			}
			train, test, err := m.Sets(MNISTMean, MNISTStd)
			if err != nil {
				t.Fatal(err)
			}
			if train.Name != "mnist-train" || test.Name != "mnist-test" || train.N != 4 || test.N != 2 {
				t.Errorf("sets %q (%d), %q (%d)", train.Name, train.N, test.Name, test.N)
			}
		})
	}
}

// TestLoadMNISTReal loads the real files shipped in the GoMNIST module.
func TestLoadMNISTReal(t *testing.T) {
	dir, err := FindMNIST()
	if err != nil {
		t.Skipf("MNIST files not available: %v", err)
	}
	m, err := LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		name  string
		split Split
		n     int
		first uint8 // the first label of each file, a well-known fact about MNIST
	}{
		{name: "train", split: m.Train, n: 60000, first: 5},
		{name: "test", split: m.Test, n: 10000, first: 7},
	} {
		img := s.split.Images
		if img.N != s.n || img.Rows != 28 || img.Cols != 28 || len(s.split.Labels) != s.n {
			t.Errorf("%s: %d images of %dx%d, %d labels; want %d of 28x28", s.name, img.N, img.Rows, img.Cols,
				len(s.split.Labels), s.n)
		}
		if s.split.Labels[0] != s.first {
			t.Errorf("%s: first label %d, want %d", s.name, s.split.Labels[0], s.first)
		}
		var counts [NumClasses]int
		for _, l := range s.split.Labels {
			counts[l]++
		}
		for c, k := range counts {
			// Every MNIST class holds between 8.9 % and 11.4 % of each split.
			if k < s.n*8/100 || k > s.n*12/100 {
				t.Errorf("%s: class %d has %d samples", s.name, c, k)
			}
		}
	}
	train, _, err := m.Sets(MNISTMean, MNISTStd)
	if err != nil {
		t.Fatal(err)
	}
	// MNISTMean and MNISTStd are the training set's own statistics, so the normalised set has mean
	// ≈ 0, std ≈ 1.
	var sum, sq float64
	x := make([]float32, train.SampleSize())
	for i := range train.N {
		train.SampleInto(i, x)
		for _, v := range x {
			sum += float64(v)
			sq += float64(v) * float64(v)
		}
	}
	count := float64(train.N * train.SampleSize())
	mean := sum / count
	std := math.Sqrt(sq/count - mean*mean)
	if math.Abs(mean) > 1e-3 || math.Abs(std-1) > 1e-3 {
		t.Errorf("normalised training set: mean %g, std %g; want 0, 1", mean, std)
	}
}

func BenchmarkReadMNISTTrain(b *testing.B) {
	dir, err := FindMNIST()
	if err != nil {
		b.Skipf("MNIST files not available: %v", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadIDXImages(filepath.Join(dir, TrainImagesFile+".gz")); err != nil {
			b.Fatal(err)
		}
		if _, err := ReadIDXLabels(filepath.Join(dir, TrainLabelsFile+".gz")); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadMNIST(b *testing.B) {
	dir, err := FindMNIST()
	if err != nil {
		b.Skipf("MNIST files not available: %v", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadMNIST(dir); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMNISTTrainSet(b *testing.B) {
	dir, err := FindMNIST()
	if err != nil {
		b.Skipf("MNIST files not available: %v", err)
	}
	m, err := LoadMNIST(dir)
	if err != nil {
		b.Fatal(err)
	}
	var set *Set
	b.ReportAllocs()
	for b.Loop() {
		if set, err = NewSetFromIDX(m.Train.Images, m.Train.Labels, MNISTMean, MNISTStd); err != nil {
			b.Fatal(err)
		}
	}
	// What the set holds, pixels and labels (shared with m, so not in B/op).
	b.ReportMetric(float64(len(set.Pix)+len(set.Y)), "set-B")
}
