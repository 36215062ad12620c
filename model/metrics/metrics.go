// Package metrics holds the value types that training reports and that
// run folders, pictures, the app and dcn read: a step's numbers, an
// epoch's record, the numbers inside it and a deformable layer's sampling
// field. It imports nothing of ours, so that viz and the file bridge draw
// and write records without linking the engine or the training loop.
package metrics

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Step describes one training step.
type Step struct {
	Epoch, Epochs   int // 1-based
	Batch, Batches  int // 1-based
	Step            int // global step count
	Loss            float64
	RunningAcc      float64 // percent, over the epoch so far
	ImagesPerSecond float64
	// ETA is the time left to the end of the run: its remaining training
	// steps and the evaluation after each remaining epoch (this one's
	// included), estimated from the evaluations so far, or before the first
	// from the training speed (a forward pass costs about a third of a
	// training step).
	ETA     time.Duration
	Skipped int // steps skipped for a non-finite loss this epoch
}

// ScaleAcc is the accuracy on the test set at one scale.
type ScaleAcc struct {
	Scale float64 `json:"scale"`
	Acc   Num     `json:"acc"`
}

// LayerOffsets summarises one deformable layer's sampling points on the
// test set.
type LayerOffsets struct {
	Layer        string `json:"layer"`
	MeanAbs      Num    `json:"mean_abs_offset"`
	OutsideShare Num    `json:"outside_share"`
	MeanMask     Num    `json:"mean_mask"`
}

// Epoch is one model's record of one epoch. Accuracies are in percent; a
// missing value is NaN (null in JSON).
type Epoch struct {
	Model         string         `json:"model"`
	Arch          string         `json:"arch"`
	Epoch         int            `json:"epoch"`
	LR            float64        `json:"lr"`
	TrainLoss     Num            `json:"train_loss"`
	TrainAcc      Num            `json:"train_acc"`
	ValLoss       Num            `json:"val_loss"`
	ValAcc        Num            `json:"val_acc"`
	TestLoss      Num            `json:"test_loss"`
	TestAcc       Num            `json:"test_acc"`
	ScaledTestAcc Num            `json:"scaled_test_acc"`
	Scaled        []ScaleAcc     `json:"scaled,omitempty"`
	Offsets       []LayerOffsets `json:"offsets,omitempty"`
	Confusion     [][]int        `json:"confusion,omitempty"` // test set: [true][predicted]
	Skipped       int            `json:"skipped_steps"`
	// Inspect holds the sampling fields of the inspection images after
	// this epoch (deformable nets only), for replaying how the receptive
	// fields bent; it is kept in memory, not in metrics files.
	Inspect      *Inspection `json:"-"`
	EpochSeconds float64     `json:"epoch_seconds"`
	EvalSeconds  float64     `json:"eval_seconds"`
}

// Inspection is the state of a deformable net's sampling on a fixed set of
// test images: one entry per image, each mapping a deformable layer's name
// to its sampling field.
type Inspection struct {
	Index  []int // indices into the test set
	Fields []map[string]*Field
}

// Field is one deformable layer's sampling field for a single image: the
// offsets (2·G·kh·kw×Ho×Wo, dy before dx) and the mask (G·kh·kw×Ho×Wo, or
// nil) in torchvision's layout, batch dimension dropped.
type Field struct {
	Offset []float64
	Mask   []float64
	Ho, Wo int
	Groups int
	// Limit is the clamp bound the block applied to these offsets
	// (nn.DeformBlock.Limit: ±max(H, W)/4 of its input, or the bound fixed
	// by SetLimit); 0 when unknown, as for a capture of a PyTorch model.
	Limit float64
}

// Num is a float64 that encodes NaN and ±Inf as JSON null.
type Num float64

// NaN is the missing value.
func NaN() Num { return Num(math.NaN()) }

// MarshalJSON implements json.Marshaler.
func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler; null reads as NaN.
func (n *Num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = Num(math.NaN())
		return nil
	}
	var f float64
	if _, err := fmt.Sscan(string(b), &f); err != nil {
		return fmt.Errorf("metrics: bad number %q", b)
	}
	*n = Num(f)
	return nil
}
