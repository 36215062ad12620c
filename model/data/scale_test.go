package data

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// square returns an h×w image that is 1 on rows and columns lo..hi (inclusive) and 0 elsewhere.
func square(h, w, lo, hi int) []float32 {
	img := make([]float32, h*w)
	for y := lo; y <= hi; y++ {
		for x := lo; x <= hi; x++ {
			img[y*w+x] = 1
		}
	}
	return img
}

func randImage(r *rand.Rand, n int) []float32 {
	img := make([]float32, n)
	for i := range img {
		img[i] = r.Float32()
	}
	return img
}

func TestScaleImage(t *testing.T) {
	ones := func(n int) []float32 {
		img := make([]float32, n)
		for i := range img {
			img[i] = 1
		}
		return img
	}
	// Expected values are worked out by hand from out(y, x) = in(c + (y-c)/s, c + (x-c)/s), c =
	// (n-1)/2.
	tests := []struct {
		name string
		h, w int
		src  []float32
		s    float64
		want []float32
		tol  float32
	}{
		{
			// Centre 4; output rows 3..5 sample 2, 4, 6 (inside the square), rows 2 and 6 sample 0
			// and 8 (outside).
			name: "centred square shrinks by half",
			h:    9, w: 9, src: square(9, 9, 2, 6), s: 0.5,
			want: square(9, 9, 3, 5),
		},
		{
			// Output row y samples 4 + (y-4)/2: rows 2..6 land in 3..5, rows 1 and 7 land halfway
			// (0.5).
			name: "centred square doubles",
			h:    9, w: 9, src: square(9, 9, 3, 5), s: 2,
			want: func() []float32 {
				p := []float32{0, 0.5, 1, 1, 1, 1, 1, 0.5, 0}
				img := make([]float32, 81)
				for y := range 9 {
					for x := range 9 {
						img[y*9+x] = p[y] * p[x]
					}
				}
				return img
			}(),
		},
		{
			// Centre 1.5; output 0 samples -1.5 (outside), output 1 samples 0.5 (between in[0] and
			// in[1]).
			name: "even width, half scale",
			h:    1, w: 4, src: []float32{1, 2, 3, 4}, s: 0.5,
			want: []float32{0, 1.5, 3.5, 0},
		},
		{
			// Output 0 samples 4 - 4/0.9 = -4/9: taps -1 (outside, 0) and 0 (weight 5/9). Zero fill
			// at the border.
			name: "zero fill at the border",
			h:    1, w: 9, src: ones(9), s: 0.9,
			want: []float32{5.0 / 9, 1, 1, 1, 1, 1, 1, 1, 5.0 / 9},
			tol:  1e-6,
		},
		{
			name: "everything from outside is black",
			h:    9, w: 9, src: ones(81), s: 0.5,
			want: square(9, 9, 2, 6),
		},
		{
			name: "enlarging a uniform image keeps it uniform",
			h:    9, w: 9, src: ones(81), s: 1.5,
			want: ones(81),
			tol:  1e-6,
		},
		{
			// 1/s is about 1e4: every output but the centre samples far outside.
			name: "tiny scale",
			h:    3, w: 3, src: ones(9), s: 1e-4,
			want: []float32{0, 0, 0, 0, 1, 0, 0, 0, 0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := make([]float32, len(tc.src))
			ScaleImage(dst, tc.src, tc.h, tc.w, tc.s)
			for i := range dst {
				if d := dst[i] - tc.want[i]; d > tc.tol || d < -tc.tol {
					t.Errorf("pixel (%d, %d) = %g, want %g", i/tc.w, i%tc.w, dst[i], tc.want[i])
				}
			}
		})
	}
}

func TestScaleImageIdentity(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, size := range [][2]int{{28, 28}, {1, 1}, {5, 8}, {8, 5}} {
		src := randImage(r, size[0]*size[1])
		dst := make([]float32, len(src))
		ScaleImage(dst, src, size[0], size[1], 1)
		if !slices.Equal(dst, src) {
			t.Errorf("%dx%d: s = 1 is not the identity", size[0], size[1])
		}
	}
}

// TestScaleImageSymmetry checks that scaling is about the centre: it commutes with mirroring and
// transposing.
func TestScaleImageSymmetry(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, s := range []float64{0.5, 0.7, 1.3, 1.5, 2.25} {
		for _, n := range []int{28, 7, 6} {
			src := randImage(r, n*n)
			mirror := func(img []float32) []float32 {
				out := make([]float32, len(img))
				for y := range n {
					for x := range n {
						out[y*n+x] = img[y*n+n-1-x]
					}
				}
				return out
			}
			transpose := func(img []float32) []float32 {
				out := make([]float32, len(img))
				for y := range n {
					for x := range n {
						out[y*n+x] = img[x*n+y]
					}
				}
				return out
			}
			scale := func(img []float32) []float32 {
				out := make([]float32, len(img))
				ScaleImage(out, img, n, n, s)
				return out
			}
			for name, f := range map[string]func([]float32) []float32{"mirror": mirror, "transpose": transpose} {
				a, b := scale(f(src)), f(scale(src))
				for i := range a {
					if math.Abs(float64(a[i]-b[i])) > 1e-6 {
						t.Fatalf("s %g, %dx%d: scaling does not commute with %s at %d: %g vs %g", s, n, n, name, i, a[i], b[i])
					}
				}
			}
		}
	}
}

