package ckpt

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/deformscope/deformscope/internal/safeopen"
)

// marker is how the format appears in the header of a checkpoint. A header
// holding it claims to be ours, so a fault found before the format field is
// read (a truncated header, say) is reported as ErrCorrupt, not ErrForeign.
var marker = []byte(strconv.Quote(Format))

// Load reads the checkpoint at path. It refuses a file that is not a
// checkpoint of this Format (ErrForeign), or one that is damaged or holds NaN
// or ±Inf (ErrCorrupt), with an error naming the file and the fault.
func Load(path string) (*Checkpoint, error) {
	f, err := safeopen.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ckpt: load: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("ckpt: load: %w", err)
	}
	return decode(f, info.Size(), path)
}

// Parse decodes a checkpoint held in data, with the checks of Load; name is
// the file name its errors give.
func Parse(data []byte, name string) (*Checkpoint, error) {
	return decode(bytes.NewReader(data), int64(len(data)), name)
}

// readError is a failure to read the file, as opposed to a fault in it.
type readError struct{ err error }

func (e *readError) Error() string { return "read: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// readAt fills b from r at off.
func readAt(r io.ReaderAt, b []byte, off int64) error {
	if len(b) == 0 {
		// bytes.Reader answers io.EOF to an empty read at the end.
		return nil
	}
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		// io.ReaderAt allows io.EOF with a full read that ends the input.
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		// The file shrank while being read.
		err = io.ErrUnexpectedEOF
	}
	return &readError{err}
}

// decode reads a checkpoint of size bytes from r and wraps any error with
// name and its kind.
func decode(r io.ReaderAt, size int64, name string) (*Checkpoint, error) {
	d := decoder{r: r, size: size}
	c, err := d.decode()
	if err == nil {
		return c, nil
	}
	var re *readError
	if errors.As(err, &re) {
		return nil, fmt.Errorf("ckpt: %s: %w", name, err)
	}
	kind := ErrForeign
	if d.claimed {
		kind = ErrCorrupt
	}
	return nil, fmt.Errorf("ckpt: %s: %w: %w", name, kind, err)
}

// decoder holds the state of one decode.
type decoder struct {
	r    io.ReaderAt
	size int64
	// claimed records that the file claims to be a checkpoint of Format, and
	// so that a fault in it is corruption.
	claimed bool
}

// entry is one tensor's header entry.
type entry struct {
	name       string
	dt         dtype
	shape      []int
	begin, end int64 // data_offsets, relative to the start of the data
}

func (d *decoder) decode() (*Checkpoint, error) {
	if d.size < 8 {
		return nil, fmt.Errorf("file is %d bytes, shorter than the 8-byte header length", d.size)
	}
	var lenField [8]byte
	if err := readAt(d.r, lenField[:], 0); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint64(lenField[:])
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("header length %d is above the limit of %d bytes", n, MaxHeaderSize)
	}
	if avail := d.size - 8; n > uint64(avail) {
		// avail < n <= MaxHeaderSize bounds this read.
		rest := make([]byte, avail)
		if err := readAt(d.r, rest, 8); err != nil {
			return nil, err
		}
		d.claimed = bytes.Contains(rest, marker)
		return nil, fmt.Errorf("header length %d exceeds the %d bytes that follow it (truncated file?)", n, avail)
	}
	header := make([]byte, n)
	if err := readAt(d.r, header, 8); err != nil {
		return nil, err
	}
	d.claimed = bytes.Contains(header, marker)
	dataStart := 8 + int64(n)
	dataLen := d.size - dataStart

	meta, entries, err := d.parseHeader(header)
	if err != nil {
		return nil, err
	}
	sum := meta[sumKey]
	delete(meta, formatKey)
	delete(meta, sumKey)
	if err := checkLayout(entries, dataLen, true); err != nil {
		return nil, err
	}

	slices.SortFunc(entries, func(a, b entry) int { return cmp.Compare(a.name, b.name) })
	h := sha256.New()
	h.Write(sumPrefix(Format, meta, len(entries)))
	c := &Checkpoint{Format: Format, Tensors: make([]Tensor, len(entries)), Meta: meta}
	var buf []byte
	var nonFinite error
	for i, e := range entries {
		nbytes := e.end - e.begin
		h.Write(tensorPrefix(nil, e.name, e.dt, e.shape, int(nbytes)))
		if buf == nil && nbytes > 0 {
			buf = make([]byte, min(chunkSize, dataLen))
		}
		t := &c.Tensors[i]
		t.Name, t.Shape = e.name, e.shape
		// nbytes <= dataLen, which the real file size bounds.
		count := int(nbytes) / e.dt.size()
		per := len(buf) / e.dt.size()
		if e.dt == f64 {
			t.Data64 = make([]float64, count)
		} else {
			t.Data = make([]float32, count)
		}
		for start := 0; start < count; start += per {
			k := min(per, count-start)
			chunk := buf[:k*e.dt.size()]
			if err := readAt(d.r, chunk, dataStart+e.begin+int64(start*e.dt.size())); err != nil {
				return nil, err
			}
			h.Write(chunk)
			var bad int
			if e.dt == f64 {
				bad = decode64(t.Data64[start:start+k], chunk)
			} else {
				bad = decode32(t.Data[start:start+k], chunk)
			}
			if bad >= 0 && nonFinite == nil {
				nonFinite = fmt.Errorf("tensor %q holds a NaN or ±Inf at index %d: %w", e.name, start+bad, ErrNonFinite)
			}
		}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return nil, fmt.Errorf("checksum mismatch: the header says %s, the content hashes to %s", sum, got)
	}
	if nonFinite != nil {
		return nil, nonFinite
	}
	return c, nil
}

