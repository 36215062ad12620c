package ckpt

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// sample returns a small checkpoint exercising every kind of tensor: F32 and
// F64, a scalar, empty tensors, and awkward values (-0, subnormals, extremes).
func sample() *Checkpoint {
	rng := rand.New(rand.NewPCG(1, 2))
	w := make([]float32, 2*1*3*3)
	for i := range w {
		w[i] = float32(rng.NormFloat64())
	}
	w[0] = float32(math.Copysign(0, -1))
	w[1] = math.SmallestNonzeroFloat32
	w[2] = math.MaxFloat32
	w[3] = -math.MaxFloat32
	m := []float64{math.Copysign(0, -1), math.SmallestNonzeroFloat64, math.MaxFloat64, 1e-300}
	return &Checkpoint{
		Format: Format,
		// Deliberately not in name order.
		Tensors: []Tensor{
			{Name: "conv1.weight", Shape: []int{2, 1, 3, 3}, Data: w},
			{Name: "conv1.bias", Shape: []int{2}, Data: []float32{0.5, -0.25}},
			{Name: "step", Shape: []int{}, Data: []float32{42}},
			{Name: "empty", Shape: []int{0, 3}, Data: []float32{}},
			{Name: "adam.m/conv1.bias", Shape: []int{2, 2}, Data64: m},
			{Name: "empty64", Shape: []int{0}, Data64: []float64{}},
			{Name: "ünï <&> \"quoted\"", Shape: []int{1}, Data: []float32{1}},
		},
		Meta: map[string]string{
			"epoch":  "3",
			"config": `{"lr":0.001,"layers":["conv","dconv"],"note":"<&> ünï"}`,
			"rng":    `{"seed":[1,2]}`,
			"":       "empty key is allowed",
			"model":  "dcnn",
		},
	}
}

// sorted returns c's tensors sorted by name, as Load returns them.
func sorted(c *Checkpoint) []Tensor {
	ts := slices.Clone(c.Tensors)
	slices.SortFunc(ts, func(a, b Tensor) int { return strings.Compare(a.Name, b.Name) })
	return ts
}

// checkEqual reports any difference between got and want, comparing values
// bit for bit so that -0 and 0 differ.
func checkEqual(t *testing.T, got, want *Checkpoint) {
	t.Helper()
	if got.Format != Format {
		t.Errorf("Format = %q, want %q", got.Format, Format)
	}
	if got.Meta == nil {
		t.Errorf("Meta is nil, want a map")
	}
	if !maps.Equal(got.Meta, want.Meta) {
		t.Errorf("Meta = %q, want %q", got.Meta, want.Meta)
	}
	wt := sorted(want)
	if len(got.Tensors) != len(wt) {
		t.Fatalf("%d tensors, want %d", len(got.Tensors), len(wt))
	}
	for i, g := range got.Tensors {
		w := wt[i]
		if g.Name != w.Name {
			t.Errorf("tensor %d is %q, want %q", i, g.Name, w.Name)
			continue
		}
		if !slices.Equal(g.Shape, w.Shape) {
			t.Errorf("tensor %q: shape %v, want %v", g.Name, g.Shape, w.Shape)
		}
		if (g.Data64 != nil) != (w.Data64 != nil) {
			t.Errorf("tensor %q: F64 = %v, want %v", g.Name, g.Data64 != nil, w.Data64 != nil)
		}
		if !slices.EqualFunc(g.Data, w.Data, func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }) {
			t.Errorf("tensor %q: Data = %v, want %v", g.Name, g.Data, w.Data)
		}
		if !slices.EqualFunc(g.Data64, w.Data64, func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }) {
			t.Errorf("tensor %q: Data64 = %v, want %v", g.Name, g.Data64, w.Data64)
		}
	}
}