func TestScaleImagePanics(t *testing.T) {
	tests := []struct {
		name     string
		dst, src int
		h, w     int
		s        float64
		want     string
	}{
		{name: "short src", dst: 4, src: 3, h: 2, w: 2, s: 1, want: "len(src) = 3"},
		{name: "short dst", dst: 3, src: 4, h: 2, w: 2, s: 1, want: "len(dst) = 3"},
		{name: "zero height", dst: 0, src: 0, h: 0, w: 2, s: 1, want: "0x2 image"},
		{name: "zero scale", dst: 4, src: 4, h: 2, w: 2, s: 0, want: "scale factor 0"},
		{name: "NaN scale", dst: 4, src: 4, h: 2, w: 2, s: math.NaN(), want: "scale factor NaN"},
		{name: "infinite scale", dst: 4, src: 4, h: 2, w: 2, s: math.Inf(1), want: "scale factor +Inf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if msg, ok := r.(string); !ok || !strings.Contains(msg, tc.want) {
					t.Errorf("panic %v, want one saying %q", r, tc.want)
				}
			}()
			ScaleImage(make([]float32, tc.dst), make([]float32, tc.src), tc.h, tc.w, tc.s)
		})
	}
}

func TestScaledSets(t *testing.T) {
	// Two 9×9 images: a centred 5×5 square and a random one.
	r := rand.New(rand.NewPCG(5, 6))
	pix := make([]uint8, 2*81)
	for i, v := range square(9, 9, 2, 6) {
		pix[i] = uint8(255 * v)
	}
	for i := 81; i < len(pix); i++ {
		pix[i] = uint8(r.IntN(256))
	}
	img := &Images{N: 2, Rows: 9, Cols: 9, Pix: pix}
	labels := []uint8{3, 8}

	sets, err := ScaledSets(img, labels, DefaultScales(), MNISTMean, MNISTStd)
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 11 || sets[0].Name != "scale=0.5" || sets[10].Name != "scale=1.5" || sets[2].Name != "scale=0.7" {
		t.Fatalf("got %d sets, first %q, last %q", len(sets), sets[0].Name, sets[len(sets)-1].Name)
	}
	plain, err := NewSetFromIDX(img, labels, MNISTMean, MNISTStd)
	if err != nil {
		t.Fatal(err)
	}
	// At s = 1 the bytes come back exactly, so the set normalises exactly as NewSetFromIDX's does.
	if !slices.Equal(sets[5].Pix, img.Pix) || !slices.Equal(sets[5].Y, labels) ||
		!slices.Equal(normalised(sets[5]), normalised(plain)) {
		t.Error("scale 1 differs from NewSetFromIDX")
	}
	// At 0.5 the square covers rows and columns 3..5: 9 white pixels, the rest the normalised
	// black.
	black := (0 - float32(MNISTMean)) / MNISTStd
	white := (1 - float32(MNISTMean)) / MNISTStd
	want := square(9, 9, 3, 5)
	x := make([]float32, 81)
	sets[0].SampleInto(0, x)
	for i, v := range x {
		w, wp := black, uint8(0)
		if want[i] == 1 {
			w, wp = white, 255
		}
		if v != w || sets[0].Pixels(0)[i] != wp {
			t.Errorf("scale 0.5, pixel %d = %d (%g), want %d (%g)", i, sets[0].Pixels(0)[i], v, wp, w)
		}
	}
	for _, s := range sets {
		if s.N != 2 || s.C != 1 || s.H != 9 || s.W != 9 || len(s.Pix) != 2*81 || !slices.Equal(s.Y, labels) {
			t.Errorf("%s: shape %d×%d×%d×%d, labels %v", s.Name, s.N, s.C, s.H, s.W, s.Y)
		}
		if mean, std := s.Norm(); mean[0] != MNISTMean || std[0] != MNISTStd {
			t.Errorf("%s: normalisation %v, %v", s.Name, mean, std)
		}
	}

	for _, bad := range []struct {
		name   string
		scales []float64
		labels []uint8
		std    float32
		want   string
	}{
		{name: "zero scale", scales: []float64{0}, labels: labels, want: "scale factor 0 outside"},
		{name: "NaN scale", scales: []float64{1, math.NaN()}, labels: labels, want: "scale factor NaN outside"},
		{name: "count mismatch", scales: []float64{1}, labels: labels[:1], want: "2 images but 1 labels"},
		{name: "zero std", scales: []float64{1}, labels: labels, std: -1, want: "positive finite std"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			std := float32(MNISTStd)
			if bad.std != 0 {
				std = bad.std
			}
			_, err := ScaledSets(img, bad.labels, bad.scales, MNISTMean, std)
			if err == nil || !strings.Contains(err.Error(), bad.want) {
				t.Errorf("err = %v, want one saying %q", err, bad.want)
			}
		})
	}
}

