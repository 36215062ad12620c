// Package npy reads and writes NumPy's .npy files (format version 1.0), the
// arrays a Python user opens with numpy.load: a deformable layer's offsets
// and masks exported beside a heat map, and test data made with numpy.
//
// gorgonia.org/tensor does the reading and writing (Dense.ReadNpy and
// Dense.WriteNpy). Its reader trusts the header: it sizes the array from
// the header's shape before it reads a byte of data, so a hostile header
// could ask for any amount of memory; it panics on a dimension of 0 or
// less; and it reads a big-endian file as little-endian. Parse therefore
// checks the header itself first: the magic, version 1.0, exactly the keys
// numpy writes, a dtype of uint8, float32 or float64 in little-endian
// order, C order, and a shape whose element count the bytes after the
// header hold exactly. Only then does gorgonia see the file, and the array
// it allocates is no larger than the file. Writing has no such trouble,
// but the shape is checked the same way, since gorgonia panics on a
// dimension of 0.
//
// gorgonia moves one value at a time (an allocation each). Measured here
// with BenchmarkWrite and BenchmarkParse on a 1×18×64×64 float32 array
// (288 KiB, one 64×64 layer's offsets), on 2 cores shared with other
// builds (load average 16): writing takes about 4 ms and reading 3 ms,
// some 70 and 90 MB/s: ample for an export, not for a training loop.
package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/deformscope/deformscope/internal/atomicfile"
	"github.com/deformscope/deformscope/internal/safeopen"
	"gorgonia.org/tensor"
)

// MaxFileSize bounds what ReadFile reads: 1 GiB.
const MaxFileSize = 1 << 30

// MaxDims is the most dimensions an array may have, numpy's own limit.
const MaxDims = 32

// magic opens every .npy file.
const magic = "\x93NUMPY"

// Array is an array read from a .npy file.
type Array struct {
	// Shape holds the dimensions, each at least 1.
	Shape []int
	// Data holds the values in row-major (C) order: a []uint8, []float32
	// or []float64, by the file's dtype.
	Data any
}

// Element is a type of value this package reads and writes.
type Element interface {
	uint8 | float32 | float64
}

// dtypes are the dtypes read, as a header spells them, with their sizes.
var dtypes = map[string]struct {
	size int
	dt   tensor.Dtype
}{
	"|u1": {1, tensor.Uint8}, "<u1": {1, tensor.Uint8},
	"<f4": {4, tensor.Float32}, "<f8": {8, tensor.Float64},
}

// Write writes data, an array of the given shape in row-major order, to w
// as a .npy file (version 1.0, little-endian, C order).
func Write[T Element](w io.Writer, data []T, shape ...int) error {
	if err := checkShape(len(data), shape); err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	d := tensor.New(tensor.WithShape(slices.Clone(shape)...), tensor.WithBacking(any(data)))
	if err := d.WriteNpy(w); err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	return nil
}

// WriteFile writes data as Write does to the named file, atomically: an
// existing file is replaced whole or left as it was.
func WriteFile[T Element](path string, data []T, shape ...int) error {
	if err := checkShape(len(data), shape); err != nil {
		return fmt.Errorf("npy: %s: %w", path, err)
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		return Write(w, data, shape...)
	})
}

// checkShape says whether shape (at least one dimension, each at least 1)
// holds n values.
func checkShape(n int, shape []int) error {
	if len(shape) == 0 || len(shape) > MaxDims {
		return fmt.Errorf("shape %v: want 1 to %d dimensions", shape, MaxDims)
	}
	count := 1
	for _, d := range shape {
		if d < 1 {
			return fmt.Errorf("shape %v: every dimension must be at least 1", shape)
		}
		if count > n/d {
			return fmt.Errorf("shape %v holds more than the %d values given", shape, n)
		}
		count *= d
	}
	if count != n {
		return fmt.Errorf("shape %v holds %d values, not the %d given", shape, count, n)
	}
	return nil
}

