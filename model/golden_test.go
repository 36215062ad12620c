package model

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/nn"
	"github.com/deformscope/deformscope/model/optim"
)

// goldenTensor is a tensor in the reference-case format of
// ../shared/golden/README.md.
type goldenTensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

type goldenCase struct {
	Name         string                   `json:"name"`
	Op           string                   `json:"op"`
	Stride       [2]int                   `json:"stride"`
	Padding      [2]int                   `json:"padding"`
	Dilation     [2]int                   `json:"dilation"`
	OffsetGroups int                      `json:"offset_groups"`
	Input        *goldenTensor            `json:"input"`
	Weight       *goldenTensor            `json:"weight"`
	Bias         *goldenTensor            `json:"bias"`
	Offset       *goldenTensor            `json:"offset"`
	Mask         *goldenTensor            `json:"mask"`
	Output       *goldenTensor            `json:"output"`
	GradOutput   *goldenTensor            `json:"grad_output"`
	GradInput    *goldenTensor            `json:"grad_input"`
	GradWeight   *goldenTensor            `json:"grad_weight"`
	GradBias     *goldenTensor            `json:"grad_bias"`
	GradOffset   *goldenTensor            `json:"grad_offset"`
	GradMask     *goldenTensor            `json:"grad_mask"`
	Deformable   bool                     `json:"deformable"`
	DCNv1        bool                     `json:"dcnv1"`
	Target       []int                    `json:"target"`
	Params       map[string]*goldenTensor `json:"params"`
	Logits       *goldenTensor            `json:"logits"`
	Loss         float64                  `json:"loss"`
	Grads        map[string]*goldenTensor `json:"grads"`
	ParamsAfter  map[string]*goldenTensor `json:"params_after_adam_step"`
}

// goldenDirs lists the folders of reference cases: our own, the shared
// ones beside the checkout, and DCN_GOLDEN_DIR.
func goldenDirs(t *testing.T) []string {
	dirs := []string{filepath.Join("testdata", "golden")}
	if _, err := os.Stat(filepath.Join("..", "..", "shared", "golden")); err == nil {
		dirs = append(dirs, filepath.Join("..", "..", "shared", "golden"))
	} else {
		t.Logf("../shared/golden not found; running the repository's own cases only")
	}
	if d := os.Getenv("DCN_GOLDEN_DIR"); d != "" {
		dirs = append(dirs, d)
	}
	return dirs
}

