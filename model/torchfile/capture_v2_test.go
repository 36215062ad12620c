package torchfile

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/trace"
)

// editCapture rewrites a capture file's header: edit changes the metadata
// (format and the decoded "layers" list), and the tensors stay as they were.
func editCapture(t testing.TB, good []byte, edit func(meta map[string]string, layers []map[string]any) []map[string]any) []byte {
	t.Helper()
	n := binary.LittleEndian.Uint64(good[:8])
	var header map[string]json.RawMessage
	if err := json.Unmarshal(good[8:8+n], &header); err != nil {
		t.Fatal(err)
	}
	var meta map[string]string
	if err := json.Unmarshal(header["__metadata__"], &meta); err != nil {
		t.Fatal(err)
	}
	var layers []map[string]any
	if err := json.Unmarshal([]byte(meta["layers"]), &layers); err != nil {
		t.Fatal(err)
	}
	layers = edit(meta, layers)
	b, _ := json.Marshal(layers)
	meta["layers"] = string(b)
	header["__metadata__"], _ = json.Marshal(meta)
	raw, _ := json.Marshal(header)
	for len(raw)%8 != 0 {
		raw = append(raw, ' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(raw)))
	out = append(out, raw...)
	return append(out, good[8+n:]...)
}

func TestCaptureV2(t *testing.T) {
	c, err := ReadCapture(filepath.Join("testdata", "dcnv3_g4.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Layers) != 2 || c.Layers[0].Family != FamilyDCNv3 || c.Layers[0].Groups != 4 || c.Layers[0].RemoveCenter ||
		!c.Layers[1].RemoveCenter || c.Layers[1].Taps() != 8 || c.C != 8 || c.H != 8 || c.W != 10 {
		t.Fatalf("read as %+v", c.Layers)
	}
	for _, tc := range []struct {
		layer        string
		group, depth int
		want         int
	}{
		{"0", trace.AllGroups, 1, 36}, {"0", 2, 1, 9}, {"1", trace.AllGroups, 1, 32}, {"1", 0, 1, 8},
		// One group at the unit's layer, every group below it.
		{"1", trace.AllGroups, 2, 32 * 36}, {"1", 3, 2, 8 * 36},
	} {
		r, err := c.Trace(tc.layer, 4, 5, tc.depth, SpaceImage, trace.Options{Group: tc.group})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Points) != tc.want {
			t.Errorf("%+v: %d points", tc, len(r.Points))
		}
	}
	// With all groups the points are each group's, in order.
	all, _ := c.Trace("0", 4, 5, 1, SpaceMap, trace.Options{Group: trace.AllGroups})
	for g := range 4 {
		one, _ := c.Trace("0", 4, 5, 1, SpaceMap, trace.Options{Group: g})
		for i, p := range one.Points {
			if all.Points[9*g+i] != p {
				t.Fatalf("group %d point %d: %v alone, %v among all", g, i, p, all.Points[9*g+i])
			}
		}
	}
	// The heat field of group g is the layer's channels of g; the mean over
	// every group leaves the removed centre out.
	f, err := c.Layers[1].HeatField(trace.AllGroups)
	if err != nil || len(f.Offset) != 2*32*80 || len(f.Mask) != 32*80 || f.Groups != 1 {
		t.Fatalf("all groups' heat field: %d offsets, %d masks, %v", len(f.Offset), len(f.Mask), err)
	}
	g2, _ := c.Layers[0].HeatField(2)
	if g2.Offset[0] != c.Layers[0].Field.Offset[2*18*80] {
		t.Errorf("group 2's heat field does not start at its channels")
	}
	if _, err := c.Layers[0].HeatField(4); err == nil {
		t.Errorf("group 4 of 4 gave a heat field")
	}
	if _, err := c.Trace("0", 0, 0, 1, SpaceMap, trace.Options{Group: 4}); err == nil || !strings.Contains(err.Error(), "4 offset groups") {
		t.Errorf("group 4 traced: %v", err)
	}
}

func TestBadCapturesV2(t *testing.T) {
	good := mustRead(t, "dcnv3_g4.safetensors")
	layer0 := func(key string, v any) func(map[string]string, []map[string]any) []map[string]any {
		return func(_ map[string]string, l []map[string]any) []map[string]any {
			l[0][key] = v
			return l
		}
	}
	cases := []struct {
		name string
		edit func(map[string]string, []map[string]any) []map[string]any
		want string
	}{
		{"unknown family", layer0("family", "dcnv9"), `family "dcnv9"`},
		{"no groups", layer0("groups", 0), "offset groups 0"},
		{"many groups", layer0("groups", 1<<20), "offset groups 1048576"},
		{"v1 groups in v2", func(_ map[string]string, l []map[string]any) []map[string]any {
			delete(l[0], "groups")
			l[0]["offset_groups"] = 4
			return l
		}, "offset groups 0"},
		// 2^32·2^32 wraps to 0 in 64 bits: each side is checked first.
		{"wrapping kernel", layer0("kernel", []int64{1 << 32, 1 << 32}), "kernel [4294967296 4294967296]"},
		{"huge kernel", layer0("kernel", []int{1024, 1024}), "at most 1024 taps"},
		{"negative kernel", layer0("kernel", []int{-3, -3}), "kernel [-3 -3]"},
		{"huge map", layer0("in", []int64{8, 1 << 40, 10}), "in [8 1099511627776 10]"},
		{"huge stride", layer0("stride", []int64{1 << 40, 1}), "stride"},
		{"long name", layer0("name", strings.Repeat("n", 100_000)), "a name of 100000 bytes"},
		{"even kernel without centre", func(_ map[string]string, l []map[string]any) []map[string]any {
			l[1]["kernel"], l[1]["padding"] = []int{2, 2}, []int{0, 0}
			return l
		}, "remove_center with a 2×2 kernel"},
		{"wrong offset groups", layer0("groups", 2), `tensor "layer.0.offset" has shape [1 72 8 10], want [1 36 8 10]`},
		{"unknown format", func(m map[string]string, l []map[string]any) []map[string]any {
			m["format"] = "deformscope-capture/3"
			return l
		}, `format "deformscope-capture/3"`},
		{"too many layers", func(_ map[string]string, l []map[string]any) []map[string]any {
			for len(l) <= MaxCaptureLayers {
				l = append(l, l[0])
			}
			return l
		}, "4097 layers recorded"},
		{"same name twice", layer0("name", "1"), `the name "1" is used twice`},
		{"layers not a list", func(m map[string]string, l []map[string]any) []map[string]any {
			return nil
		}, "no deformable layers"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := editCapture(t, good, c.edit)
			_, err := ParseCapture(b, c.name+".safetensors")
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.name) {
				t.Errorf("error %q lacks the file name or %q", err, c.want)
			}
			if len(err.Error()) > 600 {
				t.Errorf("an error of %d bytes", len(err.Error()))
			}
		})
	}
	// Version 1 still opens (toy_capture.safetensors is one), as torchvision's.
	c, err := ParseCapture(mustRead(t, "toy_capture.safetensors"), "toy")
	if err != nil || c.Layers[0].Family != FamilyTorchvision || c.Layers[0].Groups != 1 {
		t.Fatalf("version 1: %v", err)
	}
	// A layer asked for by a long wrong name gets a short error.
	_, err = c.Layer(strings.Repeat("x", 100_000))
	if err == nil || len(err.Error()) > 400 {
		t.Errorf("a long wrong name gave %d bytes of error", len(fmt.Sprint(err)))
	}
}

func FuzzParseCaptureV2(f *testing.F) {
	// The tiny capture first: mutations of a small file find their way
	// about far faster than of the 72 KB one.
	tiny := mustRead(f, "dcnv3_tiny.safetensors")
	f.Add(tiny)
	good := mustRead(f, "dcnv3_g4.safetensors")
	f.Add(good)
	f.Add(editCapture(f, tiny, func(_ map[string]string, l []map[string]any) []map[string]any {
		l[0]["kernel"] = []int64{1 << 32, 1 << 32}
		return l
	}))
	f.Add(mustRead(f, "toy_capture.safetensors"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCapture(b, "fuzz")
		if err != nil {
			return
		}
		for _, l := range c.Layers {
			for _, g := range []int{trace.AllGroups, 0, l.Groups - 1} {
				c.Trace(l.Name, l.Out[1]/2, l.Out[2]/2, 1, SpaceImage, trace.Options{Group: g})
				l.HeatField(g)
			}
		}
	})
}

func TestCaptureDepth(t *testing.T) {
	c, err := ParseCapture(mustRead(t, "dcnv3_g4.safetensors"), "g4")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		layer                   string
		group, maxDepth, points int
		want                    int
	}{
		{"1", trace.AllGroups, 3, 50_000, 2}, // only two layers
		{"1", trace.AllGroups, 3, 32 * 36, 2},
		{"1", trace.AllGroups, 3, 32*36 - 1, 1},
		{"1", 0, 3, 8 * 36, 2},
		{"1", 0, 3, 8*36 - 1, 1},
		{"0", trace.AllGroups, 3, 1, 1}, // never below 1
	} {
		got, err := c.Depth(tc.layer, tc.group, tc.maxDepth, tc.points)
		if err != nil || got != tc.want {
			t.Errorf("%+v: depth %d, %v", tc, got, err)
		}
	}
}

