package cropset

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// stoppedBuild starts a build of 10 images into cache and stops it after 5, leaving PATH.part and
// its journal.
func stoppedBuild(t *testing.T, annPath, images, cache string) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	opt := Options{Size: 8, MinSize: 16, CachePath: cache, Workers: 1, Progress: func(done, total int) {
		if done == 5 {
			cancel()
		}
	}}
	if _, err := Build(ctx, annPath, images, opt); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}

// TestCOCOBuildResumeRefusesBadJournal appends to the journal of a stopped build what the #26 pass
// appended after a kill (a record naming an image out of range, 37 random bytes, a record copied
// twice, a record with a bad CRC) and checks that the next build starts over and keeps nothing from
// that journal: every crop equals an uninterrupted build's, none is black, and --verify passes.
// Before, resume() set images done while parsing and the start-over kept them: 689 of 3,384 crops
// stayed black and --verify said "hit".
func TestCOCOBuildResumeRefusesBadJournal(t *testing.T) {
	annPath, images := splitFixture(t, 10)
	dir := t.TempDir()
	ref, err := Build(t.Context(), annPath, images, Options{Size: 8, MinSize: 16, CachePath: filepath.Join(dir, "ref.cache")})
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 37)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	cases := map[string]func(log []byte) []byte{
		"out of range": func(log []byte) []byte {
			rec := binary.LittleEndian.AppendUint32(nil, 1<<20)
			rec = append(rec, 0)
			var key [32]byte
			copy(key[:], log[8:40])
			return append(log, binary.LittleEndian.AppendUint32(rec, recordCRC(rec, key))...)
		},
		"37 random bytes": func(log []byte) []byte { return append(log, random...) },
		"a record twice":  func(log []byte) []byte { return append(log, log[logHeaderLen:logHeaderLen+logRecLen]...) },
		"bad CRC": func(log []byte) []byte {
			log = slices.Clone(log)
			log[logHeaderLen] ^= 1
			return log
		},
	}
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			cache := filepath.Join(t.TempDir(), "crops.cache")
			stoppedBuild(t, annPath, images, cache)
			log, err := os.ReadFile(cache + ".part.log")
			if err != nil {
				t.Fatal(err)
			}
			if len(log) < logHeaderLen+logRecLen {
				t.Fatalf("journal of %d bytes: no record", len(log))
			}
			if err := os.WriteFile(cache+".part.log", damage(log), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := Build(t.Context(), annPath, images, Options{Size: 8, MinSize: 16, CachePath: cache})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.Resumed != 0 {
				t.Errorf("resumed %d images from a damaged journal", c.Resumed)
			}
			for s := range 3 {
				if !slices.Equal(allPixels(ref.Sets[s]), allPixels(c.Sets[s])) {
					t.Errorf("%v split differs from an uninterrupted build", Split(s))
				}
			}
			v, err := Build(t.Context(), annPath, images, Options{Size: 8, MinSize: 16, CachePath: cache, Verify: true})
			if err != nil {
				t.Fatal(err)
			}
			v.Close()
		})
	}
}

// TestCOCOVerifyFindsBlackCrops gives checkAll a payload whose CRCs are good but one crop of which
// is all zero (what a build resumed from a damaged journal wrote before the fix), and checks that
// --verify names it.
func TestCOCOVerifyFindsBlackCrops(t *testing.T) {
	const sample = 3 * 8 * 8
	for _, tc := range []struct {
		name  string
		black []int
	}{{"none", nil}, {"one", []int{3}}, {"first and last", []int{0, 9}}} {
		t.Run(tc.name, func(t *testing.T) {
			payload := bytes.Repeat([]byte{7}, 10*sample)
			for _, i := range tc.black {
				clear(payload[i*sample : (i+1)*sample])
			}
			file := append(make([]byte, prefixLen), payload...)
			crcs := []uint32{crc32.Checksum(payload, crcTable)}
			cf := newCheckedFile(bytes.NewReader(file), int64(len(payload)), crcs)
			cf.sample, cf.name = sample, "x.cache"
			err := cf.checkAll(t.Context())
			if len(tc.black) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "entirely black") ||
				!strings.Contains(err.Error(), "x.cache") {
				t.Fatalf("error %v", err)
			}
		})
	}
}

