package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	cases := []struct {
		name  string
		shape []int
		data  any
	}{
		{"float32 4-D", []int{1, 2, 3, 2}, []float32{0, -1.5, 2, float32(math.Inf(1)), 1e-38, 3, 4, 5, 6, 7, 8, 9}},
		{"float64 1-D", []int{4}, []float64{math.Pi, -0, 1e300, 5e-324}},
		{"uint8 2-D", []int{2, 3}, []uint8{0, 1, 2, 253, 254, 255}},
		{"one value", []int{1}, []float32{42}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			var err error
			switch d := c.data.(type) {
			case []float32:
				err = Write(&b, d, c.shape...)
			case []float64:
				err = Write(&b, d, c.shape...)
			case []uint8:
				err = Write(&b, d, c.shape...)
			}
			if err != nil {
				t.Fatal(err)
			}
			a, err := Parse(b.Bytes(), c.name)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a.Shape, c.shape) || !reflect.DeepEqual(a.Data, c.data) {
				t.Errorf("read back %v %v, wrote %v %v", a.Shape, a.Data, c.shape, c.data)
			}
		})
	}
}

// TestReadNumpyFiles reads files numpy itself wrote (testdata/make_npy.py)
// and refuses, with the reason, those it does not read.
func TestReadNumpyFiles(t *testing.T) {
	f4 := make([]float32, 24)
	for i := range f4 {
		f4[i] = float32(i)/8 - 1
	}
	cases := []struct {
		file    string
		shape   []int
		data    any
		wantErr string
	}{
		{file: "numpy_f4.npy", shape: []int{2, 3, 4}, data: f4},
		{file: "numpy_f8.npy", shape: []int{4}, data: []float64{0.5, -1.25, 1e300, 5e-324}},
		{file: "numpy_u1.npy", shape: []int{3, 2}, data: []uint8{0, 40, 80, 120, 160, 200}},
		{file: "numpy_be.npy", wantErr: `dtype ">f4"`},
		{file: "numpy_fortran.npy", wantErr: "fortran_order is True"},
		{file: "numpy_i8.npy", wantErr: `dtype "<i8"`},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join("testdata", c.file)
			a, err := ReadFile(path)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) || !strings.HasPrefix(err.Error(), "npy: "+path+": ") {
					t.Fatalf("got %v, want an error naming %s and saying %s", err, path, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a.Shape, c.shape) || !reflect.DeepEqual(a.Data, c.data) {
				t.Errorf("read %v %v, want %v %v", a.Shape, a.Data, c.shape, c.data)
			}
		})
	}
}

// TestNumpyReadsOurs has numpy load what Write wrote, when python3 with
// numpy is here (`bash .ci/deps` installs it).
func TestNumpyReadsOurs(t *testing.T) {
	py := ""
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if path, err := exec.LookPath(p); err == nil && exec.Command(path, "-c", "import numpy").Run() == nil {
			py = path
			break
		}
	}
	if py == "" {
		t.Skip("no python3 with numpy here")
	}
	dir := t.TempDir()
	data := []float32{1, -2.5, 3e-5, 4, 5, 6}
	path := filepath.Join(dir, "a.npy")
	if err := WriteFile(path, data, 1, 2, 3); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(filepath.Join(dir, "b.npy"), []uint8{7, 8, 9}, 3); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "-c", `
import sys, numpy as np
a = np.load(sys.argv[1]); b = np.load(sys.argv[2])
print(a.dtype, a.shape, " ".join(repr(float(v)) for v in a.ravel()), b.dtype, b.shape, list(b))
`, path, filepath.Join(dir, "b.npy")).CombinedOutput()
	if err != nil {
		t.Fatalf("numpy: %v\n%s", err, out)
	}
	want := "float32 (1, 2, 3) 1.0 -2.5 2.9999999242136255e-05 4.0 5.0 6.0 uint8 (3,) [7, 8, 9]"
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("numpy read\n%s\nwant\n%s", got, want)
	}
}

