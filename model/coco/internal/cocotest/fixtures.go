// Package cocotest holds the fixtures that the tests of model/coco and its sub-packages share:
// instances files written from entry texts, images of every kind (grey, CMYK, truncated, huge), and
// the shared COCO128 sample.
package cocotest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// COCO128 returns the training file and image folder of the shared COCO128 sample
// (DEFORMSCOPE_COCO128, or ../shared/coco128 beside the checkout), or skips the test.
func COCO128(t testing.TB) (ann, images string) {
	t.Helper()
	dir := os.Getenv("DEFORMSCOPE_COCO128")
	if dir == "" {
		dir = filepath.Join(moduleRoot(), "..", "shared", "coco128")
	}
	ann = filepath.Join(dir, "annotations", "instances_train2017.json")
	images = filepath.Join(dir, "images", "train2017")
	if _, err := os.Stat(ann); err != nil {
		t.Skipf("COCO128 is not available (%v): set DEFORMSCOPE_COCO128 or provide ../shared/coco128", err)
	}
	return ann, images
}

// Gradient returns a w×h RGB image whose colour changes across it, so that crops of different
// places differ.
func Gradient(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, color.RGBA{uint8(255 * x / w), uint8(255 * y / h), 128, 255})
		}
	}
	return m
}

// Uniform returns a w×h image of one colour.
func Uniform(w, h int, c color.Color) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, c)
		}
	}
	return m
}

// JPEG encodes m at quality 95.
func JPEG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// PNG encodes m.
func PNG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// GreyJPEG encodes a one-channel JPEG, as COCO has a few of.
func GreyJPEG(t testing.TB, w, h int, v uint8) []byte {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = v
	}
	return JPEG(t, m)
}

// HugePNG returns just the signature and header chunk of a PNG that declares w×h pixels: enough for
// image.DecodeConfig, and a file that would take w×h×4 bytes to decode.
func HugePNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// CMYKJPEG hand-builds a baseline 4-component JPEG with an Adobe APP14 marker (transform 0: plain
// CMYK, stored inverted as Adobe writes it), since image/jpeg encodes only grey and YCbCr. The
// image is w×h pixels (multiples of 8), every 8×8 block of one colour, given by at(block x, block
// y) as C, M, Y, K bytes. Each block holds only its DC coefficient; the tables are the smallest
// that work: all quantisers 1, DC categories 0..11 coded on 4 bits, and the AC table with EOB
// alone.
func CMYKJPEG(w, h int, at func(bx, by int) [4]uint8) []byte {
	var b bytes.Buffer
	seg := func(marker byte, payload ...byte) {
		b.Write([]byte{0xff, marker})
		binary.Write(&b, binary.BigEndian, uint16(len(payload)+2))
		b.Write(payload)
	}
	b.Write([]byte{0xff, 0xd8})
	seg(0xee, append([]byte("Adobe"), 0, 100, 0, 0, 0, 0, 0)...)
	seg(0xdb, append([]byte{0}, bytes.Repeat([]byte{1}, 64)...)...)
	sof := []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 4}
	for c := range 4 {
		sof = append(sof, byte(c+1), 0x11, 0)
	}
	seg(0xc0, sof...)
	dc := make([]byte, 17, 17+12)
	dc[0], dc[4] = 0x00, 12 // class 0 table 0; 12 codes of length 4
	for v := range 12 {
		dc = append(dc, byte(v))
	}
	seg(0xc4, dc...)
	ac := make([]byte, 17, 18)
	ac[0], ac[1] = 0x10, 1 // class 1 table 0; 1 code of length 1
	seg(0xc4, append(ac, 0x00)...)
	sos := []byte{4}
	for c := range 4 {
		sos = append(sos, byte(c+1), 0x00)
	}
	seg(0xda, append(sos, 0, 63, 0)...)

	var bits bitWriter
	var prev [4]int
	for by := range h / 8 {
		for bx := range w / 8 {
			col := at(bx, by)
			for c := range 4 {
				// A block of level v has DC coefficient 8(v-128); the file stores 255-v.
				v := 8 * (int(255-col[c]) - 128)
				diff := v - prev[c]
				prev[c] = v
				cat, mag := 0, diff
				if mag < 0 {
					mag = -mag
				}
				for mag>>cat != 0 {
					cat++
				}
				bits.put(uint32(cat), 4)
				if cat > 0 {
					if diff < 0 {
						diff += 1<<cat - 1
					}
					bits.put(uint32(diff), cat)
				}
				bits.put(0, 1) // EOB
			}
		}
	}
	b.Write(bits.flush())
	b.Write([]byte{0xff, 0xd9})
	return b.Bytes()
}

// bitWriter packs entropy-coded bits, stuffing a zero after every 0xff byte.
type bitWriter struct {
	out  []byte
	acc  uint32
	nacc int
}

