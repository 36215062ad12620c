// Package experiment holds the settings of an experiment (RunConfig: the
// data set, the models, subset sizes and the optimisation settings) with
// their validation, and turns them into what training needs: the data
// (MNIST and Scaled-MNIST, or COCO object crops) and the networks. Both the
// app's form and dcn's flags fill a RunConfig; a run folder keeps it as
// config.json.
package experiment

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/coco"
	"github.com/deformscope/deformscope/model/coco/cropset"
	"github.com/deformscope/deformscope/model/data"
	"github.com/deformscope/deformscope/model/train"
)

// RunConfig describes an experiment completely, so that a run folder can be
// evaluated or resumed from its config.json alone.
type RunConfig struct {
	Data      string    `json:"data"`       // "mnist" or "coco"
	Models    []string  `json:"models"`     // cnn, dcnn, dcnn-middle, dcnn-conv2+conv3 (DeformSet)
	DCNv1     bool      `json:"dcnv1"`      // deformable layers without a mask
	Limit     int       `json:"limit"`      // training images; 0 takes all
	Val       int       `json:"val"`        // validation images held out of the training set
	TestLimit int       `json:"test_limit"` // test images; 0 takes all
	Scales    []float64 `json:"scales"`     // Scaled-MNIST test scales; empty skips it
	// ScaleMode is the Scaled-MNIST transform, "seed" or "bilinear" (see
	// data.ScaleMode). Run folders written before it existed lack it and
	// were tested with the bilinear transform, so empty reads as bilinear
	// (ScaleModeOrBilinear); every new config names its mode.
	ScaleMode data.ScaleMode `json:"scale_mode,omitempty"`
	MNISTDir  string         `json:"mnist_dir,omitempty"` // empty: the GoMNIST module's data folder
	COCO      *COCOData      `json:"coco,omitempty"`      // the COCO crop set, for data "coco"
	Train     train.Config   `json:"train"`
	// Imported names the PyTorch state dict the run's weights came from
	// (dcn import); such a COCO run may lack a crop set.
	Imported string `json:"imported,omitempty"`
}

// MNISTModels are the model names of an MNIST run.
var MNISTModels = []string{"cnn", "dcnn"}

// COCOModels are the model names of a COCO run: the plain CNN and the
// deformable pair at each placement.
var COCOModels = []string{"cnn", "dcnn-first", "dcnn-middle", "dcnn-last"}

// The largest COCO settings a run takes: labels are bytes, and a crop
// larger than 512×512 is no object crop (docs/RELIABILITY.md says so; a
// net's activations grow with the square of the size: see MemoryEstimate).
const (
	MaxCategories = 255
	MaxCropSize   = 512
)

// Bytes of training memory per input pixel of each sample in a batch, for a
// COCO net, from the peaks measured with 64×64 crops and batch 32: coco-cnn
// alone 408 MB, the deformable nets alone up to 754 MB (dcnn-first;
// docs/PERFORMANCE.md), and the four at once in `dcn reproduce coco` on
// coco128 2.86 GB (docs/RELIABILITY.md), which these figures meet (2.8 GB).
const (
	plainBytesPerPixel  = 2560
	deformBytesPerPixel = 5632
	baseMemory          = 256 << 20
)

// MemoryEstimate returns the memory (bytes) that training rc is expected
// to need at its peak: every model trains at once, each holding its
// activations for a batch. MNIST runs are small and fixed (under 400 MB).
func (rc RunConfig) MemoryEstimate() int64 {
	if rc.Data != "coco" || rc.COCO == nil {
		return 400 << 20
	}
	px := int64(rc.COCO.Size) * int64(rc.COCO.Size) * int64(max(rc.Train.Batch, rc.Train.EvalBatch))
	total := int64(baseMemory)
	for _, m := range rc.Models {
		per := int64(deformBytesPerPixel)
		if m == "cnn" {
			per = plainBytesPerPixel
		}
		total += px * per
	}
	return total
}

// CheckMemory refuses a run whose MemoryEstimate is above available bytes
// (≤ 0: unknown, nothing is refused), saying what to lower. It is checked
// before any data is loaded: `train --data coco --crop-size 256` ran out of
// memory at 5.9 GB after building its crops.
func (rc RunConfig) CheckMemory(available int64) error {
	need := rc.MemoryEstimate()
	if available <= 0 || need <= available {
		return nil
	}
	if rc.Data != "coco" || rc.COCO == nil {
		// MNIST's needs are fixed: there are no crops to shrink.
		return fmt.Errorf("training %d MNIST model(s) needs about %.1f GB, and %.1f GB is available: close other "+
			"programs or train fewer models at once", len(rc.Models), float64(need)/1e9, float64(available)/1e9)
	}
	return fmt.Errorf("training %d model(s) on %d×%d crops in batches of %d needs about %.1f GB, and %.1f GB is "+
		"available: lower the batch size or the crop size, or train fewer models at once",
		len(rc.Models), rc.COCO.Size, rc.COCO.Size, max(rc.Train.Batch, rc.Train.EvalBatch), float64(need)/1e9, float64(available)/1e9)
}

