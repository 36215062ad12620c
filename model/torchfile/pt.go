package torchfile

import (
	"archive/zip"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"path"
)

// maxPickle bounds data.pkl, the pickled structure of a torch.save archive
// (the tensors' data lie beside it): a state dict's is a few KB per tensor.
const maxPickle = 64 << 20

// maxRatio bounds what the records of a .pt archive may expand to: at most
// this many times the archive's size (and at least minExpand). torch.save
// stores its records uncompressed (1×); a zip bomb renamed .pt expanded a
// 1 MB file to 1.07 GB, 3 MB to 3.17 GB.
const (
	maxRatio  = 100
	minExpand = 1 << 20
)

// ErrForbidden marks a pickle that names a class or function outside the
// few that rebuild tensors and dictionaries.
var ErrForbidden = errors.New("pickle names a forbidden callable")

// readPT reads a torch.save zip archive.
func readPT(r io.ReaderAt, size int64) (sd *StateDict, err error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("torch.save archive: %w (truncated file?)", err)
	}
	records := map[string]*zip.File{}
	var pkl *zip.File
	var packed, expanded uint64
	for _, f := range zr.File {
		records[f.Name] = f
		if path.Base(f.Name) == "data.pkl" && pkl == nil {
			pkl = f
		}
		if path.Base(f.Name) == "constants.pkl" {
			return nil, errors.New("a TorchScript archive, not a state dict; save model.state_dict() with torch.save")
		}
		if f.Method == zip.Store && f.CompressedSize64 != f.UncompressedSize64 {
			return nil, fmt.Errorf("record %s: stored with %d bytes but says it holds %d", quote(f.Name), f.CompressedSize64, f.UncompressedSize64)
		}
		packed += f.CompressedSize64
		expanded += f.UncompressedSize64
		if packed > uint64(size) {
			return nil, fmt.Errorf("records whose data add up to more than the file's %d bytes (overlapping records: a zip bomb?)", size)
		}
		if limit := max(maxRatio*uint64(size), minExpand); expanded > limit {
			return nil, fmt.Errorf("records that expand to more than %d bytes, %d times the file's size (a zip bomb?)", limit, maxRatio)
		}
	}
	if pkl == nil {
		return nil, errors.New("torch.save archive without data.pkl")
	}
	if pkl.UncompressedSize64 > maxPickle {
		return nil, fmt.Errorf("data.pkl is %d bytes, above the limit of %d", pkl.UncompressedSize64, maxPickle)
	}
	dir := path.Dir(pkl.Name)
	b, err := readRecord(pkl)
	if err != nil {
		return nil, fmt.Errorf("data.pkl: %w", err)
	}
	storages := map[string]*pyStorage{}
	load := func(key, dtype string, width, n int) (*pyStorage, error) {
		if s, ok := storages[key]; ok {
			if s.dtype != dtype || s.n != n {
				return nil, fmt.Errorf("storage %s: named twice, as %d %s and as %d %s values", quote(key), s.n, s.dtype, n, dtype)
			}
			return s, nil
		}
		f, ok := records[path.Join(dir, "data", key)]
		if !ok {
			return nil, fmt.Errorf("storage %s is missing from the archive (truncated file?)", quote(key))
		}
		// Check the claimed size against the record before allocating.
		if uint64(n) > math.MaxInt32 || uint64(n)*uint64(width) != f.UncompressedSize64 {
			return nil, fmt.Errorf("storage %s: %d %s values do not fill its %d-byte record", quote(key), n, dtype, f.UncompressedSize64)
		}
		data, err := readRecord(f)
		if err != nil {
			return nil, fmt.Errorf("storage %s: %w", quote(key), err)
		}
		s := &pyStorage{key: key, dtype: dtype, width: width, n: n, data: data}
		storages[key] = s
		return s, nil
	}
	obj, err := unpickle(b, load)
	if err != nil {
		return nil, err
	}
	return stateDict(obj)
}

