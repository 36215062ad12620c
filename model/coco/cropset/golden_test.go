package cropset

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestCOCOBuildCropsCOCO128Golden checks that the crops a build writes for coco128 (default
// options, seed 1: 282 crops of 64×64) are byte for byte those recorded in
// testdata/coco128-crops.sha256, the SHA-256 of the cache file's crop payload. The decoder and
// resampler may get faster; the crops must not change (a changed crop would silently change every
// cache and every trained net).
// go test -run Golden -update rewrites the file, which must then be explained in the commit.
func TestCOCOBuildCropsCOCO128Golden(t *testing.T) {
	annPath, images := coco128(t)
	path := filepath.Join(t.TempDir(), "crops.cache")
	c, err := Build(t.Context(), annPath, images, Options{Seed: 1, CachePath: path})
	if err != nil {
		t.Fatal(err)
	}
	n := c.Sets[Train].N + c.Sets[Val].N + c.Sets[Test].N
	c.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	payload := int64(n) * 3 * 64 * 64
	if n != 282 || int64(len(b)) < prefixLen+payload {
		t.Fatalf("%d crops in a file of %d bytes", n, len(b))
	}
	sum := sha256.Sum256(b[prefixLen : prefixLen+payload])
	got := hex.EncodeToString(sum[:]) + "\n"
	golden := filepath.Join("testdata", "coco128-crops.sha256")
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("the crops of coco128 changed: SHA-256 %s, want %s", strings.TrimSpace(got), strings.TrimSpace(string(want)))
	}
}
