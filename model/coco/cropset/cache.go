package cropset

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/deformscope/deformscope/internal/safeopen"
	"github.com/deformscope/deformscope/model/coco"
)

// The crop cache is one file that training reads crop by crop, never whole:
//
//	prefix   64 bytes  magic "DSCOCOC2", version uint32, key (32 bytes, SHA-256 of the
//	                   inputs and options), crop side uint32, crop count uint64, zero
//	                   padding; little-endian
//	crops              count crops of 3×side×side bytes: the train split, then val, then
//	                   test, each in its order
//	trailer            hdrLen uint32, header JSON (cacheHeader), per split n labels (1 byte
//	                   each) and n refs (image id, annotation id as int64), then one
//	                   CRC-32C per block of blockSize bytes of the crops
//	end      48 bytes  trailer length uint64, SHA-256 of the trailer, magic "DSCOCEND"
//
// A build writes the crops into their places in PATH.part as each image is done, journals the
// finished images in PATH.part.log (so that a killed build resumes), and only when every image is
// done writes the trailer and renames PATH.part to PATH: a file named PATH is always complete. The
// reader checks every length against the file's size before it allocates and the trailer's SHA-256
// when it opens the file; each block's CRC it checks when a read first touches the block (see
// checkedFile), so that training starts at once on a cache of any size (3.2 GB for train2017)
// rather than after reading all of it. A corrupt block fails the read that touches it (the sets
// keep the error, the trainer stops with it); [Crops.Verify] checks every block at once.
const (
	cacheMagic   = "DSCOCOC2"
	oldMagic     = "DSCOCOCR" // version 1: the whole set in one checksummed blob
	endMagic     = "DSCOCEND"
	cacheVersion = 2
	prefixLen    = 64
	endLen       = 8 + 32 + 8
	refLen       = 16
	blockSize    = 1 << 20
	maxTrailer   = 1 << 30
)

