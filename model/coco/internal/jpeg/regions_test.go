package jpeg

import (
	"bytes"
	"image"
	stdjpeg "image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/coco/internal/cocotest"
)

// sameInside reports the first pixel inside r where got and want differ.
func sameInside(got, want image.Image, r image.Rectangle) (image.Point, bool) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if got.At(x, y) != want.At(x, y) {
				return image.Pt(x, y), false
			}
		}
	}
	return image.Point{}, true
}

// TestDecodeRegionsMatchesImageJPEG checks that every pixel inside the regions is what image/jpeg
// decodes, for the photos of coco128 (with random regions, at odd places and of odd sizes) and for
// grey, 4:2:0 colour and CMYK files; and that without regions the whole image is image/jpeg's.
func TestDecodeRegionsMatchesImageJPEG(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var files [][]byte
	grey := image.NewGray(image.Rect(0, 0, 61, 45))
	colour := image.NewRGBA(image.Rect(0, 0, 77, 53))
	for i := range grey.Pix {
		grey.Pix[i] = uint8(rng.IntN(256))
	}
	for i := range colour.Pix {
		colour.Pix[i] = uint8(rng.IntN(256))
	}
	files = append(files, cocotest.JPEG(t, grey), cocotest.JPEG(t, colour),
		cocotest.CMYKJPEG(40, 24, func(bx, by int) [4]uint8 { return [4]uint8{uint8(40 * bx), 90, uint8(60 * by), 30} }))
	dir := os.Getenv("DEFORMSCOPE_COCO128")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "..", "shared", "coco128")
	}
	names, _ := filepath.Glob(filepath.Join(dir, "images", "train2017", "*.jpg"))
	if len(names) == 0 {
		t.Logf("coco128 is not available in %s: only the generated files are tried", dir)
	}
	for i, n := range names {
		if i%4 != 0 {
			// A quarter of coco128 keeps the test short; every photo was tried when it was written.
			continue
		}
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	// Go's own test files: restart markers, progressive scans, every subsampling, grey 2×2, RGB,
	// CMYK, a scan per component (read in place, from the Go installation that runs the test).
	goFiles, _ := filepath.Glob(filepath.Join(runtime.GOROOT(), "src", "image", "testdata", "video-00*.jpeg"))
	if len(goFiles) == 0 {
		t.Logf("Go's image/testdata is not in %s: its JPEG files are not tried", runtime.GOROOT())
	}
	for _, n := range goFiles {
		if strings.Contains(n, "truncated") {
			continue
		}
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		for range 4 {
			files = append(files, b) // each with other random regions below
		}
	}
	for k, b := range files {
		want, err := stdjpeg.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		w, h := want.Bounds().Dx(), want.Bounds().Dy()
		whole, err := DecodeRegions(bytes.NewReader(b), nil)
		if err != nil {
			t.Fatal(err)
		}
		if wy, ok := want.(*image.YCbCr); ok {
			gy := whole.(*image.YCbCr)
			if !bytes.Equal(gy.Y, wy.Y) || !bytes.Equal(gy.Cb, wy.Cb) || !bytes.Equal(gy.Cr, wy.Cr) {
				t.Errorf("file %d: the whole image differs from image/jpeg's", k)
			}
		} else if at, ok := sameInside(whole, want, want.Bounds()); !ok {
			t.Errorf("file %d: the whole image differs from image/jpeg's at %v", k, at)
		}
		var rects []image.Rectangle
		for range 3 {
			x0, y0 := rng.IntN(w), rng.IntN(h)
			rects = append(rects, image.Rect(x0, y0, x0+1+rng.IntN(w-x0), y0+1+rng.IntN(h-y0)))
		}
		got, err := DecodeRegions(bytes.NewReader(b), rects)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rects {
			if at, ok := sameInside(got, want, r); !ok {
				t.Errorf("file %d (%T), region %v: differs from image/jpeg at %v", k, want, r, at)
			}
		}
		// Far from every region, nothing was decoded (for a photo whose regions leave room).
		if k >= 3 && w > 200 {
			far := image.Rect(0, 0, 1, 1)
			for _, r := range rects {
				if r.Inset(-16).Overlaps(far) {
					far = image.Rectangle{}
				}
			}
			gy, ok1 := got.(*image.YCbCr)
			wy, ok2 := want.(*image.YCbCr)
			if !far.Empty() && ok1 && ok2 && wy.Y[0] != 0 && gy.Y[0] != 0 {
				t.Errorf("file %d: pixel (0,0), outside every region, was decoded (Y %d)", k, gy.Y[0])
			}
		}
	}
}

