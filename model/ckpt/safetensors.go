package ckpt

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
)

// ErrNotSafetensors marks input to ReadSafetensors that is not safetensors
// at all (its first bytes are no header length and '{'), as opposed to a
// damaged safetensors file.
var ErrNotSafetensors = errors.New("not safetensors")

// maxPermissiveValues bounds the values of one tensor ReadSafetensors
// converts to float32.
const maxPermissiveValues = math.MaxInt32

// Safetensors is a safetensors file of any provenance, as ReadSafetensors
// reads it.
type Safetensors struct {
	// Meta is the header's __metadata__ map; nil when it has none.
	Meta map[string]string
	// Tensors are in the order of their data in the file, each value
	// converted to float32 (in Data) whatever its dtype.
	Tensors []Tensor
	// DTypes holds each tensor's dtype in the file ("F32", "F16", "I64", ...).
	DTypes []string
}

// ReadSafetensors reads a safetensors file of size bytes from r in the
// permissive mode that files from elsewhere need (PyTorch's safetensors
// package, deformscope_capture.py): unlike Load, which is strict, it wants
// no format or checksum, takes the dtypes F64, F32, F16, BF16, I64, I32,
// I16, I8 and U8, ignores unknown fields of a tensor's entry, and allows
// gaps between the tensors' data. Everything else is checked as Load checks
// it, against size before anything is allocated: the header, each entry,
// data that overlaps or runs past the end, and NaN or ±Inf (ErrNonFinite).
// Input that is not safetensors at all gets ErrNotSafetensors. Its errors
// name the fault; the caller names the file.
func ReadSafetensors(r io.ReaderAt, size int64) (*Safetensors, error) {
	if size < 8 {
		return nil, ErrNotSafetensors
	}
	var lenField [8]byte
	if err := readAt(r, lenField[:], 0); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint64(lenField[:])
	if n < 2 || n > MaxHeaderSize {
		return nil, ErrNotSafetensors
	}
	var first [1]byte
	if err := readAt(r, first[:], 8); err != nil || first[0] != '{' {
		return nil, ErrNotSafetensors
	}
	if n > uint64(size-8) {
		return nil, fmt.Errorf("safetensors header of %d bytes runs past the end of the %d-byte file (truncated?)", n, size)
	}
	header := make([]byte, n)
	if err := readAt(r, header, 8); err != nil {
		return nil, err
	}
	dataStart := 8 + int64(n)
	dataLen := size - dataStart
	meta, fields, err := headerFields(header)
	if err != nil {
		return nil, err
	}
	entries, err := parseEntries(fields, true)
	if err != nil {
		return nil, err
	}
	if err := checkLayout(entries, dataLen, false); err != nil {
		return nil, err
	}
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end))
	})
	st := &Safetensors{Meta: meta, Tensors: make([]Tensor, len(entries)), DTypes: make([]string, len(entries))}
	for i, e := range entries {
		// checkLayout bounds e.end - e.begin by the real size of the file.
		buf := make([]byte, e.end-e.begin)
		if err := readAt(r, buf, dataStart+e.begin); err != nil {
			return nil, fmt.Errorf("tensor %q: %w", e.name, err)
		}
		data := make([]float32, len(buf)/e.dt.size())
		if bad := convert(data, buf, e.dt); bad >= 0 {
			return nil, fmt.Errorf("tensor %q holds a NaN or ±Inf at index %d: %w", e.name, bad, ErrNonFinite)
		}
		st.Tensors[i] = Tensor{Name: e.name, Shape: e.shape, Data: data}
		st.DTypes[i] = e.dt.String()
	}
	return st, nil
}

// convert decodes little-endian values of dt from src into dst as float32
// and returns the index of the first NaN or ±Inf, or -1.
func convert(dst []float32, src []byte, dt dtype) int {
	w := dt.size()
	for i := range dst {
		p := src[i*w:]
		var v float32
		switch dt {
		case f64:
			v = float32(math.Float64frombits(binary.LittleEndian.Uint64(p)))
		case f32:
			v = math.Float32frombits(binary.LittleEndian.Uint32(p))
		case f16:
			v = halfToFloat(binary.LittleEndian.Uint16(p))
		case bf16:
			v = math.Float32frombits(uint32(binary.LittleEndian.Uint16(p)) << 16)
		case i64:
			v = float32(int64(binary.LittleEndian.Uint64(p)))
		case i32:
			v = float32(int32(binary.LittleEndian.Uint32(p)))
		case i16:
			v = float32(int16(binary.LittleEndian.Uint16(p)))
		case i8:
			v = float32(int8(p[0]))
		case u8:
			v = float32(p[0])
		}
		if v-v != 0 {
			return i
		}
		dst[i] = v
	}
	return -1
}

// halfToFloat converts an IEEE 754 half-precision value.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0 && man == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		f := float32(man) / 1024 / 16384
		if sign != 0 {
			f = -f
		}
		return f
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | man<<13)
}
