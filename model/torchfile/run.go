package torchfile

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/deformscope/deformscope/internal/atomicfile"
	"github.com/deformscope/deformscope/internal/safeopen"
	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/ckpt"
	"github.com/deformscope/deformscope/model/coco/cropset"
	"github.com/deformscope/deformscope/model/data"
	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/train"
)

// python holds model.py and deformscope_capture.py, which an export
// carries.
//
//go:embed python/model.py python/deformscope_capture.py
var python embed.FS

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
// (see rundir.ImportRun). It returns the run.
func Import(path, arch, dir string, opt ImportOptions) (*rundir.Run, error) {
	a, err := ParseArch(arch)
	if err != nil {
		return nil, err
	}
	if opt.Classes == 0 {
		opt.Classes = cropset.DefaultTopK
	}
	if opt.Size == 0 {
		opt.Size = cropset.DefaultCropSize
	}
	// Checked before the net is built: --classes 9223372036854775807 panicked in makeslice, 100000000 ran out of
	// memory.
	if opt.Classes < 2 || opt.Classes > experiment.MaxCategories {
		return nil, fmt.Errorf("torchfile: --classes: want 2 to %d, got %d", experiment.MaxCategories, opt.Classes)
	}
	if opt.Size < 8 || opt.Size > experiment.MaxCropSize || opt.Size%4 != 0 {
		return nil, fmt.Errorf("torchfile: --crop-size: want a multiple of 4 from 8 to %d, got %d", experiment.MaxCropSize, opt.Size)
	}
	if (opt.Ann == "") != (opt.Images == "") {
		return nil, errors.New("torchfile: give both the COCO instances file and its image folder, or neither")
	}
	if opt.Ann != "" {
		// A missing or FIFO --ann, or a FIFO --images, made a run whose eval hung or failed.
		f, err := safeopen.Open(opt.Ann)
		if err != nil {
			return nil, fmt.Errorf("torchfile: --ann: %w", err)
		}
		f.Close()
		if err := safeopen.CheckDir(opt.Images); err != nil {
			return nil, fmt.Errorf("torchfile: --images: %w", err)
		}
	}
	if a.Data == "mnist" && (opt.Ann != "" || opt.Classes != cropset.DefaultTopK && opt.Classes != 10) {
		return nil, fmt.Errorf("torchfile: %s takes no COCO settings (it has 10 classes)", arch)
	}
	net, err := a.NewNet(opt.Classes, opt.Size)
	if err != nil {
		return nil, err
	}
	sd, err := Read(path)
	if err != nil {
		return nil, err
	}
	if err := Load(sd, net); err != nil {
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
		// The seed's COCO study: 5 epochs of SGD, lr 0.001.
		rc.Train = train.Config{Epochs: 5, Batch: 64, Optimizer: "sgd", LR: 1e-3, Momentum: 0.9, Seed: 1}
	}
	// The run is complete as imported: one epoch, the weights given.
	rc.Train.Epochs = 1
	return rundir.ImportRun(dir, rc, a.Model, net)
}

// exportConfig is config.json of an export, read by model.py.
type exportConfig struct {
	Arch    string    `json:"arch"`
	Classes int       `json:"classes"`
	Input   []int     `json:"input"` // C, H, W of the training inputs
	Mean    []float32 `json:"mean"`
	Std     []float32 `json:"std"`
	Run     string    `json:"run"`
	Model   string    `json:"model"`
	Epoch   int       `json:"epoch"`
}

// Export writes model name of run after epoch (0: the last) to dir as a
// PyTorch package: model.py (the net as a torch.nn.Module with the seed's
// names and load_model(folder)), weights.safetensors (keys as the seed's
// state dict), config.json, deformscope_capture.py and README.md. Every file
// is written atomically; dir is made if needed, and files of an earlier
// export there are replaced.
func Export(run *rundir.Run, name string, epoch int, dir string) (string, error) {
	net, epoch, err := run.LoadModel(name, epoch)
	if err != nil {
		return "", err
	}
	if err := CheckExportDir(dir, ExportFiles); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("torchfile: export: %w", err)
	}
	cfg := exportConfig{Arch: net.Arch, Classes: net.Classes, Input: []int{net.InC, net.InH, net.InW},
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
	if err := ckpt.Save(filepath.Join(dir, "weights.safetensors"), weights(net)); err != nil {
		return "", fmt.Errorf("torchfile: export: %w", err)
	}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	files := map[string][]byte{"config.json": append(b, '\n'), "README.md": []byte(readme(cfg))}
	for _, f := range []string{"model.py", "deformscope_capture.py"} {
		files[f], _ = python.ReadFile("python/" + f)
	}
	for f, b := range files {
		if err := atomicfile.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			return "", fmt.Errorf("torchfile: export: %w", err)
		}
	}
	return net.Arch, nil
}

