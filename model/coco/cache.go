package coco

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/deformscope/deformscope/model/atomicfile"
	"github.com/deformscope/deformscope/model/data"
	"github.com/deformscope/deformscope/model/regular"
)

// The crop cache is one file:
//
//	magic    8 bytes  "DSCOCOCR"
//	version  uint32   little-endian, cacheVersion
//	key      32 bytes SHA-256 of the inputs and options (cacheKey)
//	hdrLen   uint32   length of the header
//	header   JSON     cacheHeader
//	payload           per split (train, val, test): n labels (1 byte each), n refs (image id, annotation id as
//	                  little-endian int64), n crops of 3×size×size bytes
//	sum      32 bytes SHA-256 of everything before it
//
// The reader checks every length against the file's size before it allocates, and the sum before it trusts a byte.
const (
	cacheMagic   = "DSCOCOCR"
	cacheVersion = 1
	maxHeader    = 64 << 20
	fixedLen     = 8 + 4 + 32 + 4 + 32
	refLen       = 16
)

type cacheReport struct {
	File        string
	Images      int
	Annotations int
	Kept        map[string]int
	Kinds       Skips
	Info        map[string]int
}

type cacheHeader struct {
	Size        int
	Counts      [3]int
	Classes     []string
	CategoryIDs []int64
	Mean, Std   [3]float32
	Reports     []cacheReport
}

// cacheKey hashes what the crops depend on: the files' paths, sizes and modification times, the image folders,
// and the options that change a crop (not Norm, Workers, Progress or the cache's own path).
func cacheKey(ann, imageDir string, opt CropOptions) ([32]byte, error) {
	type file struct {
		Path  string
		Size  int64
		MTime int64
	}
	stat := func(p string) (file, error) {
		abs, err := filepath.Abs(p)
		if err != nil {
			return file{}, fmt.Errorf("coco: %w", err)
		}
		st, err := os.Stat(abs)
		if err != nil {
			return file{}, fmt.Errorf("coco: %w", err)
		}
		return file{abs, st.Size(), st.ModTime().UnixNano()}, nil
	}
	k := struct {
		Version                   int
		Ann, ImageDir             file
		TestAnn, TestImageDir     file
		Size                      int
		Context, MinSize          float64
		MaxPixels                 int64
		TopK                      int
		ValFraction, TestFraction float64
		Seed                      uint64
		MaxPerClass               int `json:",omitempty"` // absent when 0: caches from before the cap still match
	}{Version: cacheVersion, Size: opt.Size, Context: opt.Context, MinSize: opt.MinSize, MaxPixels: opt.MaxPixels,
		TopK: opt.TopK, ValFraction: opt.ValFraction, TestFraction: opt.TestFraction, Seed: opt.Seed,
		MaxPerClass: opt.MaxPerClass}
	var err error
	if k.Ann, err = stat(ann); err != nil {
		return [32]byte{}, err
	}
	if k.ImageDir, err = stat(imageDir); err != nil {
		return [32]byte{}, err
	}
	if opt.TestAnnotations != "" {
		if k.TestAnn, err = stat(opt.TestAnnotations); err != nil {
			return [32]byte{}, err
		}
		if k.TestImageDir, err = stat(opt.TestImageDir); err != nil {
			return [32]byte{}, err
		}
	}
	b, err := json.Marshal(k)
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// writeCacheFile writes c's crops (size×size) to path atomically.
func writeCacheFile(path string, key [32]byte, c *Crops, size int) error {
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error { return writeCache(w, key, c, size) })
	if err != nil {
		return fmt.Errorf("coco: writing the crop cache: %w", err)
	}
	return nil
}

func writeCache(w io.Writer, key [32]byte, c *Crops, size int) error {
	h := header(c, size)
	hdr, err := json.Marshal(h)
	if err != nil {
		return err
	}
	sum := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(w, sum), 1<<20)
	bw.WriteString(cacheMagic)
	binary.Write(bw, binary.LittleEndian, uint32(cacheVersion))
	bw.Write(key[:])
	binary.Write(bw, binary.LittleEndian, uint32(len(hdr)))
	bw.Write(hdr)
	for s, set := range c.Sets {
		bw.Write(set.Y)
		var ref [refLen]byte
		for _, r := range c.Refs[s] {
			binary.LittleEndian.PutUint64(ref[:8], uint64(r.ImageID))
			binary.LittleEndian.PutUint64(ref[8:], uint64(r.AnnotationID))
			bw.Write(ref[:])
		}
		bw.Write(set.Pix)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	_, err = w.Write(sum.Sum(nil))
	return err
}

func header(c *Crops, size int) cacheHeader {
	h := cacheHeader{Size: size, Classes: c.Classes, CategoryIDs: c.CategoryIDs, Mean: c.Mean, Std: c.Std}
	for s, set := range c.Sets {
		h.Counts[s] = set.N
	}
	for _, r := range c.Reports {
		h.Reports = append(h.Reports, cacheReport{File: r.File, Images: r.Images, Annotations: r.Annotations,
			Kept: r.Kept, Kinds: r.Kinds, Info: r.Info})
	}
	return h
}

// errStale reports a cache made from other inputs or options.
var errStale = errors.New("the cache was made from other files or options")

