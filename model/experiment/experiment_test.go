package experiment

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/train"
)

// TestCOCOMaxPerClass: the run setting caps the training crops of each
// category, leaves the test crops alone, and rejects a negative cap.
func TestCOCOMaxPerClass(t *testing.T) {
	dir := os.Getenv("DEFORMSCOPE_COCO128")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "coco128")
	}
	ann, images := filepath.Join(dir, "annotations", "instances_train2017.json"), filepath.Join(dir, "images", "train2017")
	if _, err := os.Stat(ann); err != nil {
		t.Skipf("COCO128 is not available (%v): set DEFORMSCOPE_COCO128 or provide ../shared/coco128", err)
	}
	rc := RunConfig{Data: "coco", Models: []string{"cnn"}, COCO: DefaultCOCO(ann, images),
		Train: train.Config{Epochs: 1, Batch: 8, Optimizer: "adam", LR: 1e-3, Seed: 1}}
	rc.COCO.Size, rc.COCO.CacheDir = 16, t.TempDir()
	full, err := LoadData(rc)
	if err != nil {
		t.Fatal(err)
	}
	rc.COCO.MaxPerClass = 3
	capped, err := LoadData(rc)
	if err != nil {
		t.Fatal(err)
	}
	count := make([]int, len(capped.Classes))
	for _, y := range capped.Train.Y {
		count[y]++
	}
	for c, n := range count {
		if n > 3 {
			t.Errorf("%s: %d training crops, want at most 3", capped.Classes[c], n)
		}
	}
	if capped.Train.N >= full.Train.N || capped.Test.N != full.Test.N {
		t.Errorf("training crops %d → %d, test crops %d → %d; want fewer training crops and the same test crops",
			full.Train.N, capped.Train.N, full.Test.N, capped.Test.N)
	}
	rc.COCO.MaxPerClass = -1
	if err := rc.Validate(); err == nil || !strings.Contains(err.Error(), "crops per category") {
		t.Errorf("a negative cap: %v", err)
	}
	// The cache names differ by cap and by seed (which splits the images).
	names := map[string]bool{}
	for _, c := range []struct {
		cap  int
		seed uint64
	}{{0, 1}, {3, 1}, {0, 2}} {
		cd := *rc.COCO
		cd.MaxPerClass = c.cap
		p, err := cd.cachePath(c.seed)
		if err != nil {
			t.Fatal(err)
		}
		names[p] = true
	}
	if len(names) != 3 {
		t.Errorf("crop cache names %v, want three different ones", names)
	}
}