// npyFile builds a .npy file of version 1.0 with header h and n bytes of
// data.
func npyFile(h string, n int) []byte {
	b := []byte(magic + "\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
	b = append(b, h...)
	return append(b, make([]byte, n)...)
}

// badInputs are files Parse refuses, with what the error must say; the
// fuzz target starts from them.
var badInputs = []struct {
	name    string
	file    []byte
	wantErr string
}{
	{"empty", nil, "not a .npy file"},
	{"wrong magic", []byte("\x93NUMPX\x01\x00\x00\x00"), "not a .npy file"},
	{"version 2", []byte(magic + "\x02\x00\x00\x00\x00\x00"), "format version 2.0"},
	{"header past the end", append([]byte(magic+"\x01\x00\xff\x00"), "{}"...), "runs past the end"},
	{"not a dictionary", npyFile("[]", 0), "does not start with {"},
	{"no shape", npyFile("{'descr': '<f4', 'fortran_order': False}", 4), `no "shape"`},
	{"unknown key", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", 4), `unknown key "x"`},
	{"key twice", npyFile("{'descr': '<f4', 'shape': (1,), 'shape': (9,), 'fortran_order': False}", 4), `key "shape" twice`},
	{"double quotes", npyFile(`{"descr": '<f4', 'fortran_order': False, 'shape': (1,)}`, 4), "single quotes"},
	{"big-endian", npyFile("{'descr': '>f8', 'fortran_order': False, 'shape': (1,)}", 8), `dtype ">f8"`},
	{"int64", npyFile("{'descr': '<i8', 'fortran_order': False, 'shape': (1,)}", 8), `dtype "<i8"`},
	{"Fortran order", npyFile("{'descr': '<f4', 'fortran_order': True, 'shape': (1,)}", 4), "fortran_order is True"},
	{"scalar", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': ()}", 4), "want 1 to 32 dimensions"},
	{"zero dimension", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3)}", 0), "at least 1"},
	{"negative dimension", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", 4), "whole number"},
	{"(N) for (N,)", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (1)}", 4), "(N,)"},
	{"hostile shape", npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (2147483647, 2147483647, 2147483647)}", 16), "needs more than the 16 bytes"},
	{"huge dimension", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", 4), "too large"},
	{"truncated data", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", 20), "needs more than the 20 bytes"},
	{"data left over", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", 28), "28 bytes follow the header; its shape [2 3] of <f4 needs 24"},
	{"text after the dictionary", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x", 4), `"x" after the dictionary`},
}

func TestParseRefuses(t *testing.T) {
	for _, c := range badInputs {
		t.Run(c.name, func(t *testing.T) {
			a, err := Parse(c.file, "bad.npy")
			if err == nil {
				t.Fatalf("read %v %v; want an error saying %s", a.Shape, a.Data, c.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "npy: bad.npy: ") || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("error %q; want it to name bad.npy and say %q", err, c.wantErr)
			}
		})
	}
}

func TestWriteRefuses(t *testing.T) {
	cases := []struct {
		name    string
		data    []float32
		shape   []int
		wantErr string
	}{
		{"no shape", []float32{1}, nil, "want 1 to 32 dimensions"},
		{"zero dimension", nil, []int{0, 2}, "at least 1"},
		{"too few values", []float32{1, 2}, []int{3}, "holds more than the 2 values"},
		{"too many values", []float32{1, 2, 3}, []int{2}, "holds 2 values, not the 3 given"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			err := Write(&b, c.data, c.shape...)
			if err == nil || !strings.HasPrefix(err.Error(), "npy: ") || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("Write: %v; want an error saying %q", err, c.wantErr)
			}
			if b.Len() != 0 {
				t.Errorf("Write wrote %d bytes before refusing", b.Len())
			}
			path := filepath.Join(t.TempDir(), "x.npy")
			if err := WriteFile(path, c.data, c.shape...); err == nil || !strings.Contains(err.Error(), path) {
				t.Errorf("WriteFile: %v; want an error naming %s", err, path)
			}
			if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("WriteFile left %s behind (%v)", path, err)
			}
		})
	}
}

func TestReadFileRefusesAFolder(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadFile(dir); err == nil || !strings.HasPrefix(err.Error(), "npy: ") || !strings.Contains(err.Error(), dir) {
		t.Errorf("ReadFile of a folder: %v; want an error naming it", err)
	}
}

// FuzzParse: no input panics or reads an array that its bytes cannot
// hold, and what is read writes back to the same bytes' values.
func FuzzParse(f *testing.F) {
	for _, c := range badInputs {
		f.Add(c.file)
	}
	for _, name := range []string{"numpy_f4.npy", "numpy_f8.npy", "numpy_u1.npy", "numpy_be.npy"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := Parse(b, "fuzz.npy")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "npy: fuzz.npy: ") {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		n := 1
		for _, d := range a.Shape {
			n *= d
		}
		var again bytes.Buffer
		switch d := a.Data.(type) {
		case []uint8:
			err = Write(&again, d, a.Shape...)
		case []float32:
			err = Write(&again, d, a.Shape...)
		case []float64:
			err = Write(&again, d, a.Shape...)
		default:
			t.Fatalf("data of type %T", a.Data)
		}
		if err != nil {
			t.Fatal(err)
		}
		if reflect.ValueOf(a.Data).Len() != n || n > len(b) {
			t.Fatalf("shape %v from %d bytes", a.Shape, len(b))
		}
		back, err := Parse(again.Bytes(), "again.npy")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(back.Shape, a.Shape) || fmt.Sprint(back.Data) != fmt.Sprint(a.Data) {
			t.Errorf("written back as %v %v, read %v %v", back.Shape, back.Data, a.Shape, a.Data)
		}
	})
}

// BenchmarkWrite and BenchmarkParse move one 64×64 deformable layer's
// offsets (1×18×64×64 float32, 288 KiB), as dcn heatmap --npy writes them.
func BenchmarkWrite(b *testing.B) {
	data := make([]float32, 18*64*64)
	var buf bytes.Buffer
	b.ReportAllocs()
	b.SetBytes(int64(4 * len(data)))
	for b.Loop() {
		buf.Reset()
		if err := Write(&buf, data, 1, 18, 64, 64); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	var buf bytes.Buffer
	if err := Write(&buf, make([]float32, 18*64*64), 1, 18, 64, 64); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		if _, err := Parse(buf.Bytes(), "bench.npy"); err != nil {
			b.Fatal(err)
		}
	}
}