// FuzzDecodeRegions checks that no input makes the region decoder panic; that what it accepts
// image/jpeg decodes to the same pixels inside the region, unless the fault that image/jpeg
// refuses lies in the entropy-coded rows below the region, which DecodeRegions skips (then the
// same decode with the whole image as its region, which skips nothing, refuses it too); and that
// what image/jpeg accepts it accepts, but for a scan after a complete sequential one (skipScan).
func FuzzDecodeRegions(f *testing.F) {
	rng := rand.New(rand.NewPCG(5, 6))
	m := image.NewRGBA(image.Rect(0, 0, 24, 17))
	for i := range m.Pix {
		m.Pix[i] = uint8(rng.IntN(256))
	}
	f.Add(cocotest.JPEG(f, m), 3, 2, 9, 11)
	// Restart markers, progressive scans, grey 2×2 sampling: Go's own test files, when at hand.
	for _, name := range []string{"video-001.restart2.jpeg", "video-001.q50.420.progressive.jpeg",
		"video-005.gray.q50.2x2.jpeg", "video-001.separate.dc.progression.jpeg"} {
		if b, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "src", "image", "testdata", name)); err == nil {
			f.Add(b, 20, 10, 60, 30)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte, x, y, w, h int) {
		// As its caller does (coco.DecodeImageRegions checks the header against a pixel cap first):
		// a header may claim 65535×65535 pixels, and image/jpeg allocates what the header says.
		if cfg, err := DecodeConfig(bytes.NewReader(b)); err != nil || cfg.Width*cfg.Height > 1<<16 {
			return
		}
		r := image.Rect(x, y, x+w, y+h)
		got, err := DecodeRegions(bytes.NewReader(b), []image.Rectangle{r})
		want, werr := stdjpeg.Decode(bytes.NewReader(b))
		if err != nil {
			if werr == nil && err != UnsupportedError("a scan after a complete sequential scan") {
				t.Fatalf("DecodeRegions refuses what image/jpeg accepts: %v", err)
			}
			return
		}
		if werr != nil {
			whole := image.Rect(0, 0, 1<<16, 1<<16)
			if _, err := DecodeRegions(bytes.NewReader(b), []image.Rectangle{whole}); err == nil {
				t.Fatalf("image/jpeg refuses what DecodeRegions accepts, even with the whole image: %v", werr)
			}
			return
		}
		if at, ok := sameInside(got, want, r.Intersect(want.Bounds())); !ok {
			t.Errorf("differs from image/jpeg at %v", at)
		}
	})
}

// TestDecodeRegionsStopsBelowTheRegions checks that a sequential scan stops after the last MCU
// row a region needs: the region's pixels are image/jpeg's even when the entropy-coded data below
// it is garbage (which image/jpeg refuses or decodes differently), the rows below stay zero, and
// a file cut short still fails.
func TestDecodeRegionsStopsBelowTheRegions(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, m := range []image.Image{image.NewRGBA(image.Rect(0, 0, 96, 160)), image.NewGray(image.Rect(0, 0, 96, 160))} {
		switch m := m.(type) {
		case *image.RGBA:
			for i := range m.Pix {
				m.Pix[i] = uint8(rng.IntN(256))
			}
		case *image.Gray:
			for i := range m.Pix {
				m.Pix[i] = uint8(rng.IntN(256))
			}
		}
		b := cocotest.JPEG(t, m)
		want, err := stdjpeg.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		top := image.Rect(10, 5, 60, 40)
		// Garbage over the last quarter of the file's data (the bottom rows), stuffed so that it
		// holds no marker: image/jpeg decodes other pixels there, or refuses the file.
		bad := bytes.Clone(b)
		for i := len(bad) * 3 / 4; i < len(bad)-2; i++ {
			bad[i] = uint8(rng.IntN(255))
		}
		for name, file := range map[string][]byte{"good": b, "garbage below": bad} {
			got, err := DecodeRegions(bytes.NewReader(file), []image.Rectangle{top})
			if err != nil {
				t.Fatalf("%T, %s: %v", m, name, err)
			}
			if at, ok := sameInside(got, want, top); !ok {
				t.Errorf("%T, %s: differs from image/jpeg at %v", m, name, at)
			}
			// Row 100 lies below every MCU row of the region: it was never decoded.
			var below []uint8
			switch g := got.(type) {
			case *image.YCbCr:
				below = g.Y[g.YOffset(0, 100):]
			case *image.Gray:
				below = g.Pix[g.PixOffset(0, 100):]
			}
			if len(below) == 0 || bytes.Count(below, []byte{0}) != len(below) {
				t.Errorf("%T, %s: rows from 100 down, below the region, were decoded", m, name)
			}
		}
		if _, err := DecodeRegions(bytes.NewReader(b[:len(b)-40]), []image.Rectangle{top}); err == nil {
			t.Errorf("%T: a file cut short below the region was accepted", m)
		}
	}
}