// ExportFiles are the files Export writes.
var ExportFiles = []string{"weights.safetensors", "config.json", "README.md", "model.py", "deformscope_capture.py"}

// CheckExportDir refuses an export into dir that would replace files the export did not write: a run folder
// (`dcn export --out RUN` overwrote the run's config.json, and eval and resume then failed), or a folder holding
// any of files (a user's README.md) unless it is an earlier export (its config.json is an export's). Every
// export format checks its folder here.
func CheckExportDir(dir string, files []string) error {
	if _, err := os.Stat(filepath.Join(dir, "metrics.jsonl")); err == nil {
		return fmt.Errorf("torchfile: export: %s is a run folder: export into another folder", dir)
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
		var c exportConfig
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if dec.Decode(&c) == nil && c.Arch != "" && c.Model != "" && len(c.Input) == 3 {
			return nil // an earlier export: its files are ours to replace
		}
		if _, rerr := rundir.Open(dir); rerr == nil {
			return fmt.Errorf("torchfile: export: %s is a run folder: export into another folder", dir)
		}
	}
	return fmt.Errorf("torchfile: export: %s holds %s, which an export would replace, and is not an earlier export: "+
		"export into an empty or new folder", dir, strings.Join(found, ", "))
}

// weights returns net's parameters under the seed's state-dict keys.
func weights(net *model.Net[float32]) *ckpt.Checkpoint {
	c := &ckpt.Checkpoint{Meta: map[string]string{"arch": net.Arch}}
	for _, p := range net.Params() {
		c.Tensors = append(c.Tensors, ckpt.Tensor{Name: TorchName(p.Name), Shape: p.Value.Shape(), Data: p.Value.Data()})
	}
	return c
}

func readme(c exportConfig) string {
	norm := fmt.Sprintf("(pixel/255 − %v) / %v per channel", c.Mean, c.Std)
	return strings.NewReplacer("ARCH", c.Arch, "RUN", c.Run, "MODEL", c.Model, "EPOCH", fmt.Sprint(c.Epoch),
		"INPUT", fmt.Sprintf("%d×%d×%d", c.Input[0], c.Input[1], c.Input[2]), "NORM", norm).Replace(readmeText)
}

const readmeText = "# ARCH, exported from Deformscope\n\n" +
	"Model MODEL of the run RUN after epoch EPOCH, for PyTorch (needs only `torch` and `torchvision`).\n\n" +
	"```python\nimport sys; sys.path.insert(0, \"path/to/this/folder\")\nimport model\n" +
	"net = model.load_model(\"path/to/this/folder\")   # torch.nn.Module in eval mode, weights loaded\n" +
	"logits = net(x)                          # x: (B, C, H, W) float32, normalised\n```\n\n" +
	"Inputs are INPUT during training (the nets are fully convolutional up to their average pool), normalised as " +
	"NORM (`model.normalise(pixels, folder)` does it for pixels in [0, 1]). Deformscope resizes with its own bilinear " +
	"filter, so a picture resized by another library gives slightly different logits; on the same input tensor the " +
	"logits equal `dcn predict`'s within 1e-4.\n\n" +
	"Files: `model.py` (the net with the seed's names: `conv1`…, `fc`; a deformable layer is a `DeformableConv2d` " +
	"with `offset_conv`, `modulator_conv` and `regular_conv`, run by `torchvision.ops.deform_conv2d`), " +
	"`weights.safetensors` (the state dict, read by `model.py` itself), `config.json` (architecture, classes, " +
	"input size, normalisation) and `deformscope_capture.py`.\n\n" +
	"Train further at scale, then bring the weights back:\n\n" +
	"```python\ntorch.save(net.state_dict(), \"tuned.pt\")   # DistributedDataParallel's \"module.\" prefix is fine\n```\n" +
	"```sh\ndcn import --weights tuned.pt --arch ARCH --out runs/tuned\n```\n\n" +
	"Or record the deformable layers of any model for Deformscope's Offsets view:\n\n" +
	"```python\nimport deformscope_capture\ndeformscope_capture.capture(net, x[:1], \"capture.safetensors\")\n```\n"