// decode32 decodes little-endian float32 values from src into dst and returns
// the index of the first NaN or ±Inf, or -1.
func decode32(dst []float32, src []byte) int {
	bad := -1
	for i := range dst {
		v := math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		if bad < 0 && v-v != 0 { // NaN or ±Inf
			bad = i
		}
		dst[i] = v
	}
	return bad
}

// decode64 is decode32 for float64 values.
func decode64(dst []float64, src []byte) int {
	bad := -1
	for i := range dst {
		v := math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:]))
		if bad < 0 && v-v != 0 {
			bad = i
		}
		dst[i] = v
	}
	return bad
}

// parseHeader parses the JSON header: the metadata, which must carry the
// format and a well-formed checksum, and one entry per tensor, each checked on
// its own. Layout across tensors is checkLayout's.
func (d *decoder) parseHeader(header []byte) (map[string]string, []entry, error) {
	meta, fields, err := headerFields(header)
	if err != nil {
		return nil, nil, err
	}
	format, ok := meta[formatKey]
	if !ok {
		d.claimed = false
		return nil, nil, fmt.Errorf("header has no %q in %s (a plain safetensors file?)", formatKey, metadataKey)
	}
	if format != Format {
		d.claimed = false
		return nil, nil, fmt.Errorf("format %q, want %q", format, Format)
	}
	d.claimed = true
	if sum := meta[sumKey]; !isHexSum(sum) {
		return nil, nil, fmt.Errorf("%s %q in %s is not 64 lower-case hex digits", sumKey, sum, metadataKey)
	}

	entries, err := parseEntries(fields, false)
	if err != nil {
		return nil, nil, err
	}
	return meta, entries, nil
}

// headerFields parses the JSON header of any safetensors file: its
// __metadata__ map (nil when absent) and all its members.
func headerFields(header []byte) (map[string]string, []field, error) {
	// As the reference implementation does: a cheap first test of a file.
	if len(header) == 0 || header[0] != '{' {
		return nil, nil, errors.New("header does not start with '{'")
	}
	if !utf8.Valid(header) {
		return nil, nil, errors.New("header is not valid UTF-8")
	}
	fields, err := objectFields(header)
	if err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	var meta map[string]string
	for _, f := range fields {
		if f.key != metadataKey {
			continue
		}
		if meta, err = stringMap(f.val); err != nil {
			return nil, nil, fmt.Errorf("header %s: %w", metadataKey, err)
		}
	}
	return meta, fields, nil
}