func (w *bitWriter) put(v uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		w.acc = w.acc<<1 | (v>>i)&1
		w.nacc++
		if w.nacc == 8 {
			w.out = append(w.out, byte(w.acc))
			if byte(w.acc) == 0xff {
				w.out = append(w.out, 0)
			}
			w.acc, w.nacc = 0, 0
		}
	}
}

func (w *bitWriter) flush() []byte {
	for w.nacc != 0 {
		w.put(1, 1)
	}
	return w.out
}

// Doc assembles an instances file from the JSON texts of its entries.
func Doc(images, anns, cats []string) string {
	return fmt.Sprintf(`{"info":{"year":2017},"images":[%s],"annotations":[%s],"categories":[%s],"licenses":[]}`,
		strings.Join(images, ","), strings.Join(anns, ","), strings.Join(cats, ","))
}

// Img is the JSON text of an image entry.
func Img(id int, name string, w, h int) string {
	return fmt.Sprintf(`{"id":%d,"file_name":%q,"width":%d,"height":%d,"license":1}`, id, name, w, h)
}

// Cat is the JSON text of a category entry.
func Cat(id int, name string) string {
	return fmt.Sprintf(`{"id":%d,"name":%q,"supercategory":"thing"}`, id, name)
}

// Ann is the JSON text of an annotation entry with the given bbox text.
func Ann(id, image, category int, bbox string) string {
	return fmt.Sprintf(`{"id":%d,"image_id":%d,"category_id":%d,"bbox":%s,"area":1,"iscrowd":0,`+
		`"segmentation":[[1.5,2,3,4.25,5,6]]}`, id, image, category, bbox)
}

// WriteFixture writes files (name → bytes) into a new folder and the instances text as ann.json
// beside the images folder; it returns the file's path and the images folder.
func WriteFixture(t testing.TB, text string, files map[string][]byte) (annPath, images string) {
	t.Helper()
	dir := t.TempDir()
	images = filepath.Join(dir, "images")
	if err := os.MkdirAll(images, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		p := filepath.Join(images, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	annPath = filepath.Join(dir, "ann.json")
	if err := os.WriteFile(annPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return annPath, images
}

// DecodeJSONFile reads a whole JSON file with encoding/json, as a reference for the streaming
// parser.
func DecodeJSONFile(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// moduleRoot returns the folder of go.mod above the working directory (a test's package folder), or
// "." if none.
func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return "."
		}
	}
}

// ImageFaults is a folder with an image of every kind, good and bad, and an instances file with one
// box on each.
func ImageFaults(t *testing.T) (annPath, images string) {
	t.Helper()
	trunc := JPEG(t, Gradient(100, 80))
	alpha := image.NewNRGBA(image.Rect(0, 0, 100, 80))
	for i := 0; i < len(alpha.Pix); i += 4 {
		copy(alpha.Pix[i:], []byte{200, 100, 50, 128})
	}
	files := map[string][]byte{
		"good.jpg":      JPEG(t, Gradient(100, 80)),
		"grey.jpg":      GreyJPEG(t, 100, 80, 90),
		"cmyk.jpg":      CMYKJPEG(96, 80, func(int, int) [4]uint8 { return [4]uint8{0, 255, 255, 0} }),
		"alpha.png":     PNG(t, alpha),
		"sub/deep.png":  PNG(t, Gradient(100, 80)),
		"trunc.jpg":     trunc[:len(trunc)/2],
		"text.jpg":      []byte("this is not an image\n"),
		"huge.png":      HugePNG(100000, 100000),
		"wrongsize.jpg": JPEG(t, Gradient(60, 40)),
	}
	names := []string{"good.jpg", "grey.jpg", "cmyk.jpg", "alpha.png", "sub/deep.png", "trunc.jpg", "text.jpg",
		"huge.png", "wrongsize.jpg", "missing.jpg", "link.jpg", "folder.jpg"}
	var ims, anns []string
	for i, name := range names {
		w := 100
		if name == "cmyk.jpg" {
			w = 96
		}
		ims = append(ims, Img(i+1, name, w, 80))
		anns = append(anns, Ann(i+1, i+1, 7, "[10,10,50,40]"))
	}
	annPath, images = WriteFixture(t, Doc(ims, anns, []string{Cat(7, "cat")}), files)
	outside := filepath.Join(filepath.Dir(images), "outside.jpg")
	if err := os.WriteFile(outside, files["good.jpg"], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(images, "link.jpg")); err != nil {
		t.Skipf("cannot make a symbolic link: %v", err)
	}
	if err := os.Mkdir(filepath.Join(images, "folder.jpg"), 0o755); err != nil {
		t.Fatal(err)
	}
	return annPath, images
}