func encode(t testing.TB, c *Checkpoint) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, c); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// mustEncode is encode for building test tables, where a failure is a bug in
// the test.
func mustEncode(c *Checkpoint) []byte {
	var buf bytes.Buffer
	if err := Encode(&buf, c); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func TestSaveLoadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.safetensors")
	want := sample()
	order := slices.Clone(want.Tensors)
	if err := Save(path, want); err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(want.Tensors, order, func(a, b Tensor) bool { return a.Name == b.Name }) {
		t.Errorf("Save reordered the caller's tensors")
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, got, want)

	for _, w := range want.Tensors {
		g, ok := got.Lookup(w.Name)
		if !ok || g.Name != w.Name {
			t.Errorf("Lookup(%q) = %v, %v", w.Name, g, ok)
		}
	}
	if _, ok := got.Lookup("missing"); ok {
		t.Errorf("Lookup(missing) found a tensor")
	}
}

func TestRoundTripEdgeCases(t *testing.T) {
	tests := []struct {
		name string
		c    *Checkpoint
	}{
		{"no tensors, nil meta", &Checkpoint{}},
		{"no tensors, empty meta", &Checkpoint{Meta: map[string]string{}}},
		{"one scalar", &Checkpoint{Tensors: []Tensor{{Name: "s", Data: []float32{-1}}}}},
		{"empty F32 with nil data", &Checkpoint{Tensors: []Tensor{{Name: "e", Shape: []int{3, 0}}}}},
		{"sample", sample()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := encode(t, tt.c)
			if n := binary.LittleEndian.Uint64(data); n%8 != 0 {
				t.Errorf("header is %d bytes, want a multiple of 8 so that the data is aligned", n)
			}
			got, err := Parse(data, "x")
			if err != nil {
				t.Fatal(err)
			}
			checkEqual(t, got, tt.c)
			// Saving what was loaded gives the same bytes.
			if again := encode(t, got); !bytes.Equal(again, data) {
				t.Errorf("re-encoding a loaded checkpoint changed its bytes")
			}
		})
	}
}

// TestFileIsPlainSafetensors checks the layout by hand: the header length, the
// header JSON and the data in name order, so that other safetensors readers
// can open a checkpoint.
func TestFileIsPlainSafetensors(t *testing.T) {
	c := &Checkpoint{Tensors: []Tensor{
		{Name: "b", Shape: []int{1}, Data64: []float64{2}},
		{Name: "a", Shape: []int{2}, Data: []float32{1, -1}},
	}}
	data := encode(t, c)
	n := binary.LittleEndian.Uint64(data)
	header := string(data[8 : 8+n])
	for _, want := range []string{
		`"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}`,
		`"b":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}`,
		`"format":"deformscope-checkpoint/1"`,
	} {
		if !strings.Contains(header, want) {
			t.Errorf("header %s lacks %s", header, want)
		}
	}
	wantData := binary.LittleEndian.AppendUint32(nil, math.Float32bits(1))
	wantData = binary.LittleEndian.AppendUint32(wantData, math.Float32bits(-1))
	wantData = binary.LittleEndian.AppendUint64(wantData, math.Float64bits(2))
	if !bytes.Equal(data[8+n:], wantData) {
		t.Errorf("data = %x, want %x", data[8+n:], wantData)
	}
}

