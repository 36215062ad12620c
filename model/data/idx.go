package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/deformscope/deformscope/internal/safeopen"
)

// Magic numbers of the two idx file kinds MNIST uses: unsigned bytes (0x08) in 3 dimensions
// (images) or 1 (labels).
const (
	idxImagesMagic = 0x00000803
	idxLabelsMagic = 0x00000801

	imagesHeaderLen = 16 // magic, count, rows, cols: four big-endian uint32s
	labelsHeaderLen = 8  // magic, count
)

// MaxIDXBytes is the largest idx file, after decompression, that the readers accept (64 MiB).
// MNIST's biggest file, the training images, is 47,040,016 bytes. The cap bounds what a corrupt or
// hostile file can make the reader allocate: nothing is sized from a header count before that count
// has been checked against the bytes read.
const MaxIDXBytes = 64 << 20

// MaxIDXSide is the largest number of rows or columns an image file may declare.
const MaxIDXSide = 4096

// NumClasses is the number of MNIST classes; labels run from 0 to NumClasses-1.
const NumClasses = 10

// Images holds N greyscale images of Rows×Cols pixels, as read from an idx3 file.
type Images struct {
	// N is the number of images.
	N int
	// Rows and Cols are the height and width of every image.
	Rows, Cols int
	// Pix holds the pixels, image after image, each row-major: N*Rows*Cols bytes, 0 is black and
	// 255 white.
	Pix []uint8
}

// Image returns the pixels of image i (a view into Pix, not a copy). It panics if i is out of
// range.
func (m *Images) Image(i int) []uint8 {
	if i < 0 || i >= m.N {
		panic(fmt.Sprintf("data: image index %d out of range [0, %d)", i, m.N))
	}
	size := m.Rows * m.Cols
	return m.Pix[i*size : (i+1)*size : (i+1)*size]
}

// FileError reports a file that could not be read or is malformed: which file and what is wrong
// with it.
type FileError struct {
	// File is the file's path or name, as given to the reader.
	File string
	// Err says what is wrong; errors.Is and errors.As see through FileError to it
	// (io.ErrUnexpectedEOF for a truncated gzip stream, fs.ErrNotExist for a missing file, ...).
	Err error
}

// Error returns "data: FILE: FAULT".
func (e *FileError) Error() string { return "data: " + e.File + ": " + e.Err.Error() }

// Unwrap returns the underlying fault.
func (e *FileError) Unwrap() error { return e.Err }

func fileErr(name, format string, args ...any) error {
	return &FileError{File: name, Err: fmt.Errorf(format, args...)}
}

// errTooLarge is returned by readCapped when the input runs past its limit.
var errTooLarge = errors.New("too large")

// ReadIDXImages reads an idx3 image file (magic 0x00000803), raw or gzip-compressed.
// Errors are *FileError values naming path.
func ReadIDXImages(path string) (*Images, error) {
	raw, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return parseImages(raw, path)
}

// ReadIDXLabels reads an idx1 label file (magic 0x00000801), raw or gzip-compressed, and checks
// that every label lies in 0..9. Errors are *FileError values naming path.
func ReadIDXLabels(path string) ([]uint8, error) {
	raw, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return parseLabels(raw, path)
}

// ParseIDXImages is ReadIDXImages for a stream: it reads r to its end (at most MaxIDXBytes) and
// parses it as an idx3 image file. name is the file name that errors report.
func ParseIDXImages(r io.Reader, name string) (*Images, error) {
	raw, err := readStream(r, name)
	if err != nil {
		return nil, err
	}
	return parseImages(raw, name)
}

// ParseIDXLabels is ReadIDXLabels for a stream: it reads r to its end (at most MaxIDXBytes) and
// parses it as an idx1 label file. name is the file name that errors report.
func ParseIDXLabels(r io.Reader, name string) ([]uint8, error) {
	raw, err := readStream(r, name)
	if err != nil {
		return nil, err
	}
	return parseLabels(raw, name)
}

// readFile reads the file at path, decompressing it if it is gzip.
func readFile(path string) ([]byte, error) {
	f, err := safeopen.Open(path)
	if err != nil {
		return nil, pathErr(path, err)
	}
	defer f.Close()
	var hint int64
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		hint = st.Size()
	}
	raw, err := readCapped(f, hint, MaxIDXBytes)
	if err != nil {
		return nil, readErr(path, err, "file")
	}
	return decompress(raw, path)
}

// readStream reads r to its end, decompressing it if it is gzip.
func readStream(r io.Reader, name string) ([]byte, error) {
	raw, err := readCapped(r, 0, MaxIDXBytes)
	if err != nil {
		return nil, readErr(name, err, "file")
	}
	return decompress(raw, name)
}

// pathErr turns an *fs.PathError into a FileError without repeating the path.
func pathErr(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &FileError{File: path, Err: fmt.Errorf("%s: %w", pe.Op, pe.Err)}
	}
	return &FileError{File: path, Err: err}
}

func readErr(name string, err error, what string) error {
	if errors.Is(err, errTooLarge) {
		return fileErr(name, "%s is larger than the %d MiB limit", what, MaxIDXBytes>>20)
	}
	return &FileError{File: name, Err: err}
}

