package ckpt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// le returns the little-endian bytes of vs, each written by put.
func le[T any](put func([]byte, T) []byte, vs ...T) []byte {
	var b []byte
	for _, v := range vs {
		b = put(b, v)
	}
	return b
}

func f32s(vs ...float32) []byte {
	return le(func(b []byte, v float32) []byte { return binary.LittleEndian.AppendUint32(b, math.Float32bits(v)) }, vs...)
}

// TestReadSafetensorsAccepts: the permissive mode reads what files from
// elsewhere hold, which Parse refuses, converting every dtype to float32.
func TestReadSafetensorsAccepts(t *testing.T) {
	cases := []struct {
		name   string
		data   []byte
		meta   map[string]string
		names  []string
		dtypes []string
		values [][]float32
	}{
		{"no metadata", file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, f32s(1.5, -2)...),
			nil, []string{"w"}, []string{"F32"}, [][]float32{{1.5, -2}}},
		{"metadata without a format", file(`{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, f32s(3)...),
			map[string]string{"format": "pt"}, []string{"w"}, []string{"F32"}, [][]float32{{3}}},
		{"every dtype, in data order",
			file(`{"i8":{"dtype":"I8","shape":[2],"data_offsets":[34,36]},`+
				`"f64":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},`+
				`"f16":{"dtype":"F16","shape":[2],"data_offsets":[8,12]},`+
				`"bf16":{"dtype":"BF16","shape":[1],"data_offsets":[12,14]},`+
				`"i64":{"dtype":"I64","shape":[1],"data_offsets":[14,22]},`+
				`"i32":{"dtype":"I32","shape":[1],"data_offsets":[22,26]},`+
				`"i16":{"dtype":"I16","shape":[1],"data_offsets":[26,28]},`+
				`"u8":{"dtype":"U8","shape":[2],"data_offsets":[28,30]},`+
				`"f32":{"dtype":"F32","shape":[1],"data_offsets":[30,34]}}`,
				cat(
					le(binary.LittleEndian.AppendUint64, math.Float64bits(0.25)),
					le(binary.LittleEndian.AppendUint16, 0x3c00, 0x0001), // 1, the least subnormal
					le(binary.LittleEndian.AppendUint16, 0xc040),         // bf16 -3
					le(binary.LittleEndian.AppendUint64, uint64(1<<40)),
					le(binary.LittleEndian.AppendUint32, uint32(0xffffffff)), // -1
					le(binary.LittleEndian.AppendUint16, uint16(0x8000)),     // -32768
					[]byte{255, 7},
					f32s(-0.5),
					[]byte{0x80, 0x7f}, // -128, 127
				)...),
			nil, []string{"f64", "f16", "bf16", "i64", "i32", "i16", "u8", "f32", "i8"},
			[]string{"F64", "F16", "BF16", "I64", "I32", "I16", "U8", "F32", "I8"},
			[][]float32{{0.25}, {1, 1.0 / (1 << 24)}, {-3}, {1 << 40}, {-1}, {-32768}, {255, 7}, {-0.5}, {-128, 127}}},
		{"a gap and unused bytes", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}`, 9, 9, 4, 9),
			nil, []string{"a"}, []string{"U8"}, [][]float32{{4}}},
		{"an unknown entry field", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"note":"x"}}`, 6),
			nil, []string{"a"}, []string{"U8"}, [][]float32{{6}}},
		{"an empty tensor", file(`{"e":{"dtype":"F16","shape":[0,3],"data_offsets":[0,0]}}`),
			nil, []string{"e"}, []string{"F16"}, [][]float32{{}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := ReadSafetensors(bytes.NewReader(c.data), int64(len(c.data)))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			var values [][]float32
			for _, tn := range st.Tensors {
				names = append(names, tn.Name)
				values = append(values, tn.Data)
			}
			if !reflect.DeepEqual(st.Meta, c.meta) || !reflect.DeepEqual(names, c.names) ||
				!reflect.DeepEqual(st.DTypes, c.dtypes) || !reflect.DeepEqual(values, c.values) {
				t.Errorf("got meta %v, tensors %v %v %v;\nwant %v, %v %v %v", st.Meta, names, st.DTypes, values,
					c.meta, c.names, c.dtypes, c.values)
			}
		})
	}
}

// cat joins byte slices.
func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

// TestReadSafetensorsRefuses: what the permissive mode still refuses, each
// with its fault named.
func TestReadSafetensorsRefuses(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		want string
		err  error
	}{
		{"empty", nil, "not safetensors", ErrNotSafetensors},
		{"text", []byte("hello, world, this is no tensor"), "not safetensors", ErrNotSafetensors},
		{"zip", []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"), "not safetensors", ErrNotSafetensors},
		{"no brace", file(`["w"]`), "not safetensors", ErrNotSafetensors},
		{"header past the end", lenField(100, '{', '}'), "runs past the end of the 10-byte file (truncated?)", nil},
		{"bad JSON", file(`{"w":`), "invalid JSON", nil},
		{"duplicate key", file(`{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, 1, 2),
			`duplicate key "w"`, nil},
		{"bad metadata", file(`{"__metadata__":{"a":1}}`), "__metadata__", nil},
		{"unsupported dtype", file(`{"w":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}`, make([]byte, 8)...),
			`tensor "w": unsupported dtype "C64"`, nil},
		{"size mismatch", file(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, make([]byte, 8)...),
			`shape [3] of F32 needs 3 values`, nil},
		{"past the data", file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 0, 0, 0, 0),
			"truncated file?", nil},
		{"overlap", file(`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}`, 1, 2, 3),
			`tensors "a" and "b" overlap`, nil},
		{"negative dimension", file(`{"w":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}`), "negative", nil},
		{"too many values", file(`{"w":{"dtype":"U8","shape":[65536,65536],"data_offsets":[0,0]}}`), "more than 2147483647 values", nil},
		{"NaN in F16", file(`{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, 0, 0x3c, 0x00, 0x7e),
			`tensor "w" holds a NaN or ±Inf at index 1`, ErrNonFinite},
		{"Inf in F64", file(`{"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}`, le(binary.LittleEndian.AppendUint64, math.Float64bits(math.Inf(-1)))...),
			"NaN or ±Inf at index 0", ErrNonFinite},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := ReadSafetensors(bytes.NewReader(c.data), int64(len(c.data)))
			if err == nil || st != nil {
				t.Fatalf("got %v, %v; want an error with %q", st, err, c.want)
			}
			if !strings.Contains(err.Error(), c.want) || c.err != nil && !errors.Is(err, c.err) {
				t.Errorf("error %q, want one with %q (wrapping %v)", err, c.want, c.err)
			}
		})
	}
}

