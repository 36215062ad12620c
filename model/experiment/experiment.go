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
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/data"
	"github.com/deformscope/deformscope/model/train"
)

// RunConfig describes an experiment completely, so that a run folder can be
// evaluated or resumed from its config.json alone.
type RunConfig struct {
	Data      string       `json:"data"`                // "mnist" or "coco"
	Models    []string     `json:"models"`              // MNIST: cnn, dcnn; COCO: cnn, dcnn-first, dcnn-middle, dcnn-last
	DCNv1     bool         `json:"dcnv1"`               // deformable layers without a mask
	Limit     int          `json:"limit"`               // training images; 0 takes all
	Val       int          `json:"val"`                 // validation images held out of the training set
	TestLimit int          `json:"test_limit"`          // test images; 0 takes all
	Scales    []float64    `json:"scales"`              // Scaled-MNIST test scales; empty skips it
	MNISTDir  string       `json:"mnist_dir,omitempty"` // empty: the GoMNIST module's data folder
	COCO      *COCOData    `json:"coco,omitempty"`      // the COCO crop set, for data "coco"
	Train     train.Config `json:"train"`
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
// larger than 1024×1024 is no object crop.
const (
	MaxCategories = 255
	MaxCropSize   = 1024
)

// Validate reports the first unusable setting. The app's form and dcn's
// flags both fill a RunConfig and both refuse what it refuses.
func (rc RunConfig) Validate() error {
	var known []string
	switch rc.Data {
	case "mnist":
		known = MNISTModels
	case "coco":
		known = COCOModels
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
	for _, m := range rc.Models {
		if !slices.Contains(known, m) {
			return fmt.Errorf("unknown %s model %q (want %s)", rc.Data, m, strings.Join(known, ", "))
		}
	}
	if rc.Limit < 0 || rc.Val < 0 || rc.TestLimit < 0 {
		return fmt.Errorf("limits must not be negative")
	}
	return rc.Train.Validate()
}

// SeedProtocol is the seed study's Scaled-MNIST protocol: Adam lr 1e-3,
// StepLR γ 0.7 every epoch, batch 64, 14 epochs, both models, DCNv2, the
// whole training set, and the test set at scales 0.5 … 1.5.
func SeedProtocol() RunConfig {
	return RunConfig{
		Data: "mnist", Models: slices.Clone(MNISTModels), Scales: data.DefaultScales(),
		Train: train.Config{Epochs: 14, Batch: 64, Optimizer: "adam", LR: 1e-3, StepGamma: 0.7, StepSize: 1, Seed: 1},
	}
}

// NewNet builds the named model of rc, initialised from the run's seed.
// Each model draws from its own stream, so adding a model to a run does
// not change the others.
func NewNet(rc RunConfig, name string) (*model.Net[float32], error) {
	stream := map[string]uint64{"cnn": 1, "dcnn": 2, "dcnn-first": 3, "dcnn-middle": 4, "dcnn-last": 5}[name]
	rng := rand.New(rand.NewPCG(rc.Train.Seed, stream))
	if rc.Data == "coco" {
		return newCOCONet(rc, name, rng)
	}
	switch name {
	case "cnn":
		return model.NewMNISTNet[float32](model.MNISTConfig{}, rng)
	case "dcnn":
		return model.NewMNISTNet[float32](model.MNISTConfig{Deformable: true, DCNv1: rc.DCNv1}, rng)
	}
	return nil, fmt.Errorf("experiment: unknown model %q", name)
}

// LoadData reads the data of rc: MNIST from rc.MNISTDir or the GoMNIST
// module, a validation split drawn with the seed, the training subset, the
// test set and the Scaled-MNIST sets.
func LoadData(rc RunConfig) (train.Data, error) {
	return LoadDataContext(context.Background(), rc, nil)
}

// LoadDataContext is LoadData with a context (COCO crops take a while to
// build the first time) and a progress callback for the crops (may be nil).
func LoadDataContext(ctx context.Context, rc RunConfig, progress func(done, total int)) (train.Data, error) {
	if rc.Data == "coco" {
		return loadCOCO(ctx, rc, progress)
	}
	dir := rc.MNISTDir
	if dir == "" {
		var err error
		if dir, err = data.FindMNIST(); err != nil {
			return train.Data{}, err
		}
	}
	m, err := data.LoadMNIST(dir)
	if err != nil {
		return train.Data{}, err
	}
	trainAll, test, err := m.Sets(data.MNISTMean, data.MNISTStd)
	if err != nil {
		return train.Data{}, err
	}
	if rc.Val >= trainAll.N {
		return train.Data{}, fmt.Errorf("experiment: %d validation images leave none of the %d for training", rc.Val, trainAll.N)
	}
	perm := rand.New(rand.NewPCG(rc.Train.Seed, 0xda7a)).Perm(trainAll.N)
	var d train.Data
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
		d.Scaled, err = data.ScaledSets(&img, m.Test.Labels[:n], rc.Scales, data.MNISTMean, data.MNISTStd)
		if err != nil {
			return train.Data{}, err
		}
		d.Scales = slices.Clone(rc.Scales)
	}
	return d, nil
}
