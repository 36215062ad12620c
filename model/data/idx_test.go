package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// idxImages builds an idx3 image file with the given header and pixels; the header need not match
// the pixels.
func idxImages(magic, n, rows, cols uint32, pix []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	b = binary.BigEndian.AppendUint32(b, n)
	b = binary.BigEndian.AppendUint32(b, rows)
	b = binary.BigEndian.AppendUint32(b, cols)
	return append(b, pix...)
}

// idxLabels builds an idx1 label file with the given header and labels.
func idxLabels(magic, n uint32, labels []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	b = binary.BigEndian.AppendUint32(b, n)
	return append(b, labels...)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		panic(err)
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

func labelSeq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 10)
	}
	return b
}

// validImages is 3 images of 2×3 pixels; validLabels is 20 labels.
var (
	validImages = idxImages(idxImagesMagic, 3, 2, 3, seq(18))
	validLabels = idxLabels(idxLabelsMagic, 20, labelSeq(20))
)

func withLabel(labels []byte, i int, v byte) []byte {
	l := bytes.Clone(labels)
	l[i] = v
	return l
}

// idxCase is one idx file: valid when wantErr is empty, else wantErr is a fragment of the expected
// fault. The same table feeds the tests and the fuzz corpora.
type idxCase struct {
	name    string
	labels  bool // a label file, else an image file
	data    []byte
	wantErr string
}

var idxCases = []idxCase{
	{name: "images valid raw", data: validImages},
	{name: "images valid gz", data: gz(validImages)},
	{name: "images valid multi-member gz", data: append(gz(validImages[:10]), gz(validImages[10:])...)},
	{name: "images zero images", data: idxImages(idxImagesMagic, 0, 28, 28, nil)},
	{name: "images empty file", data: nil, wantErr: "empty file"},
	{name: "images empty gz", data: gz(nil), wantErr: "empty file"},
	{name: "images short header", data: validImages[:10], wantErr: "file holds 10 bytes, too short for an idx3 image header"},
	{name: "images wrong magic labels", data: validLabels, wantErr: "magic number 0x00000801 (idx1 labels), want 0x00000803 (idx3 images)"},
	{name: "images wrong magic garbage", data: idxImages(0xdeadbeef, 3, 2, 3, seq(18)), wantErr: "magic number 0xdeadbeef (not an MNIST idx file)"},
	{name: "images wrong magic gz", data: gz(idxImages(0x00000802, 3, 2, 3, seq(18))), wantErr: "magic number 0x00000802"},
	{
		name:    "images count too big",
		data:    idxImages(idxImagesMagic, 60000, 28, 28, seq(1234)),
		wantErr: "header says 60000 images of 28x28 (47040000 bytes) but file holds 1234 bytes of pixel data",
	},
	{
		name:    "images count too big gz",
		data:    gz(idxImages(idxImagesMagic, 4, 2, 3, seq(18))),
		wantErr: "header says 4 images of 2x3 (24 bytes) but file holds 18 bytes of pixel data",
	},
	{
		name:    "images count huge",
		data:    idxImages(idxImagesMagic, 0xffffffff, 4096, 4096, nil),
		wantErr: "header says 4294967295 images of 4096x4096 (72057594021150720 bytes) but file holds 0 bytes",
	},
	{
		name:    "images count too small",
		data:    idxImages(idxImagesMagic, 2, 2, 3, seq(18)),
		wantErr: "header says 2 images of 2x3 (12 bytes) but file holds 18 bytes of pixel data (6 trailing bytes)",
	},
	{name: "images trailing bytes", data: append(bytes.Clone(validImages), 0), wantErr: "(1 trailing bytes)"},
	{name: "images zero rows", data: idxImages(idxImagesMagic, 3, 0, 3, nil), wantErr: "images of 0x3 (want rows and cols in 1..4096)"},
	{name: "images zero cols", data: idxImages(idxImagesMagic, 3, 2, 0, nil), wantErr: "images of 2x0"},
	{name: "images too wide", data: idxImages(idxImagesMagic, 1, 1, 5000, seq(5000)), wantErr: "images of 1x5000"},
	{name: "images rows overflow", data: idxImages(idxImagesMagic, 1, 0xffffffff, 0xffffffff, nil), wantErr: "images of 4294967295x4294967295"},
	{name: "images truncated gz", data: gz(validImages)[:30], wantErr: "truncated gzip stream"},
	{name: "images truncated gz header", data: gz(validImages)[:5], wantErr: "truncated gzip stream"},
	{name: "images gz magic only", data: []byte{0x1f, 0x8b}, wantErr: "truncated gzip stream"},
	{name: "images gz no trailer", data: func() []byte { z := gz(validImages); return z[:len(z)-8] }(), wantErr: "truncated gzip stream"},
	{
		name:    "images gz bad checksum",
		data:    func() []byte { z := bytes.Clone(gz(validImages)); z[len(z)-8] ^= 0xff; return z }(),
		wantErr: "bad gzip stream: gzip: invalid checksum",
	},
	{name: "images gz trailing garbage", data: append(gz(validImages), "not a gzip member"...), wantErr: "bad gzip stream: gzip: invalid header"},
	// Four bytes are too few for the next member's header.
	{name: "images gz trailing junk", data: append(gz(validImages), "junk"...), wantErr: "truncated gzip stream"},

	{name: "labels valid raw", labels: true, data: validLabels},
	{name: "labels valid gz", labels: true, data: gz(validLabels)},
	{name: "labels empty file", labels: true, data: nil, wantErr: "empty file"},
	{name: "labels short header", labels: true, data: validLabels[:7], wantErr: "file holds 7 bytes, too short for an idx1 label header"},
	{name: "labels wrong magic images", labels: true, data: validImages, wantErr: "magic number 0x00000803 (idx3 images), want 0x00000801 (idx1 labels)"},
	{
		name:    "labels label 10",
		labels:  true,
		data:    gz(idxLabels(idxLabelsMagic, 20, withLabel(labelSeq(20), 17, 10))),
		wantErr: "label 10 at index 17 (want 0..9)",
	},
	{name: "labels label 255", labels: true, data: idxLabels(idxLabelsMagic, 2, []byte{3, 255}), wantErr: "label 255 at index 1 (want 0..9)"},
	{name: "labels count too big", labels: true, data: idxLabels(idxLabelsMagic, 60000, labelSeq(20)), wantErr: "header says 60000 labels but file holds 20 bytes of label data"},
	{name: "labels count huge", labels: true, data: idxLabels(idxLabelsMagic, 0xffffffff, nil), wantErr: "header says 4294967295 labels but file holds 0 bytes"},
	{name: "labels count too small", labels: true, data: idxLabels(idxLabelsMagic, 19, labelSeq(20)), wantErr: "(1 trailing bytes)"},
	{name: "labels truncated gz", labels: true, data: gz(validLabels)[:20], wantErr: "truncated gzip stream"},
}