// Validate reports the first unusable setting. The app's form and dcn's
// flags both fill a RunConfig and both refuse what it refuses.
func (rc RunConfig) Validate() error {
	switch rc.Data {
	case "mnist":
	case "coco":
		// An imported net may come without the crop set it was trained on.
		noData := rc.Imported != "" && rc.COCO != nil && rc.COCO.Ann == "" && rc.COCO.Images == ""
		if rc.COCO == nil || !noData && (rc.COCO.Ann == "" || rc.COCO.Images == "") {
			return fmt.Errorf("a COCO run needs an instances file and an image folder")
		}
		if rc.COCO.TopK < 2 || rc.COCO.TopK > MaxCategories {
			return fmt.Errorf("a COCO run needs 2 to %d categories, got %d", MaxCategories, rc.COCO.TopK)
		}
		if rc.COCO.Size < 8 || rc.COCO.Size > MaxCropSize || rc.COCO.Size%4 != 0 {
			return fmt.Errorf("COCO crop size must be a multiple of 4 from 8 to %d (the net pools twice), got %d", MaxCropSize, rc.COCO.Size)
		}
		if !(rc.COCO.MinBox >= 0) || math.IsInf(rc.COCO.MinBox, 0) {
			return fmt.Errorf("COCO smallest box (min-box) must be a number of pixels, 0 or more, got %v", rc.COCO.MinBox)
		}
		if rc.COCO.MaxPerClass < 0 {
			return fmt.Errorf("COCO crops per category: want 0 (all) or more, got %d", rc.COCO.MaxPerClass)
		}
	default:
		return fmt.Errorf("unknown data set %q (want mnist or coco)", rc.Data)
	}
	if len(rc.Models) == 0 {
		return fmt.Errorf("no models to train")
	}
	for i, m := range rc.Models {
		if _, err := DeformSet(rc.Data, m); err != nil {
			return err
		}
		if slices.Contains(rc.Models[:i], m) {
			return fmt.Errorf("model %q is listed twice", m)
		}
	}
	if rc.ScaleMode != "" {
		if _, err := data.ParseScaleMode(string(rc.ScaleMode)); err != nil {
			return err
		}
	}
	if rc.Limit < 0 || rc.Val < 0 || rc.TestLimit < 0 {
		return fmt.Errorf("limits must not be negative")
	}
	return rc.Train.Validate()
}

// ScaleModeOrBilinear returns the run's Scaled-MNIST transform; a config
// without one comes from a run folder written before the course study's transform
// was added, which was tested with the bilinear one.
func (rc RunConfig) ScaleModeOrBilinear() data.ScaleMode {
	if rc.ScaleMode == "" {
		return data.ScaleBilinear
	}
	return rc.ScaleMode
}

// StudyProtocol is the course study's Scaled-MNIST protocol: Adam lr 1e-3,
// StepLR γ 0.7 every epoch, batch 64, 14 epochs, both models, DCNv2, the
// whole training set, and the test set at scales 0.5 … 1.5 with the course study's
// own transform (nearest-neighbour, fill 0 after normalising).
func StudyProtocol() RunConfig {
	return RunConfig{
		Data: "mnist", Models: slices.Clone(MNISTModels), Scales: data.DefaultScales(),
		ScaleMode: data.ScaleStudy,
		Train:     train.Config{Epochs: 14, Batch: 64, Optimizer: "adam", LR: 1e-3, StepGamma: 0.7, StepSize: 1, Seed: 1},
	}
}

// DeformSet returns the deformable convolutions of the model named name in
// a run on data ("mnist" or "coco"): nil for "cnn"; conv4, conv5 for the
// MNIST "dcnn"; the pair of a COCO placement for "dcnn-first",
// "dcnn-middle", "dcnn-last"; and the set a name like "dcnn-conv2+conv3"
// spells, for either net. Anything else is refused with the names it knows.
func DeformSet(data, name string) ([]string, error) {
	if name == "cnn" {
		return nil, nil
	}
	if data == "mnist" && name == "dcnn" {
		return slices.Clone(model.MNISTDefaultDeform), nil
	}
	spec, ok := strings.CutPrefix(name, "dcnn-")
	if ok && data == "mnist" && (spec == "first" || spec == "middle" || spec == "last") {
		ok = false // placements are the COCO study's
	}
	var set []string
	var err error
	if ok && !strings.Contains(spec, ",") {
		set, err = model.ParseDeformSet(data, strings.ReplaceAll(spec, "+", ","))
	}
	if !ok || err != nil || DeformModelName(data, set) != name {
		want := "cnn, dcnn (conv4, conv5) or dcnn-conv2+conv3 (any of conv1 … conv5 joined by +)"
		if data == "coco" {
			want = "cnn, dcnn-first, dcnn-middle, dcnn-last or dcnn-conv4+conv5 (any of conv1 … conv6 joined by +)"
		}
		return nil, fmt.Errorf("unknown %s model %q (want %s)", data, name, want)
	}
	return set, nil
}

