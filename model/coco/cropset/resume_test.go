package cropset

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCOCOBuildResumes stops a build part way (as a user's Stop or Ctrl+C does), checks that
// nothing looks like a finished cache, and that the next build decodes only the images not yet done
// and gives the crops of a build that was never stopped.
func TestCOCOBuildResumes(t *testing.T) {
	annPath, images := splitFixture(t, 30)
	dir := t.TempDir()
	ref, err := Build(t.Context(), annPath, images, Options{Size: 8, MinSize: 16, CachePath: filepath.Join(dir, "ref.cache")})
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()

	cache := filepath.Join(dir, "crops.cache")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, err = Build(ctx, annPath, images, Options{Size: 8, MinSize: 16, CachePath: cache, Workers: 1,
		Progress: func(done, total int) {
			if done == 12 {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped build: %v", err)
	}
	if _, err := os.Stat(cache); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a stopped build left %s (%v)", cache, err)
	}
	if _, err := openCache(cache+".part", nil, true); err == nil {
		t.Fatal("the partial file reads as a cache")
	}

	var calls []int
	c, err := Build(t.Context(), annPath, images, Options{Size: 8, MinSize: 16, CachePath: cache,
		Progress: func(done, total int) { calls = append(calls, done) }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Resumed < 12 || !strings.Contains(c.Cache, "resumed after") {
		t.Errorf("resumed %d images, status %q", c.Resumed, c.Cache)
	}
	if len(calls) == 0 || calls[0] != c.Resumed || len(calls) != 30-c.Resumed+1 {
		t.Errorf("progress %v after resuming %d of 30", calls, c.Resumed)
	}
	for s := range 3 {
		if !slices.Equal(allPixels(ref.Sets[s]), allPixels(c.Sets[s])) || !slices.Equal(ref.Sets[s].Y, c.Sets[s].Y) ||
			!slices.Equal(ref.Refs[s], c.Refs[s]) {
			t.Errorf("%v split of the resumed build differs", Split(s))
		}
	}
	if ref.Mean != c.Mean || ref.Std != c.Std {
		t.Errorf("statistics %v %v, want %v %v", c.Mean, c.Std, ref.Mean, ref.Std)
	}
	for _, name := range []string{cache + ".part", cache + ".part.log"} {
		if _, err := os.Stat(name); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind", name)
		}
	}
}

// TestCOCOBuildResumesAfterAKill leaves the files a build killed mid-write leaves (a journal with a
// torn last record), and one from other options, and checks that the first resumes and the second
// starts over.
func TestCOCOBuildResumesAfterAKill(t *testing.T) {
	annPath, images := splitFixture(t, 10)
	cache := filepath.Join(t.TempDir(), "crops.cache")
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
	log, err := os.OpenFile(cache+".part.log", os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	log.Write([]byte{9, 0}) // half a record
	log.Close()
	opt.Progress = nil
	c, err := Build(t.Context(), annPath, images, opt)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if c.Resumed != 5 {
		t.Errorf("resumed %d images, want 5", c.Resumed)
	}

	// Other options: the partial file is not theirs, and is started over.
	ctx, cancel = context.WithCancel(t.Context())
	defer cancel()
	opt.Seed, opt.CachePath = 4, filepath.Join(filepath.Dir(cache), "other.cache")
	opt.Progress = func(done, total int) {
		if done == 5 {
			cancel()
		}
	}
	if _, err := Build(ctx, annPath, images, opt); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	opt.Seed, opt.Progress = 5, nil
	c, err = Build(t.Context(), annPath, images, opt)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if c.Resumed != 0 {
		t.Errorf("resumed %d images of a build with other options", c.Resumed)
	}
}

// TestCOCOCacheRefusesToOverwrite checks that --cache never replaces a file that is not a crop
// cache (someone's data, given by mistake), nor a partial file that is not ours.
func TestCOCOCacheRefusesToOverwrite(t *testing.T) {
	annPath, images := splitFixture(t, 4)
	dir := t.TempDir()
	for _, name := range []string{"notes.txt", "empty", "other.part"} {
		path := filepath.Join(dir, name)
		target := path
		content := []byte("my thesis, chapter 3\n")
		if name == "empty" {
			content = nil
		}
		if name == "other.part" {
			path = filepath.Join(dir, "other")
			target = path + ".part"
		}
		if err := os.WriteFile(target, content, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Build(t.Context(), annPath, images, Options{Size: 8, MinSize: 16, CachePath: path})
		if err == nil || !strings.Contains(err.Error(), "is not a crop cache: refusing to overwrite") ||
			!strings.Contains(err.Error(), target) {
			t.Errorf("%s: error %v", name, err)
		}
		if b, _ := os.ReadFile(target); string(b) != string(content) {
			t.Errorf("%s: changed to %q", name, b)
		}
	}
	// A folder is refused too.
	if _, err := Build(t.Context(), annPath, images, Options{Size: 8, MinSize: 16, CachePath: dir}); err == nil {
		t.Error("a folder as the cache accepted")
	}
}