// parseEntries parses the tensor entries among a header's fields, each
// checked on its own (permissive: as ReadSafetensors reads them).
func parseEntries(fields []field, permissive bool) ([]entry, error) {
	entries := make([]entry, 0, len(fields))
	for _, f := range fields {
		if f.key == metadataKey {
			continue
		}
		e, err := parseEntry(f.key, f.val, permissive)
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	return entries, nil
}

func isHexSum(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// parseEntry parses and checks one tensor's header entry on its own: its
// name, dtype, shape, and the size its offsets span. A checkpoint's entries
// are F32 or F64 and have no other fields; permissive takes every dtype of
// dtypes, ignores other fields and bounds the values at
// maxPermissiveValues.
func parseEntry(name string, raw json.RawMessage, permissive bool) (entry, error) {
	e := entry{name: name}
	if name == "" {
		return e, errors.New("tensor with an empty name")
	}
	fields, err := objectFields(raw)
	if err != nil {
		return e, fmt.Errorf("tensor %q: %w", name, err)
	}
	var haveDtype, haveShape, haveOffsets bool
	for _, f := range fields {
		switch f.key {
		case "dtype":
			haveDtype = true
			var s string
			if !isJSONString(f.val) || json.Unmarshal(f.val, &s) != nil {
				return e, fmt.Errorf("tensor %q: dtype %s is not a string", name, f.val)
			}
			switch dt, ok := dtypes[s]; {
			case permissive && ok:
				e.dt = dt
			case permissive:
				return e, fmt.Errorf("tensor %q: unsupported dtype %q", name, s)
			case dt == f32 || dt == f64:
				e.dt = dt
			default:
				return e, fmt.Errorf("tensor %q: unsupported dtype %q (want F32 or F64)", name, s)
			}
		case "shape":
			haveShape = true
			dims, err := intArray(f.val, 0)
			if err != nil {
				return e, fmt.Errorf("tensor %q: shape: %w", name, err)
			}
			e.shape = make([]int, len(dims))
			for i, v := range dims {
				e.shape[i] = int(v)
			}
		case "data_offsets":
			haveOffsets = true
			offs, err := intArray(f.val, 64)
			if err != nil {
				return e, fmt.Errorf("tensor %q: data_offsets: %w", name, err)
			}
			if len(offs) != 2 {
				return e, fmt.Errorf("tensor %q: data_offsets has %d numbers, want 2", name, len(offs))
			}
			e.begin, e.end = offs[0], offs[1]
		default:
			if !permissive {
				return e, fmt.Errorf("tensor %q: unknown field %q", name, f.key)
			}
		}
	}
	switch {
	case !haveDtype:
		return e, fmt.Errorf("tensor %q: missing dtype", name)
	case !haveShape:
		return e, fmt.Errorf("tensor %q: missing shape", name)
	case !haveOffsets:
		return e, fmt.Errorf("tensor %q: missing data_offsets", name)
	case e.begin > e.end:
		return e, fmt.Errorf("tensor %q: data_offsets [%d, %d] end before they begin", name, e.begin, e.end)
	}
	count, err := numElements(e.shape)
	if err != nil {
		return e, fmt.Errorf("tensor %q: %w", name, err)
	}
	if permissive && count > maxPermissiveValues {
		return e, fmt.Errorf("tensor %q: shape %v holds more than %d values", name, e.shape, maxPermissiveValues)
	}
	if count > math.MaxInt/e.dt.size() || int64(count*e.dt.size()) != e.end-e.begin {
		return e, fmt.Errorf("tensor %q: shape %v of %s needs %d values, but data_offsets [%d, %d] span %d bytes",
			name, e.shape, e.dt, count, e.begin, e.end, e.end-e.begin)
	}
	return e, nil
}

// checkLayout checks that the tensors' data lie within the data section and
// do not overlap; contiguous also wants them to tile it exactly: no gap, no
// unused bytes.
func checkLayout(entries []entry, dataLen int64, contiguous bool) error {
	for _, e := range entries {
		if e.end > dataLen {
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] run past the %d-byte data section (truncated file?)",
				e.name, e.begin, e.end, dataLen)
		}
	}
	byOffset := slices.Clone(entries)
	slices.SortFunc(byOffset, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end))
	})
	var next int64
	for i, e := range byOffset {
		switch {
		case e.begin < next:
			return fmt.Errorf("tensors %q and %q overlap: data_offsets [%d, %d] and [%d, %d]",
				byOffset[i-1].name, e.name, byOffset[i-1].begin, byOffset[i-1].end, e.begin, e.end)
		case e.begin > next && contiguous:
			return fmt.Errorf("tensor %q: data_offsets are not contiguous: a gap of %d bytes before [%d, %d]",
				e.name, e.begin-next, e.begin, e.end)
		}
		next = e.end
	}
	if next != dataLen && contiguous {
		return fmt.Errorf("%d unused bytes after the last tensor's data", dataLen-next)
	}
	return nil
}

// field is one member of a JSON object.
type field struct {
	key string
	val json.RawMessage
}

// objectFields decodes data as a single JSON object, refusing duplicate keys
// (which encoding/json would silently merge), and returns its members in
// order.
func objectFields(data []byte) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var fields []field
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("invalid JSON: key %v is not a string", tok)
		}
		if seen[key] {
			return nil, fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		fields = append(fields, field{key, val})
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: data after the object")
	}
	return fields, nil
}

// stringMap decodes a JSON object whose values are all strings.
func stringMap(raw json.RawMessage) (map[string]string, error) {
	fields, err := objectFields(raw)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(fields))
	for _, f := range fields {
		var s string
		if !isJSONString(f.val) || json.Unmarshal(f.val, &s) != nil {
			return nil, fmt.Errorf("value of %q is %s, not a string", f.key, f.val)
		}
		m[f.key] = s
	}
	return m, nil
}

func isJSONString(raw json.RawMessage) bool {
	return len(raw) > 0 && raw[0] == '"'
}

// intArray decodes a JSON array of non-negative integers that fit in bitSize
// bits (0 for int).
func intArray(raw json.RawMessage, bitSize int) ([]int64, error) {
	var elems []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &elems) != nil {
		return nil, fmt.Errorf("%s is not an array", raw)
	}
	out := make([]int64, len(elems))
	for i, el := range elems {
		s := string(el)
		v, err := strconv.ParseInt(s, 10, bitSize)
		switch {
		case len(s) > 0 && s[0] == '-' && (err == nil || errors.Is(err, strconv.ErrRange)):
			return nil, fmt.Errorf("negative value %s", s)
		case errors.Is(err, strconv.ErrRange):
			return nil, fmt.Errorf("value %s overflows", s)
		case err != nil:
			return nil, fmt.Errorf("value %s is not an integer", s)
		}
		out[i] = v
	}
	return out, nil
}
