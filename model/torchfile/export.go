package torchfile

import (
	"embed"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/deformscope/deformscope/internal/atomicfile"
	"github.com/deformscope/deformscope/model"
	"github.com/deformscope/deformscope/model/ckpt"
)

// python holds model.py and deformscope_capture.py, which an export
// carries.
//
//go:embed python/model.py python/deformscope_capture.py
var python embed.FS

// ExportConfig is config.json of an export, read by model.py.
type ExportConfig struct {
	Arch    string    `json:"arch"`
	Classes int       `json:"classes"`
	Input   []int     `json:"input"` // C, H, W of the training inputs
	Mean    []float32 `json:"mean"`
	Std     []float32 `json:"std"`
	Run     string    `json:"run"`
	Model   string    `json:"model"`
	Epoch   int       `json:"epoch"`
}

// ExportFiles are the files WriteExport writes.
var ExportFiles = []string{"weights.safetensors", "config.json", "README.md", "model.py", "deformscope_capture.py"}

// WriteExport writes net to dir, which must exist, as a PyTorch package
// described by cfg: weights.safetensors (keys as the course study's state
// dict), config.json, README.md, model.py and deformscope_capture.py. Every
// file is written atomically; files of an earlier export there are replaced.
func WriteExport(dir string, net *model.Net[float32], cfg ExportConfig) error {
	if err := ckpt.Save(filepath.Join(dir, "weights.safetensors"), weights(net)); err != nil {
		return fmt.Errorf("torchfile: export: %w", err)
	}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	files := map[string][]byte{"config.json": append(b, '\n'), "README.md": []byte(readme(cfg))}
	for _, f := range []string{"model.py", "deformscope_capture.py"} {
		files[f], _ = python.ReadFile("python/" + f)
	}
	for f, b := range files {
		if err := atomicfile.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			return fmt.Errorf("torchfile: export: %w", err)
		}
	}
	return nil
}

// weights returns net's parameters under the course study's state-dict keys.
func weights(net *model.Net[float32]) *ckpt.Checkpoint {
	c := &ckpt.Checkpoint{Meta: map[string]string{"arch": net.Arch}}
	for _, p := range net.Params() {
		c.Tensors = append(c.Tensors, ckpt.Tensor{Name: TorchName(p.Name), Shape: p.Value.Shape(), Data: p.Value.Data()})
	}
	return c
}

func readme(c ExportConfig) string {
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
