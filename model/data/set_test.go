package data

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func testImages() (*Images, []uint8) {
	// 3 images of 2×2: pixel values 0, 255 and two in between, so the normalised values are easy to
	// state.
	return &Images{N: 3, Rows: 2, Cols: 2, Pix: []uint8{
		0, 255, 51, 102,
		255, 0, 0, 0,
		1, 2, 3, 4,
	}}, []uint8{7, 0, 9}
}

// norm is the normalisation every Set applies, written out in float32 as the course study's
// transforms.Normalize(mean, std) after ToTensor computes it.
func norm(p uint8, mean, std float32) float32 { return (float32(p)/255 - mean) / std }

// normalised returns every sample of s, normalised, via SampleInto.
func normalised(s *Set) []float32 {
	out := make([]float32, s.N*s.SampleSize())
	for i := range s.N {
		s.SampleInto(i, out[i*s.SampleSize():])
	}
	return out
}

func TestNewSetFromIDX(t *testing.T) {
	img, labels := testImages()
	s, err := NewSetFromIDX(img, labels, MNISTMean, MNISTStd)
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 3 || s.C != 1 || s.H != 2 || s.W != 2 || len(s.Pix) != 12 || len(s.Y) != 3 || s.SampleSize() != 4 {
		t.Fatalf("set %d×%d×%d×%d, %d bytes, %d labels", s.N, s.C, s.H, s.W, len(s.Pix), len(s.Y))
	}
	if !slices.Equal(s.Pix, img.Pix) || !slices.Equal(s.Y, labels) {
		t.Errorf("set holds %v, %v; want the input's %v, %v", s.Pix, s.Y, img.Pix, labels)
	}
	// The Set keeps the caller's slices: the MNIST training images are 47 MB, not worth a second
	// copy.
	if &s.Pix[0] != &img.Pix[0] || &s.Y[0] != &labels[0] {
		t.Error("NewSetFromIDX copied the pixels or labels")
	}
	x := normalised(s)
	for i, p := range img.Pix {
		if w := norm(p, MNISTMean, MNISTStd); x[i] != w {
			t.Errorf("value %d = %g, want %g (bit for bit)", i, x[i], w)
		}
	}
	// 0 → -0.1307/0.3081 and 255 → 0.8693/0.3081, the course study's
	// transforms.Normalize((0.1307,), (0.3081,)).
	if d := x[0] - (-0.42421296); d > 1e-6 || d < -1e-6 {
		t.Errorf("black pixel normalised to %g, want -0.42421296", x[0])
	}
	if d := x[1] - 2.8214867; d > 1e-6 || d < -1e-6 {
		t.Errorf("white pixel normalised to %g, want 2.8214867", x[1])
	}
	mean, std := s.Norm()
	if !slices.Equal(mean, []float32{MNISTMean}) || !slices.Equal(std, []float32{MNISTStd}) {
		t.Errorf("Norm() = %v, %v", mean, std)
	}
}

// TestNormalisationEveryByte checks that the table behind Batch gives, for every byte, exactly the
// float32 value of (p/255 - mean)/std, the value the float32 Set of old stored.
func TestNormalisationEveryByte(t *testing.T) {
	pix := make([]uint8, 256)
	for p := range pix {
		pix[p] = uint8(p)
	}
	for _, ms := range [][2]float32{{MNISTMean, MNISTStd}, {0, 1}, {0.5, 0.5}, {0.485, 0.229}, {-3, 1e-3}} {
		s, err := NewSet("bytes", pix, []uint8{0}, 1, 1, 16, 16, []float32{ms[0]}, []float32{ms[1]})
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float32, 256)
		y := make([]int, 1)
		s.Batch([]int{0}, x, y)
		for p, v := range x {
			if w := norm(uint8(p), ms[0], ms[1]); math.Float32bits(v) != math.Float32bits(w) {
				t.Errorf("mean %g, std %g: byte %d gives %g, want %g", ms[0], ms[1], p, v, w)
			}
		}
	}
}