// TestCOCOCacheSideFilesAreNotUsers checks that CACHE.lock and CACHE.part.log never follow a
// symbolic link to a user's file, nor overwrite (and later remove) a user's file of that name.
func TestCOCOCacheSideFilesAreNotUsers(t *testing.T) {
	annPath, images := splitFixture(t, 4)
	for _, side := range []string{".lock", ".part.log"} {
		for _, link := range []bool{false, true} {
			name := side + map[bool]string{false: " user's file", true: " link to a user's file"}[link]
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				cache := filepath.Join(dir, "crops.cache")
				user := filepath.Join(dir, "thesis.txt")
				const content = "my thesis, chapter 3\n"
				if err := os.WriteFile(user, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
				if link {
					if err := os.Symlink(user, cache+side); err != nil {
						t.Fatal(err)
					}
				} else {
					user = cache + side
					if err := os.WriteFile(user, []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				_, err := Build(t.Context(), annPath, images, Options{Size: 8, MinSize: 16, CachePath: cache})
				if err == nil || !strings.Contains(err.Error(), cache+side) {
					t.Errorf("error %v, want a refusal naming %s", err, cache+side)
				}
				if b, err := os.ReadFile(user); string(b) != content {
					t.Errorf("the user's file is now %q (%v)", b, err)
				}
			})
		}
	}
}

// TestCOCOManyBoxesOnOneImage is #26 item 10: 100,000 boxes on one image made a 1.26 GB build (a
// worker held every crop of its image at once, and so did the final compaction). Crops are now
// written chunkCrops at a time. 20,000 boxes of 32×32 crops are 61 MB of crops; the build allocates
// a small part of that.
func TestCOCOManyBoxesOnOneImage(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 61 MB")
	}
	const n = 20_000
	anns := make([]string, n)
	for i := range anns {
		anns[i] = ann(i+1, 1, 7, fmt.Sprintf("[%d, %d, 40, 40]", i%50, i%30))
	}
	// A second image with one box, first in the file, so that the big one's crops are moved
	// forward.
	anns = append(anns, ann(n+1, 2, 7, "[0, 0, 50, 50]"))
	annPath, images := writeFixture(t, doc([]string{img(1, "a.jpg", 100, 80), img(2, "b.jpg", 100, 80)}, anns, []string{cat7}),
		map[string][]byte{"a.jpg": jpegBytes(t, gradient(100, 80)), "b.jpg": jpegBytes(t, gradient(100, 80))})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c, err := Build(t.Context(), annPath, images, Options{Size: 32, MinSize: 16, TopK: 1, ValFraction: -1, TestFraction: -1,
		CachePath: filepath.Join(t.TempDir(), "many.cache")})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := c.Sets[Train].N; got != n+1 {
		t.Fatalf("%d crops, want %d", got, n+1)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %.1f MB for %d crops of %.1f MB", float64(alloc)/1e6, n+1, float64((n+1)*3*32*32)/1e6)
	if alloc > 40<<20 {
		t.Errorf("allocated %.1f MB building %d crops of 32×32 on one image", float64(alloc)/1e6, n+1)
	}
}

// FuzzParseJournal feeds the journal's records to their parser: it returns all the records or none,
// never marks an image out of range, and never panics.
func FuzzParseJournal(f *testing.F) {
	var key [32]byte
	good := func(i uint32, code uint8) []byte {
		rec := binary.LittleEndian.AppendUint32(nil, i)
		rec = append(rec, code)
		return binary.LittleEndian.AppendUint32(rec, recordCRC(rec, key))
	}
	f.Add(append(good(0, 0), good(3, 1)...))
	f.Add(append(good(1, 0), good(1, 0)...))
	f.Add(good(1<<20, 0))
	f.Add(bytes.Repeat([]byte{0xff}, 37))
	f.Fuzz(func(t *testing.T, recs []byte) {
		recs = recs[:len(recs)/logRecLen*logRecLen]
		done, failed, err := parseJournal(recs, key, 8)
		if err != nil {
			if done != nil || failed != nil {
				t.Fatal("state returned with an error")
			}
			return
		}
		n := 0
		for _, d := range done {
			if d {
				n++
			}
		}
		if n != len(recs)/logRecLen {
			t.Fatalf("%d images done from %d records", n, len(recs)/logRecLen)
		}
	})
}