// TestReadSafetensorsReadsCheckpoints: a checkpoint is a safetensors file,
// and the permissive mode reads it as Parse does.
func TestReadSafetensorsReadsCheckpoints(t *testing.T) {
	data := encode(t, &Checkpoint{Tensors: []Tensor{{Name: "b", Shape: []int{2}, Data: []float32{1, 2}},
		{Name: "a", Shape: []int{1}, Data64: []float64{0.5}}}, Meta: map[string]string{"epoch": "3"}})
	st, err := ReadSafetensors(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if st.Meta["epoch"] != "3" || st.Meta["format"] != Format || len(st.Tensors) != 2 ||
		st.Tensors[0].Name != "a" || st.DTypes[0] != "F64" || st.Tensors[0].Data[0] != 0.5 ||
		!reflect.DeepEqual(st.Tensors[1].Data, []float32{1, 2}) {
		t.Errorf("got %+v", st)
	}
}

// FuzzReadSafetensors: whatever the input, the permissive mode returns a
// file or an error, never panics, and what it returns agrees with itself.
func FuzzReadSafetensors(f *testing.F) {
	f.Add(encode(f, sample()))
	f.Add(file(`{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, 0, 0x3c, 0x00, 0x7e))
	f.Add(file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[2,3]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[3,5]}}`, 9, 9, 4, 0x80, 0x3f))
	for _, tt := range faultCases() {
		f.Add(tt.data())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := ReadSafetensors(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if st != nil {
				t.Error("a file returned with an error")
			}
			return
		}
		if len(st.DTypes) != len(st.Tensors) {
			t.Fatalf("%d dtypes for %d tensors", len(st.DTypes), len(st.Tensors))
		}
		for _, tn := range st.Tensors {
			n, err := numElements(tn.Shape)
			if err != nil || n != len(tn.Data) {
				t.Errorf("tensor %q: shape %v, %d values (%v)", tn.Name, tn.Shape, len(tn.Data), err)
			}
		}
	})
}
