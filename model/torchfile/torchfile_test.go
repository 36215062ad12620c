package torchfile

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model/nn"
)

// fixture is one architecture's reference case written by
// model/testdata/make_bridge.py.
type fixture struct {
	Arch    string `json:"arch"`
	Classes int    `json:"classes"`
	Size    int    `json:"size"`
	Indices []int  `json:"indices"`
	Input   struct {
		Shape []int     `json:"shape"`
		Data  []float32 `json:"data"`
	} `json:"input"`
	Logits struct {
		Shape []int     `json:"shape"`
		Data  []float64 `json:"data"`
	} `json:"logits"`
}

func readFixture(t *testing.T, arch string) fixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", arch+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestImportLogits loads each fixture state dict, from .pt and from
// safetensors, and checks our forward pass against PyTorch's logits.
func TestImportLogits(t *testing.T) {
	for _, arch := range []string{"mnist-cnn", "mnist-dcnn", "mnist-dcnn-v1", "coco-dcnn-middle"} {
		for _, ext := range []string{".pt", ".safetensors"} {
			t.Run(arch+ext, func(t *testing.T) {
				fx := readFixture(t, arch)
				sd, err := Read(filepath.Join("testdata", arch+ext))
				if err != nil {
					t.Fatal(err)
				}
				a, err := ParseArch(arch)
				if err != nil {
					t.Fatal(err)
				}
				net, err := a.NewNet(fx.Classes, fx.Size)
				if err != nil {
					t.Fatal(err)
				}
				if err := Load(sd, net); err != nil {
					t.Fatal(err)
				}
				x, err := nn.FromSlice(fx.Input.Data, fx.Input.Shape...)
				if err != nil {
					t.Fatal(err)
				}
				y, err := net.Forward(x, false)
				if err != nil {
					t.Fatal(err)
				}
				got := y.Data()
				if len(got) != len(fx.Logits.Data) {
					t.Fatalf("%d logits, want %d", len(got), len(fx.Logits.Data))
				}
				worst := 0.0
				for i, v := range got {
					worst = math.Max(worst, math.Abs(float64(v)-fx.Logits.Data[i]))
				}
				t.Logf("largest difference from PyTorch: %.3g", worst)
				// The bound: equal to PyTorch's within 1e-4.
				if worst > 1e-4 {
					t.Errorf("logits differ from PyTorch's by up to %.3g", worst)
				}
			})
		}
	}
}

func TestBadStateDicts(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "mnist-dcnn.pt"))
	if err != nil {
		t.Fatal(err)
	}
	goodST, err := os.ReadFile(filepath.Join("testdata", "mnist-dcnn.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	evil, err := os.ReadFile(filepath.Join("testdata", "evil.pt"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"truncated pt", good[:len(good)/2], "truncated"},
		{"truncated pt tail", good[:len(good)-30], "truncated"},
		{"truncated safetensors", goodST[:len(goodST)-100], "truncated"},
		{"evil pickle", evil, "forbidden callable: posix.system"},
		{"empty", nil, "not a PyTorch state dict"},
		{"text", []byte("hello, world, this is no tensor"), "not a PyTorch state dict"},
		{"legacy pickle", []byte("\x80\x02}q\x00."), "legacy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.data, c.name+".pt")
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.name) {
				t.Errorf("error %q does not name the file and %q", err, c.want)
			}
		})
	}
	_, err = Parse(evil, "evil.pt")
	if !errors.Is(err, ErrForbidden) {
		t.Errorf("evil pickle: %v does not wrap ErrForbidden", err)
	}
}

// TestLoadWrongNet checks that a state dict of another net, or of another of
// our architectures, is refused with the keys named.
func TestLoadWrongNet(t *testing.T) {
	cases := []struct {
		file, arch string
		want       []string
	}{
		{"other_net.pt", "mnist-cnn", []string{"missing keys: conv1.weight", "unexpected keys: 0.weight"}},
		{"mnist-cnn.pt", "mnist-dcnn", []string{"missing keys: conv4.offset_conv.weight", "unexpected keys: conv4.weight"}},
		{"mnist-dcnn.safetensors", "mnist-dcnn-v1", []string{"unexpected keys: conv4.modulator_conv.weight"}},
		{"mnist-dcnn.pt", "coco-dcnn-middle", []string{"conv1.weight has shape [32 1 3 3], coco-dcnn-middle needs [32 3 3 3]"}},
	}
	for _, c := range cases {
		t.Run(c.file+"→"+c.arch, func(t *testing.T) {
			sd, err := Read(filepath.Join("testdata", c.file))
			if err != nil {
				t.Fatal(err)
			}
			a, _ := ParseArch(c.arch)
			net, err := a.NewNet(10, 32)
			if err != nil {
				t.Fatal(err)
			}
			err = Load(sd, net)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, p := range net.Params() {
				for _, v := range p.Value.Data() {
					if v != 0 {
						t.Fatalf("a refused state dict changed %s", p.Name)
					}
				}
			}
		})
	}
}

func TestParseArch(t *testing.T) {
	for _, name := range Archs {
		a, err := ParseArch(name)
		if err != nil {
			t.Fatal(err)
		}
		net, err := a.NewNet(5, 16)
		if err != nil {
			t.Fatal(err)
		}
		if net.Arch != name {
			t.Errorf("%s builds %s", name, net.Arch)
		}
	}
	if _, err := ParseArch("resnet50"); err == nil {
		t.Error("resnet50 accepted")
	}
}

func FuzzParse(f *testing.F) {
	// Small seeds: the fuzzer mutates faster on them.
	for _, name := range []string{"evil.pt", "other_net.pt", "other_net.safetensors"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// The #26 pass's hostile files: recursion, 2^45 lengths, strides near 2^63, float16 NaN, a zip
	// bomb.
	for _, c := range hostilePT(f) {
		f.Add(c.data)
	}
	// One storage under many keys (copied once per key before).
	f.Add(ptArchive(f, manyViews(8, 64, false), map[string][]byte{"0": make([]byte, 4*64)}, zip.Store))
	f.Fuzz(func(t *testing.T, b []byte) {
		sd, err := Parse(b, "fuzz")
		if err == nil && len(sd.Tensors) == 0 {
			t.Fatal("an empty state dict accepted")
		}
	})
}