// file assembles a safetensors file from a header and data.
func file(header string, data ...byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

// zeroSum is a well-formed checksum, for faults found before the checksum is.
var zeroSum = strings.Repeat("0", 64)

// ours returns a header claiming the format, with the given tensor entries
// (each led by a comma).
func ours(entries string) string {
	return `{"__metadata__":{"format":"deformscope-checkpoint/1","sha256":"` + zeroSum + `"}` + entries + `}`
}

// withSum returns a checkpoint file with one tensor "w" holding raw data and a
// correct checksum, so that only the values are at fault.
func withSum(dt dtype, raw []byte) []byte {
	shape := []int{len(raw) / dt.size()}
	h := sha256.New()
	h.Write(sumPrefix(Format, nil, 1))
	h.Write(tensorPrefix(nil, "w", dt, shape, len(raw)))
	h.Write(raw)
	header := `{"__metadata__":{"format":"deformscope-checkpoint/1","sha256":"` + hex.EncodeToString(h.Sum(nil)) + `"},` +
		`"w":{"dtype":"` + dt.String() + `","shape":[` + strconv.Itoa(shape[0]) + `],"data_offsets":[0,` + strconv.Itoa(len(raw)) + `]}}`
	return file(header, raw...)
}

func lenField(n uint64, rest ...byte) []byte {
	return append(binary.LittleEndian.AppendUint64(nil, n), rest...)
}

type faultCase struct {
	name string
	data func() []byte
	kind error  // ErrForeign or ErrCorrupt
	want string // a fragment of the message that names the fault
}

// faultCases are files that Parse must refuse. They also seed FuzzParse.
func faultCases() []faultCase {
	small := func() []byte {
		return mustEncode(&Checkpoint{
			Tensors: []Tensor{{Name: "w", Shape: []int{2}, Data: []float32{1, 2}}},
			Meta:    map[string]string{"epoch": "3"},
		})
	}
	flip := func(b []byte, i int) []byte { b[i] ^= 0x01; return b }
	f32s := func(vs ...float32) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
		return b
	}
	w2 := `,"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}`
	return []faultCase{
		{"empty file", func() []byte { return nil }, ErrForeign, "shorter than the 8-byte header length"},
		{"7 bytes", func() []byte { return []byte("1234567") }, ErrForeign, "shorter than the 8-byte header length"},
		{"header length above the cap", func() []byte { return lenField(MaxHeaderSize+1, []byte("{}")...) }, ErrForeign, "above the limit"},
		{"header length of 2^64-1", func() []byte { return lenField(math.MaxUint64, []byte("{}")...) }, ErrForeign, "above the limit"},
		{"header length beyond the file", func() []byte { return lenField(1000, []byte(`{"a":1}`)...) }, ErrForeign, "exceeds the 7 bytes"},
		{"checkpoint truncated inside its header", func() []byte {
			b := small()
			return b[:bytes.Index(b, marker)+len(marker)+3]
		}, ErrCorrupt, "exceeds"},
		{"header length zero", func() []byte { return lenField(0) }, ErrForeign, "does not start with '{'"},
		{"random bytes", func() []byte {
			b := make([]byte, 4096)
			rand.NewChaCha8([32]byte{3, 4}).Read(b)
			return b
		}, ErrForeign, "above the limit"},
		{"invalid JSON", func() []byte { return file(`{"a": `) }, ErrForeign, "invalid JSON"},
		{"invalid JSON in our header", func() []byte {
			return file(`{"__metadata__":{"format":"deformscope-checkpoint/1",`)
		}, ErrCorrupt, "invalid JSON"},
		{"header is an array", func() []byte { return file(`[1,2]`) }, ErrForeign, "does not start with '{'"},
		{"header is null", func() []byte { return file(`null`) }, ErrForeign, "does not start with '{'"},
		{"header starts with a blank", func() []byte { return file(` {}`) }, ErrForeign, "does not start with '{'"},
		{"header not UTF-8", func() []byte { return file("{\"a\xff\":1}") }, ErrForeign, "not valid UTF-8"},
		{"data after the header object", func() []byte { return file(`{} {}`) }, ErrForeign, "data after the object"},
		{"plain safetensors file", func() []byte {
			return file(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32s(1)...)
		}, ErrForeign, `no "format" in __metadata__`},
		{"metadata without format", func() []byte {
			return file(`{"__metadata__":{"epoch":"1"}}`)
		}, ErrForeign, `no "format"`},
		{"other format", func() []byte {
			return file(`{"__metadata__":{"format":"deformscope-checkpoint/2","sha256":"` + zeroSum + `"}}`)
		}, ErrForeign, `format "deformscope-checkpoint/2", want "deformscope-checkpoint/1"`},
		{"metadata value not a string", func() []byte {
			return file(`{"__metadata__":{"format":"deformscope-checkpoint/1","epoch":3}}`)
		}, ErrCorrupt, `value of "epoch" is 3, not a string`},
		{"metadata not an object", func() []byte {
			return file(`{"__metadata__":"deformscope-checkpoint/1"}`)
		}, ErrCorrupt, "__metadata__: not a JSON object"},
		{"missing checksum", func() []byte {
			return file(`{"__metadata__":{"format":"deformscope-checkpoint/1"}}`)
		}, ErrCorrupt, "sha256"},
		{"malformed checksum", func() []byte {
			return file(`{"__metadata__":{"format":"deformscope-checkpoint/1","sha256":"` + strings.ToUpper(zeroSum[1:]) + `x"}}`)
		}, ErrCorrupt, "not 64 lower-case hex digits"},
		{"duplicate tensor names", func() []byte { return file(ours(w2+w2), f32s(1, 2)...) }, ErrCorrupt, `duplicate key "w"`},
		{"duplicate __metadata__", func() []byte {
			return file(`{"__metadata__":{},"__metadata__":{"format":"deformscope-checkpoint/1"}}`)
		}, ErrCorrupt, `duplicate key "__metadata__"`},
		{"duplicate metadata key", func() []byte {
			return file(`{"__metadata__":{"format":"deformscope-checkpoint/1","format":"x"}}`)
		}, ErrCorrupt, `duplicate key "format"`},
		{"duplicate field in a tensor entry", func() []byte {
			return file(ours(`,"w":{"dtype":"F32","dtype":"F64","shape":[2],"data_offsets":[0,8]}`), f32s(1, 2)...)
		}, ErrCorrupt, `duplicate key "dtype"`},
		{"empty tensor name", func() []byte {
			return file(ours(`,"":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}`), f32s(1)...)
		}, ErrCorrupt, "empty name"},
		{"tensor entry not an object", func() []byte { return file(ours(`,"w":[1]`)) }, ErrCorrupt, `tensor "w": not a JSON object`},
		{"unsupported dtype", func() []byte {
			return file(ours(`,"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}`), 0, 0, 0, 0)
		}, ErrCorrupt, `unsupported dtype "BF16"`},
		{"dtype not a string", func() []byte {
			return file(ours(`,"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}`), f32s(1)...)
		}, ErrCorrupt, "dtype 4 is not a string"},
		{"missing dtype", func() []byte {
			return file(ours(`,"w":{"shape":[1],"data_offsets":[0,4]}`), f32s(1)...)
		}, ErrCorrupt, "missing dtype"},
		{"missing shape", func() []byte {
			return file(ours(`,"w":{"dtype":"F32","data_offsets":[0,4]}`), f32s(1)...)
		}, ErrCorrupt, "missing shape"},
		{"missing data_offsets", func() []byte {
			return file(ours(`,"w":{"dtype":"F32","shape":[1]}`), f32s(1)...)
		}, ErrCorrupt, "missing data_offsets"},
		{"unknown field", func() []byte {
			return file(ours(`,"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}`), f32s(1)...)
		}, ErrCorrupt, `unknown field "extra"`},
		{"shape not an array", func() []byte {
			return file(ours(`,"w":{"dtype":"F32","shape":null,"data_offsets":[0,4]}`), f32s(1)...)
		}, ErrCorrupt, "shape: null is not an array"},
		{"negative dimension", func() []byte {
			return file(ours(`,"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}`), f32s(1)...)
		}, ErrCorrupt, "shape: negative value -1"},
		{"overflowing dimension", func() []byte {
			return file(ours(`,"w":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}`), f32s(1)...)
		}, ErrCorrupt, "shape: value 99999999999999999999 overflows"},
		{"overflowing element count", func() []byte {
			return file(ours(`,"w":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,4]}`), f32s(1)...)
		}, ErrCorrupt, "overflows"},
		{"overflowing byte count", func() []byte {
			return file(ours(`,"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]}`))
		}, ErrCorrupt, "span 0 bytes"},
		{"fractional dimension", func() []byte {
			return file(ours(`,"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}`), f32s(1)...)
		}, ErrCorrupt, "value 1.5 is not an integer"},
		{"dimension as a string", func() []byte {
			return file(ours(`,"w":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}`), f32s(1)...)
		}, ErrCorrupt, `value "1" is not an integer`},
		{"shape and offsets disagree", func() []byte {
			return file(ours(`,"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}`), f32s(1, 2)...)
		}, ErrCorrupt, "shape [3] of F32 needs 3 values, but data_offsets [0, 8] span 8 bytes"},
		{"offsets not two numbers", func() []byte {
			return file(ours(`,"w":{"dtype":"F32","shape":[0],"data_offsets":[0]}`))
		}, ErrCorrupt, "data_offsets has 1 numbers, want 2"},
		{"offsets reversed", func() []byte {
			return file(ours(`,"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}`), f32s(1, 2)...)
		}, ErrCorrupt, "end before they begin"},
		{"negative offset", func() []byte {
			return file(ours(`,"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}`), f32s(1)...)
		}, ErrCorrupt, "data_offsets: negative value -4"},
		{"offsets out of range", func() []byte {
			return file(ours(w2), f32s(1)...)
		}, ErrCorrupt, "run past the 4-byte data section"},
		{"overlapping offsets", func() []byte {
			return file(ours(w2+`,"v":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}`), f32s(1, 2, 3)...)
		}, ErrCorrupt, `tensors "w" and "v" overlap`},
		{"gap between tensors", func() []byte {
			return file(ours(`,"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"v":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}`),
				f32s(1, 2, 3)...)
		}, ErrCorrupt, `tensor "v": data_offsets are not contiguous: a gap of 4 bytes`},
		{"data not starting at zero", func() []byte {
			return file(ours(`,"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}`), f32s(1, 2)...)
		}, ErrCorrupt, "not contiguous"},
		{"unused bytes after the data", func() []byte {
			return file(ours(`,"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}`), f32s(1, 2)...)
		}, ErrCorrupt, "4 unused bytes"},
		{"extra byte appended", func() []byte { return append(small(), 0) }, ErrCorrupt, "1 unused bytes"},
		{"truncated data", func() []byte { b := small(); return b[:len(b)-1] }, ErrCorrupt, "(truncated file?)"},
		{"flipped data byte", func() []byte { b := small(); return flip(b, len(b)-1) }, ErrCorrupt, "checksum mismatch"},
		{"changed meta value", func() []byte {
			return bytes.Replace(small(), []byte(`"epoch":"3"`), []byte(`"epoch":"4"`), 1)
		}, ErrCorrupt, "checksum mismatch"},
		{"flipped checksum digit", func() []byte {
			b := small()
			i := bytes.Index(b, []byte(`"sha256":"`)) + len(`"sha256":"`)
			if b[i] == '0' {
				b[i] = '1'
			} else {
				b[i] = '0'
			}
			return b
		}, ErrCorrupt, "checksum mismatch"},
		{"NaN with a valid checksum", func() []byte {
			return withSum(f32, f32s(1, float32(math.NaN())))
		}, ErrCorrupt, `tensor "w" holds a NaN or ±Inf at index 1`},
		{"Inf F64 with a valid checksum", func() []byte {
			return withSum(f64, binary.LittleEndian.AppendUint64(nil, math.Float64bits(math.Inf(-1))))
		}, ErrCorrupt, `tensor "w" holds a NaN or ±Inf at index 0`},
	}
}