// readRecord reads a whole record of the archive (whose size was checked against the caps) and
// checks its CRC-32: a bit flipped in a weight must not import silently (archive/zip checks it only
// when a record is read to its end, and not at all when the stored CRC is 0).
func readRecord(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var b []byte
	if f.Method == zip.Store {
		// A stored record is as long as it says and lies inside the file (both checked): its size
		// is bounded by the file's.
		b = make([]byte, f.UncompressedSize64)
		if _, err := io.ReadFull(rc, b); err != nil {
			return nil, fmt.Errorf("%w (truncated file?)", err)
		}
	} else {
		// A compressed record's declared size is only a claim (one record of a 164 MB file claimed
		// 16 GiB, all allocated before a byte was read): the buffer grows with the data that
		// actually comes out.
		if b, err = io.ReadAll(io.LimitReader(rc, int64(f.UncompressedSize64))); err != nil {
			return nil, fmt.Errorf("%w (truncated file?)", err)
		}
		if uint64(len(b)) != f.UncompressedSize64 {
			return nil, fmt.Errorf("%d bytes, the archive says %d (truncated file?)", len(b), f.UncompressedSize64)
		}
	}
	if n, _ := rc.Read(make([]byte, 1)); n > 0 {
		return nil, errors.New("more data than the record says it holds")
	}
	if got := crc32.ChecksumIEEE(b); got != f.CRC32 {
		return nil, fmt.Errorf("CRC-32 %08x, the archive says %08x (a damaged file)", got, f.CRC32)
	}
	return b, nil
}

// stateDict turns the unpickled object into a state dict, unwrapping a
// checkpoint dict that keeps it under "state_dict" or "model" (a few levels
// at most, without recursion: a dict may hold itself).
func stateDict(obj any) (*StateDict, error) {
	d, ok := obj.(*pyDict)
	if !ok {
		return nil, fmt.Errorf("the file holds a %s, not a state dict", describe(obj))
	}
	for range 4 {
		var inner *pyDict
		for i, k := range d.keys {
			if s, _ := k.(string); s == "state_dict" || s == "model" {
				if x, ok := d.vals[i].(*pyDict); ok && x != d {
					inner = x
					break
				}
			}
		}
		if inner == nil {
			break
		}
		d = inner
	}
	// What the views copy out of their storages is bounded by what the storages hold: one storage
	// named by many keys was copied once per key (400 keys of a 1 MB tensor: 401 MB from a 1 MB
	// file; crafted: terabytes). A view named again (tied weights, or the same tensor saved under
	// several names) shares the first copy, and the distinct views together may copy at most twice
	// the values of the distinct storages they view (views that overlap a little, as slices of one
	// buffer may, still read).
	var held, copied int
	seen := map[*pyStorage]bool{}
	for _, v := range d.vals {
		if t, ok := v.(*pyTensor); ok && !seen[t.st] {
			seen[t.st] = true
			held += t.st.n
		}
	}
	type viewKey struct {
		st           *pyStorage
		offset       int
		size, stride string
	}
	views := map[viewKey][]float32{}
	sd := &StateDict{}
	var bad []string
	badCount := 0
	for i, k := range d.keys {
		name, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("key %d is a %s, not a string", i, describe(k))
		}
		t, ok := d.vals[i].(*pyTensor)
		if !ok {
			badCount++
			if len(bad) < maxListed {
				bad = append(bad, fmt.Sprintf("%s holds a %s", quote(name), describe(d.vals[i])))
			}
			continue
		}
		vk := viewKey{t.st, t.offset, fmt.Sprint(t.size), fmt.Sprint(t.stride)}
		data, ok := views[vk]
		if !ok {
			count, err := numElements(t.size, t.st.n)
			if err != nil {
				return nil, fmt.Errorf("tensor %s: %w", quote(name), err)
			}
			if copied += count; copied > 2*held {
				return nil, fmt.Errorf("tensor %s: the views copy more than %d values, twice what their storages hold (one storage viewed again and again?)", quote(name), copied-count)
			}
			if data, err = tensorData(t); err != nil {
				return nil, fmt.Errorf("tensor %s: %w", quote(name), err)
			}
			views[vk] = data
		}
		sd.Tensors = append(sd.Tensors, Tensor{Name: name, Shape: t.size, Data: data, DType: t.st.dtype})
	}
	if badCount > 0 {
		return nil, fmt.Errorf("%d of %d keys hold no tensor: %s", badCount, len(d.keys), listed(bad, badCount))
	}
	return sd, nil
}