// TestCaptureMutations feeds the capture reader randomly damaged copies of
// the version-2 fixtures (seeded, so that a failure repeats): each must be
// refused with an error naming the file, or read and traced, never panic.
// Go's fuzzer explores further (FuzzParseCaptureV2); this keeps a fixed
// sample of it in every test run.
func TestCaptureMutations(t *testing.T) {
	for _, name := range []string{"dcnv3_tiny.safetensors", "dcnv3_g4.safetensors"} {
		good := mustRead(t, name)
		r := rand.New(rand.NewPCG(22, 26))
		parsed := 0
		for i := range 500 {
			b := append([]byte(nil), good...)
			// Mostly the header, where the geometry lives.
			n := int(binary.LittleEndian.Uint64(good[:8])) + 8
			for range 1 + r.IntN(4) {
				at := r.IntN(n)
				if r.IntN(4) == 0 {
					at = r.IntN(len(b))
				}
				b[at] = byte(r.IntN(256))
			}
			c, err := ParseCapture(b, "mutant.safetensors")
			if err != nil {
				if !strings.Contains(err.Error(), "mutant.safetensors") {
					t.Fatalf("%s mutant %d: error %q does not name the file", name, i, err)
				}
				continue
			}
			parsed++
			for _, l := range c.Layers {
				for _, g := range []int{trace.AllGroups, 0, l.Groups - 1} {
					c.Trace(l.Name, l.Out[1]/2, l.Out[2]/2, 1, SpaceImage, trace.Options{Group: g})
					l.HeatField(g)
				}
			}
		}
		t.Logf("%s: %d of 500 mutants read", name, parsed)
	}
}
