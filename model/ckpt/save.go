package ckpt

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/deformscope/deformscope/internal/atomicfile"
)

// chunkSize is the size of the buffer through which tensor data is encoded,
// hashed and written.
const chunkSize = 64 << 10

// filePerm is the permission (before the umask) of a saved checkpoint.
const filePerm os.FileMode = 0o644

// Save writes c to path atomically: a reader or a crash sees the old file or
// the new one, never a mix, and a failed Save leaves an existing file
// untouched. It refuses, before writing anything, a tensor holding NaN or ±Inf
// (the error names the tensor and wraps ErrNonFinite), duplicate or invalid
// names, a shape that does not match its data, and reserved or invalid Meta.
func Save(path string, c *Checkpoint) error {
	p, err := prepare(c)
	if err != nil {
		return fmt.Errorf("ckpt: save %s: %w", path, err)
	}
	if err := atomicfile.Write(path, filePerm, p.writeTo); err != nil {
		return fmt.Errorf("ckpt: save %s: %w", path, err)
	}
	return nil
}

// Encode writes c to w in the checkpoint format, with the checks of Save.
// Unlike Save it is not atomic: on an error w may hold part of a file.
func Encode(w io.Writer, c *Checkpoint) error {
	p, err := prepare(c)
	if err != nil {
		return fmt.Errorf("ckpt: encode: %w", err)
	}
	return p.writeTo(w)
}

// prepared is a checked checkpoint with its header built, ready to write.
type prepared struct {
	// header is the length field, the JSON header and its padding.
	header []byte
	// tensors are the checkpoint's tensors in name order.
	tensors []*Tensor
}

// prepare checks c, computes its checksum and builds the header. It reads
// every value once and writes nothing.
func prepare(c *Checkpoint) (*prepared, error) {
	if c == nil {
		return nil, errors.New("nil checkpoint")
	}
	if c.Format != "" && c.Format != Format {
		return nil, fmt.Errorf("format %q, want %q (or empty)", c.Format, Format)
	}
	for k, v := range c.Meta {
		if k == formatKey || k == sumKey {
			return nil, fmt.Errorf("meta key %q is reserved", k)
		}
		if !utf8.ValidString(k) {
			return nil, fmt.Errorf("meta key %q is not valid UTF-8", k)
		}
		if !utf8.ValidString(v) {
			return nil, fmt.Errorf("meta value of %q is not valid UTF-8", k)
		}
	}

	tensors := make([]*Tensor, len(c.Tensors))
	for i := range c.Tensors {
		tensors[i] = &c.Tensors[i]
	}
	slices.SortFunc(tensors, func(a, b *Tensor) int { return cmp.Compare(a.Name, b.Name) })

	h := sha256.New()
	h.Write(sumPrefix(Format, c.Meta, len(tensors)))
	buf := make([]byte, chunkSize)
	var entries []byte // the tensors' header entries, each led by a comma
	offset := 0
	for i, t := range tensors {
		if i > 0 && t.Name == tensors[i-1].Name {
			return nil, fmt.Errorf("duplicate tensor name %q", t.Name)
		}
		dt, nbytes, err := checkTensor(t)
		if err != nil {
			return nil, err
		}
		h.Write(tensorPrefix(nil, t.Name, dt, t.Shape, nbytes))
		if err := encodeData(t, buf, func(b []byte) error {
			h.Write(b)
			return nil
		}); err != nil {
			return nil, err
		}

		name, _ := json.Marshal(t.Name) // a string always marshals
		entries = append(entries, ',')
		entries = append(entries, name...)
		entries = append(entries, `:{"dtype":"`...)
		entries = append(entries, dt.String()...)
		entries = append(entries, `","shape":[`...)
		for j, d := range t.Shape {
			if j > 0 {
				entries = append(entries, ',')
			}
			entries = strconv.AppendInt(entries, int64(d), 10)
		}
		entries = append(entries, `],"data_offsets":[`...)
		entries = strconv.AppendInt(entries, int64(offset), 10)
		entries = append(entries, ',')
		offset += nbytes
		entries = strconv.AppendInt(entries, int64(offset), 10)
		entries = append(entries, "]}"...)
	}

	meta := maps.Clone(c.Meta)
	if meta == nil {
		meta = make(map[string]string, 2)
	}
	meta[formatKey] = Format
	meta[sumKey] = hex.EncodeToString(h.Sum(nil))
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return nil, fmt.Errorf("encoding meta: %w", err)
	}

	header := make([]byte, 8, 8+len(metaJSON)+len(entries)+32)
	header = append(header, `{"`+metadataKey+`":`...)
	header = append(header, metaJSON...)
	header = append(header, entries...)
	header = append(header, '}')
	for len(header)%8 != 0 {
		header = append(header, ' ')
	}
	binary.LittleEndian.PutUint64(header, uint64(len(header)-8))
	return &prepared{header: header, tensors: tensors}, nil
}

// checkTensor checks t's name, shape and data and returns its dtype and its
// size in bytes.
func checkTensor(t *Tensor) (dtype, int, error) {
	switch {
	case t.Name == "":
		return 0, 0, errors.New("tensor with an empty name")
	case t.Name == metadataKey:
		return 0, 0, fmt.Errorf("tensor name %q is reserved", t.Name)
	case !utf8.ValidString(t.Name):
		return 0, 0, fmt.Errorf("tensor name %q is not valid UTF-8", t.Name)
	case t.Data != nil && t.Data64 != nil:
		return 0, 0, fmt.Errorf("tensor %q has both Data and Data64", t.Name)
	}
	dt, n := f32, len(t.Data)
	if t.Data64 != nil {
		dt, n = f64, len(t.Data64)
	}
	count, err := numElements(t.Shape)
	if err != nil {
		return 0, 0, fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	if count != n {
		return 0, 0, fmt.Errorf("tensor %q: shape %v holds %d values, but its data has %d", t.Name, t.Shape, count, n)
	}
	return dt, n * dt.size(), nil
}

// encodeData encodes t's values little-endian through buf and hands each
// chunk to fn. It stops at the first NaN or ±Inf.
func encodeData(t *Tensor, buf []byte, fn func([]byte) error) error {
	if t.Data64 != nil {
		per := len(buf) / 8
		for start := 0; start < len(t.Data64); start += per {
			chunk := t.Data64[start:min(start+per, len(t.Data64))]
			b := buf[:8*len(chunk)]
			for i, v := range chunk {
				// v-v is 0 for finite v and NaN for NaN and ±Inf.
				if v-v != 0 {
					return nonFinite(t.Name, v, start+i)
				}
				binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
			}
			if err := fn(b); err != nil {
				return err
			}
		}
		return nil
	}
	per := len(buf) / 4
	for start := 0; start < len(t.Data); start += per {
		chunk := t.Data[start:min(start+per, len(t.Data))]
		b := buf[:4*len(chunk)]
		for i, v := range chunk {
			if v-v != 0 {
				return nonFinite(t.Name, float64(v), start+i)
			}
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	return nil
}

func nonFinite(name string, v float64, i int) error {
	return fmt.Errorf("tensor %q holds %v at index %d: %w", name, v, i, ErrNonFinite)
}

// writeTo writes the prepared checkpoint to w.
func (p *prepared) writeTo(w io.Writer) error {
	if _, err := w.Write(p.header); err != nil {
		return err
	}
	buf := make([]byte, chunkSize)
	for _, t := range p.tensors {
		if err := encodeData(t, buf, func(b []byte) error {
			_, err := w.Write(b)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}
