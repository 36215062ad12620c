package torchfile

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
)

// errNotSafetensors marks a file whose header is not safetensors at all, as
// opposed to a damaged one.
var errNotSafetensors = errors.New("not safetensors")

// maxHeader bounds the JSON header of a safetensors file (as the reference
// implementation does, 100 MB).
const maxHeader = 100 << 20

// dtypeSize is the width in bytes of each safetensors dtype Read converts.
var dtypeSize = map[string]int{"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1}

type stEntry struct {
	DType   string  `json:"dtype"`
	Shape   []int   `json:"shape"`
	Offsets []int64 `json:"data_offsets"`
}

// readSafetensors reads a safetensors file of any provenance: ours, the
// safetensors package's, or deformscope_capture.py's.
func readSafetensors(r io.ReaderAt, size int64) (*StateDict, error) {
	sd, _, err := readSafetensorsMeta(r, size)
	return sd, err
}

// readSafetensorsMeta is readSafetensors that also returns the header's
// __metadata__ map.
func readSafetensorsMeta(r io.ReaderAt, size int64) (*StateDict, map[string]string, error) {
	var lenField [8]byte
	if size < 8 {
		return nil, nil, errNotSafetensors
	}
	if _, err := r.ReadAt(lenField[:], 0); err != nil {
		return nil, nil, fmt.Errorf("read: %w", err)
	}
	n := binary.LittleEndian.Uint64(lenField[:])
	if n < 2 || n > maxHeader {
		return nil, nil, errNotSafetensors
	}
	var first [1]byte
	if _, err := r.ReadAt(first[:], 8); err != nil || first[0] != '{' {
		return nil, nil, errNotSafetensors
	}
	if n > uint64(size-8) {
		return nil, nil, fmt.Errorf("safetensors header of %d bytes runs past the end of the %d-byte file (truncated?)", n, size)
	}
	header := make([]byte, n)
	if _, err := r.ReadAt(header, 8); err != nil {
		return nil, nil, fmt.Errorf("read: %w", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(header, &raw); err != nil {
		return nil, nil, fmt.Errorf("safetensors header: %w", err)
	}
	dataStart := 8 + int64(n)
	dataLen := size - dataStart
	var meta map[string]string
	type item struct {
		name string
		e    stEntry
	}
	var items []item
	for name, v := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(v, &meta); err != nil {
				return nil, nil, fmt.Errorf("safetensors __metadata__: %w", err)
			}
			continue
		}
		var e stEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, nil, fmt.Errorf("tensor %s: %w", quote(name), err)
		}
		w, ok := dtypeSize[e.DType]
		if !ok {
			return nil, nil, fmt.Errorf("tensor %s: unsupported dtype %s", quote(name), quote(e.DType))
		}
		if len(e.Offsets) != 2 {
			return nil, nil, fmt.Errorf("tensor %s: %d data_offsets, want 2", quote(name), len(e.Offsets))
		}
		if e.Offsets[0] < 0 || e.Offsets[0] > e.Offsets[1] || e.Offsets[1] > dataLen {
			return nil, nil, fmt.Errorf("tensor %s: data_offsets %v lie outside the %d-byte data section (truncated file?)", quote(name), e.Offsets, dataLen)
		}
		count, err := numElements(e.Shape, math.MaxInt32)
		if err != nil {
			return nil, nil, fmt.Errorf("tensor %s: %w", quote(name), err)
		}
		if int64(count)*int64(w) != e.Offsets[1]-e.Offsets[0] {
			return nil, nil, fmt.Errorf("tensor %s: shape %s of %s needs %d bytes, data_offsets span %d", quote(name), shapeStr(e.Shape), e.DType, count*w, e.Offsets[1]-e.Offsets[0])
		}
		items = append(items, item{name, e})
	}
	slices.SortFunc(items, func(a, b item) int {
		if a.e.Offsets[0] != b.e.Offsets[0] {
			return int(a.e.Offsets[0] - b.e.Offsets[0])
		}
		return int(a.e.Offsets[1] - b.e.Offsets[1])
	})
	sd := &StateDict{}
	var next int64
	for i, it := range items {
		if it.e.Offsets[0] < next {
			return nil, nil, fmt.Errorf("tensors %s and %s overlap in the data section", quote(items[i-1].name), quote(it.name))
		}
		next = it.e.Offsets[1]
		buf := make([]byte, it.e.Offsets[1]-it.e.Offsets[0])
		if _, err := r.ReadAt(buf, dataStart+it.e.Offsets[0]); err != nil && !(errors.Is(err, io.EOF) && len(buf) == 0) {
			return nil, nil, fmt.Errorf("tensor %s: read: %w", quote(it.name), err)
		}
		data, err := convert(buf, it.e.DType)
		if err != nil {
			return nil, nil, fmt.Errorf("tensor %s: %w", quote(it.name), err)
		}
		sd.Tensors = append(sd.Tensors, Tensor{Name: it.name, Shape: slices.Clone(it.e.Shape), Data: data, DType: it.e.DType})
	}
	return sd, meta, nil
}

// convert decodes little-endian values of dtype into float32, refusing NaN
// and ±Inf.
func convert(b []byte, dtype string) ([]float32, error) {
	w := dtypeSize[dtype]
	out := make([]float32, len(b)/w)
	for i := range out {
		p := b[i*w:]
		var v float32
		switch dtype {
		case "F64":
			v = float32(math.Float64frombits(binary.LittleEndian.Uint64(p)))
		case "F32":
			v = math.Float32frombits(binary.LittleEndian.Uint32(p))
		case "F16":
			v = halfToFloat(binary.LittleEndian.Uint16(p))
		case "BF16":
			v = math.Float32frombits(uint32(binary.LittleEndian.Uint16(p)) << 16)
		case "I64":
			v = float32(int64(binary.LittleEndian.Uint64(p)))
		case "I32":
			v = float32(int32(binary.LittleEndian.Uint32(p)))
		case "I16":
			v = float32(int16(binary.LittleEndian.Uint16(p)))
		case "I8":
			v = float32(int8(p[0]))
		case "U8":
			v = float32(p[0])
		}
		if v-v != 0 {
			return nil, fmt.Errorf("holds %v at index %d", v, i)
		}
		out[i] = v
	}
	return out, nil
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