// readCacheFile reads the cache at path and checks that it was made with key.
func readCacheFile(path string, key [32]byte) (*Crops, error) {
	f, err := regular.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errors.New("no cache yet")
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	got, c, err := readCache(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("cache %s: %w", path, err)
	}
	if got != key {
		return nil, errStale
	}
	return c, nil
}

// readCache reads a cache of size bytes from r, and returns its key and crops (normalised with ImageNet's values).
// It refuses a file of another version, a length that disagrees with size, and a wrong checksum.
func readCache(r io.Reader, size int64) (key [32]byte, c *Crops, err error) {
	fail := func(format string, args ...any) ([32]byte, *Crops, error) {
		return [32]byte{}, nil, fmt.Errorf(format, args...)
	}
	if size < fixedLen {
		return fail("%d bytes is too short for a crop cache", size)
	}
	sum := sha256.New()
	br := bufio.NewReaderSize(r, 1<<20)
	tr := io.TeeReader(br, sum)
	var pre [8 + 4 + 32 + 4]byte
	if _, err := io.ReadFull(tr, pre[:]); err != nil {
		return fail("reading the header: %v", err)
	}
	if string(pre[:8]) != cacheMagic {
		return fail("not a crop cache")
	}
	if v := binary.LittleEndian.Uint32(pre[8:]); v != cacheVersion {
		return fail("version %d, want %d", v, cacheVersion)
	}
	copy(key[:], pre[12:44])
	hdrLen := int64(binary.LittleEndian.Uint32(pre[44:]))
	if hdrLen > maxHeader || hdrLen > size-fixedLen {
		return fail("header of %d bytes in a file of %d", hdrLen, size)
	}
	hdr := make([]byte, hdrLen)
	if _, err := io.ReadFull(tr, hdr); err != nil {
		return fail("reading the header: %v", err)
	}
	var h cacheHeader
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return fail("header: %v", err)
	}
	if err := h.check(size - fixedLen - hdrLen); err != nil {
		return fail("header: %v", err)
	}
	c = &Crops{Classes: h.Classes, CategoryIDs: h.CategoryIDs, Mean: h.Mean, Std: h.Std}
	sample := 3 * h.Size * h.Size
	var labels, pix [3][]uint8
	for s, n := range h.Counts {
		labels[s] = make([]uint8, n)
		refs := make([]byte, n*refLen)
		pix[s] = make([]uint8, n*sample)
		for _, b := range [][]byte{labels[s], refs, pix[s]} {
			if _, err := io.ReadFull(tr, b); err != nil {
				return fail("reading the %s crops: %v", splitNames[s], err)
			}
		}
		c.Refs[s] = make([]CropRef, n)
		for i := range c.Refs[s] {
			c.Refs[s][i] = CropRef{ImageID: int64(binary.LittleEndian.Uint64(refs[i*refLen:])),
				AnnotationID: int64(binary.LittleEndian.Uint64(refs[i*refLen+8:]))}
		}
	}
	var want [32]byte
	if _, err := io.ReadFull(br, want[:]); err != nil {
		return fail("reading the checksum: %v", err)
	}
	if !bytes.Equal(sum.Sum(nil), want[:]) {
		return fail("checksum mismatch (a corrupt or partly written file)")
	}
	for s := range labels {
		for _, y := range labels[s] {
			if int(y) >= len(h.Classes) {
				return fail("label %d of %d classes", y, len(h.Classes))
			}
		}
		n := h.Counts[s]
		c.Sets[s], err = data.NewSet("coco-"+splitNames[s], pix[s], labels[s], n, 3, h.Size, h.Size,
			ImageNetMean, ImageNetStd)
		if err != nil {
			return fail("%v", err)
		}
	}
	for _, r := range h.Reports {
		rep := Report{File: r.File, Images: r.Images, Annotations: r.Annotations, Kept: r.Kept, Kinds: r.Kinds,
			Info: r.Info}
		rep.Skipped = rep.Kinds.Total()
		c.Reports = append(c.Reports, rep)
	}
	return key, c, nil
}

// check validates a header against the payload's length.
func (h *cacheHeader) check(payload int64) error {
	if h.Size < 8 || h.Size > 1024 {
		return fmt.Errorf("crop size %d", h.Size)
	}
	if len(h.Classes) < 1 || len(h.Classes) > 255 || len(h.CategoryIDs) != len(h.Classes) {
		return fmt.Errorf("%d classes and %d category ids", len(h.Classes), len(h.CategoryIDs))
	}
	for ch := range 3 {
		m, s := float64(h.Mean[ch]), float64(h.Std[ch])
		if math.IsNaN(m) || math.IsInf(m, 0) || !(s > 0) || math.IsInf(s, 0) {
			return fmt.Errorf("channel %d: mean %g, std %g", ch, m, s)
		}
	}
	per := int64(1 + refLen + 3*h.Size*h.Size)
	var total int64
	for s, n := range h.Counts {
		if n < 0 || int64(n) > payload/per {
			return fmt.Errorf("%d %s crops in %d bytes", n, splitNames[s], payload)
		}
		total += int64(n) * per
	}
	if total != payload {
		return fmt.Errorf("crops need %d bytes, the file has %d", total, payload)
	}
	return nil
}