// decompress returns raw itself if it is not gzip (magic 0x1f 0x8b), and its decompressed content
// otherwise. The gzip stream is read to its end, so a truncated stream or a bad checksum is an
// error, as is any byte after the last gzip member.
func decompress(raw []byte, name string) ([]byte, error) {
	if len(raw) < 2 || raw[0] != 0x1f || raw[1] != 0x8b {
		return raw, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, gzipErr(name, err)
	}
	// The gzip trailer's ISIZE (the last member's length mod 2^32) sizes the buffer so that the
	// common case reads into one exact allocation. It is only a hint, bounded by the bytes actually
	// present: MNIST's files compress 2 to 5 times, so a claim above 64 times the input starts
	// smaller, and readCapped grows or stops the buffer whatever the hint says.
	hint := int64(binary.LittleEndian.Uint32(raw[len(raw)-4:]))
	hint = min(hint, int64(len(raw))*64)
	out, err := readCapped(zr, hint, MaxIDXBytes)
	if err != nil {
		if errors.Is(err, errTooLarge) {
			return nil, readErr(name, err, "decompressed gzip stream")
		}
		return nil, gzipErr(name, err)
	}
	return out, nil
}

func gzipErr(name string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &FileError{File: name, Err: fmt.Errorf("truncated gzip stream: %w", io.ErrUnexpectedEOF)}
	}
	return &FileError{File: name, Err: fmt.Errorf("bad gzip stream: %w", err)}
}

// readCapped reads r to its end into a buffer of initial capacity hint and returns errTooLarge once
// more than limit bytes have been read. The hint is clamped to limit, so it never makes readCapped
// allocate more than the cap allows.
func readCapped(r io.Reader, hint int64, limit int) ([]byte, error) {
	hint = max(0, min(hint, int64(limit)))
	// One spare byte so that the read that meets EOF does not force the buffer to grow.
	buf := make([]byte, 0, int(hint)+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > limit {
			return nil, errTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// parseImages checks an idx3 image file's header against its length and returns its images.
// The pixels alias data.
func parseImages(data []byte, name string) (*Images, error) {
	if len(data) == 0 {
		return nil, fileErr(name, "empty file")
	}
	if len(data) < imagesHeaderLen {
		return nil, fileErr(name, "file holds %d bytes, too short for an idx3 image header (%d bytes)",
			len(data), imagesHeaderLen)
	}
	if err := checkMagic(data, idxImagesMagic, name); err != nil {
		return nil, err
	}
	n := uint64(binary.BigEndian.Uint32(data[4:]))
	rows := uint64(binary.BigEndian.Uint32(data[8:]))
	cols := uint64(binary.BigEndian.Uint32(data[12:]))
	if rows == 0 || cols == 0 || rows > MaxIDXSide || cols > MaxIDXSide {
		return nil, fileErr(name, "header says images of %dx%d (want rows and cols in 1..%d)", rows, cols, MaxIDXSide)
	}
	// n < 2^32 and rows*cols <= 2^24, so the product fits in a uint64.
	want := n * rows * cols
	got := uint64(len(data) - imagesHeaderLen)
	if want > got {
		return nil, fileErr(name, "header says %d images of %dx%d (%d bytes) but file holds %d bytes of pixel data",
			n, rows, cols, want, got)
	}
	if want < got {
		return nil, fileErr(name, "header says %d images of %dx%d (%d bytes) but file holds %d bytes of pixel data "+
			"(%d trailing bytes)", n, rows, cols, want, got, got-want)
	}
	pix := data[imagesHeaderLen:len(data):len(data)]
	return &Images{N: int(n), Rows: int(rows), Cols: int(cols), Pix: pix}, nil
}

// parseLabels checks an idx1 label file's header against its length and every label against 0..9.
// The labels alias data.
func parseLabels(data []byte, name string) ([]uint8, error) {
	if len(data) == 0 {
		return nil, fileErr(name, "empty file")
	}
	if len(data) < labelsHeaderLen {
		return nil, fileErr(name, "file holds %d bytes, too short for an idx1 label header (%d bytes)",
			len(data), labelsHeaderLen)
	}
	if err := checkMagic(data, idxLabelsMagic, name); err != nil {
		return nil, err
	}
	n := uint64(binary.BigEndian.Uint32(data[4:]))
	got := uint64(len(data) - labelsHeaderLen)
	if n > got {
		return nil, fileErr(name, "header says %d labels but file holds %d bytes of label data", n, got)
	}
	if n < got {
		return nil, fileErr(name, "header says %d labels but file holds %d bytes of label data (%d trailing bytes)",
			n, got, got-n)
	}
	labels := data[labelsHeaderLen:len(data):len(data)]
	for i, l := range labels {
		if l >= NumClasses {
			return nil, fileErr(name, "label %d at index %d (want 0..%d)", l, i, NumClasses-1)
		}
	}
	return labels, nil
}

func checkMagic(data []byte, want uint32, name string) error {
	got := binary.BigEndian.Uint32(data)
	if got == want {
		return nil
	}
	kind := func(m uint32) string {
		switch m {
		case idxImagesMagic:
			return "idx3 images"
		case idxLabelsMagic:
			return "idx1 labels"
		}
		return "not an MNIST idx file"
	}
	return fileErr(name, "magic number 0x%08x (%s), want 0x%08x (%s)", got, kind(got), want, kind(want))
}