// TestScaledSetQuantises checks ScaledSet's bytes against its documented meaning: ScaleImage on the
// pixels in [0, 1], then the nearest multiple of 1/255. Float rounding may tip a value that lies
// within a hair of a half-way point either way (at s = 0.5 and 1.5 many outputs sit half-way
// between two input pixels), so those need only land on either side.
func TestScaledSetQuantises(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const n, h, w = 3, 28, 20
	pix := make([]uint8, n*h*w)
	for i := range pix {
		pix[i] = uint8(r.IntN(256))
	}
	img := &Images{N: n, Rows: h, Cols: w, Pix: pix}
	labels := []uint8{1, 2, 3}
	src := make([]float32, h*w)
	dst := make([]float32, h*w)
	for _, s := range []float64{0.5, 0.7, 1, 1.3, 1.5, 3} {
		set, err := ScaledSet(img, labels, s, MNISTMean, MNISTStd)
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for i := range n {
			for j, p := range img.Image(i) {
				src[j] = float32(p) / 255
			}
			ScaleImage(dst, src, h, w, s)
			for j, v := range dst {
				f, got := float64(v)*255, set.Pixels(i)[j]
				if math.Abs(f-math.Floor(f)-0.5) < 1e-3 {
					if lo := math.Floor(f); float64(got) != lo && float64(got) != lo+1 {
						t.Errorf("scale %g, image %d, pixel %d = %d, want %g or %g", s, i, j, got, lo, lo+1)
					}
					continue
				}
				checked++
				if want := uint8(math.Round(f)); got != want {
					t.Errorf("scale %g, image %d, pixel %d = %d, want %d (%g·255 = %g)",
						s, i, j, got, want, v, f)
				}
			}
		}
		if checked < n*h*w*80/100 {
			t.Errorf("scale %g: only %d of %d pixels checked", s, checked, n*h*w)
		}
	}
}

func TestQuantise(t *testing.T) {
	tests := []struct {
		v    float32
		want uint8
	}{
		{v: 0, want: 0},
		{v: -1e-6, want: 0},
		// 0.49999997 + 0.5 rounds up to 1 in float32; the float64 round must not.
		{v: 0.49999997, want: 0},
		{v: 0.5, want: 1},
		{v: 127.49, want: 127},
		{v: 254.5, want: 255},
		{v: 255, want: 255},
		// Bilinear weights rounded to float32 may sum to a little over 1.
		{v: 255.00002, want: 255},
		{v: 300, want: 255},
	}
	for _, tc := range tests {
		if got := quantise(tc.v); got != tc.want {
			t.Errorf("quantise(%g) = %d, want %d", tc.v, got, tc.want)
		}
	}
}

func TestDefaultScales(t *testing.T) {
	want := []float64{0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2, 1.3, 1.4, 1.5}
	if got := DefaultScales(); !slices.Equal(got, want) {
		t.Errorf("DefaultScales() = %v, want %v", got, want)
	}
}

// parseScalesCases feed TestParseScales and FuzzParseScales.
var parseScalesCases = []struct {
	name    string
	spec    string
	want    []float64
	wantErr string
}{
	{name: "study range", spec: "0.5:1.5:0.1", want: []float64{0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2, 1.3, 1.4, 1.5}},
	{name: "range with spaces", spec: " 0.5 : 1 : 0.25 ", want: []float64{0.5, 0.75, 1}},
	{name: "range short of stop", spec: "0.5:1.5:0.3", want: []float64{0.5, 0.8, 1.1, 1.4}},
	{name: "range of one", spec: "1:1:0.1", want: []float64{1}},
	{name: "exponent", spec: "5e-1:15e-1:1e-1", want: []float64{0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2, 1.3, 1.4, 1.5}},
	{name: "list", spec: "0.5, 1,1.5", want: []float64{0.5, 1, 1.5}},
	{name: "one", spec: "0.7", want: []float64{0.7}},
	{name: "empty", spec: " ", wantErr: "empty"},
	{name: "not a number", spec: "abc", wantErr: `"abc" is not a finite number`},
	{name: "two fields", spec: "0.5:1.5", wantErr: "want start:stop:step, got 2 fields"},
	{name: "four fields", spec: "0.5:1:1.5:0.1", wantErr: "got 4 fields"},
	{name: "start above stop", spec: "1.5:0.5:0.1", wantErr: "start 1.5 is above stop 0.5"},
	{name: "zero step", spec: "0.5:1.5:0", wantErr: "step: step 0 must be positive"},
	{name: "negative step", spec: "0.5:1.5:-0.1", wantErr: "must be positive"},
	{name: "too many", spec: "0.5:1.5:0.0001", wantErr: "more than 1000 values"},
	{name: "NaN", spec: "NaN", wantErr: "not a finite number"},
	{name: "infinite", spec: "0.5:inf:0.1", wantErr: "stop: \"inf\" is not a finite number"},
	{name: "zero scale", spec: "0", wantErr: "scale 0 outside [0.01, 100]"},
	{name: "negative scale", spec: "-1,1", wantErr: "scale -1 outside"},
	{name: "huge scale", spec: "1e9", wantErr: "outside [0.01, 100]"},
	{name: "fraction", spec: "1/2", wantErr: "not a finite number"},
	{name: "empty list entry", spec: "0.5,,1", wantErr: "empty number"},
	{name: "empty range field", spec: "0.5::0.1", wantErr: "stop: empty number"},
}