func loadGolden(path string) (*goldenCase, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c goldenCase
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

func toTensor[T nn.Float](g *goldenTensor) *nn.Tensor[T] {
	if g == nil {
		return nil
	}
	d := make([]T, len(g.Data))
	for i, v := range g.Data {
		d[i] = T(v)
	}
	t, err := nn.FromSlice(d, g.Shape...)
	if err != nil {
		panic(err)
	}
	return t
}

// compare checks got against a reference tensor: float64 within 1e-9
// (absolute, or relative for values above 1); float32 within 1e-4 relative
// in the max norm, |got−want| ≤ 1e-4·max|want| for every element, since
// single-precision rounding of a sum is relative to its summands, not to
// its result, and Adam's first step divides a gradient by its own size.
func compare[T nn.Float](what string, got []T, gotShape []int, want *goldenTensor) error {
	if want == nil {
		if got != nil {
			return fmt.Errorf("%s: reference is null but engine produced a tensor", what)
		}
		return nil
	}
	if got == nil {
		return fmt.Errorf("%s: engine produced no tensor", what)
	}
	if gotShape != nil && !slices.Equal(gotShape, want.Shape) {
		return fmt.Errorf("%s: shape %v, want %v", what, gotShape, want.Shape)
	}
	if len(got) != len(want.Data) {
		return fmt.Errorf("%s: %d values, want %d", what, len(got), len(want.Data))
	}
	var zero T
	single := any(zero) == any(float32(0))
	var scale float64
	for _, v := range want.Data {
		scale = max(scale, math.Abs(v))
	}
	for i, w := range want.Data {
		g := float64(got[i])
		var tol float64
		if single {
			tol = 1e-4 * scale
		} else {
			tol = 1e-9 * max(1, math.Abs(w))
		}
		if !(math.Abs(g-w) <= tol) {
			return fmt.Errorf("%s: element %d is %.12g, want %.12g (|diff| %.3g > tolerance %.3g)", what, i, g, w, math.Abs(g-w), tol)
		}
	}
	return nil
}

func TestGolden(t *testing.T) {
	var files []string
	for _, d := range goldenDirs(t) {
		m, err := filepath.Glob(filepath.Join(d, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(m) == 0 {
			t.Errorf("no reference cases (*.json) in %s", d)
		}
		files = append(files, m...)
	}
	for _, f := range files {
		c, err := loadGolden(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		name := filepath.Base(filepath.Dir(f)) + "/" + c.Name
		t.Run(name+"/float64", func(t *testing.T) { runGolden[float64](t, c) })
		t.Run(name+"/float32", func(t *testing.T) { runGolden[float32](t, c) })
	}
}

func runGolden[T nn.Float](t *testing.T, c *goldenCase) {
	for _, err := range checkCase[T](c) {
		t.Error(err)
	}
}

// checkCase runs one reference case and returns one error per tensor that
// disagrees, each naming the case and the tensor.
func checkCase[T nn.Float](c *goldenCase) []error {
	var errs []error
	switch c.Op {
	case "deform_conv2d":
		errs = runDeformCase[T](c)
	case "mnist_net":
		errs = runNetCase[T](c)
	default:
		errs = []error{fmt.Errorf("unknown op %q", c.Op)}
	}
	for i, err := range errs {
		errs[i] = fmt.Errorf("case %s: %w", c.Name, err)
	}
	return errs
}

// A folder of cases with one wrong number must fail, and the failure must
// name the case and the tensor.
func TestGoldenCatchesOneWrongNumber(t *testing.T) {
	for _, f := range []struct{ file, tensor string }{
		{"stride2_dilation2.json", "grad_offset"},
		{"v1_groups2_no_bias.json", "grad_input"},
		{"mnist_dcnn_v1.json", "grad of conv4.offset.weight"},
	} {
		c, err := loadGolden(filepath.Join("testdata", "golden", f.file))
		if err != nil {
			t.Fatal(err)
		}
		if errs := checkCase[float64](c); len(errs) != 0 {
			t.Fatalf("%s fails before the change: %v", f.file, errs)
		}
		switch f.tensor {
		case "grad_offset":
			c.GradOffset.Data[17] += 1e-7
		case "grad_input":
			c.GradInput.Data[3] *= 1.000001
		default:
			c.Grads["conv4.offset.weight"].Data[5] -= 1e-6
		}
		errs := checkCase[float64](c)
		if len(errs) != 1 {
			t.Fatalf("%s with one wrong number: %d errors, want 1: %v", f.file, len(errs), errs)
		}
		if msg := errs[0].Error(); !strings.Contains(msg, c.Name) || !strings.Contains(msg, f.tensor) {
			t.Errorf("error %q does not name the case %q and the tensor %q", msg, c.Name, f.tensor)
		}
	}
}

func runDeformCase[T nn.Float](c *goldenCase) []error {
	ws := c.Weight.Shape
	cfg := nn.Conv2DConfig{In: ws[1], Out: ws[0], Kernel: [2]int{ws[2], ws[3]}, Stride: c.Stride, Padding: c.Padding,
		Dilation: c.Dilation, NoBias: c.Bias == nil}
	d, err := nn.NewDeformConv2D[T]("dcn", cfg, c.OffsetGroups, nil)
	if err != nil {
		return []error{err}
	}
	copy(d.Weight.Value.Data(), toTensor[T](c.Weight).Data())
	if c.Bias != nil {
		copy(d.Bias.Value.Data(), toTensor[T](c.Bias).Data())
	}
	y, err := d.Forward(toTensor[T](c.Input), toTensor[T](c.Offset), toTensor[T](c.Mask))
	if err != nil {
		return []error{err}
	}
	errs := []error{compare("output", y.Data(), y.Shape(), c.Output)}
	dx, doff, dmask, err := d.Backward(toTensor[T](c.GradOutput))
	if err != nil {
		return append(errs, err)
	}
	var gb []T
	if d.Bias != nil {
		gb = d.Bias.Grad.Data()
	}
	var dm []T
	var dmShape []int
	if dmask != nil {
		dm, dmShape = dmask.Data(), dmask.Shape()
	}
	errs = append(errs,
		compare("grad_input", dx.Data(), dx.Shape(), c.GradInput),
		compare("grad_weight", d.Weight.Grad.Data(), d.Weight.Grad.Shape(), c.GradWeight),
		compare("grad_bias", gb, nil, c.GradBias),
		compare("grad_offset", doff.Data(), doff.Shape(), c.GradOffset),
		compare("grad_mask", dm, dmShape, c.GradMask))
	return slices.DeleteFunc(errs, func(e error) bool { return e == nil })
}

func runNetCase[T nn.Float](c *goldenCase) []error {
	net, err := NewMNISTNet[T](MNISTConfig{Deformable: c.Deformable, DCNv1: c.DCNv1}, nil)
	if err != nil {
		return []error{err}
	}
	ps := net.Params()
	if len(ps) != len(c.Params) {
		return []error{fmt.Errorf("net has %d parameters, case has %d", len(ps), len(c.Params))}
	}
	for _, p := range ps {
		g, ok := c.Params[p.Name]
		if !ok {
			return []error{fmt.Errorf("case has no parameter %s", p.Name)}
		}
		if !p.Value.SameShape(g.Shape...) {
			return []error{fmt.Errorf("parameter %s: shape %v, case has %v", p.Name, p.Value.Shape(), g.Shape)}
		}
		copy(p.Value.Data(), toTensor[T](g).Data())
	}
	logits, err := net.Forward(toTensor[T](c.Input), true)
	if err != nil {
		return []error{err}
	}
	errs := []error{compare("logits", logits.Data(), logits.Shape(), c.Logits)}
	grad := nn.New[T](logits.Shape()...)
	loss, err := nn.CrossEntropy(logits, c.Target, grad)
	if err != nil {
		return append(errs, err)
	}
	errs = append(errs, compare("loss", []T{T(loss)}, nil, &goldenTensor{Data: []float64{c.Loss}}))
	if err := net.Backward(grad); err != nil {
		return append(errs, err)
	}
	for _, p := range ps {
		errs = append(errs, compare("grad of "+p.Name, p.Grad.Data(), p.Grad.Shape(), c.Grads[p.Name]))
	}
	opt, err := optim.NewAdam(ps, optim.AdamConfig{LR: 1e-3})
	if err != nil {
		return append(errs, err)
	}
	opt.Step()
	for _, p := range ps {
		errs = append(errs, compare("Adam step of "+p.Name, p.Value.Data(), p.Value.Shape(), c.ParamsAfter[p.Name]))
	}
	return slices.DeleteFunc(errs, func(e error) bool { return e == nil })
}
