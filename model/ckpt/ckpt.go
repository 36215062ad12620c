// Package ckpt saves and loads training checkpoints: weights, optimiser state
// and free-form metadata (epoch, config, RNG state) in one safetensors file.
//
// The file is plain safetensors (https://github.com/huggingface/safetensors):
// an 8-byte little-endian header length, a JSON header mapping each tensor's
// name to its dtype, shape and data_offsets, then the raw little-endian data.
// Tools that read safetensors can open a checkpoint. Tensors are F32 or F64,
// stored in name order, and the header is padded with spaces to a multiple of
// 8 bytes so that the data starts aligned. The header's "__metadata__" map
// holds the user's Meta plus two reserved keys:
//
//	"format": "deformscope-checkpoint/1"
//	"sha256": lower-case hex SHA-256 of the checkpoint's content
//
// The checksum covers, in this order, each as a little-endian uint64 length
// (or count) followed by its bytes: the format string; the number of Meta
// entries, then each key and value in key order; the number of tensors, then
// for each tensor in name order its name, its dtype ("F32" or "F64"), its rank,
// each dimension, and its data bytes. It thus catches a changed value in Meta
// as well as in the weights.
//
// Save writes atomically (package atomicfile) and refuses NaN and ±Inf, so no
// checkpoint holds them. Load and Parse check everything against the real
// size of the file before allocating, never panic, and refuse a bad file with
// an error that names it and the fault and wraps ErrForeign (the file does not
// claim to be a checkpoint of this format) or ErrCorrupt (it claims to be one
// but fails a check).
//
// Load and Parse are strict. ReadSafetensors is the one permissive mode, for
// safetensors files written elsewhere (package torchfile reads state dicts and
// captures with it): no format or checksum, more dtypes, gaps allowed, the
// same checks otherwise.
package ckpt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// Format is the format identifier written into every checkpoint and required
// when loading one.
const Format = "deformscope-checkpoint/1"

// Reserved keys of the safetensors "__metadata__" map; Meta may not use them.
const (
	formatKey = "format"
	sumKey    = "sha256"
	// metadataKey is the safetensors header entry that is not a tensor.
	metadataKey = "__metadata__"
)

// MaxHeaderSize is the largest JSON header Load accepts, in bytes, so that a
// damaged length field cannot make it allocate without bound.
const MaxHeaderSize = 100 << 20

var (
	// ErrForeign marks a file that does not claim to be a checkpoint of this
	// Format: not safetensors at all, safetensors without a format (such as a
	// model downloaded from the HuggingFace hub), or another format or version.
	ErrForeign = errors.New("not a " + Format + " file")
	// ErrCorrupt marks a file that claims to be a checkpoint of this Format but
	// is damaged: truncated, malformed, or failing its checksum.
	ErrCorrupt = errors.New("corrupt checkpoint")
	// ErrNonFinite marks a tensor holding NaN or ±Inf, refused by Save and by
	// Load.
	ErrNonFinite = errors.New("non-finite value")
)

// Tensor is one named array of numbers in row-major order. It holds float32
// values in Data, or float64 values in Data64 when Data64 is not nil (an empty
// F64 tensor has a non-nil, empty Data64); never both.
type Tensor struct {
	// Name identifies the tensor; it is unique within a checkpoint, valid
	// UTF-8, not empty and not "__metadata__".
	Name string
	// Shape is the size of each dimension; an empty Shape is a scalar (one
	// value) and a zero dimension makes an empty tensor.
	Shape []int
	// Data holds the values of an F32 tensor.
	Data []float32
	// Data64 holds the values of an F64 tensor.
	Data64 []float64
}

// Checkpoint is the content of one checkpoint file.
type Checkpoint struct {
	// Format is the checkpoint format; Load sets it to the Format constant,
	// and Save accepts it empty or equal to Format.
	Format string
	// Tensors holds weights and optimiser state. Load returns them sorted by
	// name; Save accepts any order and does not reorder the slice.
	Tensors []Tensor
	// Meta holds free-form string data such as "epoch", "config" (JSON) and
	// "rng" (JSON). Keys and values must be valid UTF-8; the keys "format" and
	// "sha256" are reserved. Load returns a non-nil map.
	Meta map[string]string
}

// Lookup returns the tensor with the given name, or nil and false. It expects
// Tensors sorted by name, as Load returns them.
func (c *Checkpoint) Lookup(name string) (*Tensor, bool) {
	i, ok := slices.BinarySearchFunc(c.Tensors, name, func(t Tensor, name string) int {
		return strings.Compare(t.Name, name)
	})
	if !ok {
		return nil, false
	}
	return &c.Tensors[i], true
}

// dtype is a tensor element type of the file. Checkpoints hold F32 and F64;
// ReadSafetensors reads the others too.
type dtype uint8

const (
	f32 dtype = iota + 1
	f64
	f16
	bf16
	i64
	i32
	i16
	i8
	u8
)

// dtypes are the dtypes by their name in a safetensors header.
var dtypes = map[string]dtype{"F32": f32, "F64": f64, "F16": f16, "BF16": bf16, "I64": i64, "I32": i32, "I16": i16,
	"I8": i8, "U8": u8}

func (d dtype) String() string {
	for name, dt := range dtypes {
		if dt == d {
			return name
		}
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// size is the width of one element in bytes.
func (d dtype) size() int {
	switch d {
	case f64, i64:
		return 8
	case f32, i32:
		return 4
	case f16, bf16, i16:
		return 2
	}
	return 1
}

// numElements returns the number of elements of shape, or an error for a
// negative dimension or a count above math.MaxInt.
func numElements(shape []int) (int, error) {
	for i, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension %d at axis %d", d, i)
		}
	}
	if slices.Contains(shape, 0) {
		return 0, nil
	}
	n := 1
	for _, d := range shape {
		if n > math.MaxInt/d {
			return 0, fmt.Errorf("shape %v overflows: more than %d elements", shape, math.MaxInt)
		}
		n *= d
	}
	return n, nil
}

// appendLen appends a length or count as a little-endian uint64, the unit of
// the checksum's framing.
func appendLen(b []byte, n int) []byte {
	return binary.LittleEndian.AppendUint64(b, uint64(n))
}

// appendString appends s framed by its length.
func appendString(b []byte, s string) []byte {
	return append(appendLen(b, len(s)), s...)
}

// sumPrefix returns the checksum's input that precedes the tensor data: the
// format and the sorted Meta entries and the tensor count.
func sumPrefix(format string, meta map[string]string, ntensors int) []byte {
	b := appendString(nil, format)
	b = appendLen(b, len(meta))
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		b = appendString(b, k)
		b = appendString(b, meta[k])
	}
	return appendLen(b, ntensors)
}

// tensorPrefix returns the checksum's input that precedes one tensor's data.
func tensorPrefix(b []byte, name string, dt dtype, shape []int, nbytes int) []byte {
	b = appendString(b, name)
	b = appendString(b, dt.String())
	b = appendLen(b, len(shape))
	for _, d := range shape {
		b = appendLen(b, d)
	}
	return appendLen(b, nbytes)
}
