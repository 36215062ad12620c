package cropset

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deformscope/deformscope/model/coco"
	"github.com/deformscope/deformscope/model/data"
)

func TestCOCOCache(t *testing.T) {
	annPath, images := splitFixture(t, 12)
	dir := t.TempDir()
	cache := filepath.Join(dir, "crops.cache")
	opt := Options{Size: 8, MinSize: 16, CachePath: cache}
	build := func(want string) *Crops {
		t.Helper()
		c, err := Build(t.Context(), annPath, images, opt)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(c.Cache, want) {
			t.Errorf("cache status %q, want %q", c.Cache, want)
		}
		return c
	}
	first := build("built: no cache yet")
	second := build("hit")
	for s := range 3 {
		if !slices.Equal(first.Sets[s].Pix, second.Sets[s].Pix) || !slices.Equal(first.Sets[s].Y, second.Sets[s].Y) ||
			!slices.Equal(first.Refs[s], second.Refs[s]) {
			t.Errorf("%v split read from the cache differs", Split(s))
		}
	}
	if !reflect.DeepEqual(first.Reports, second.Reports) || !slices.Equal(first.Classes, second.Classes) ||
		!slices.Equal(first.CategoryIDs, second.CategoryIDs) || first.Mean != second.Mean || first.Std != second.Std {
		t.Errorf("cached metadata differs:\n%+v\n%+v", first.Reports, second.Reports)
	}

	// The normalisation is applied on reading: changing it keeps the cache.
	opt.Norm = NormDataset
	if c := build("hit"); !slices.Equal(must(c.Sets[Train].Norm()), c.Mean[:]) {
		t.Error("dataset normalisation not applied to a cached set")
	}

	// Options that change the crops, or a touched annotations file, rebuild it.
	opt.Seed = 9
	build("built: the cache was made from other files or options")
	build("hit")
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(annPath, later, later); err != nil {
		t.Fatal(err)
	}
	build("built: the cache was made from other files or options")

	// A corrupt or truncated cache is rebuilt, and rewritten.
	b, err := os.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(cache, b, 0o644); err != nil {
		t.Fatal(err)
	}
	build("checksum mismatch")
	build("hit")
	if err := os.WriteFile(cache, b[:len(b)-40], 0o644); err != nil {
		t.Fatal(err)
	}
	build("built: cache")
	build("hit")

	// Every write went through a temporary file that is gone.
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	hidden, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(names) != 1 || len(hidden) != 0 {
		t.Errorf("cache folder holds %v %v", names, hidden)
	}
}

func must[T any](v, _ T) T { return v }

// smallCache encodes a tiny crop set, for the reader's tests.
func smallCache(t testing.TB) []byte {
	t.Helper()
	c := &Crops{Classes: []string{"a", "b"}, CategoryIDs: []int64{5, 9}, Mean: [3]float32{0.5, 0.5, 0.5},
		Std: [3]float32{0.25, 0.25, 0.25}, Reports: []coco.Report{{File: "x.json", Images: 3, Annotations: 4,
			Kept: map[string]int{"a": 1, "b": 2}, Kinds: coco.Skips{Annotations: map[string]int{coco.ReasonCrowd: 1}},
			Info: map[string]int{}}}}
	sample := 3 * 8 * 8
	for s, n := range []int{2, 1, 0} {
		pix := make([]uint8, n*sample)
		for i := range pix {
			pix[i] = uint8(i * (s + 3))
		}
		labels := make([]uint8, n)
		for i := range labels {
			labels[i] = uint8(i % 2)
			c.Refs[s] = append(c.Refs[s], Ref{int64(100 + i), int64(-i)})
		}
		var err error
		if c.Sets[s], err = data.NewSet("x", pix, labels, n, 3, 8, 8, ImageNetMean, ImageNetStd); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := writeCache(&b, [32]byte{1, 2, 3}, c, 8); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCOCOReadCacheRefuses(t *testing.T) {
	good := smallCache(t)
	if _, _, err := readCache(bytes.NewReader(good), int64(len(good))); err != nil {
		t.Fatalf("a good cache: %v", err)
	}
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"magic", edit(func(b []byte) []byte { b[0] = 'X'; return b }), "not a crop cache"},
		{"version", edit(func(b []byte) []byte { b[8] = 2; return b }), "version 2"},
		{"header length", edit(func(b []byte) []byte { b[47] = 0x7f; return b }), "header of"},
		{"truncated", good[:len(good)-1], ""},
		{"longer", append(bytes.Clone(good), 0), ""},
		{"flipped pixel", edit(func(b []byte) []byte { b[len(b)-40] ^= 0x80; return b }), "checksum mismatch"},
		{"flipped sum", edit(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), "checksum mismatch"},
	} {
		if _, _, err := readCache(bytes.NewReader(tc.b), int64(len(tc.b))); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// FuzzReadCache checks that no file makes the cache reader panic or allocate without bound, and that whatever it
// accepts survives a write and a read unchanged. Each input is tried as it is and with its checksum made right, so
// that mutations reach the checks behind the checksum.
func FuzzReadCache(f *testing.F) {
	good := smallCache(f)
	f.Add(good)
	f.Add(good[:60])
	f.Add(good[:len(good)-32])
	f.Add([]byte(cacheMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		fixed := bytes.Clone(b)
		if len(fixed) >= 32 {
			sum := sha256.Sum256(fixed[:len(fixed)-32])
			copy(fixed[len(fixed)-32:], sum[:])
		}
		for _, in := range [][]byte{b, fixed} {
			key, c, err := readCache(bytes.NewReader(in), int64(len(in)))
			if err != nil {
				continue
			}
			var out bytes.Buffer
			if err := writeCache(&out, key, c, c.Sets[Train].H); err != nil {
				t.Fatal(err)
			}
			key2, c2, err := readCache(bytes.NewReader(out.Bytes()), int64(out.Len()))
			if err != nil {
				t.Fatalf("re-reading: %v", err)
			}
			if key2 != key || !reflect.DeepEqual(c.Refs, c2.Refs) || !reflect.DeepEqual(c.Reports, c2.Reports) {
				t.Fatal("a cache changed in a write and a read")
			}
			for s := range 3 {
				if !bytes.Equal(c.Sets[s].Pix, c2.Sets[s].Pix) || !bytes.Equal(c.Sets[s].Y, c2.Sets[s].Y) {
					t.Fatal("crops changed in a write and a read")
				}
			}
		}
	})
}

func TestCOCOCacheNotWritable(t *testing.T) {
	annPath, images := splitFixture(t, 4)
	cache := filepath.Join(t.TempDir(), "no", "such", "folder", "crops.cache")
	c, err := Build(t.Context(), annPath, images, Options{Size: 8, MinSize: 16, CachePath: cache})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.Cache, "not written") || c.Sets[Train].N == 0 {
		t.Errorf("cache status %q, %d crops", c.Cache, c.Sets[Train].N)
	}
}
