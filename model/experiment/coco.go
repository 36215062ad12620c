package experiment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/coco/cropset"
	"github.com/deformscope/deformscope/model/train"
)

// COCOData describes the COCO object-crop set of a run.
type COCOData struct {
	Ann        string  `json:"ann"`                   // instances_*.json
	Images     string  `json:"images"`                // its image folder
	TestAnn    string  `json:"test_ann,omitempty"`    // e.g. instances_val2017.json as the test set
	TestImages string  `json:"test_images,omitempty"` // its image folder
	Size       int     `json:"size"`                  // crops are Size×Size RGB
	MinBox     float64 `json:"min_box"`               // boxes under MinBox×MinBox px are dropped
	TopK       int     `json:"top_k"`                 // the most frequent categories kept
	Norm       string  `json:"norm"`                  // "imagenet" or "dataset"
	// MaxPerClass, if positive, keeps at most this many training crops of each category
	// (cropset.Options).
	MaxPerClass int    `json:"max_per_class,omitempty"`
	CacheDir    string `json:"cache_dir,omitempty"` // crop caches' folder (default: user cache dir)
	// Cache, if set, names the crop cache file itself (dcn's --cache), the same file that `dcn coco
	// crops --cache` writes; the key inside it decides whether it is current.
	Cache string `json:"cache,omitempty"`
}

// DefaultCOCO returns the crop set's defaults for an instances file and
// image folder: 64×64 crops of boxes of at least 32×32 px, top 10
// categories, ImageNet normalisation.
func DefaultCOCO(ann, images string) *COCOData {
	return &COCOData{Ann: ann, Images: images, Size: cropset.DefaultCropSize, MinBox: 32, TopK: cropset.DefaultTopK, Norm: "imagenet"}
}

func newCOCONet(rc RunConfig, name string, rng *rand.Rand) (*model.Net[float32], error) {
	set, err := DeformSet("coco", name)
	if err != nil {
		return nil, err
	}
	return model.NewCOCONet[float32](model.COCOConfig{Size: rc.COCO.Size, Classes: rc.COCO.TopK, DeformAt: set, DCNv1: rc.DCNv1}, rng)
}

// CachePath returns the crop cache file that a run of c with seed reads (and builds if needed):
// Cache if set, else a file in CacheDir (or the user cache folder) named by the options and seed;
// "" if there is no cache folder.
func (c *COCOData) CachePath(seed uint64) (string, error) { return c.cachePath(seed) }

// cachePath names the crop cache of c for a run with seed (which splits
// the images): one file per instances file, options and seed, so that
// several runs share it.
func (c *COCOData) cachePath(seed uint64) (string, error) {
	if c.Cache != "" {
		return c.Cache, nil
	}
	dir := c.CacheDir
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", nil // no cache folder: build the crops every time
		}
		dir = filepath.Join(base, "deformscope", "coco")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("experiment: crop cache folder: %w", err)
	}
	abs, _ := filepath.Abs(c.Ann)
	key := fmt.Appendf(nil, "%s|%s|%s|%s|%d|%g|%d", abs, c.Images, c.TestAnn, c.TestImages, c.Size, c.MinBox, c.TopK)
	if c.MaxPerClass > 0 {
		// So that uncapped sets keep their caches' names.
		key = fmt.Appendf(key, "|cap %d", c.MaxPerClass)
	}
	if seed != 1 {
		key = fmt.Appendf(key, "|seed %d", seed) // seed 1, the default, keeps its caches' names
	}
	h := sha256.Sum256(key)
	return filepath.Join(dir, "crops-"+hex.EncodeToString(h[:8])+".cache"), nil
}

// loadCOCO builds (or reads from the cache) the crop set of rc.
func loadCOCO(ctx context.Context, rc RunConfig, h LoadHooks) (Data, error) {
	c := rc.COCO
	if c.Ann == "" {
		return Data{}, fmt.Errorf("experiment: the run imported from %s has no COCO crop set; import it again with --ann and --images to evaluate it on crops", rc.Imported)
	}
	norm, err := cropset.ParseNorm(c.Norm)
	if err != nil {
		return Data{}, err
	}
	cache, err := c.cachePath(rc.Train.Seed)
	if err != nil {
		return Data{}, err
	}
	opt := cropset.Options{Size: c.Size, MinSize: c.MinBox, TopK: c.TopK, MaxPerClass: c.MaxPerClass, Seed: rc.Train.Seed, Norm: norm,
		TestAnnotations: c.TestAnn, TestImageDir: c.TestImages, CachePath: cache, Progress: h.Progress, Waiting: h.Waiting}
	crops, err := cropset.Build(ctx, c.Ann, c.Images, opt)
	if err != nil {
		return Data{}, err
	}
	if len(crops.Classes) < c.TopK {
		return Data{}, fmt.Errorf("experiment: %s has boxes of only %d categories; ask for at most that many (--top %d)", c.Ann, len(crops.Classes), len(crops.Classes))
	}
	d := Data{Data: train.Data{Train: crops.Sets[cropset.Train], Val: crops.Sets[cropset.Val], Test: crops.Sets[cropset.Test], Classes: slices.Clone(crops.Classes)}}
	if rc.Limit > 0 && rc.Limit < d.Train.N {
		d.Train = d.Train.Subset(rc.Limit)
	}
	d.TestRefs = crops.Refs[cropset.Test]
	if rc.TestLimit > 0 && d.Test != nil && rc.TestLimit < d.Test.N {
		d.Test = d.Test.Subset(rc.TestLimit)
		d.TestRefs = d.TestRefs[:rc.TestLimit]
	}
	if d.Train == nil || d.Train.N == 0 {
		return Data{}, fmt.Errorf("experiment: %s gives no training crops", c.Ann)
	}
	d.Reports = crops.Reports
	return d, nil
}

// COCOTrain is the training protocol a COCO run starts from, the same in
// the app's Train form and in `dcn train --data coco` without flags: Adam
// at lr 3e-3 held constant, batch 16, 12 epochs. Measured on coco128 with
// the middle placement (docs/RESULTS.md), it moves the last deformable
// layer's offsets to a mean |Δp| of about 0.5 px within a few minutes on
// two cores, where the course study's protocol (COCOStudyTrain) leaves them near
// 0.1 px on so small a set.
func COCOTrain() train.Config {
	return train.Config{Epochs: 12, Batch: 16, Optimizer: "adam", LR: 3e-3, Seed: 1}
}

// COCOStudyTrain is the course study's COCO protocol: 5 epochs of SGD with
// momentum 0.9 at lr 0.001 held constant, batch 32. `dcn reproduce coco`
// runs it, and the Train form offers it as the preset COCOStudyName.
func COCOStudyTrain() train.Config {
	return train.Config{Epochs: 5, Batch: 32, Optimizer: "sgd", LR: 1e-3, Momentum: 0.9, Seed: 1}
}

// COCOStudyName names COCOStudyTrain where a person picks it.
const COCOStudyName = "Study's protocol: SGD 0.001"

// COCODefaults is a COCO run as it starts for an instances file and image
// folder: the plain CNN and the middle placement on the default crops,
// trained with COCOTrain.
func COCODefaults(ann, images string) RunConfig {
	return RunConfig{Data: "coco", Models: []string{"cnn", "dcnn-middle"}, COCO: DefaultCOCO(ann, images), Train: COCOTrain()}
}