func TestParseRefusesFaults(t *testing.T) {
	for _, tt := range faultCases() {
		t.Run(tt.name, func(t *testing.T) {
			const name = "run7/epoch3.safetensors"
			c, err := Parse(tt.data(), name)
			if err == nil {
				t.Fatalf("Parse accepted the file: %+v", c)
			}
			if c != nil {
				t.Errorf("Parse returned a checkpoint with its error")
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %q does not wrap %v", err, tt.kind)
			}
			msg := err.Error()
			if !strings.Contains(msg, name) {
				t.Errorf("error %q does not name the file", msg)
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not say %q", msg, tt.want)
			}
		})
	}
}

// TestParseAcceptsOurHeaderVariants checks that Parse is strict about meaning,
// not layout: offsets out of name order and JSON spacing are fine.
func TestParseAcceptsOurHeaderVariants(t *testing.T) {
	raw := binary.LittleEndian.AppendUint32(nil, math.Float32bits(2))
	raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(1))
	h := sha256.New()
	h.Write(sumPrefix(Format, map[string]string{"k": "v"}, 2))
	h.Write(tensorPrefix(nil, "a", f32, []int{1}, 4))
	h.Write(raw[4:])
	h.Write(tensorPrefix(nil, "b", f32, []int{1}, 4))
	h.Write(raw[:4])
	header := "{\n \"b\" : { \"shape\" : [ 1 ] , \"data_offsets\" : [ 0 , 4 ], \"dtype\" : \"F32\" },\n" +
		` "__metadata__": {"sha256": "` + hex.EncodeToString(h.Sum(nil)) + `", "k": "v", "format": "deformscope-checkpoint/1"},` +
		` "a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]} }   `
	c, err := Parse(file(header, raw...), "x")
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, c, &Checkpoint{
		Tensors: []Tensor{{Name: "a", Shape: []int{1}, Data: []float32{1}}, {Name: "b", Shape: []int{1}, Data: []float32{2}}},
		Meta:    map[string]string{"k": "v"},
	})
}