func TestNewSetChannels(t *testing.T) {
	// 2 samples of 3×1×2, each channel with its own normalisation (ImageNet's, which COCO crops
	// use).
	pix := []uint8{
		0, 255, 10, 20, 30, 40,
		1, 2, 3, 4, 5, 6,
	}
	mean := []float32{0.485, 0.456, 0.406}
	std := []float32{0.229, 0.224, 0.225}
	s, err := NewSet("rgb", pix, []uint8{4, 1}, 2, 3, 1, 2, mean, std)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "rgb" || s.N != 2 || s.C != 3 || s.H != 1 || s.W != 2 || s.SampleSize() != 6 {
		t.Fatalf("set %q %d×%d×%d×%d", s.Name, s.N, s.C, s.H, s.W)
	}
	if got := s.Pixels(1); !slices.Equal(got, pix[6:]) || &got[0] != &pix[6] {
		t.Errorf("Pixels(1) = %v, want a view of %v", got, pix[6:])
	}
	x := make([]float32, 12)
	y := make([]int, 2)
	s.Batch([]int{1, 0}, x, y)
	for b, i := range []int{1, 0} {
		for c := range 3 {
			for j := range 2 {
				k := c*2 + j
				if w := norm(pix[i*6+k], mean[c], std[c]); x[b*6+k] != w {
					t.Errorf("sample %d, channel %d, pixel %d = %g, want %g", i, c, j, x[b*6+k], w)
				}
			}
		}
	}
	if y[0] != 1 || y[1] != 4 {
		t.Errorf("labels %v, want [1 4]", y)
	}
	gotMean, gotStd := s.Norm()
	gotMean[0], mean[1] = 9, 9
	if m, _ := s.Norm(); !slices.Equal(m, []float32{0.485, 0.456, 0.406}) || !slices.Equal(gotStd, std) {
		t.Errorf("Norm() = %v, %v: it must hold its own copies", m, gotStd)
	}
}

func TestNewSetErrors(t *testing.T) {
	pix := make([]uint8, 2*3*2*2)
	labels := []uint8{1, 2}
	one := []float32{0, 0, 0}
	tests := []struct {
		name       string
		setName    string
		pix        []uint8
		labels     []uint8
		n, c, h, w int
		mean, std  []float32
		wantErr    string
	}{
		{name: "negative count", pix: pix, labels: labels, n: -1, c: 3, h: 2, w: 2, wantErr: "bad shape -1×3×2×2"},
		{name: "no channels", pix: pix, labels: labels, n: 2, c: 0, h: 2, w: 2, wantErr: "bad shape 2×0×2×2"},
		{name: "zero width", pix: pix, labels: labels, n: 2, c: 3, h: 2, w: 0, wantErr: "bad shape"},
		{name: "overflow", pix: pix, labels: labels, n: 2, c: 3, h: math.MaxInt / 2, w: 2, wantErr: "bad shape"},
		{name: "short pixels", pix: pix[:23], labels: labels, n: 2, c: 3, h: 2, w: 2,
			wantErr: "2 samples of 3×2×2 (12 bytes each) but 23 bytes"},
		{name: "long pixels", pix: append(pix, pix...), labels: labels, n: 2, c: 3, h: 2, w: 2,
			wantErr: "but 48 bytes"},
		{name: "labels", pix: pix, labels: labels[:1], n: 2, c: 3, h: 2, w: 2, wantErr: "2 samples but 1 labels"},
		{name: "named", setName: "coco-val", pix: pix, labels: nil, n: 2, c: 3, h: 2, w: 2,
			wantErr: `data: set "coco-val": 2 samples but 0 labels`},
		{name: "means", pix: pix, labels: labels, n: 2, c: 3, h: 2, w: 2, mean: []float32{0}, std: []float32{1, 1, 1},
			wantErr: "3 channels but 1 means and 3 stds"},
		{name: "zero std", pix: pix, labels: labels, n: 2, c: 3, h: 2, w: 2, mean: one, std: []float32{1, 0, 1},
			wantErr: "channel 1: normalisation mean 0, std 0: want a finite mean and a positive finite std"},
		{name: "negative std", pix: pix, labels: labels, n: 2, c: 3, h: 2, w: 2, mean: one, std: []float32{-1, 1, 1},
			wantErr: "positive finite std"},
		{name: "NaN std", pix: pix, labels: labels, n: 2, c: 3, h: 2, w: 2, mean: one,
			std: []float32{1, 1, float32(math.NaN())}, wantErr: "positive finite std"},
		{name: "infinite std", pix: pix, labels: labels, n: 2, c: 3, h: 2, w: 2, mean: one,
			std: []float32{float32(math.Inf(1)), 1, 1}, wantErr: "positive finite std"},
		{name: "NaN mean", pix: pix, labels: labels, n: 2, c: 3, h: 2, w: 2,
			mean: []float32{float32(math.NaN()), 0, 0}, std: []float32{1, 1, 1}, wantErr: "finite mean"},
		{name: "infinite mean", pix: pix, labels: labels, n: 2, c: 3, h: 2, w: 2,
			mean: []float32{0, float32(math.Inf(-1)), 0}, std: []float32{1, 1, 1}, wantErr: "finite mean"},
		// 9/255/1e-40 ≈ 3.5e38 is past float32's largest, 3.4e38.
		{name: "tiny std overflows", pix: pix, labels: labels, n: 2, c: 3, h: 2, w: 2, mean: one,
			std: []float32{1, 1, 1e-40}, wantErr: "channel 2: normalisation mean 0, std 1e-40: byte 9 overflows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mean, std := tc.mean, tc.std
			if mean == nil {
				mean, std = one, []float32{1, 1, 1}
			}
			s, err := NewSet(tc.setName, tc.pix, tc.labels, tc.n, tc.c, tc.h, tc.w, mean, std)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "data: ") {
				t.Errorf("NewSet = %v, %v; want an error saying %q", s, err, tc.wantErr)
			}
		})
	}
}

