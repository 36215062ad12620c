package torchfile

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// pk builds pickles for the tests, opcode by opcode.
type pk struct{ bytes.Buffer }

func (p *pk) op(b ...byte) *pk { p.Write(b); return p }
func (p *pk) str(s string) *pk {
	p.WriteByte('X')
	binary.Write(&p.Buffer, binary.LittleEndian, uint32(len(s)))
	p.WriteString(s)
	return p
}
func (p *pk) long(v int64) *pk { // LONG1 of 8 bytes
	p.op(0x8a, 8)
	binary.Write(&p.Buffer, binary.LittleEndian, v)
	return p
}
func (p *pk) global(mod, name string) *pk { p.WriteString("c" + mod + "\n" + name + "\n"); return p }
func (p *pk) ints(v ...int64) *pk {
	p.op('(')
	for _, x := range v {
		p.long(x)
	}
	return p.op('t')
}

// tensor pushes _rebuild_tensor_v2 of storage key (class, n values) with a view.
func (p *pk) tensor(class, key string, n, offset int64, size, stride []int64) *pk {
	p.global("torch._utils", "_rebuild_tensor_v2").op('(')
	p.op('(').str("storage").global("torch", class).str(key).str("cpu").long(n).op('t', 'Q')
	p.long(offset).ints(size...).ints(stride...).op(0x89)
	p.global("collections", "OrderedDict").op(')', 'R')
	return p.op('t', 'R')
}

// ordered pushes an empty OrderedDict.
func (p *pk) ordered() *pk { return p.global("collections", "OrderedDict").op(')', 'R') }

// ptArchive zips data.pkl and the storages as torch.save lays them out (stored records).
func ptArchive(t testing.TB, pkl []byte, storages map[string][]byte, method uint16) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, b []byte) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	add("archive/data.pkl", pkl)
	for k, b := range storages {
		add("archive/data/"+k, b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// oneTensor is a state dict {"w": a tensor of class over storage "0"}.
func oneTensor(class string, n, offset int64, size, stride []int64) []byte {
	var p pk
	p.op(0x80, 2).ordered().op('(').str("w").tensor(class, "0", n, offset, size, stride).op('u', '.')
	return p.Bytes()
}

func halves(v ...uint16) []byte {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], x)
	}
	return b
}

