package experiment

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/deformscope/deformscope/model/data"
	"github.com/deformscope/deformscope/model/train"
)

// inMemory copies a set's crops into memory: the crop set as it was held before the cache became
// the data set.
func inMemory(t *testing.T, s *data.Set) *data.Set {
	t.Helper()
	var pix []uint8
	for i := range s.N {
		pix = append(pix, s.Pixels(i)...)
	}
	mean, std := s.Norm()
	m, err := data.NewSet(s.Name, pix, s.Y, s.N, s.C, s.H, s.W, mean, std)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestCOCOTrainingOnTheCacheMatchesMemory trains the same net from the same seed on crops read from
// the cache file and on the same crops held in memory, and checks that every step's loss and the
// evaluation agree exactly.
func TestCOCOTrainingOnTheCacheMatchesMemory(t *testing.T) {
	dir := os.Getenv("DEFORMSCOPE_COCO128")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "coco128")
	}
	ann, images := filepath.Join(dir, "annotations", "instances_train2017.json"), filepath.Join(dir, "images", "train2017")
	if _, err := os.Stat(ann); err != nil {
		t.Skipf("COCO128 is not available (%v): set DEFORMSCOPE_COCO128 or provide ../shared/coco128", err)
	}
	rc := RunConfig{Data: "coco", Models: []string{"dcnn-middle"}, COCO: DefaultCOCO(ann, images), Limit: 48,
		Train: train.Config{Epochs: 1, Batch: 8, Optimizer: "adam", LR: 1e-3, Seed: 1}}
	rc.COCO.Size, rc.COCO.CacheDir = 16, t.TempDir()
	onFile, err := LoadData(rc)
	if err != nil {
		t.Fatal(err)
	}
	if onFile.Train.Pix != nil || onFile.Test.Pix != nil {
		t.Fatal("the crop set is held in memory, not read from the cache")
	}
	inMem := onFile
	inMem.Train, inMem.Test = inMemory(t, onFile.Train), inMemory(t, onFile.Test)
	if onFile.Val != nil {
		inMem.Val = inMemory(t, onFile.Val)
	}
	var evals [2][2]float64
	for k, d := range []Data{onFile, inMem} {
		net, err := NewNet(rc, "dcnn-middle")
		if err != nil {
			t.Fatal(err)
		}
		tr, err := train.NewTrainer("dcnn-middle", net, d.Data, rc.Train)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Run(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
		loss, acc, _, _, err := tr.Evaluate(t.Context(), d.Test)
		if err != nil {
			t.Fatal(err)
		}
		evals[k] = [2]float64{loss, acc}
	}
	if evals[0] != evals[1] {
		t.Errorf("after an epoch, test loss and accuracy %v on the cache, %v in memory", evals[0], evals[1])
	}
}