// ReadFile reads the .npy file at path (a regular file of at most
// MaxFileSize bytes).
func ReadFile(path string) (*Array, error) {
	b, err := safeopen.ReadFile(path, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	return Parse(b, path)
}

// Parse reads the .npy file held in b; name says which file it is in
// errors. It checks the header before anything is sized by it (see the
// package doc).
func Parse(b []byte, name string) (*Array, error) {
	h, err := checkHeader(b)
	if err != nil {
		return nil, fmt.Errorf("npy: %s: %w", name, err)
	}
	d := new(tensor.Dense)
	if err := d.ReadNpy(bytes.NewReader(b)); err != nil {
		return nil, fmt.Errorf("npy: %s: %w", name, err)
	}
	// gorgonia parsed the header again with its own patterns: it must
	// agree with ours.
	if !slices.Equal([]int(d.Shape()), h.shape) || d.Dtype() != h.dtype {
		return nil, fmt.Errorf("npy: %s: the header reads as %v %v, not %v %v", name, d.Dtype(), d.Shape(), h.dtype, h.shape)
	}
	return &Array{Shape: h.shape, Data: d.Data()}, nil
}

// header is what a .npy header says.
type header struct {
	dtype tensor.Dtype
	shape []int
}

// checkHeader reads and checks b's header against the bytes after it.
func checkHeader(b []byte) (header, error) {
	if len(b) < len(magic)+4 || string(b[:len(magic)]) != magic {
		return header{}, errors.New("not a .npy file (no \\x93NUMPY at its start)")
	}
	major, minor := b[6], b[7]
	if major != 1 || minor != 0 {
		return header{}, fmt.Errorf("format version %d.%d: only 1.0 is read (numpy writes 1.0 unless a header is over 64 KiB)", major, minor)
	}
	n := int(binary.LittleEndian.Uint16(b[8:10]))
	if 10+n > len(b) {
		return header{}, fmt.Errorf("its header of %d bytes runs past the end of the %d-byte file (truncated?)", n, len(b))
	}
	dict, err := parseDict(string(b[10 : 10+n]))
	if err != nil {
		return header{}, fmt.Errorf("header: %w", err)
	}
	if dict.fortran {
		return header{}, errors.New("header: fortran_order is True: only C order is read (save a C-contiguous array)")
	}
	dt, ok := dtypes[dict.descr]
	if !ok {
		return header{}, fmt.Errorf("header: dtype %q: want uint8 (|u1), float32 (<f4) or float64 (<f8), little-endian", dict.descr)
	}
	if len(dict.shape) == 0 || len(dict.shape) > MaxDims {
		return header{}, fmt.Errorf("header: shape %v: want 1 to %d dimensions", dict.shape, MaxDims)
	}
	payload := len(b) - 10 - n
	count := 1
	for _, d := range dict.shape {
		if d < 1 {
			return header{}, fmt.Errorf("header: shape %v: every dimension must be at least 1", dict.shape)
		}
		if count > payload/dt.size/d {
			return header{}, fmt.Errorf("header: shape %v of %s needs more than the %d bytes after the header (truncated?)", dict.shape, dict.descr, payload)
		}
		count *= d
	}
	if count*dt.size != payload {
		return header{}, fmt.Errorf("%d bytes follow the header; its shape %v of %s needs %d", payload, dict.shape, dict.descr, count*dt.size)
	}
	return header{dtype: dt.dt, shape: dict.shape}, nil
}

// dict is a header's dictionary.
type dict struct {
	descr   string
	fortran bool
	shape   []int
}

// parseDict reads a header's Python dictionary literal strictly: the keys
// 'descr', 'fortran_order' and 'shape' once each, in any order, then only
// spaces and a newline. Strings are in single quotes, as numpy writes them
// and as gorgonia's reader expects.
func parseDict(s string) (dict, error) {
	p := &dictParser{s: s}
	var d dict
	seen := map[string]bool{}
	p.space()
	if !p.take('{') {
		return d, errors.New("does not start with {")
	}
	for {
		p.space()
		if p.take('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return d, err
		}
		if seen[key] {
			return d, fmt.Errorf("key %q twice", key)
		}
		seen[key] = true
		p.space()
		if !p.take(':') {
			return d, fmt.Errorf("no : after %q", key)
		}
		p.space()
		switch key {
		case "descr":
			if d.descr, err = p.str(); err != nil {
				return d, err
			}
		case "fortran_order":
			switch {
			case p.word("False"):
			case p.word("True"):
				d.fortran = true
			default:
				return d, errors.New("fortran_order: want True or False")
			}
		case "shape":
			if d.shape, err = p.tuple(); err != nil {
				return d, err
			}
		default:
			return d, fmt.Errorf("unknown key %q", key)
		}
		p.space()
		if p.take(',') {
			continue
		}
		p.space()
		if !p.take('}') {
			return d, fmt.Errorf("want , or } after %q", key)
		}
		break
	}
	if rest := strings.Trim(p.s[p.i:], " \n"); rest != "" {
		return d, fmt.Errorf("%q after the dictionary", clip(rest))
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return d, fmt.Errorf("no %q", k)
		}
	}
	return d, nil
}

// dictParser walks a header.
type dictParser struct {
	s string
	i int
}

func (p *dictParser) space() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *dictParser) take(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *dictParser) word(w string) bool {
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

// str reads a string in single quotes, of letters, digits, '<', '|' and
// '_' (every key and dtype read).
func (p *dictParser) str() (string, error) {
	if !p.take('\'') {
		return "", fmt.Errorf("want a string in single quotes at byte %d", p.i)
	}
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != '\'' {
		c := p.s[p.i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '<' || c == '>' || c == '|' || c == '_' || c == '=') {
			return "", fmt.Errorf("unexpected %q in a string", c)
		}
		p.i++
	}
	if !p.take('\'') {
		return "", errors.New("a string is not closed")
	}
	return p.s[start : p.i-1], nil
}

// tuple reads a shape: (), (N,) or (N, M, ...) with an optional trailing
// comma.
func (p *dictParser) tuple() ([]int, error) {
	if !p.take('(') {
		return nil, errors.New("shape: want a tuple")
	}
	var out []int
	for {
		p.space()
		if p.take(')') {
			return out, nil
		}
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if p.i == start {
			return nil, fmt.Errorf("shape: want a whole number at byte %d", p.i)
		}
		v, err := strconv.Atoi(p.s[start:p.i])
		if err != nil || v > math.MaxInt32 {
			return nil, fmt.Errorf("shape: dimension %s is too large", clip(p.s[start:p.i]))
		}
		out = append(out, v)
		if len(out) > MaxDims {
			return nil, fmt.Errorf("shape: more than %d dimensions", MaxDims)
		}
		p.space()
		if p.take(',') {
			continue
		}
		p.space()
		if !p.take(')') {
			return nil, fmt.Errorf("shape: want , or ) at byte %d", p.i)
		}
		if len(out) == 1 {
			// Python's (N) is a number, not a tuple: numpy writes (N,).
			return nil, errors.New("shape: a one-dimensional shape is written (N,)")
		}
		return out, nil
	}
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