func TestNewSetEmpty(t *testing.T) {
	s, err := NewSet("empty", nil, nil, 0, 1, 28, 28, []float32{0}, []float32{1})
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 0 || s.MaxLabel() != -1 {
		t.Errorf("N %d, MaxLabel %d", s.N, s.MaxLabel())
	}
	s.Batch(nil, nil, nil)
	if g := s.Gather(nil); g.N != 0 || len(g.Pix) != 0 {
		t.Errorf("Gather(nil) holds %d samples", g.N)
	}
}

func TestNewSetFromIDXErrors(t *testing.T) {
	img, labels := testImages()
	tests := []struct {
		name      string
		img       *Images
		labels    []uint8
		mean, std float32
		wantErr   string
	}{
		{name: "count mismatch", img: img, labels: labels[:2], mean: 0, std: 1, wantErr: "3 images but 2 labels"},
		{name: "nil images", img: nil, labels: labels, mean: 0, std: 1, wantErr: "nil images"},
		{name: "short pixels", img: &Images{N: 3, Rows: 2, Cols: 2, Pix: img.Pix[:11]}, labels: labels, std: 1,
			wantErr: "claim 3 of 2x2 but hold 11 pixels"},
		{name: "huge sides", img: &Images{N: 3, Rows: math.MaxInt / 2, Cols: 4, Pix: img.Pix}, labels: labels, std: 1,
			wantErr: "but hold 12 pixels"},
		{name: "zero std", img: img, labels: labels, mean: 0, std: 0, wantErr: "positive finite std"},
		{name: "negative std", img: img, labels: labels, mean: 0, std: -1, wantErr: "positive finite std"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSetFromIDX(tc.img, tc.labels, tc.mean, tc.std)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want one saying %q", err, tc.wantErr)
			}
		})
	}
}

func TestSubset(t *testing.T) {
	img, labels := testImages()
	s, err := NewSetFromIDX(img, labels, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	s.Name = "tiny"
	tests := []struct {
		name     string
		n, wantN int
		wantName string
	}{
		{name: "prefix", n: 2, wantN: 2, wantName: "tiny[:2]"},
		{name: "empty", n: 0, wantN: 0, wantName: "tiny[:0]"},
		{name: "all", n: 3, wantN: 3, wantName: "tiny"},
		{name: "more than all", n: 99, wantN: 3, wantName: "tiny"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sub := s.Subset(tc.n)
			if sub.N != tc.wantN || len(sub.Pix) != tc.wantN*4 || len(sub.Y) != tc.wantN || sub.Name != tc.wantName {
				t.Errorf("Subset(%d): N %d, %d bytes, %d labels, name %q", tc.n, sub.N, len(sub.Pix), len(sub.Y), sub.Name)
			}
			if tc.wantN > 0 && &sub.Pix[0] != &s.Pix[0] {
				t.Error("Subset copied the pixels")
			}
			if !slices.Equal(normalised(sub), normalised(s)[:tc.wantN*4]) {
				t.Error("Subset normalises differently")
			}
		})
	}
}

func TestGather(t *testing.T) {
	img, labels := testImages()
	s, err := NewSetFromIDX(img, labels, MNISTMean, MNISTStd)
	if err != nil {
		t.Fatal(err)
	}
	s.Name = "tiny"
	idx := []int{2, 0, 2}
	g := s.Gather(idx)
	if g.N != 3 || g.C != 1 || g.H != 2 || g.W != 2 || g.Name != "tiny[3 of 3]" {
		t.Fatalf("Gather: %q %d×%d×%d×%d", g.Name, g.N, g.C, g.H, g.W)
	}
	all := normalised(s)
	got := normalised(g)
	for b, i := range idx {
		if !slices.Equal(g.Pixels(b), s.Pixels(i)) || g.Y[b] != s.Y[i] {
			t.Errorf("sample %d is not sample %d", b, i)
		}
		if !slices.Equal(got[b*4:(b+1)*4], all[i*4:(i+1)*4]) {
			t.Errorf("sample %d normalises differently from sample %d", b, i)
		}
	}
	// A copy: changing the gathered set leaves the source alone (and the other way round).
	g.Pix[0], g.Y[0] = 200, 5
	if img.Pix[8] != 1 || labels[2] != 9 {
		t.Error("Gather shares its pixels or labels with the source")
	}
}

