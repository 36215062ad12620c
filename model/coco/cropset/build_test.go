package cropset

import (
	"context"
	"errors"
	"image"
	"image/color"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/coco"
)

func TestCOCOCMYKFixtureDecodes(t *testing.T) {
	b := cmykJPEG(16, 8, func(bx, _ int) [4]uint8 {
		if bx == 0 {
			return [4]uint8{0, 255, 255, 0} // red
		}
		return [4]uint8{0, 0, 0, 128} // grey
	})
	m, format, err := image.Decode(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	cm, ok := m.(*image.CMYK)
	if format != "jpeg" || !ok {
		t.Fatalf("decoded a %T as %s, want *image.CMYK", m, format)
	}
	if got := cm.CMYKAt(2, 3); got != (color.CMYK{0, 255, 255, 0}) {
		t.Errorf("pixel (2,3) %v", got)
	}
	if got := cm.CMYKAt(12, 3); got != (color.CMYK{0, 0, 0, 128}) {
		t.Errorf("pixel (12,3) %v", got)
	}
}

func TestCOCOBuildCropsFromFaultyImages(t *testing.T) {
	annPath, images := imageFaults(t)
	var calls, lastDone, lastTotal int
	c, err := Build(t.Context(), annPath, images, Options{ValFraction: -1, TestFraction: -1, Size: 16,
		Progress: func(done, total int) { calls, lastDone, lastTotal = calls+1, done, total }})
	if err != nil {
		t.Fatal(err)
	}
	// Every image has a box, so every image is opened; 5 decode.
	if calls != 12 || lastDone != 12 || lastTotal != 12 {
		t.Errorf("progress called %d times, last (%d, %d), want 12 times up to (12, 12)", calls, lastDone, lastTotal)
	}
	r := c.Reports[0]
	want := map[string]int{coco.ReasonBadImage: 3, coco.ReasonTooLarge: 1, coco.ReasonSizeMismatch: 1, coco.ReasonMissingFile: 1,
		coco.ReasonPathEscapes: 1, coco.ReasonImageSkipped: 7}
	if !maps.Equal(r.Skipped, want) || r.Kept["cat"] != 5 || r.Images != 12 || r.Annotations != 12 {
		t.Errorf("report %+v, want skipped %v and 5 kept", r, want)
	}
	s := c.Sets[Train]
	if s.N != 5 || s.C != 3 || s.H != 16 || s.W != 16 || c.Sets[Val].N != 0 || c.Sets[Test].N != 0 {
		t.Fatalf("sets of %d, %d, %d crops of %d×%d×%d", s.N, c.Sets[Val].N, c.Sets[Test].N, s.C, s.H, s.W)
	}
	// coco.Image ids 1 good, 2 grey, 3 cmyk, 4 alpha, 5 sub/deep, in that order.
	wantImages := []int64{1, 2, 3, 4, 5}
	for i, r := range c.Refs[Train] {
		if r.ImageID != wantImages[i] || r.AnnotationID != wantImages[i] {
			t.Fatalf("refs %v", c.Refs[Train])
		}
	}
	px := func(i, x, y int) [3]uint8 {
		p := s.Pixels(i)
		o := y*16 + x
		return [3]uint8{p[o], p[256+o], p[512+o]}
	}
	near := func(a, b [3]uint8) bool {
		for k := range 3 {
			if d := int(a[k]) - int(b[k]); d < -3 || d > 3 {
				return false
			}
		}
		return true
	}
	if got := px(1, 8, 8); !near(got, [3]uint8{90, 90, 90}) {
		t.Errorf("grey JPEG crop pixel %v, want RGB (90, 90, 90)", got)
	}
	if got := px(2, 8, 8); !near(got, [3]uint8{255, 0, 0}) {
		t.Errorf("CMYK JPEG crop pixel %v, want red", got)
	}
	if got := px(3, 8, 8); !near(got, [3]uint8{100, 50, 25}) {
		t.Errorf("half-transparent PNG crop pixel %v, want (100, 50, 25): composed over black", got)
	}
	// The gradient's red grows to the right: the crop of box [10,10,50,40] with 10 % context is x
	// 5..65.
	if l, r := px(0, 0, 8)[0], px(0, 15, 8)[0]; !(l < 30 && r > 150) {
		t.Errorf("gradient crop's red runs from %d to %d", l, r)
	}
}

func TestCOCOCropRect(t *testing.T) {
	for _, tc := range []struct {
		name    string
		b       coco.Box
		w, h    int
		context float64
		want    image.Rectangle
	}{
		{"square box no context", coco.Box{X: 10, Y: 10, W: 20, H: 20}, 100, 100, 0, image.Rect(10, 10, 30, 30)},
		{"context 10 % each side", coco.Box{X: 40, Y: 40, W: 20, H: 20}, 100, 100, 0.1, image.Rect(38, 38, 62, 62)},
		{"wide box squared around its centre", coco.Box{X: 10, Y: 40, W: 40, H: 20}, 100, 100, 0, image.Rect(10, 30, 50, 70)},
		{"moved inside at the top left", coco.Box{X: 0, Y: 0, W: 20, H: 20}, 100, 100, 0.5, image.Rect(0, 0, 40, 40)},
		{"moved inside at the bottom right", coco.Box{X: 80, Y: 80, W: 20, H: 20}, 100, 100, 0.5, image.Rect(60, 60, 100, 100)},
		{"shrunk to the shorter side, centred", coco.Box{X: 0, Y: 0, W: 100, H: 50}, 100, 50, 0.1, image.Rect(25, 0, 75, 50)},
		{"tall box in a wide image", coco.Box{X: 45, Y: 0, W: 10, H: 50}, 200, 50, 0.1, image.Rect(25, 0, 75, 50)},
		{"never empty", coco.Box{X: 5, Y: 5, W: 0.2, H: 0.2}, 10, 10, 0, image.Rect(5, 5, 6, 6)},
	} {
		if got := cropRect(tc.b, tc.w, tc.h, tc.context); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// splitFixture is a folder of n images with boxes of three categories (ids with gaps) in unequal
// numbers.
func splitFixture(t testing.TB, n int) (annPath, images string) {
	t.Helper()
	files := map[string][]byte{}
	var ims, anns []string
	id := 1
	for i := range n {
		name := "im" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ".jpg"
		files[name] = jpegBytes(t, uniform(64, 48, color.RGBA{uint8(i * 7), uint8(255 - i*5), uint8(i * 3), 255}))
		ims = append(ims, img(1000+i, name, 64, 48))
		// coco.Category 90 on every image, 17 on two in three, 3 on one in three, 50 on none.
		for _, c := range []int{90, 17, 3} {
			if c == 17 && i%3 == 2 || c == 3 && i%3 != 0 {
				continue
			}
			anns = append(anns, ann(id, 1000+i, c, "[2,2,40,40]"))
			id++
		}
	}
	cats := []string{cat(3, "three"), cat(17, "seventeen"), cat(50, "fifty"), cat(90, "ninety")}
	return writeFixture(t, doc(ims, anns, cats), files)
}

func TestCOCOBuildCropsSplitsByImage(t *testing.T) {
	annPath, images := splitFixture(t, 40)
	opt := Options{Size: 8, MinSize: 16, Seed: 3, Workers: 1}
	a, err := Build(t.Context(), annPath, images, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Classes, []string{"ninety", "seventeen", "three"}) || !slices.Equal(a.CategoryIDs, []int64{90, 17, 3}) {
		t.Errorf("classes %v %v, want the most frequent first", a.Classes, a.CategoryIDs)
	}
	// 40 images: 4 for validation and 4 for test.
	perSplit := [3]map[int64]bool{{}, {}, {}}
	for s := range 3 {
		for i, r := range a.Refs[s] {
			perSplit[s][r.ImageID] = true
			if i > 0 && r.ImageID < a.Refs[s][i-1].ImageID {
				t.Fatalf("%v crops not in image order", Split(s))
			}
		}
	}
	if len(perSplit[Train]) != 32 || len(perSplit[Val]) != 4 || len(perSplit[Test]) != 4 {
		t.Errorf("images per split %d, %d, %d; want 32, 4, 4", len(perSplit[0]), len(perSplit[1]), len(perSplit[2]))
	}
	for id := range perSplit[Val] {
		if perSplit[Train][id] || perSplit[Test][id] {
			t.Errorf("image %d in two splits", id)
		}
	}
	for id := range perSplit[Test] {
		if perSplit[Train][id] {
			t.Errorf("image %d in two splits", id)
		}
	}
	// Same seed, more workers: the same bytes in the same order.
	opt.Workers = 4
	b, err := Build(t.Context(), annPath, images, opt)
	if err != nil {
		t.Fatal(err)
	}
	for s := range 3 {
		if !slices.Equal(allPixels(a.Sets[s]), allPixels(b.Sets[s])) || !slices.Equal(a.Sets[s].Y, b.Sets[s].Y) ||
			!slices.Equal(a.Refs[s], b.Refs[s]) {
			t.Errorf("%v split differs between 1 and 4 workers", Split(s))
		}
	}
	// Another seed, another split.
	opt.Seed = 4
	c, err := Build(t.Context(), annPath, images, opt)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(a.Refs[Test], c.Refs[Test]) {
		t.Error("seeds 3 and 4 give the same test split")
	}
	// Top 2: category 3 is left out and counted.
	opt.TopK = 2
	d, err := Build(t.Context(), annPath, images, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Classes) != 2 || d.Reports[0].Skipped[coco.ReasonNotTopK] != 14 || d.Sets[Train].MaxLabel() != 1 {
		t.Errorf("top 2: classes %v, report %+v", d.Classes, d.Reports[0])
	}
}

func TestCOCOBuildCropsNormalisation(t *testing.T) {
	annPath, images := splitFixture(t, 10)
	for _, n := range []Norm{NormImageNet, NormDataset} {
		c, err := Build(t.Context(), annPath, images, Options{Size: 8, MinSize: 16, Norm: n})
		if err != nil {
			t.Fatal(err)
		}
		wantMean, wantStd := ImageNetMean, ImageNetStd
		if n == NormDataset {
			wantMean, wantStd = c.Mean[:], c.Std[:]
		}
		for s, set := range c.Sets {
			mean, std := set.Norm()
			if !slices.Equal(mean, wantMean) || !slices.Equal(std, wantStd) {
				t.Errorf("%v %v: mean %v std %v", n, Split(s), mean, std)
			}
		}
		// The dataset's statistics normalise its training pixels to mean 0.
		if n == NormDataset {
			s := c.Sets[Train]
			x := make([]float32, s.SampleSize()*s.N)
			y := make([]int, s.N)
			s.Batch(slices.Collect(func(yield func(int) bool) {
				for i := range s.N {
					if !yield(i) {
						return
					}
				}
			}), x, y)
			var sum float64
			for _, v := range x {
				sum += float64(v)
			}
			if m := sum / float64(len(x)); m > 1e-3 || m < -1e-3 {
				t.Errorf("dataset normalisation leaves a mean of %g", m)
			}
		}
	}
}

func TestCOCOBuildCropsTestFile(t *testing.T) {
	annPath, images := splitFixture(t, 12)
	testAnn, testImages := splitFixture(t, 5)
	c, err := Build(t.Context(), annPath, images, Options{Size: 8, MinSize: 16,
		TestAnnotations: testAnn, TestImageDir: testImages, ValFraction: 0.25})
	if err != nil {
		t.Fatal(err)
	}
	// 12 training images: 3 for validation, none for test; the test file's 5 images give the test
	// split.
	if len(c.Reports) != 2 || c.Reports[1].File != testAnn || c.Sets[Test].N != 5+4+2 || c.Sets[Val].N == 0 {
		t.Errorf("reports %+v; sets %d, %d, %d", c.Reports, c.Sets[Train].N, c.Sets[Val].N, c.Sets[Test].N)
	}
	for _, r := range c.Refs[Test] {
		if r.ImageID >= 1005 {
			t.Fatalf("test crop from image %d", r.ImageID)
		}
	}
	// A test file whose categories differ is refused.
	other, otherImages := writeFixture(t, doc([]string{img(1, "a.jpg", 64, 48)}, nil, []string{cat(90, "dog")}), nil)
	_, err = Build(t.Context(), annPath, images, Options{Size: 8, MinSize: 16,
		TestAnnotations: other, TestImageDir: otherImages})
	if err == nil || !strings.Contains(err.Error(), "not the same in the test file") {
		t.Errorf("mismatched test file: %v", err)
	}
}

func TestCOCOBuildCropsErrors(t *testing.T) {
	annPath, images := splitFixture(t, 4)
	for _, tc := range []struct {
		name string
		opt  Options
		want string
	}{
		{"size", Options{Size: 4}, "crop size"},
		{"top", Options{TopK: 300}, "top 300"},
		{"fractions", Options{ValFraction: 0.6, TestFraction: 0.5}, "sum to less than 1"},
		{"norm", Options{Norm: 7}, "normalisation"},
		{"test without images", Options{TestAnnotations: annPath}, "image folder"},
	} {
		if _, err := Build(t.Context(), annPath, images, tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	empty, emptyImages := writeFixture(t, doc(nil, nil, nil), nil)
	if _, err := Build(t.Context(), empty, emptyImages, Options{}); err == nil ||
		!strings.Contains(err.Error(), "no usable boxes") {
		t.Errorf("no boxes: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Build(ctx, annPath, images, Options{MinSize: 16}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestCOCOBuildCropsCOCO128(t *testing.T) {
	annPath, images := coco128(t)
	c, err := Build(t.Context(), annPath, images, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	n := c.Sets[Train].N + c.Sets[Val].N + c.Sets[Test].N
	// 282 boxes of at least 32×32 px in the 10 most frequent categories; all 128 images decode.
	if n != 282 || len(c.Classes) != 10 || c.Classes[0] != "person" || c.Reports[0].Skipped[coco.ReasonBadImage] != 0 {
		t.Errorf("%d crops, classes %v, report %+v", n, c.Classes, c.Reports[0])
	}
	for s, set := range c.Sets {
		if set.H != 64 || set.W != 64 || set.C != 3 || set.MaxLabel() >= 10 {
			t.Errorf("%v: %d×%d×%d, max label %d", Split(s), set.C, set.H, set.W, set.MaxLabel())
		}
	}
}

// withEXIFOrientation inserts an APP1 EXIF segment saying "rotate 90°" (orientation 6) after a
// JPEG's SOI.
func withEXIFOrientation(jpg []byte) []byte {
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08" + // big-endian TIFF, first IFD at 8
		// One entry: Orientation = 6.
		"\x00\x01" + "\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00" +
		"\x00\x00\x00\x00") // no next IFD
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := append([]byte{0xff, 0xe1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}, payload...)
	return append(append(append([]byte(nil), jpg[:2]...), seg...), jpg[2:]...)
}

func TestCOCOBuildCropsIgnoresEXIFOrientation(t *testing.T) {
	plain := jpegBytes(t, gradient(100, 80))
	annPath, images := writeFixture(t, doc([]string{img(1, "a.jpg", 100, 80), img(2, "b.jpg", 100, 80)},
		[]string{ann(1, 1, 7, "[10,10,50,40]"), ann(2, 2, 7, "[10,10,50,40]")}, []string{cat7}),
		map[string][]byte{"a.jpg": plain, "b.jpg": withEXIFOrientation(plain)})
	c, err := Build(t.Context(), annPath, images, Options{Size: 16, ValFraction: -1, TestFraction: -1})
	if err != nil {
		t.Fatal(err)
	}
	// The box is in the raw frame: both files give the same crop, and the 100×80 size checks out.
	if s := c.Sets[Train]; s.N != 2 || !slices.Equal(s.Pixels(0), s.Pixels(1)) {
		t.Errorf("%d crops; the EXIF-rotated file's crop differs: %+v", s.N, c.Reports[0])
	}
}

func TestCOCOBuildCropsClassCap(t *testing.T) {
	annPath, images := splitFixture(t, 40)
	opt := Options{Size: 8, MinSize: 16, Seed: 3, Workers: 1}
	full, err := Build(t.Context(), annPath, images, opt)
	if err != nil {
		t.Fatal(err)
	}
	perClass := func(c *Crops, s Split) []int {
		n := make([]int, len(c.Classes))
		for _, y := range c.Sets[s].Y {
			n[y]++
		}
		return n
	}
	fullTrain := perClass(full, Train)
	const limit = 5
	opt.MaxPerClass = limit
	var decoded int
	opt.Progress = func(_, total int) { decoded = total }
	capped, err := Build(t.Context(), annPath, images, opt)
	if err != nil {
		t.Fatal(err)
	}
	opt.Progress = nil
	if images := len(imageIDs(capped)); decoded != images {
		t.Errorf("decoded %d images for crops from %d", decoded, images)
	}
	got := perClass(capped, Train)
	left := 0
	for c, n := range fullTrain {
		if want := min(n, limit); got[c] != want {
			t.Errorf("class %s: %d training crops, want %d (of %d)", full.Classes[c], got[c], want, n)
		}
		left += n - got[c]
	}
	if left == 0 {
		t.Fatal("the fixture has no class above the cap; the test proves nothing")
	}
	if n := capped.Reports[0].Skipped[coco.ReasonClassCap]; n != left {
		t.Errorf("%d boxes counted over the cap, want %d", n, left)
	}
	for _, s := range []Split{Val, Test} {
		if !slices.Equal(capped.Refs[s], full.Refs[s]) {
			t.Errorf("the cap changed the %v split", s)
		}
	}
	for i, r := range capped.Refs[Train] {
		if i > 0 && r.ImageID < capped.Refs[Train][i-1].ImageID {
			t.Fatal("capped training crops are not in image order")
		}
	}
	// The same seed keeps the same crops; another keeps others.
	again, err := Build(t.Context(), annPath, images, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Refs[Train], capped.Refs[Train]) || !slices.Equal(allPixels(again.Sets[Train]), allPixels(capped.Sets[Train])) {
		t.Error("the same options kept other crops")
	}
	other := opt
	other.Seed = 5
	o, err := Build(t.Context(), annPath, images, other)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(o.Refs[Train], capped.Refs[Train]) {
		t.Error("seeds 3 and 5 kept the same training crops")
	}
	// A cap above every class's count keeps everything.
	opt.MaxPerClass = 1000
	all, err := Build(t.Context(), annPath, images, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(all.Refs[Train], full.Refs[Train]) || all.Reports[0].Skipped[coco.ReasonClassCap] != 0 {
		t.Error("a cap above every count changed the training split")
	}
	// The cache tells capped and uncapped sets apart.
	cache := filepath.Join(t.TempDir(), "crops.cache")
	opt.MaxPerClass, opt.CachePath = limit, cache
	if _, err := Build(t.Context(), annPath, images, opt); err != nil {
		t.Fatal(err)
	}
	opt.MaxPerClass = 0
	uncapped, err := Build(t.Context(), annPath, images, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(perClass(uncapped, Train), fullTrain) {
		t.Errorf("uncapped after a capped build with the same cache: %v, want %v", perClass(uncapped, Train), fullTrain)
	}
	opt.MaxPerClass = -1
	if _, err := Build(t.Context(), annPath, images, opt); err == nil || !strings.Contains(err.Error(), "crops per class") {
		t.Errorf("a negative cap: %v", err)
	}
}

// imageIDs returns the images that crops of c were cut from.
func imageIDs(c *Crops) map[int64]bool {
	ids := map[int64]bool{}
	for _, refs := range c.Refs {
		for _, r := range refs {
			ids[r.ImageID] = true
		}
	}
	return ids
}