// hostilePT returns the .pt files of the #26 pass, each with what its error must say. They also
// seed FuzzParse.
func hostilePT(t testing.TB) []struct {
	name string
	data []byte
	want string
} {
	fl := make([]byte, 16)
	type tc = struct {
		name string
		data []byte
		want string
	}
	var out []tc
	add := func(name string, pkl []byte, st map[string][]byte, want string) {
		out = append(out, tc{name, ptArchive(t, pkl, st, zip.Store), want})
	}
	// A dict that holds itself (154 B overflowed the stack at 1.07 GB).
	{
		var p pk
		p.op(0x80, 2, '}', 'q', 0).str("state_dict").op('h', 0, 's', '.')
		add("self-containing dict", p.Bytes(), nil, "holds itself")
	}
	// Two dicts that hold each other.
	{
		var p pk
		p.op(0x80, 2, '}', 'q', 0, '}', 'q', 1).str("model").op('h', 0, 's') // b["model"] = a
		p.op('0', 'h', 0).str("model").op('h', 1, 's', '.')                  // a["model"] = b
		add("mutual recursion", p.Bytes(), nil, "1 of 1 keys hold no tensor")
	}
	// 2.9 million nested wrappers.
	{
		var p pk
		p.op(0x80, 2, ']')
		p.Write(bytes.Repeat([]byte{0x85}, 2_900_000))
		p.op('.')
		add("nested wrappers", p.Bytes(), nil, "nested more than 64 deep")
	}
	// Lengths of 2^45 (143 B ran out of memory).
	for _, c := range []struct {
		name string
		op   byte
	}{{"BINUNICODE8", 0x8d}, {"BINBYTES8", 0x8e}, {"BYTEARRAY8", 0x96}, {"FRAME", 0x95}} {
		var p pk
		p.op(0x80, 4, c.op)
		binary.Write(&p.Buffer, binary.LittleEndian, uint64(1)<<45)
		p.op('.')
		want := "length of 35184372088832 bytes"
		if c.op == 0x95 {
			want = "frame of 35184372088832 bytes"
		}
		add(c.name+" 2^45", p.Bytes(), nil, want)
	}
	// Strides and offsets near 2^63 (an index-out-of-range panic).
	add("stride 2^63", oneTensor("FloatStorage", 4, 0, []int64{2, 2}, []int64{math.MaxInt64 - 1, 1}), map[string][]byte{"0": fl}, "runs past its storage")
	add("stride wraps", oneTensor("FloatStorage", 4, 1, []int64{3}, []int64{math.MaxInt64/2 + 1}), map[string][]byte{"0": fl}, "runs past its storage")
	add("offset 2^63", oneTensor("FloatStorage", 4, math.MaxInt64, []int64{1}, []int64{1}), map[string][]byte{"0": fl}, "storage offset")
	add("expanded view", oneTensor("FloatStorage", 4, 0, []int64{1 << 20, 1 << 10}, []int64{0, 0}), map[string][]byte{"0": fl}, "holds more than 4 values")
	// float16 NaN and +Inf (read as -5.9e-39 and 65,536 before): refused, naming the key.
	add("float16 NaN", oneTensor("HalfStorage", 2, 0, []int64{2}, []int64{1}), map[string][]byte{"0": halves(0x3c00, 0x7e00)}, `tensor "w": holds NaN at index 1`)
	add("float16 +Inf", oneTensor("HalfStorage", 2, 0, []int64{2}, []int64{1}), map[string][]byte{"0": halves(0x7c00, 0)}, `tensor "w": holds +Inf at index 0`)
	// A 10 MB key name is not echoed whole.
	{
		var p pk
		p.op(0x80, 2).ordered().op('(').str(strings.Repeat("k", 10<<20)).op('N', 'u', '.')
		add("10 MB key", p.Bytes(), nil, "(10485760 bytes)")
	}
	// 200,000 keys that hold no tensor: the first few are named, then the count.
	{
		var p pk
		p.op(0x80, 2).ordered()
		for i := range 200_000 {
			if i%1000 == 0 { // as pickle batches SETITEMS
				p.op('(')
			}
			p.str("extra." + string(rune('a'+i%26))).op('N')
			if i%1000 == 999 {
				p.op('u')
			}
		}
		p.op('.')
		add("200,000 bad keys", p.Bytes(), nil, "and 199995 more")
	}
	// 400 keys, each a different view of most of one 1 MB storage: copied once per key, 400 MB; now
	// refused.
	{
		const n = 1 << 18
		add("400 views of one storage", manyViews(400, n, true), map[string][]byte{"0": make([]byte, 4*n)}, "twice what their storages hold")
	}
	// A zip bomb: 64 MiB of zeros in a deflated storage record.
	{
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: "archive/data.pkl", Method: zip.Store})
		w.Write(oneTensor("FloatStorage", 16<<20, 0, []int64{16 << 20}, []int64{1}))
		w, _ = zw.CreateHeader(&zip.FileHeader{Name: "archive/data/0", Method: zip.Deflate})
		w.Write(make([]byte, 64<<20))
		zw.Close()
		out = append(out, tc{"zip bomb", buf.Bytes(), "times the file's size"})
	}
	return out
}

// TestHostilePT reads each .pt file of the #26 pass: every one is refused with a clear error and
// none crashes the process (the reader has no recursion, checks lengths before allocating and
// strides without overflow).
func TestHostilePT(t *testing.T) {
	for _, c := range hostilePT(t) {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.data, "hostile.pt")
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "hostile.pt") {
				t.Fatalf("error %v, want one naming the file and %q", err, c.want)
			}
			if len(err.Error()) > 1000 {
				t.Errorf("an error line of %d bytes", len(err.Error()))
			}
		})
	}
}

// TestPTChecksCRC flips one bit in a weight of a good file: it was imported silently (the zip CRC
// was never checked); now it is refused.
func TestPTChecksCRC(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "mnist-cnn.pt"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if !strings.Contains(f.Name, "/data/") || f.UncompressedSize64 < 8 {
			continue
		}
		off, err := f.DataOffset()
		if err != nil {
			t.Fatal(err)
		}
		bad := bytes.Clone(good)
		bad[off+3] ^= 0x10
		_, err = Parse(bad, "flipped.pt")
		if err == nil || !strings.Contains(err.Error(), "CRC-32") {
			t.Fatalf("%s with a flipped bit: %v", f.Name, err)
		}
		return
	}
	t.Fatal("no storage record found")
}