// TestDCOnlyBlockMatchesIDCT checks reconstructSequential's shortcut: for a block whose only
// coefficient is the DC one, every pixel idct and storeBlock make equals dcOnlyPixel, for every
// dequantised DC value a file can give (11-bit coefficients times 16-bit quantisers) and values
// far outside, where the int32 arithmetic wraps.
func TestDCOnlyBlockMatchesIDCT(t *testing.T) {
	var dcs []int32
	for dc := int32(-1 << 16); dc <= 1<<16; dc++ {
		dcs = append(dcs, dc)
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for range 100000 {
		dcs = append(dcs, int32(rng.Uint32()))
	}
	dcs = append(dcs, -1<<31, 1<<31-1, 2047*65535, -2048*65535)
	var out [64]byte
	for _, dc := range dcs {
		b := block{0: dc}
		idct(&b)
		storeBlock(&b, out[:], 8)
		want := dcOnlyPixel(dc)
		for i, v := range out {
			if v != want {
				t.Fatalf("DC %d: pixel %d is %d, dcOnlyPixel gives %d", dc, i, v, want)
			}
		}
	}
}

// TestDecodeRegionsOnDamagedFiles holds DecodeRegions to FuzzDecodeRegions's rules on files damaged
// in known ways (cut short, bytes overwritten, a bit flipped in the second half, where the rows
// below a region lie): Go's own test files, 30 damaged copies each. No panic; what image/jpeg
// accepts it accepts, with the same pixels in the region; what only it accepts, the whole-photo
// decode refuses.
func TestDecodeRegionsOnDamagedFiles(t *testing.T) {
	names, _ := filepath.Glob(filepath.Join(runtime.GOROOT(), "src", "image", "testdata", "video-00*.jpeg"))
	if len(names) == 0 {
		t.Skipf("Go's image/testdata is not in %s", runtime.GOROOT())
	}
	rng := rand.New(rand.NewPCG(1, 1))
	n, acc, differ := 0, 0, 0 // tried, accepted, accepted where image/jpeg refuses
	for _, name := range names {
		orig, _ := os.ReadFile(name)
		for k := range 30 {
			b := bytes.Clone(orig)
			switch k % 3 {
			case 0:
				b = b[:rng.IntN(len(b))]
			case 1:
				for range 1 + rng.IntN(4) {
					b[rng.IntN(len(b))] = uint8(rng.IntN(256))
				}
			case 2:
				i := len(b)/2 + rng.IntN(len(b)/2)
				b[i] ^= 1 << rng.IntN(8)
			}
			cfg, err := DecodeConfig(bytes.NewReader(b))
			if err != nil || cfg.Width*cfg.Height > 1<<22 || cfg.Width == 0 || cfg.Height == 0 {
				continue
			}
			x, y := rng.IntN(cfg.Width), rng.IntN(cfg.Height)
			r := image.Rect(x, y, x+1+rng.IntN(cfg.Width-x), y+1+rng.IntN(cfg.Height-y))
			n++
			got, err := DecodeRegions(bytes.NewReader(b), []image.Rectangle{r})
			want, werr := stdjpeg.Decode(bytes.NewReader(b))
			if err != nil {
				if werr == nil && err != UnsupportedError("a scan after a complete sequential scan") {
					t.Errorf("%s mut %d: refuses what image/jpeg accepts: %v", name, k, err)
				}
				continue
			}
			acc++
			if werr != nil {
				differ++
				if _, err := DecodeRegions(bytes.NewReader(b), []image.Rectangle{image.Rect(0, 0, 1<<16, 1<<16)}); err == nil {
					t.Errorf("%s mut %d: whole accepted, image/jpeg refuses: %v", name, k, werr)
				}
				continue
			}
			if at, ok := sameInside(got, want, r.Intersect(want.Bounds())); !ok {
				t.Errorf("%s mut %d: differs at %v", name, k, at)
			}
		}
	}
	if n < 300 || acc == 0 || differ == 0 {
		t.Errorf("%d damaged files decoded, %d accepted, %d of them refused by image/jpeg: the damage"+
			" no longer tries every rule", n, acc, differ)
	}
}