func TestParseScales(t *testing.T) {
	for _, tc := range parseScalesCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseScales(tc.spec)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("ParseScales(%q) = %v, %v; want an error saying %q", tc.spec, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("ParseScales(%q) = %v, %v; want %v", tc.spec, got, err, tc.want)
			}
		})
	}
	if got, _ := ParseScales("0.5:1.5:0.1"); !slices.Equal(got, DefaultScales()) {
		t.Errorf("ParseScales(study range) = %v, want DefaultScales %v", got, DefaultScales())
	}
}

func FuzzParseScales(f *testing.F) {
	for _, c := range parseScalesCases {
		f.Add(c.spec)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		got, err := ParseScales(spec)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "data: scales ") {
				t.Fatalf("error %q lacks the prefix", err)
			}
			return
		}
		if len(got) == 0 || len(got) > maxScales {
			t.Fatalf("%d scales", len(got))
		}
		for _, s := range got {
			if !(s >= MinScale && s <= MaxScale) {
				t.Fatalf("scale %g accepted", s)
			}
		}
	})
}

func BenchmarkScaleImage28(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	src := randImage(r, 28*28)
	dst := make([]float32, len(src))
	b.ReportAllocs()
	for b.Loop() {
		ScaleImage(dst, src, 28, 28, 0.7)
	}
}

func BenchmarkScaledSetMNISTTest(b *testing.B) {
	dir, err := FindMNIST()
	if err != nil {
		b.Skipf("MNIST files not available: %v", err)
	}
	m, err := LoadMNIST(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ScaledSet(m.Test.Images, m.Test.Labels, 0.7, MNISTMean, MNISTStd); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScaledSetsMNISTTest builds the course study's Scaled-MNIST: the MNIST test set at the 11
// DefaultScales.
func BenchmarkScaledSetsMNISTTest(b *testing.B) {
	dir, err := FindMNIST()
	if err != nil {
		b.Skipf("MNIST files not available: %v", err)
	}
	m, err := LoadMNIST(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ScaledSets(m.Test.Images, m.Test.Labels, DefaultScales(), MNISTMean, MNISTStd); err != nil {
			b.Fatal(err)
		}
	}
}

// A scaled view reads exactly what the eager scaled set stores.
func TestScaledViewEqualsScaledSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	img := &Images{N: 5, Rows: 28, Cols: 28, Pix: make([]uint8, 5*28*28)}
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
	}
	labels := []uint8{1, 2, 3, 4, 5}
	for _, s := range DefaultScales() {
		eager, err := ScaledSet(img, labels, s, MNISTMean, MNISTStd)
		if err != nil {
			t.Fatal(err)
		}
		view, err := ScaledView(img, labels, s, MNISTMean, MNISTStd)
		if err != nil {
			t.Fatal(err)
		}
		idx := []int{4, 0, 2}
		xe, xv := make([]float32, 3*784), make([]float32, 3*784)
		ye, yv := make([]int, 3), make([]int, 3)
		eager.Batch(idx, xe, ye)
		view.Batch(idx, xv, yv)
		for i := range xe {
			if xe[i] != xv[i] {
				t.Fatalf("scale %g: value %d: view %v, set %v", s, i, xv[i], xe[i])
			}
		}
		if !slices.Equal(ye, yv) || !slices.Equal(eager.Pixels(2), view.Pixels(2)) {
			t.Fatalf("scale %g: labels or pixels differ", s)
		}
		if sub := view.Subset(2); sub.N != 2 || !slices.Equal(sub.Pixels(1), eager.Pixels(1)) {
			t.Fatalf("scale %g: subset of a view", s)
		}
	}
}