func TestMaxLabel(t *testing.T) {
	img, labels := testImages()
	s, err := NewSetFromIDX(img, labels, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if m := s.MaxLabel(); m != 9 {
		t.Errorf("MaxLabel() = %d, want 9", m)
	}
	if m := s.Subset(2).MaxLabel(); m != 7 {
		t.Errorf("Subset(2).MaxLabel() = %d, want 7", m)
	}
}

func TestBatch(t *testing.T) {
	img, labels := testImages()
	s, err := NewSetFromIDX(img, labels, MNISTMean, MNISTStd)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 3*4+2)
	y := make([]int, 4)
	x[12], x[13], y[3] = -5, -5, -5
	s.Batch([]int{2, 0, 2}, x, y)
	for b, i := range []int{2, 0, 2} {
		for j := range 4 {
			if w := norm(img.Pix[i*4+j], MNISTMean, MNISTStd); x[b*4+j] != w {
				t.Errorf("x[%d] = %g, want sample %d's value %g", b*4+j, x[b*4+j], i, w)
			}
		}
		if y[b] != int(labels[i]) {
			t.Errorf("y[%d] = %d, want %d", b, y[b], labels[i])
		}
	}
	if x[12] != -5 || x[13] != -5 || y[3] != -5 {
		t.Error("Batch wrote past the batch")
	}
	if allocs := testing.AllocsPerRun(100, func() { s.Batch([]int{1, 2}, x, y) }); allocs != 0 {
		t.Errorf("Batch allocates %g times", allocs)
	}
	if allocs := testing.AllocsPerRun(100, func() { s.SampleInto(1, x) }); allocs != 0 {
		t.Errorf("SampleInto allocates %g times", allocs)
	}
}

func TestSetPanics(t *testing.T) {
	img, labels := testImages()
	s, err := NewSetFromIDX(img, labels, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	literal := &Set{Pix: img.Pix, Y: labels, N: 3, C: 1, H: 2, W: 2, Name: "literal"}
	tests := []struct {
		name string
		f    func()
		want string
	}{
		{name: "short x", f: func() { s.Batch([]int{0, 1}, make([]float32, 7), make([]int, 2)) },
			want: "Batch: x holds 7 values"},
		{name: "short y", f: func() { s.Batch([]int{0, 1}, make([]float32, 8), make([]int, 1)) },
			want: "Batch: y holds 1 values"},
		{name: "index too big", f: func() { s.Batch([]int{3}, make([]float32, 4), make([]int, 1)) },
			want: "Batch: sample index 3 out of range"},
		{name: "negative index", f: func() { s.Batch([]int{-1}, make([]float32, 4), make([]int, 1)) },
			want: "index -1 out of range"},
		{name: "literal set", f: func() { literal.Batch([]int{0}, make([]float32, 4), make([]int, 1)) },
			want: `Batch: set "literal" has no normalisation`},
		{name: "SampleInto index", f: func() { s.SampleInto(3, make([]float32, 4)) },
			want: "SampleInto: sample index 3 out of range"},
		{name: "SampleInto short dst", f: func() { s.SampleInto(0, make([]float32, 3)) },
			want: "SampleInto: dst holds 3 values, want at least 4"},
		{name: "SampleInto literal set", f: func() { literal.SampleInto(0, make([]float32, 4)) },
			want: "has no normalisation"},
		{name: "Pixels index", f: func() { s.Pixels(-1) }, want: "Pixels: sample index -1 out of range [0, 3)"},
		{name: "Gather index", f: func() { s.Gather([]int{0, 3}) }, want: "Gather: sample index 3 out of range"},
		{name: "negative Subset", f: func() { s.Subset(-1) }, want: "Subset(-1): negative size"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if msg, ok := r.(string); !ok || !strings.Contains(msg, tc.want) {
					t.Errorf("panic %v, want one saying %q", r, tc.want)
				}
			}()
			tc.f()
		})
	}
}

func BenchmarkBatch64(b *testing.B) {
	const n, batch = 1000, 64
	img := &Images{N: n, Rows: 28, Cols: 28, Pix: make([]uint8, n*28*28)}
	s, err := NewSetFromIDX(img, make([]uint8, n), MNISTMean, MNISTStd)
	if err != nil {
		b.Fatal(err)
	}
	idx := make([]int, batch)
	for i := range idx {
		idx[i] = (i * 37) % n
	}
	x := make([]float32, batch*s.SampleSize())
	y := make([]int, batch)
	b.ReportAllocs()
	for b.Loop() {
		s.Batch(idx, x, y)
	}
}
