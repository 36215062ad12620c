package cropset

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCOCOBuildWaitsForTheLock holds a cache's build lock (as a build in another process would) and
// checks that a second build says who holds it, waits, gives up when its context ends, and builds
// once the lock is let go.
func TestCOCOBuildWaitsForTheLock(t *testing.T) {
	annPath, images := splitFixture(t, 6)
	cache := filepath.Join(t.TempDir(), "crops.cache")
	held, err := lockBuild(t.Context(), cache, nil)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 3*lockPoll)
	defer cancel()
	var holder string
	_, err = Build(ctx, annPath, images, Options{Size: 8, MinSize: 16, CachePath: cache,
		Waiting: func(h string) { holder = h }})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("build while the lock is held: %v, want the context's deadline", err)
	}
	if want := fmt.Sprintf("pid %d, ", os.Getpid()); !strings.HasPrefix(holder, want) {
		t.Errorf("Waiting got %q, want it to start with %q", holder, want)
	}
	if _, err := os.Stat(cache + ".part"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the waiting build wrote %s (%v)", cache+".part", err)
	}

	done := make(chan error, 1)
	waited := make(chan struct{})
	go func() {
		c, err := Build(t.Context(), annPath, images, Options{Size: 8, MinSize: 16, CachePath: cache,
			Waiting: func(string) { close(waited) }})
		if err == nil {
			c.Close()
		}
		done <- err
	}()
	<-waited
	select {
	case err := <-done:
		t.Fatalf("the build went ahead while the lock was held (%v)", err)
	case <-time.After(2 * lockPoll):
	}
	held.Release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cache + ".lock"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the lock file is left behind (%v)", err)
	}
}

// TestCOCOConcurrentBuildsOfOneCache starts two builds of one cache at once: one builds, the other
// waits and then reads what the first wrote.
func TestCOCOConcurrentBuildsOfOneCache(t *testing.T) {
	annPath, images := splitFixture(t, 12)
	cache := filepath.Join(t.TempDir(), "crops.cache")
	var wg sync.WaitGroup
	res := make([]*Crops, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			res[i], errs[i] = Build(t.Context(), annPath, images, Options{Size: 8, MinSize: 16, CachePath: cache, Workers: 1})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("build %d: %v", i, err)
		}
		defer res[i].Close()
	}
	status := []string{res[0].Cache, res[1].Cache}
	slices.Sort(status)
	if !strings.HasPrefix(status[0], "built") || !strings.HasPrefix(status[1], "hit") {
		t.Errorf("statuses %q, want one build and one hit", status)
	}
	for s := range 3 {
		if !slices.Equal(allPixels(res[0].Sets[s]), allPixels(res[1].Sets[s])) {
			t.Errorf("%v split differs between the two builds", Split(s))
		}
	}
}
