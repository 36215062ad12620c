package cropset

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

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
		if !slices.Equal(allPixels(first.Sets[s]), allPixels(second.Sets[s])) || !slices.Equal(first.Sets[s].Y, second.Sets[s].Y) ||
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

	// A build that fuses multiply-adds (GOAMD64=v3, arm64) rounds some crop values otherwise: a
	// cache made by the other kind of build is rebuilt.
	fused := buildFuses
	buildFuses = !fused
	build("built: the cache was made from other files or options")
	buildFuses = fused
	build("built: the cache was made from other files or options")

	// A corrupt or truncated cache is rebuilt, and rewritten.
	b, err := os.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	b[prefixLen+100] ^= 1 // a crop's byte
	if err := os.WriteFile(cache, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// Opening it reads no crops: the corrupt block fails the read that reaches it, and Verify finds
	// it at once.
	c := build("hit")
	allPixels(c.Sets[Train])
	if err := c.Sets[Train].Err(); err == nil || !strings.Contains(err.Error(), "fails its CRC") ||
		!strings.Contains(err.Error(), cache) {
		t.Errorf("reading a corrupt block: %v", err)
	}
	if err := c.Verify(t.Context()); err == nil || !strings.Contains(err.Error(), "fails its CRC") {
		t.Errorf("Verify of a corrupt cache: %v", err)
	}
	c.Close()
	opt.Verify = true
	build("fails its CRC")
	build("hit")
	opt.Verify = false
	b[prefixLen+100] ^= 1
	b[len(b)-60] ^= 1 // the trailer's
	if err := os.WriteFile(cache, b, 0o644); err != nil {
		t.Fatal(err)
	}
	build("trailer checksum mismatch")
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

// allPixels reads every crop of a set, in order.
func allPixels(s *data.Set) []uint8 {
	var out []uint8
	for i := range s.N {
		out = append(out, s.Pixels(i)...)
	}
	return out
}

// smallCache builds a tiny crop cache and returns its bytes, for the reader's tests.
func smallCache(t testing.TB) []byte {
	t.Helper()
	annPath, images := splitFixture(t, 6)
	cache := filepath.Join(t.TempDir(), "small.cache")
	c, err := Build(context.Background(), annPath, images, Options{Size: 8, MinSize: 16, CachePath: cache, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	b, err := os.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixTrailer makes the trailer's checksum right again after an edit, so that the checks behind it
// are reached.
func fixTrailer(b []byte) []byte {
	if len(b) < prefixLen+endLen {
		return b
	}
	tlen := binary.LittleEndian.Uint64(b[len(b)-endLen:])
	if tlen > uint64(len(b)-endLen) {
		return b
	}
	t := b[len(b)-endLen-int(tlen) : len(b)-endLen]
	sum := sha256.Sum256(t)
	copy(b[len(b)-endLen+8:], sum[:])
	return b
}

func TestCOCOReadCacheRefuses(t *testing.T) {
	good := smallCache(t)
	if _, _, err := readCache(bytes.NewReader(good), int64(len(good)), true); err != nil {
		t.Fatalf("a good cache: %v", err)
	}
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	hdr := prefixLen + int(binary.LittleEndian.Uint64(good[48:]))*3*8*8 // where the trailer starts
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"magic", edit(func(b []byte) []byte { b[0] = 'X'; return b }), "not a crop cache"},
		{"version 1", edit(func(b []byte) []byte { copy(b, oldMagic); return b }), "version 1"},
		{"version", edit(func(b []byte) []byte { b[8] = 3; return b }), "version 3"},
		{"crop size", edit(func(b []byte) []byte { b[44] = 3; return b }), "crop size 3"},
		{"crop count", edit(func(b []byte) []byte { b[48]++; return b }), "in a file of"},
		{"huge crop count", edit(func(b []byte) []byte { b[55] = 0x7f; return b }), "crops"},
		{"truncated (a killed writer)", good[:len(good)-1], "no end marker"},
		{"truncated in the crops", good[:prefixLen+100], "no end marker"},
		{"longer", append(bytes.Clone(good), 0), "no end marker"},
		{"flipped crop byte", edit(func(b []byte) []byte { b[prefixLen+5] ^= 0x80; return b }), "fails its CRC"},
		{"flipped trailer byte", edit(func(b []byte) []byte { b[hdr+10] ^= 1; return b }), "trailer checksum mismatch"},
		{"header length", edit(func(b []byte) []byte { b[hdr+3] = 0x7f; return fixTrailer(b) }), "header of"},
		{"header not JSON", edit(func(b []byte) []byte { b[hdr+4] = 'x'; return fixTrailer(b) }), "header:"},
		{"label out of range", edit(func(b []byte) []byte {
			n := int(binary.LittleEndian.Uint32(b[hdr:]))
			b[hdr+4+n] = 200
			return fixTrailer(b)
		}), "label 200"},
	} {
		if _, _, err := readCache(bytes.NewReader(tc.b), int64(len(tc.b)), true); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// FuzzReadCache checks that no file makes the cache reader panic or allocate without bound, and
// that the sets of whatever it accepts read every crop. Each input is tried as it is and with its
// trailer checksum made right, so that mutations reach the checks behind the checksum.
func FuzzReadCache(f *testing.F) {
	good := smallCache(f)
	f.Add(good)
	f.Add(good[:60])
	f.Add(good[:len(good)-32])
	f.Add([]byte(cacheMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, in := range [][]byte{b, fixTrailer(bytes.Clone(b))} {
			c, _, err := readCache(bytes.NewReader(in), int64(len(in)), true)
			if err != nil {
				continue
			}
			for _, s := range c.Sets {
				x, y := make([]float32, s.SampleSize()), make([]int, 1)
				for i := range s.N {
					s.Batch([]int{i}, x, y)
				}
				if s.Err() != nil {
					t.Fatalf("an accepted cache fails to read: %v", s.Err())
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
