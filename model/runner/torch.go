package runner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/deformscope/deformscope/internal/safeopen"
	"github.com/deformscope/deformscope/model/coco/cropset"
	"github.com/deformscope/deformscope/model/data"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/torchfile"
	"github.com/deformscope/deformscope/model/train"
)

// ImportOptions are dcn import's settings besides the file and the
// architecture.
type ImportOptions struct {
	Classes int // COCO: the net's classes (default cropset.DefaultTopK)
	Size    int // COCO: the crop size (default cropset.DefaultCropSize)
	// Ann and Images optionally name the COCO crop set the net was trained
	// on, so that the run can be evaluated and its test crops inspected.
	Ann, Images string
}

// Import reads the state dict at path, loads it into arch and writes a run
// folder in dir that every dcn command and the app open like a trained run
// (see ImportRun). It returns the run.
func Import(path, arch, dir string, opt ImportOptions) (*rundir.Run, error) {
	a, err := torchfile.ParseArch(arch)
	if err != nil {
		return nil, err
	}
	if opt.Classes == 0 {
		opt.Classes = cropset.DefaultTopK
	}
	if opt.Size == 0 {
		opt.Size = cropset.DefaultCropSize
	}
	// Checked before the net is built: --classes 9223372036854775807 panicked in makeslice,
	// 100000000 ran out of memory.
	if opt.Classes < 2 || opt.Classes > experiment.MaxCategories {
		return nil, fmt.Errorf("runner: --classes: want 2 to %d, got %d", experiment.MaxCategories, opt.Classes)
	}
	if opt.Size < 8 || opt.Size > experiment.MaxCropSize || opt.Size%4 != 0 {
		return nil, fmt.Errorf("runner: --crop-size: want a multiple of 4 from 8 to %d, got %d", experiment.MaxCropSize, opt.Size)
	}
	if (opt.Ann == "") != (opt.Images == "") {
		return nil, errors.New("runner: give both the COCO instances file and its image folder, or neither")
	}
	if opt.Ann != "" {
		// A missing or FIFO --ann, or a FIFO --images, made a run whose eval hung or failed.
		f, err := safeopen.Open(opt.Ann)
		if err != nil {
			return nil, fmt.Errorf("runner: --ann: %w", err)
		}
		f.Close()
		if err := safeopen.CheckDir(opt.Images); err != nil {
			return nil, fmt.Errorf("runner: --images: %w", err)
		}
	}
	if a.Data == "mnist" && (opt.Ann != "" || opt.Classes != cropset.DefaultTopK && opt.Classes != 10) {
		return nil, fmt.Errorf("runner: %s takes no COCO settings (it has 10 classes)", arch)
	}
	net, err := a.NewNet(opt.Classes, opt.Size)
	if err != nil {
		return nil, err
	}
	sd, err := torchfile.Read(path)
	if err != nil {
		return nil, err
	}
	if err := torchfile.Load(sd, net); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	rc := experiment.StudyProtocol()
	rc.Models, rc.DCNv1, rc.Imported = []string{a.Model}, a.DCNv1, abs
	if a.Data == "coco" {
		rc.Data, rc.Scales = "coco", nil
		rc.COCO = experiment.DefaultCOCO(opt.Ann, opt.Images)
		rc.COCO.Size, rc.COCO.TopK = opt.Size, opt.Classes
		// The course study's COCO protocol: 5 epochs of SGD, lr 0.001.
		rc.Train = train.Config{Epochs: 5, Batch: 64, Optimizer: "sgd", LR: 1e-3, Momentum: 0.9, Seed: 1}
	}
	// The run is complete as imported: one epoch, the weights given.
	rc.Train.Epochs = 1
	return ImportRun(dir, rc, a.Model, net)
}

// Export writes model name of run after epoch (0: the last) to dir as a
// PyTorch package (torchfile.WriteExport): model.py (the net as a
// torch.nn.Module with the course study's names and load_model(folder)),
// weights.safetensors (keys as the course study's state dict), config.json,
// deformscope_capture.py and README.md. Every file is written atomically;
// dir is made if needed, and files of an earlier export there are replaced.
func Export(run *rundir.Run, name string, epoch int, dir string) (string, error) {
	net, epoch, err := run.LoadModel(name, epoch)
	if err != nil {
		return "", err
	}
	if err := CheckExportDir(dir, torchfile.ExportFiles); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("runner: export: %w", err)
	}
	cfg := torchfile.ExportConfig{Arch: net.Arch, Classes: net.Classes, Input: []int{net.InC, net.InH, net.InW},
		Mean: []float32{data.MNISTMean}, Std: []float32{data.MNISTStd}, Run: run.Dir, Model: name, Epoch: epoch}
	if run.Config.Data == "coco" {
		cfg.Mean, cfg.Std = cropset.ImageNetMean, cropset.ImageNetStd
		if run.Config.COCO.Norm == "dataset" {
			d, err := experiment.LoadData(run.Config)
			if err != nil {
				return "", err
			}
			cfg.Mean, cfg.Std = d.Train.Norm()
		}
	}
	if err := torchfile.WriteExport(dir, net, cfg); err != nil {
		return "", err
	}
	return net.Arch, nil
}

// CheckExportDir refuses an export into dir that would replace files the export did not write: a
// run folder (`dcn export --out RUN` overwrote the run's config.json, and eval and resume then
// failed), or a folder holding any of files (a user's README.md) unless it is an earlier export
// (its config.json is an export's). Every export format checks its folder here.
func CheckExportDir(dir string, files []string) error {
	if _, err := os.Stat(filepath.Join(dir, "metrics.jsonl")); err == nil {
		return fmt.Errorf("runner: export: %s is a run folder: export into another folder", dir)
	}
	var found []string
	for _, f := range files {
		if _, err := os.Lstat(filepath.Join(dir, f)); err == nil {
			found = append(found, f)
		}
	}
	if len(found) == 0 {
		return nil
	}
	b, err := safeopen.ReadFile(filepath.Join(dir, "config.json"), 1<<20)
	if err == nil {
		var c torchfile.ExportConfig
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if dec.Decode(&c) == nil && c.Arch != "" && c.Model != "" && len(c.Input) == 3 {
			return nil // an earlier export: its files are ours to replace
		}
		if _, rerr := rundir.Open(dir); rerr == nil {
			return fmt.Errorf("runner: export: %s is a run folder: export into another folder", dir)
		}
	}
	return fmt.Errorf("runner: export: %s holds %s, which an export would replace, and is not an earlier export: "+
		"export into an empty or new folder", dir, strings.Join(found, ", "))
}