func TestLoadErrorsNameThePath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.safetensors")
	if err := os.WriteFile(path, []byte("not a checkpoint at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if !errors.Is(err, ErrForeign) || !strings.Contains(err.Error(), path) {
		t.Errorf("Load(foreign) = %v, want ErrForeign naming %s", err, path)
	}

	_, err = Load(filepath.Join(dir, "missing.safetensors"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing.safetensors") {
		t.Errorf("Load(missing) = %v, want os.ErrNotExist naming the file", err)
	}

	_, err = Load(dir)
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Load(folder) = %v, want a not-a-regular-file error", err)
	}
}

func TestLoadTruncatedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.safetensors")
	full := encode(t, sample())
	for _, cut := range []int{0, 4, 8, 20, len(full) / 2, len(full) - 4, len(full) - 1} {
		if err := os.WriteFile(path, full[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		if c, err := Load(path); err == nil {
			t.Errorf("Load accepted the first %d of %d bytes: %d tensors", cut, len(full), len(c.Tensors))
		}
	}
}

func TestEveryFlippedByteIsCaught(t *testing.T) {
	full := encode(t, &Checkpoint{
		Tensors: []Tensor{{Name: "w", Shape: []int{3}, Data: []float32{1, 2, 3}}, {Name: "m", Data64: []float64{0.5}}},
		Meta:    map[string]string{"epoch": "1"},
	})
	n := int(binary.LittleEndian.Uint64(full))
	for i := range full {
		for _, bit := range []byte{0x01, 0x80} {
			b := bytes.Clone(full)
			b[i] ^= bit
			c, err := Parse(b, "x")
			if err == nil {
				// Only a change that JSON ignores may pass, such as a space
				// of the header's padding turned into another blank.
				if i < 8 || i >= 8+n || !bytes.ContainsRune([]byte(" \t\r\n"), rune(b[i])) {
					t.Errorf("flipping bit %#x of byte %d went unnoticed: %+v", bit, i, c)
				}
			}
		}
	}
}

func TestSaveRefusesBadCheckpoints(t *testing.T) {
	good := func() *Checkpoint {
		return &Checkpoint{Tensors: []Tensor{{Name: "w", Shape: []int{2}, Data: []float32{1, 2}}}}
	}
	with := func(f func(c *Checkpoint)) *Checkpoint { c := good(); f(c); return c }
	tests := []struct {
		name string
		c    *Checkpoint
		want string
		is   error
	}{
		{"NaN", with(func(c *Checkpoint) { c.Tensors[0].Data[1] = float32(math.NaN()) }), `tensor "w" holds NaN at index 1`, ErrNonFinite},
		{"+Inf", with(func(c *Checkpoint) { c.Tensors[0].Data[0] = float32(math.Inf(1)) }), `tensor "w" holds +Inf at index 0`, ErrNonFinite},
		{"-Inf in F64", with(func(c *Checkpoint) {
			c.Tensors = append(c.Tensors, Tensor{Name: "m", Shape: []int{1}, Data64: []float64{math.Inf(-1)}})
		}), `tensor "m" holds -Inf at index 0`, ErrNonFinite},
		{"NaN in a later chunk", with(func(c *Checkpoint) {
			big := make([]float32, 3*chunkSize/4)
			big[len(big)-1] = float32(math.NaN())
			c.Tensors = append(c.Tensors, Tensor{Name: "big", Shape: []int{len(big)}, Data: big})
		}), `tensor "big" holds NaN at index 49151`, ErrNonFinite},
		{"nil checkpoint", nil, "nil checkpoint", nil},
		{"other format", with(func(c *Checkpoint) { c.Format = "x/1" }), `format "x/1"`, nil},
		{"duplicate names", with(func(c *Checkpoint) { c.Tensors = append(c.Tensors, c.Tensors[0]) }), `duplicate tensor name "w"`, nil},
		{"empty name", with(func(c *Checkpoint) { c.Tensors[0].Name = "" }), "empty name", nil},
		{"reserved name", with(func(c *Checkpoint) { c.Tensors[0].Name = "__metadata__" }), `"__metadata__" is reserved`, nil},
		{"name not UTF-8", with(func(c *Checkpoint) { c.Tensors[0].Name = "w\xff" }), "not valid UTF-8", nil},
		{"both Data and Data64", with(func(c *Checkpoint) { c.Tensors[0].Data64 = []float64{1, 2} }), "both Data and Data64", nil},
		{"shape does not match data", with(func(c *Checkpoint) { c.Tensors[0].Shape = []int{3} }), "shape [3] holds 3 values, but its data has 2", nil},
		{"negative dimension", with(func(c *Checkpoint) { c.Tensors[0].Shape = []int{-2, -1} }), "negative dimension -2", nil},
		{"overflowing shape", with(func(c *Checkpoint) { c.Tensors[0].Shape = []int{math.MaxInt, 2} }), "overflows", nil},
		{"reserved meta key format", with(func(c *Checkpoint) { c.Meta = map[string]string{"format": "x"} }), `meta key "format" is reserved`, nil},
		{"reserved meta key sha256", with(func(c *Checkpoint) { c.Meta = map[string]string{"sha256": "x"} }), `meta key "sha256" is reserved`, nil},
		{"meta value not UTF-8", with(func(c *Checkpoint) { c.Meta = map[string]string{"k": "\xff"} }), "not valid UTF-8", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "ckpt.safetensors")
			if err := Save(path, sample()); err != nil {
				t.Fatal(err)
			}
			old, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}

			err = Save(path, tt.c)
			if err == nil {
				t.Fatal("Save succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name %s and say %q", err, path, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q does not wrap %v", err, tt.is)
			}
			if now, err := os.ReadFile(path); err != nil || !bytes.Equal(now, old) {
				t.Errorf("the old checkpoint changed (err %v)", err)
			}
			des, _ := os.ReadDir(dir)
			if len(des) != 1 {
				t.Errorf("folder holds %d entries, want the old checkpoint only", len(des))
			}

			fresh := filepath.Join(dir, "fresh.safetensors")
			if Save(fresh, tt.c) == nil {
				t.Fatal("Save to a fresh path succeeded")
			}
			if _, err := os.Stat(fresh); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a failed Save left %s behind (stat: %v)", fresh, err)
			}
		})
	}
}