// maxListed is how many offenders an error names before it gives only their count.
const maxListed = 5

// listed joins the first offenders named and says how many more there are.
func listed(names []string, total int) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	if total > len(names) {
		s += fmt.Sprintf(" and %d more", total-len(names))
	}
	return s
}

// tensorData copies a (possibly strided) tensor view out of its storage as
// float32, checking, without overflow, that every element lies inside the
// storage, and refusing NaN and ±Inf.
func tensorData(t *pyTensor) ([]float32, error) {
	st := t.st
	var get func(i int) float32
	d := st.data
	switch st.dtype {
	case "F32":
		get = func(i int) float32 { return math.Float32frombits(le32(d[4*i:])) }
	case "F64":
		get = func(i int) float32 { return float32(math.Float64frombits(le64(d[8*i:]))) }
	case "F16":
		get = func(i int) float32 { return f16(uint16(d[2*i]) | uint16(d[2*i+1])<<8) }
	case "BF16":
		get = func(i int) float32 { return math.Float32frombits(uint32(d[2*i])<<16 | uint32(d[2*i+1])<<24) }
	case "I64":
		get = func(i int) float32 { return float32(int64(le64(d[8*i:]))) }
	case "I32":
		get = func(i int) float32 { return float32(int32(le32(d[4*i:]))) }
	case "I16":
		get = func(i int) float32 { return float32(int16(uint16(d[2*i]) | uint16(d[2*i+1])<<8)) }
	case "I8":
		get = func(i int) float32 { return float32(int8(d[i])) }
	case "U8":
		get = func(i int) float32 { return float32(d[i]) }
	default:
		return nil, fmt.Errorf("storage of type %s", st.dtype)
	}
	n := st.n
	if len(t.stride) != len(t.size) {
		return nil, fmt.Errorf("size %v and stride %v differ in rank", t.size, t.stride)
	}
	// A view holds at most as many values as its storage (no expanded views: they would let a few
	// bytes claim gigabytes).
	count, err := numElements(t.size, n)
	if err != nil {
		return nil, err
	}
	// The last element's position bounds every other one; each step is checked against what is
	// left, so that no sum can overflow (a stride or offset near 2^63 wrapped round to a small
	// index).
	if count > 0 {
		if t.offset >= n {
			return nil, fmt.Errorf("storage offset %d past its storage of %d values", t.offset, n)
		}
		last := t.offset
		for i, dim := range t.size {
			if dim <= 1 {
				continue
			}
			if t.stride[i] > (n-1-last)/(dim-1) {
				return nil, fmt.Errorf("view (offset %d, size %v, stride %v) runs past its storage of %d values", t.offset, t.size, t.stride, n)
			}
			last += (dim - 1) * t.stride[i]
		}
	}
	out := make([]float32, count)
	idx := make([]int, len(t.size))
	for k := range out {
		pos := t.offset
		for i, j := range idx {
			pos += j * t.stride[i]
		}
		v := get(pos)
		if v-v != 0 {
			return nil, fmt.Errorf("holds %v at index %d (a damaged or diverged file)", v, k)
		}
		out[k] = v
		for i := len(idx) - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < t.size[i] {
				break
			}
			idx[i] = 0
		}
	}
	return out, nil
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
func le64(b []byte) uint64 { return uint64(le32(b)) | uint64(le32(b[4:]))<<32 }