// DeformModelName is the model name of a deformable net of data with the
// convolutions set deformable (in the net's order, as ParseDeformSet gives
// them): "dcnn" for the course study's MNIST set, "dcnn-middle" for a COCO
// placement, else "dcnn-conv2+conv3".
func DeformModelName(data string, set []string) string {
	if data == "mnist" && slices.Equal(set, model.MNISTDefaultDeform) {
		return "dcnn"
	}
	return "dcnn-" + model.DeformSetName(data, set)
}

// NewNet builds the named model of rc, initialised from the run's seed.
// Each model draws from its own stream, so adding a model to a run does
// not change the others.
func NewNet(rc RunConfig, name string) (*model.Net[float32], error) {
	set, err := DeformSet(rc.Data, name)
	if err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	stream, ok := map[string]uint64{"cnn": 1, "dcnn": 2, "dcnn-first": 3, "dcnn-middle": 4, "dcnn-last": 5}[name]
	if !ok {
		// Another set: a stream of its own, fixed by its name.
		h := fnv.New64a()
		h.Write([]byte(name))
		stream = h.Sum64()
	}
	rng := rand.New(rand.NewPCG(rc.Train.Seed, stream))
	if rc.Data == "coco" {
		return newCOCONet(rc, name, rng)
	}
	return model.NewMNISTNet[float32](model.MNISTConfig{Deformable: set != nil, DeformAt: set, DCNv1: rc.DCNv1}, rng)
}

// Data is a run's loaded data: what training reads, with what the COCO
// loader says beside it for the callers that show or measure crops.
type Data struct {
	train.Data
	// Reports says what the COCO loader kept and skipped, one per
	// instances file; nil for MNIST.
	Reports []coco.Report
	// TestRefs says, for COCO, which image and box each test crop comes
	// from (in Test's order).
	TestRefs []cropset.Ref
}

// LoadData reads the data of rc: MNIST from rc.MNISTDir or the GoMNIST
// module, a validation split drawn with the seed, the training subset, the
// test set and the Scaled-MNIST sets.
func LoadData(rc RunConfig) (Data, error) {
	return LoadDataContext(context.Background(), rc, nil)
}

// LoadDataContext is LoadData with a context (COCO crops take a while to
// build the first time) and a progress callback for the crops (may be nil).
func LoadDataContext(ctx context.Context, rc RunConfig, progress func(done, total int)) (Data, error) {
	return LoadDataHooks(ctx, rc, LoadHooks{Progress: progress})
}

// LoadHooks are what a face sees of loading the data. Either may be nil.
type LoadHooks struct {
	// Progress reports the images of a COCO crop build (done of total).
	Progress func(done, total int)
	// Waiting is called once when another process is building the same crop
	// cache, with who that is; loading waits for it, then reads the cache.
	Waiting func(holder string)
}

// LoadDataHooks is LoadDataContext with every hook of the load.
func LoadDataHooks(ctx context.Context, rc RunConfig, h LoadHooks) (Data, error) {
	if rc.Data == "coco" {
		return loadCOCO(ctx, rc, h)
	}
	dir := rc.MNISTDir
	if dir == "" {
		var err error
		if dir, err = data.FindMNIST(); err != nil {
			return Data{}, err
		}
	}
	m, err := data.LoadMNIST(dir)
	if err != nil {
		return Data{}, err
	}
	trainAll, test, err := m.Sets(data.MNISTMean, data.MNISTStd)
	if err != nil {
		return Data{}, err
	}
	if rc.Val >= trainAll.N {
		return Data{}, fmt.Errorf("experiment: %d validation images leave none of the %d for training", rc.Val, trainAll.N)
	}
	perm := rand.New(rand.NewPCG(rc.Train.Seed, 0xda7a)).Perm(trainAll.N)
	var d Data
	if rc.Val > 0 {
		d.Val = trainAll.Gather(perm[:rc.Val])
		d.Val.Name = "mnist-val"
	}
	rest := perm[rc.Val:]
	if rc.Limit > 0 && rc.Limit < len(rest) {
		rest = rest[:rc.Limit]
	}
	slices.Sort(rest)
	d.Train = trainAll.Gather(rest)
	d.Train.Name = "mnist-train"
	d.Classes = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	n := test.N
	if rc.TestLimit > 0 {
		n = min(n, rc.TestLimit)
	}
	d.Test = test.Subset(n)
	if len(rc.Scales) > 0 {
		img := *m.Test.Images
		img.N = n
		img.Pix = img.Pix[:n*img.Rows*img.Cols]
		d.Scaled, err = data.ScaledSetsMode(&img, m.Test.Labels[:n], rc.Scales, rc.ScaleModeOrBilinear(),
			data.MNISTMean, data.MNISTStd)
		if err != nil {
			return Data{}, err
		}
		d.Scales = slices.Clone(rc.Scales)
	}
	return d, nil
}
