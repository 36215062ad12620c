// The PyTorch commands: dcn import (a run folder from a PyTorch state
// dict), dcn export (a PyTorch package or an ONNX file) and dcn predict (a
// model's logits, to set beside PyTorch's).

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/deformscope/deformscope/model/experiment"
	"github.com/deformscope/deformscope/model/inspect"
	"github.com/deformscope/deformscope/model/nn"
	"github.com/deformscope/deformscope/model/rundir"
	"github.com/deformscope/deformscope/model/runner"
	"github.com/deformscope/deformscope/model/torchfile"
)

// prediction is one input's result in dcn predict's output.
type prediction struct {
	Index  *int      `json:"index,omitempty"`
	Image  string    `json:"image,omitempty"`
	Label  *int      `json:"label,omitempty"`
	Logits []float32 `json:"logits"`
	Class  int       `json:"class"`
}

// predictOutput is dcn predict's JSON object.
type predictOutput struct {
	Model       string       `json:"model"`
	Arch        string       `json:"arch"`
	Epoch       int          `json:"epoch"`
	Predictions []prediction `json:"predictions"`
}

// parseRange reads "A:B" (test images A to B−1, as a Python slice) or "N".
func parseRange(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, ":")
	lo, err := strconv.Atoi(strings.TrimSpace(a))
	if err != nil || lo < 0 {
		return 0, 0, fmt.Errorf("--index %q: want N or A:B with 0 ≤ A < B", s)
	}
	if !ok {
		return lo, lo + 1, nil
	}
	hi, err := strconv.Atoi(strings.TrimSpace(b))
	if err != nil || hi <= lo {
		return 0, 0, fmt.Errorf("--index %q: want N or A:B with 0 ≤ A < B", s)
	}
	return lo, hi, nil
}

// pickModel returns the model flag, or the run's only model.
func pickModel(run *rundir.Run, m string) (string, error) {
	models := run.Config.Models
	if m == "" {
		if len(models) == 1 {
			return models[0], nil
		}
		return "", fmt.Errorf("the run in %s has models %s: choose one with --model", run.Dir, strings.Join(models, ", "))
	}
	if !slices.Contains(models, m) {
		return "", fmt.Errorf("the run in %s has no model %q (it has %s)", run.Dir, m, strings.Join(models, ", "))
	}
	return m, nil
}

// cmdPredict runs dcn predict: a model's logits and class for test images or an image file.
func cmdPredict(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dcn predict", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("run", "", "run folder (required)")
	name := fs.String("model", "", "model of the run (default: its only one)")
	epoch := fs.Int("epoch", 0, "epoch whose checkpoint to use (default: the last)")
	index := fs.String("index", "", "test images A:B (A to B−1) or N")
	img := fs.String("image", "", "a JPEG or PNG file, prepared as the test images are")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("--run is required")
	}
	if (*index == "") == (*img == "") {
		return fmt.Errorf("give exactly one of --index A:B and --image FILE")
	}
	run, err := rundir.Open(*dir)
	if err != nil {
		return err
	}
	m, err := pickModel(run, *name)
	if err != nil {
		return err
	}
	net, ep, err := run.LoadModel(m, *epoch)
	if err != nil {
		return err
	}
	out := predictOutput{Model: m, Arch: net.Arch, Epoch: ep}
	forward := func(in *inspect.Input) (prediction, error) {
		y, err := net.Infer(in.X)
		if err != nil {
			return prediction{}, err
		}
		logits := slices.Clone(y.Data())
		return prediction{Logits: logits, Class: nn.Argmax(logits)}, nil
	}
	if *img != "" {
		pic, err := inspect.ReadImage(*img)
		if err != nil {
			return err
		}
		in, err := inspect.PrepareImage(run.Config, pic, false)
		if err != nil {
			return err
		}
		p, err := forward(in)
		if err != nil {
			return err
		}
		p.Image = *img
		out.Predictions = append(out.Predictions, p)
	} else {
		lo, hi, err := parseRange(*index)
		if err != nil {
			return err
		}
		rc := run.Config
		rc.Limit, rc.Val, rc.Scales, rc.TestLimit = 1, 0, nil, 0
		d, err := experiment.LoadData(rc)
		if err != nil {
			return err
		}
		if hi > d.Test.N {
			return fmt.Errorf("--index %s: the test set has images 0 to %d", *index, d.Test.N-1)
		}
		for i := lo; i < hi; i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			in, err := inspect.TestInput(d.Test, i)
			if err != nil {
				return err
			}
			p, err := forward(in)
			if err != nil {
				return err
			}
			label := int(d.Test.Y[i])
			p.Index, p.Label = &i, &label
			out.Predictions = append(out.Predictions, p)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprintf(stdout, "%s (%s) after epoch %d\n", out.Model, out.Arch, out.Epoch)
	for _, p := range out.Predictions {
		what := p.Image
		if p.Index != nil {
			what = fmt.Sprintf("test image %d (label %d)", *p.Index, *p.Label)
		}
		fmt.Fprintf(stdout, "%s: class %d\n", what, p.Class)
	}
	return nil
}

// cmdImport runs dcn import: a run folder made from a PyTorch state dict.
func cmdImport(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dcn import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	weights := fs.String("weights", "", "PyTorch state dict: a torch.save .pt/.pth file or safetensors (required)")
	arch := fs.String("arch", "", "architecture: "+strings.Join(torchfile.Archs, ", ")+" (required)")
	out := fs.String("out", "", "run folder to create (required)")
	var opt runner.ImportOptions
	fs.IntVar(&opt.Classes, "classes", 0, "COCO nets: number of classes (default 10)")
	fs.IntVar(&opt.Size, "crop-size", 0, "COCO nets: input crop size (default 64)")
	fs.StringVar(&opt.Ann, "ann", "", "COCO nets: the instances file of the crop set, for evaluation (optional)")
	fs.StringVar(&opt.Images, "images", "", "COCO nets: its image folder (with --ann)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *weights == "" || *arch == "" || *out == "" {
		return fmt.Errorf("--weights, --arch and --out are required")
	}
	run, err := runner.Import(*weights, *arch, *out, opt)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %s as %s model %s in %s\n", *weights, *arch, run.Config.Models[0], run.Dir)
	return nil
}

// cmdExport runs dcn export: a model as a PyTorch package or an ONNX file.
func cmdExport(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dcn export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("run", "", "run folder (required)")
	name := fs.String("model", "", "model of the run (default: its only one)")
	epoch := fs.Int("epoch", 0, "epoch whose checkpoint to export (default: the last)")
	format := fs.String("format", "pytorch", "export format: pytorch (a folder) or onnx (one .onnx file)")
	out := fs.String("out", "", "folder (pytorch) or file (onnx) to write (required)")
	replace := fs.Bool("replace", false, "onnx: replace an existing file at --out (never a folder)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" || *out == "" {
		return fmt.Errorf("--run and --out are required")
	}
	if *format != "pytorch" && *format != "onnx" {
		return fmt.Errorf("--format %q: want pytorch or onnx", *format)
	}
	if *replace && *format != "onnx" {
		return fmt.Errorf("--replace replaces an .onnx file: it needs --format onnx (a pytorch export is a new folder)")
	}
	run, err := rundir.Open(*dir)
	if err != nil {
		return err
	}
	m, err := pickModel(run, *name)
	if err != nil {
		return err
	}
	if *format == "onnx" {
		return exportONNX(run, m, *epoch, *out, *replace, stdout)
	}
	arch, err := runner.Export(run, m, *epoch, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%s) to %s: model.py, weights.safetensors, config.json, README.md\n", m, arch, *out)
	return nil
}