type cacheReport struct {
	File        string
	Images      int
	Annotations int
	Kept        map[string]int
	Kinds       coco.Skips
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

// prefix is the fixed start of a cache file (and of a partial one).
type prefix struct {
	key   [32]byte
	size  int
	count int64
}

func (p prefix) bytes() []byte {
	b := make([]byte, prefixLen)
	copy(b, cacheMagic)
	binary.LittleEndian.PutUint32(b[8:], cacheVersion)
	copy(b[12:44], p.key[:])
	binary.LittleEndian.PutUint32(b[44:], uint32(p.size))
	binary.LittleEndian.PutUint64(b[48:], uint64(p.count))
	return b
}

func parsePrefix(b []byte) (prefix, error) {
	if len(b) < prefixLen {
		return prefix{}, fmt.Errorf("%d bytes is too short for a crop cache", len(b))
	}
	switch string(b[:8]) {
	case cacheMagic:
	case oldMagic:
		return prefix{}, errors.New("a crop cache of version 1")
	default:
		return prefix{}, errors.New("not a crop cache")
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != cacheVersion {
		return prefix{}, fmt.Errorf("version %d, want %d", v, cacheVersion)
	}
	var p prefix
	copy(p.key[:], b[12:44])
	p.size = int(binary.LittleEndian.Uint32(b[44:]))
	c := binary.LittleEndian.Uint64(b[48:])
	if p.size < 8 || p.size > 1024 {
		return prefix{}, fmt.Errorf("crop size %d", p.size)
	}
	if c > math.MaxInt64/uint64(3*p.size*p.size) {
		return prefix{}, fmt.Errorf("%d crops", c)
	}
	p.count = int64(c)
	return p, nil
}

// isCropFile reports whether the file at path is missing or starts like a crop cache (of any
// version), that is whether Build may replace it. A file of anything else is someone's data: Build
// refuses to overwrite it.
func isCropFile(path string) error {
	f, err := safeopen.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	var m [8]byte
	if _, err := io.ReadFull(f, m[:]); err != nil || (string(m[:]) != cacheMagic && string(m[:]) != oldMagic) {
		return fmt.Errorf("%s exists and is not a crop cache: refusing to overwrite it (name another file or remove it)", path)
	}
	return nil
}

// cacheKey hashes what the crops depend on: the files' paths, sizes and modification times, the
// image folders, the options that change a crop (not Norm, Workers, Progress or the cache's own
// path), and whether the build fuses multiply-adds (buildFuses).
func cacheKey(ann, imageDir string, opt Options) ([32]byte, error) {
	type file struct {
		Path  string
		Size  int64
		MTime int64
	}
	stat := func(p string) (file, error) {
		abs, err := filepath.Abs(p)
		if err != nil {
			return file{}, fmt.Errorf("cropset: %w", err)
		}
		st, err := os.Stat(abs)
		if err != nil {
			return file{}, fmt.Errorf("cropset: %w", err)
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
		MaxPerClass               int `json:",omitempty"`
		// Fused: the build fuses float64 multiply-adds, whose crops differ from other builds'
		// in a few values (goFuses). Left out where false, so that the keys of caches made
		// before it stay what they were.
		Fused bool `json:",omitempty"`
	}{Version: cacheVersion, Size: opt.Size, Context: opt.Context, MinSize: opt.MinSize, MaxPixels: opt.MaxPixels,
		TopK: opt.TopK, ValFraction: opt.ValFraction, TestFraction: opt.TestFraction, Seed: opt.Seed,
		MaxPerClass: opt.MaxPerClass, Fused: buildFuses}
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

func header(c *Crops, size int) cacheHeader {
	h := cacheHeader{Size: size, Classes: c.Classes, CategoryIDs: c.CategoryIDs, Mean: c.Mean, Std: c.Std}
	h.Counts = c.counts
	for _, r := range c.Reports {
		h.Reports = append(h.Reports, cacheReport{File: r.File, Images: r.Images, Annotations: r.Annotations,
			Kept: r.Kept, Kinds: r.Kinds, Info: r.Info})
	}
	return h
}

// trailer encodes what follows the crops: the header, the labels and refs, and the blocks' CRCs.
func trailer(c *Crops, size int, labels [3][]uint8, crcs []uint32) ([]byte, error) {
	hdr, err := json.Marshal(header(c, size))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint32(len(hdr)))
	b.Write(hdr)
	for s := range 3 {
		b.Write(labels[s])
		var ref [refLen]byte
		for _, r := range c.Refs[s] {
			binary.LittleEndian.PutUint64(ref[:8], uint64(r.ImageID))
			binary.LittleEndian.PutUint64(ref[8:], uint64(r.AnnotationID))
			b.Write(ref[:])
		}
	}
	for _, v := range crcs {
		binary.Write(&b, binary.LittleEndian, v)
	}
	t := b.Bytes()
	sum := sha256.Sum256(t)
	var end [endLen]byte
	binary.LittleEndian.PutUint64(end[:], uint64(len(t)))
	copy(end[8:40], sum[:])
	copy(end[40:], endMagic)
	return append(t, end[:]...), nil
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// errStale reports a cache made from other inputs or options.
var errStale = errors.New("the cache was made from other files or options")

// openCache opens the cache at path and checks that it was made with key (any key if key is nil).
// With verify it reads every crop once to check the blocks' CRCs before it returns; without, each
// block is checked when first read. The crops stay in the file: the returned sets read them as they
// are asked for, so the file stays open for as long as they are used.
func openCache(path string, key *[32]byte, verify bool) (*Crops, error) {
	f, err := safeopen.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errors.New("no cache yet")
	}
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	c, got, err := readCache(f, st.Size(), verify)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cache %s: %w", path, err)
	}
	if key != nil && got != *key {
		f.Close()
		return nil, errStale
	}
	c.checked.name = path
	c.file = f
	return c, nil
}

// readCache reads the cache of size bytes in r: its prefix and trailer, and with verify every crop
// (for their CRCs). The returned sets read their crops from r through a checkedFile (each block's
// CRC checked on its first read), normalised with ImageNet's values.
func readCache(r io.ReaderAt, size int64, verify bool) (c *Crops, key [32]byte, err error) {
	fail := func(format string, args ...any) (*Crops, [32]byte, error) {
		return nil, [32]byte{}, fmt.Errorf(format, args...)
	}
	if size < prefixLen+endLen {
		return fail("%d bytes is too short for a crop cache", size)
	}
	pre := make([]byte, prefixLen)
	if _, err := r.ReadAt(pre, 0); err != nil {
		return fail("reading the prefix: %v", err)
	}
	p, err := parsePrefix(pre)
	if err != nil {
		return fail("%v", err)
	}
	var end [endLen]byte
	if _, err := r.ReadAt(end[:], size-endLen); err != nil {
		return fail("reading the end: %v", err)
	}
	if string(end[40:]) != endMagic {
		return fail("no end marker (a partly written file?)")
	}
	tlen := binary.LittleEndian.Uint64(end[:])
	sample := int64(3 * p.size * p.size)
	payload := p.count * sample
	if tlen > maxTrailer || int64(tlen) != size-endLen-prefixLen-payload {
		return fail("a trailer of %d bytes and %d crops of %d bytes in a file of %d", tlen, p.count, sample, size)
	}
	t := make([]byte, tlen)
	if _, err := r.ReadAt(t, prefixLen+payload); err != nil {
		return fail("reading the trailer: %v", err)
	}
	if sum := sha256.Sum256(t); !bytes.Equal(sum[:], end[8:40]) {
		return fail("trailer checksum mismatch (a corrupt file)")
	}
	if len(t) < 4 {
		return fail("trailer of %d bytes", len(t))
	}
	hdrLen := int64(binary.LittleEndian.Uint32(t))
	if hdrLen > int64(len(t))-4 {
		return fail("header of %d bytes in a trailer of %d", hdrLen, len(t))
	}
	var h cacheHeader
	dec := json.NewDecoder(bytes.NewReader(t[4 : 4+hdrLen]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return fail("header: %v", err)
	}
	if err := h.check(p); err != nil {
		return fail("header: %v", err)
	}
	rest := t[4+hdrLen:]
	blocks := (payload + blockSize - 1) / blockSize
	if int64(len(rest)) != p.count*(1+refLen)+4*blocks {
		return fail("trailer holds %d bytes after its header, want %d", len(rest), p.count*(1+refLen)+4*blocks)
	}
	c = &Crops{Classes: h.Classes, CategoryIDs: h.CategoryIDs, Mean: h.Mean, Std: h.Std, counts: h.Counts,
		size: p.size}
	for s, n := range h.Counts {
		c.labels[s] = rest[:n:n]
		rest = rest[n:]
		for y := range c.labels[s] {
			if int(c.labels[s][y]) >= len(h.Classes) {
				return fail("label %d of %d classes", c.labels[s][y], len(h.Classes))
			}
		}
		c.Refs[s] = make([]Ref, n)
		for i := range c.Refs[s] {
			c.Refs[s][i] = Ref{ImageID: int64(binary.LittleEndian.Uint64(rest[i*refLen:])),
				AnnotationID: int64(binary.LittleEndian.Uint64(rest[i*refLen+8:]))}
		}
		rest = rest[n*refLen:]
	}
	crcs := make([]uint32, blocks)
	for i := range crcs {
		crcs[i] = binary.LittleEndian.Uint32(rest[4*i:])
	}
	cf := newCheckedFile(r, payload, crcs)
	cf.sample = sample
	if verify {
		if err := cf.checkAll(context.Background()); err != nil {
			return fail("%v", err)
		}
	}
	for _, rep := range h.Reports {
		out := coco.Report{File: rep.File, Images: rep.Images, Annotations: rep.Annotations, Kept: rep.Kept,
			Kinds: rep.Kinds, Info: rep.Info}
		out.Skipped = out.Kinds.Total()
		c.Reports = append(c.Reports, out)
	}
	c.src, c.checked = cf, cf
	if err := c.makeSets(NormImageNet); err != nil {
		return fail("%v", err)
	}
	return c, p.key, nil
}

// checkedFile is a cache file as its sets read it: the first read that touches a block of crops
// reads the whole block and checks its CRC-32C, and a block that fails fails every read of it.
// Blocks are 1 MiB, so over an epoch in random order the check reads each block once more than
// training does (from the page cache, as a rule), spread over the epoch instead of before it.
// Goroutines may share it; two that touch a new block at once both check it.
type checkedFile struct {
	name    string // the file's path, for errors
	sample  int64  // bytes of one crop, for checkAll's black-crop count (0: not counted)
	r       io.ReaderAt
	payload int64
	crcs    []uint32
	state   []atomic.Uint32 // per block: unchecked, good or bad
	bufs    sync.Pool       // *[]byte of blockSize
}

const (
	blockUnchecked = iota
	blockGood
	blockBad
)

func newCheckedFile(r io.ReaderAt, payload int64, crcs []uint32) *checkedFile {
	cf := &checkedFile{r: r, payload: payload, crcs: crcs, state: make([]atomic.Uint32, len(crcs))}
	cf.bufs.New = func() any { b := make([]byte, blockSize); return &b }
	return cf
}

// ReadAt checks the blocks of crops that p covers (offsets are the file's), then reads p.
func (cf *checkedFile) ReadAt(p []byte, off int64) (int, error) {
	lo, hi := off-prefixLen, off-prefixLen+int64(len(p))
	if len(p) > 0 && hi > 0 && lo < cf.payload {
		for b := max(lo, 0) / blockSize; b <= (min(hi, cf.payload)-1)/blockSize; b++ {
			if err := cf.check(int(b)); err != nil {
				return 0, err
			}
		}
	}
	return cf.r.ReadAt(p, off)
}

// check checks block b once (and reports its failure every time).
func (cf *checkedFile) check(b int) error {
	switch cf.state[b].Load() {
	case blockGood:
		return nil
	case blockUnchecked:
		bp := cf.bufs.Get().(*[]byte)
		defer cf.bufs.Put(bp)
		n := min(blockSize, cf.payload-int64(b)*blockSize)
		buf := (*bp)[:n]
		if _, err := cf.r.ReadAt(buf, prefixLen+int64(b)*blockSize); err != nil {
			return fmt.Errorf("reading crops block %d: %w", b, err)
		}
		if crc32.Checksum(buf, crcTable) == cf.crcs[b] {
			cf.state[b].Store(blockGood)
			return nil
		}
		cf.state[b].Store(blockBad)
	}
	n := min(blockSize, cf.payload-int64(b)*blockSize)
	err := fmt.Errorf("crops block %d (bytes %d to %d) fails its CRC (a corrupt file", b,
		prefixLen+int64(b)*blockSize, prefixLen+int64(b)*blockSize+n)
	if cf.name != "" {
		return fmt.Errorf("crop cache %s: %w: remove it and it is built again)", cf.name, err)
	}
	return fmt.Errorf("%w)", err)
}

// checkAll checks every block not yet checked, in order, and returns the first failure. It then
// counts the crops whose every byte is 0: no photo crop is, but an older build that resumed from a
// damaged journal left such crops (their CRCs are good: they were computed from the zeros), so they
// are a fault of the cache.
func (cf *checkedFile) checkAll(ctx context.Context) error {
	for b := range cf.crcs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := cf.check(b); err != nil {
			return err
		}
	}
	if cf.sample <= 0 {
		return nil
	}
	black, first, err := blackCrops(ctx, cf.r, cf.payload, cf.sample)
	if err != nil {
		return err
	}
	if black > 0 {
		err := fmt.Errorf("%d of %d crops are entirely black (every byte 0; the first is crop %d): a build resumed "+
			"from a damaged journal", black, cf.payload/cf.sample, first)
		if cf.name != "" {
			return fmt.Errorf("crop cache %s: %w; remove it and it is built again", cf.name, err)
		}
		return err
	}
	return nil
}

// blackCrops counts the crops of sample bytes in the payload whose bytes are all 0, and the index
// of the first.
func blackCrops(ctx context.Context, r io.ReaderAt, payload, sample int64) (n, first int64, err error) {
	first = -1
	buf := make([]byte, blockSize)
	crop, nonzero := int64(0), false
	for off := int64(0); off < payload; off += blockSize {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		b := buf[:min(blockSize, payload-off)]
		if _, err := r.ReadAt(b, prefixLen+off); err != nil {
			return 0, 0, fmt.Errorf("reading crops: %w", err)
		}
		for k := int64(0); k < int64(len(b)); {
			at := off + k
			run := min(sample-at%sample, int64(len(b))-k)
			if !nonzero {
				for _, v := range b[k : k+run] {
					if v != 0 {
						nonzero = true
						break
					}
				}
			}
			k += run
			if (at+run)%sample == 0 {
				if !nonzero {
					if n == 0 {
						first = crop
					}
					n++
				}
				crop, nonzero = crop+1, false
			}
		}
	}
	return n, first, nil
}

// check validates a header against the prefix.
func (h *cacheHeader) check(p prefix) error {
	if h.Size != p.size {
		return fmt.Errorf("crop size %d, the prefix says %d", h.Size, p.size)
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
	var total int64
	for s, n := range h.Counts {
		if n < 0 || int64(n) > p.count {
			return fmt.Errorf("%d %s crops of %d", n, splitNames[s], p.count)
		}
		total += int64(n)
	}
	if total != p.count {
		return fmt.Errorf("%d crops in the splits, the prefix says %d", total, p.count)
	}
	return nil
}