func parseCase(c idxCase, name string) (n int, err error) {
	if c.labels {
		l, err := ParseIDXLabels(bytes.NewReader(c.data), name)
		return len(l), err
	}
	img, err := ParseIDXImages(bytes.NewReader(c.data), name)
	if err != nil {
		return 0, err
	}
	return img.N, nil
}

func TestParseIDX(t *testing.T) {
	for _, c := range idxCases {
		t.Run(c.name, func(t *testing.T) {
			const name = "some-dir/t10k-images-idx3-ubyte.gz"
			_, err := parseCase(c, name)
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want one saying %q", c.wantErr)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "data: "+name+": ") {
				t.Errorf("error %q does not start with %q", msg, "data: "+name+": ")
			}
			if !strings.Contains(msg, c.wantErr) {
				t.Errorf("error %q does not mention %q", msg, c.wantErr)
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.File != name {
				t.Errorf("error %#v is not a *FileError for %q", err, name)
			}
			if strings.Contains(c.wantErr, "truncated") && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("truncation error %v does not wrap io.ErrUnexpectedEOF", err)
			}
		})
	}
}

// TestParseIDXAllocation checks that no header count drives an allocation: every case, including
// headers that claim gigabytes, parses with a small fixed budget (flate's decompressor state is the
// largest part).
func TestParseIDXAllocation(t *testing.T) {
	const budget = 256 << 10
	for _, c := range idxCases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, _ = parseCase(c, "x")
			runtime.ReadMemStats(&after)
			if got := after.TotalAlloc - before.TotalAlloc; got > budget {
				t.Errorf("parsing %d bytes allocated %d bytes, want at most %d", len(c.data), got, budget)
			}
		})
	}
}

func TestReadIDXRoundTrip(t *testing.T) {
	dir := t.TempDir()
	pix := seq(5 * 4 * 3)
	labels := labelSeq(5)
	rawImages := idxImages(idxImagesMagic, 5, 4, 3, pix)
	rawLabels := idxLabels(idxLabelsMagic, 5, labels)
	tests := []struct {
		name         string
		images, lbls []byte
	}{
		{name: "raw", images: rawImages, lbls: rawLabels},
		{name: "gz", images: gz(rawImages), lbls: gz(rawLabels)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Named without .gz on purpose: gzip is detected by its magic, not by the name.
			ip := filepath.Join(dir, tc.name+"-images")
			lp := filepath.Join(dir, tc.name+"-labels")
			if err := os.WriteFile(ip, tc.images, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(lp, tc.lbls, 0o644); err != nil {
				t.Fatal(err)
			}
			img, err := ReadIDXImages(ip)
			if err != nil {
				t.Fatal(err)
			}
			if img.N != 5 || img.Rows != 4 || img.Cols != 3 || !bytes.Equal(img.Pix, pix) {
				t.Errorf("got %d images of %dx%d, pix %v; want 5 of 4x3, pix %v", img.N, img.Rows, img.Cols, img.Pix, pix)
			}
			if got := img.Image(2); !bytes.Equal(got, pix[24:36]) {
				t.Errorf("Image(2) = %v, want %v", got, pix[24:36])
			}
			l, err := ReadIDXLabels(lp)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(l, labels) {
				t.Errorf("labels %v, want %v", l, labels)
			}
		})
	}
}

func TestReadIDXMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope-idx3-ubyte.gz")
	for _, read := range []func(string) error{
		func(p string) error { _, err := ReadIDXImages(p); return err },
		func(p string) error { _, err := ReadIDXLabels(p); return err },
	} {
		err := read(p)
		if err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), p) {
			t.Errorf("error %v: want one naming %s and wrapping fs.ErrNotExist", err, p)
		}
		if strings.Count(err.Error(), p) != 1 {
			t.Errorf("error %q names the file more than once", err)
		}
	}
}

func TestReadCapped(t *testing.T) {
	tests := []struct {
		name       string
		n          int
		hint       int64
		limit      int
		wantTooBig bool
	}{
		{name: "exact hint", n: 1000, hint: 1000, limit: 1000},
		{name: "no hint", n: 100000, hint: 0, limit: 1 << 20},
		{name: "hint too small", n: 100000, hint: 10, limit: 1 << 20},
		{name: "hint too big", n: 10, hint: 1 << 40, limit: 1 << 20},
		{name: "negative hint", n: 10, hint: -5, limit: 1 << 20},
		{name: "one over the limit", n: 1001, hint: 1001, limit: 1000, wantTooBig: true},
		{name: "far over the limit", n: 100000, hint: 0, limit: 1000, wantTooBig: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := seq(tc.n)
			got, err := readCapped(io.LimitReader(bytes.NewReader(in), int64(tc.n)), tc.hint, tc.limit)
			if tc.wantTooBig {
				if !errors.Is(err, errTooLarge) {
					t.Fatalf("err = %v, want errTooLarge", err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, in) {
				t.Fatalf("got %d bytes, err %v; want the %d bytes back", len(got), err, tc.n)
			}
			if cap(got) > 2*tc.limit+1 {
				t.Errorf("cap %d far above the limit %d", cap(got), tc.limit)
			}
		})
	}
}

// TestParseIDXGzipBomb feeds a gzip stream that decompresses past MaxIDXBytes.
func TestParseIDXGzipBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("compresses 64 MiB")
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if _, err := zw.Write(idxImages(idxImagesMagic, 1, 1, 1, make([]byte, MaxIDXBytes))); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := ParseIDXImages(&buf, "bomb.gz")
	if err == nil || !strings.Contains(err.Error(), "data: bomb.gz: decompressed gzip stream is larger than the 64 MiB limit") {
		t.Fatalf("err = %v, want the size limit", err)
	}
}

func FuzzParseIDXImages(f *testing.F) {
	for _, c := range idxCases {
		f.Add(c.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := ParseIDXImages(bytes.NewReader(data), "fuzz")
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || fe.File != "fuzz" {
				t.Fatalf("error %v is not a *FileError naming the input", err)
			}
			return
		}
		if img.Rows < 1 || img.Cols < 1 || img.Rows > MaxIDXSide || img.Cols > MaxIDXSide ||
			len(img.Pix) != img.N*img.Rows*img.Cols {
			t.Fatalf("accepted inconsistent images: N %d, %dx%d, %d pixels", img.N, img.Rows, img.Cols, len(img.Pix))
		}
		plain, err := decompress(data, "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		if again := idxImages(idxImagesMagic, uint32(img.N), uint32(img.Rows), uint32(img.Cols), img.Pix); !bytes.Equal(again, plain) {
			t.Fatal("re-encoding the parsed images does not give the input back")
		}
	})
}

func FuzzParseIDXLabels(f *testing.F) {
	for _, c := range idxCases {
		f.Add(c.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		labels, err := ParseIDXLabels(bytes.NewReader(data), "fuzz")
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || fe.File != "fuzz" {
				t.Fatalf("error %v is not a *FileError naming the input", err)
			}
			return
		}
		for i, l := range labels {
			if l > 9 {
				t.Fatalf("accepted label %d at %d", l, i)
			}
		}
		plain, err := decompress(data, "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		if again := idxLabels(idxLabelsMagic, uint32(len(labels)), labels); !bytes.Equal(again, plain) {
			t.Fatal("re-encoding the parsed labels does not give the input back")
		}
	})
}