// TestFloat16 checks the half-precision decoder against values whose bits are known.
func TestFloat16(t *testing.T) {
	for _, c := range []struct {
		h    uint16
		want float32
	}{
		{0x3c00, 1}, {0xc000, -2}, {0x7bff, 65504}, {0x0400, 6.1035156e-05}, {0x0001, 5.9604645e-08},
		{0x8000, float32(math.Copysign(0, -1))}, {0x7c00, float32(math.Inf(1))}, {0xfc00, float32(math.Inf(-1))},
		{0x3555, 0.33325195},
	} {
		if got := f16(c.h); got != c.want || math.Signbit(float64(got)) != math.Signbit(float64(c.want)) {
			t.Errorf("f16(%#04x) = %v, want %v", c.h, got, c.want)
		}
	}
	if v := f16(0x7e00); v == v {
		t.Errorf("f16(0x7e00) = %v, want NaN", v)
	}
	sd, err := Parse(ptArchive(t, oneTensor("HalfStorage", 3, 0, []int64{3}, []int64{1}), map[string][]byte{"0": halves(0x3c00, 0xc000, 0x7bff)}, zip.Store), "half.pt")
	if err != nil {
		t.Fatal(err)
	}
	if d := sd.Tensors[0].Data; d[0] != 1 || d[1] != -2 || d[2] != 65504 {
		t.Errorf("half tensor %v", d)
	}
}

func TestForbiddenStackGlobal(t *testing.T) {
	var p pk
	p.op(0x80, 4).str("os").str("system").op(0x93, '.')
	_, err := Parse(ptArchive(t, p.Bytes(), nil, zip.Store), "sg.pt")
	if !errors.Is(err, ErrForbidden) {
		t.Errorf("STACK_GLOBAL os.system: %v", err)
	}
}

// TestLoadErrorIsShort is #26 item 12: 200,000 extra keys made a 1.7 MB error line, and a 10 MB key
// name was echoed whole. The error names the first few of each kind and counts the rest.
func TestLoadErrorIsShort(t *testing.T) {
	a, err := ParseArch("mnist-cnn")
	if err != nil {
		t.Fatal(err)
	}
	net, err := a.NewNet(10, 28)
	if err != nil {
		t.Fatal(err)
	}
	sd := &StateDict{Path: "many.pt"}
	sd.Tensors = append(sd.Tensors, Tensor{Name: strings.Repeat("k", 10<<20), Shape: []int{1}, Data: []float32{0}})
	for i := range 200_000 {
		sd.Tensors = append(sd.Tensors, Tensor{Name: "extra." + strconv.Itoa(i), Shape: []int{1}, Data: []float32{0}})
	}
	err = Load(sd, net)
	if err == nil {
		t.Fatal("loaded")
	}
	if len(err.Error()) > 2000 || !strings.Contains(err.Error(), "200001 unexpected keys") ||
		!strings.Contains(err.Error(), "and 199996 more") {
		t.Errorf("error of %d bytes: %.500s", len(err.Error()), err)
	}
}

// FuzzUnpickle runs the pickle machine alone on raw pickles (faster than through a zip): it must
// return, never panic, and stay within its caps. Storages are answered with zeros of the size asked
// for (up to 1 MiB).
func FuzzUnpickle(f *testing.F) {
	f.Add(oneTensor("FloatStorage", 4, 0, []int64{2, 2}, []int64{2, 1}))
	f.Add(oneTensor("HalfStorage", 2, 0, []int64{2}, []int64{1}))
	f.Add(oneTensor("FloatStorage", 4, 0, []int64{2, 2}, []int64{math.MaxInt64 - 1, 1}))
	for _, name := range []string{"mnist-cnn.pt", "evil.pt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			f.Fatal(err)
		}
		for _, zf := range zr.File {
			if strings.HasSuffix(zf.Name, "data.pkl") {
				pkl, err := readRecord(zf)
				if err != nil {
					f.Fatal(err)
				}
				f.Add(pkl)
			}
		}
	}
	var p pk
	p.op(0x80, 2, '}', 'q', 0).str("state_dict").op('h', 0, 's', '.')
	f.Add(bytes.Clone(p.Bytes()))
	// A count whose size in bytes overflows: n*4 wrapped round to 4, so the loader made a 4-byte
	// storage that claimed 2^62+1 values and the view read past it (a panic within seconds of
	// fuzzing).
	f.Add(oneTensor("FloatStorage", 1<<62+1, 0, []int64{2}, []int64{1}))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := unpickle(b, fuzzLoader())
		if err != nil {
			return
		}
		if sd, err := stateDict(v); err == nil && sd == nil {
			t.Fatal("nil state dict without an error")
		}
	})
}

// fuzzLoader answers FuzzUnpickle's storages with zeros of the size asked for, up to 1 MiB,
// checking the count without overflow, and, like readPT, gives the same storage for the same key
// (and refuses one named twice with another type or size).
func fuzzLoader() func(key, dtype string, width, n int) (*pyStorage, error) {
	storages := map[string]*pyStorage{}
	return func(key, dtype string, width, n int) (*pyStorage, error) {
		if s, ok := storages[key]; ok {
			if s.dtype != dtype || s.n != n {
				return nil, errors.New("a storage named twice with different types or sizes")
			}
			return s, nil
		}
		if width <= 0 || n < 0 || n > (1<<20)/width {
			return nil, errors.New("too big for the fuzzer")
		}
		s := &pyStorage{key: key, dtype: dtype, width: width, n: n, data: make([]byte, n*width)}
		storages[key] = s
		return s, nil
	}
}