// failWriter fails after accepting n bytes.
type failWriter struct{ n int }

var errFull = errors.New("disk full")

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errFull
	}
	w.n -= len(p)
	return len(p), nil
}

func TestEncodeReportsWriteErrors(t *testing.T) {
	full := encode(t, sample())
	for _, n := range []int{0, 10, len(full) - 1} {
		if err := Encode(&failWriter{n}, sample()); !errors.Is(err, errFull) {
			t.Errorf("Encode with a writer failing after %d bytes: err = %v, want %v", n, err, errFull)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(encode(f, sample()))
	f.Add(encode(f, &Checkpoint{}))
	for _, tt := range faultCases() {
		f.Add(tt.data())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.safetensors")
		if err != nil {
			if c != nil {
				t.Errorf("Parse returned a checkpoint with its error")
			}
			if !errors.Is(err, ErrForeign) && !errors.Is(err, ErrCorrupt) {
				t.Errorf("error %q is neither ErrForeign nor ErrCorrupt", err)
			}
			if !strings.Contains(err.Error(), "fuzz.safetensors") {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		// Whatever Parse accepts, Encode writes back and Parse reads again.
		var buf bytes.Buffer
		if err := Encode(&buf, c); err != nil {
			t.Fatalf("Encode of a parsed checkpoint: %v", err)
		}
		again, err := Parse(buf.Bytes(), "again")
		if err != nil {
			t.Fatalf("Parse of a re-encoded checkpoint: %v", err)
		}
		checkEqual(t, again, c)
	})
}

// benchCheckpoint is about 1 MiB of tensors: 768 KiB of F32 weights and
// 256 KiB of F64 optimiser state.
func benchCheckpoint() *Checkpoint {
	rng := rand.New(rand.NewPCG(5, 6))
	w1 := make([]float32, 128*512)
	w2 := make([]float32, 256*512)
	m := make([]float64, 32768)
	for i := range w1 {
		w1[i] = float32(rng.NormFloat64())
	}
	for i := range w2 {
		w2[i] = float32(rng.NormFloat64())
	}
	for i := range m {
		m[i] = rng.NormFloat64()
	}
	return &Checkpoint{
		Tensors: []Tensor{
			{Name: "fc1.weight", Shape: []int{128, 512}, Data: w1},
			{Name: "fc2.weight", Shape: []int{256, 512}, Data: w2},
			{Name: "adam.m", Shape: []int{32768}, Data64: m},
		},
		Meta: map[string]string{"epoch": "3", "config": `{"lr":0.001}`},
	}
}

func BenchmarkSave(b *testing.B) {
	c := benchCheckpoint()
	path := filepath.Join(b.TempDir(), "bench.safetensors")
	b.SetBytes(int64(len(encode(b, c))))
	b.ReportAllocs()
	for b.Loop() {
		if err := Save(path, c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	c := benchCheckpoint()
	path := filepath.Join(b.TempDir(), "bench.safetensors")
	if err := Save(path, c); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(encode(b, c))))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(path); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	c := benchCheckpoint()
	var buf bytes.Buffer
	b.SetBytes(int64(len(encode(b, c))))
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := Encode(&buf, c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	data := encode(b, benchCheckpoint())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

// shrunkReader claims a size but holds fewer bytes, like a file truncated
// while it is being read.
type shrunkReader struct{ *bytes.Reader }

func TestFileShrinkingWhileReadIsAReadError(t *testing.T) {
	full := encode(t, sample())
	for _, keep := range []int{4, 100, len(full) - 1} {
		r := shrunkReader{bytes.NewReader(full[:keep])}
		_, err := decode(r, int64(len(full)), "s.safetensors")
		if !errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrCorrupt) || errors.Is(err, ErrForeign) {
			t.Errorf("keeping %d bytes: err = %v, want a read error wrapping io.ErrUnexpectedEOF", keep, err)
		}
		if err != nil && !strings.Contains(err.Error(), "s.safetensors") {
			t.Errorf("error %q does not name the file", err)
		}
	}
}