// manyViews is a state dict of keys k0, k1, ... that all view storage "0" of n float32 values: the
// whole of it, or (shifted) each from its own offset to n-keys values on.
func manyViews(keys, n int, shifted bool) []byte {
	var p pk
	p.op(0x80, 2).ordered().op('(')
	for i := range keys {
		off, size := int64(0), int64(n)
		if shifted {
			off, size = int64(i), int64(n-keys)
		}
		p.str("k"+strconv.Itoa(i)).tensor("FloatStorage", "0", int64(n), off, []int64{size}, []int64{1})
	}
	return p.op('u', '.').Bytes()
}

// TestSharedStorageCopiedOnce is torch.save({f"k{i}": t for i in range(400)}) with a 1 MB t: each
// key copied the storage again (401 MB allocated from a 1 MB file). The keys now share one copy.
func TestSharedStorageCopiedOnce(t *testing.T) {
	const n = 1 << 18
	st := make([]byte, 4*n)
	for i := range n {
		binary.LittleEndian.PutUint32(st[4*i:], math.Float32bits(float32(i)))
	}
	file := ptArchive(t, manyViews(400, n, false), map[string][]byte{"0": st}, zip.Store)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	sd, err := Parse(file, "shared.pt")
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.Tensors) != 400 || len(sd.Tensors[399].Data) != n || sd.Tensors[399].Data[n-1] != n-1 {
		t.Fatalf("%d tensors, the last of %d values", len(sd.Tensors), len(sd.Tensors[399].Data))
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
		t.Errorf("a %d-byte file allocated %d bytes", len(file), got)
	}
}

// TestDeflatedRecordGrowsWithItsData is a deflated storage record that claims 90 times the file's
// size but holds 1 MiB: its claimed size was allocated before a byte was read (a 164 MB file could
// claim 16 GiB). Now the buffer grows with what comes out, and the shortfall is an error.
func TestDeflatedRecordGrowsWithItsData(t *testing.T) {
	const pad = 2 << 20
	claim := uint64(90*pad) &^ 3
	var packed bytes.Buffer
	fw, _ := flate.NewWriter(&packed, flate.BestCompression)
	fw.Write(make([]byte, 1<<20))
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "archive/data.pkl", Method: zip.Store})
	w.Write(oneTensor("FloatStorage", int64(claim/4), 0, []int64{1}, []int64{1}))
	w, _ = zw.CreateHeader(&zip.FileHeader{Name: "archive/pad", Method: zip.Store})
	w.Write(make([]byte, pad))
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "archive/data/0", Method: zip.Deflate,
		CompressedSize64: uint64(packed.Len()), UncompressedSize64: claim, CRC32: crc32.ChecksumIEEE(make([]byte, 1<<20))})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(packed.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = Parse(buf.Bytes(), "claims.pt")
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "truncated") || !strings.Contains(err.Error(), "claims.pt") {
		t.Errorf("error %v, want one naming the file and a truncated record", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 32<<20 {
		t.Errorf("a %d-byte file whose record claims %d bytes allocated %d bytes", buf.Len(), claim, got)
	}
}

// TestDeepNestingThroughMemo nests 200 lists through the memo, each filled after it was put in the
// one before: the depth check, made as containers are filled, does not see it (it is no bound), and
// nothing walks the chain recursively, so it is read and refused as no state dict without harm.
func TestDeepNestingThroughMemo(t *testing.T) {
	const n = 200
	var p pk
	p.op(0x80, 2)
	for i := range n {
		p.op(']', 'q', byte(i), '0')
	}
	for i := range n - 1 {
		p.op('h', byte(i), 'h', byte(i+1), 'a', '0') // lists[i].append(lists[i+1])
	}
	p.op('h', 0, '.')
	v, err := unpickle(p.Bytes(), fuzzLoader())
	if err != nil {
		t.Fatal(err)
	}
	depth := 0
	for l, ok := v.(*pyList); ok; l, ok = l.items[0].(*pyList) {
		if depth++; len(l.items) == 0 {
			break
		}
	}
	if depth != n {
		t.Errorf("a chain %d deep, want %d", depth, n)
	}
	if _, err := stateDict(v); err == nil || !strings.Contains(err.Error(), "not a state dict") {
		t.Errorf("stateDict: %v", err)
	}
}
