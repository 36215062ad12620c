package main

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/deformscope/deformscope/model"
)

func TestParseAnchors(t *testing.T) {
	torch := []struct {
		in   string
		want map[int]float64
	}{
		{"7 0.97\n14 3.35\n", map[int]float64{7: 0.97, 14: 3.35}},
		{"Traceback (most recent call last):\n  File x\nModuleNotFoundError: No module named 'torch'\n", map[int]float64{}},
		{"7 NaN\n14 -1\n0 2\nx 1\n7 1 2\n", map[int]float64{}},
		{"", map[int]float64{}},
	}
	for _, c := range torch {
		got := parseTorchAnchor(c.in)
		if len(got) != len(c.want) {
			t.Errorf("parseTorchAnchor(%q) = %v, want %v", c.in, got, c.want)
			continue
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("parseTorchAnchor(%q)[%d] = %v, want %v", c.in, k, got[k], v)
			}
		}
	}
	ort := []struct {
		in   string
		want map[string]float64
	}{
		{"ort conv B64 C32 7x7 threads 2: median 0.540 ms min 0.520 ms\nort dcn B64 C32 7x7 threads 2: median 2.700 ms min 2.640 ms\n",
			map[string]float64{"conv": 0.54, "dcn": 2.7}},
		{"Error: Cannot find module 'onnxruntime-node'\n", map[string]float64{}},
		{"ort conv B64 C32 7x7 threads 2: median Inf ms\nort conv B64 C32 7x7 threads 2: mean 1 ms min\nort x\n", map[string]float64{}},
	}
	for _, c := range ort {
		got := parseORTAnchor(c.in)
		if len(got) != len(c.want) {
			t.Errorf("parseORTAnchor(%q) = %v, want %v", c.in, got, c.want)
			continue
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("parseORTAnchor(%q)[%q] = %v, want %v", c.in, k, got[k], v)
			}
		}
	}
}

func TestParseTorchCOCOAnchor(t *testing.T) {
	for _, c := range []struct {
		in   string
		want map[string]float64
	}{
		{"conv1 12.500 ms\nconv2 42.013 ms\nconv3 14.8 ms\nconv4 28.1 ms\nconv5 12.3 ms\nconv6 23.5 ms\n",
			map[string]float64{"conv1": 12.5, "conv2": 42.013, "conv3": 14.8, "conv4": 28.1, "conv5": 12.3, "conv6": 23.5}},
		// A warning line before the figures, and CRLF line ends.
		{"/usr/lib/python3/dist-packages/torch/x.py:1: UserWarning: w\r\nconv2 42.0 ms\r\n", map[string]float64{"conv2": 42}},
		{"Traceback (most recent call last):\nModuleNotFoundError: No module named 'torch'\n", map[string]float64{}},
		// Not a convolution of the net, no unit, other units, not numbers, not positive, not
		// finite, too many fields.
		{"conv7 1.0 ms\nfc 1.0 ms\nconv1 1.0\nconv1 1.0 s\nconv1 x ms\nconv2 0 ms\nconv3 -1 ms\nconv4 NaN ms\nconv5 Inf ms\nconv6 1e300 ms\nconv1 1 ms extra\n",
			map[string]float64{}},
		{"", map[string]float64{}},
		{"\x00\xff conv1 1 ms", map[string]float64{}},
	} {
		got := parseTorchCOCOAnchor(c.in)
		if len(got) != len(c.want) {
			t.Errorf("parseTorchCOCOAnchor(%q) = %v, want %v", c.in, got, c.want)
			continue
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("parseTorchCOCOAnchor(%q)[%q] = %v, want %v", c.in, k, got[k], v)
			}
		}
	}
}

func TestLastLine(t *testing.T) {
	for in, want := range map[string]string{
		"Traceback (most recent call last):\n  File \"<string>\", line 1\nModuleNotFoundError: No module named 'torch'\n": "ModuleNotFoundError: No module named 'torch'",
		"":                       "",
		"one":                    "one",
		"a\n\n\n":                "a",
		strings.Repeat("x", 300): strings.Repeat("x", 200) + "…",
	} {
		if got := lastLine(in); got != want {
			t.Errorf("lastLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseAnchors(f *testing.F) {
	f.Add("7 0.97\n14 3.35\n")
	f.Add("ort conv B64 C32 7x7 threads 2: median 0.540 ms min 0.520 ms\n")
	f.Add("conv1 12.500 ms\nconv6 23.5 ms\n")
	f.Fuzz(func(t *testing.T, s string) {
		for k, v := range parseTorchCOCOAnchor(s) {
			if !validMS(v) || !slices.Contains(model.COCOConvs, k) {
				t.Fatalf("torch COCO: %q %v accepted", k, v)
			}
		}
		for _, v := range parseTorchAnchor(s) {
			if !validMS(v) {
				t.Fatalf("torch: %v accepted", v)
			}
		}
		for _, v := range parseORTAnchor(s) {
			if !validMS(v) {
				t.Fatalf("ort: %v accepted", v)
			}
		}
	})
}

// TestRunTorchFails checks that a peer script that fails gives a note
// naming the fault and how to install torch, not figures.
func TestRunTorchFails(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		if _, err := exec.LookPath("python3"); err != nil {
			t.Skip("no python3")
		}
	}
	out, note := runTorch(context.Background(), "import sys\nprint('partial')\nraise SystemExit('ModuleNotFoundError: no torch here')", 1, 1)
	if out != "" || !strings.Contains(note, "no torch here") || !strings.Contains(note, "apt-get install python3-torch") {
		t.Errorf("runTorch = %q, %q: want no output and a note naming the fault and the install", out, note)
	}
	if ms := parseTorchCOCOAnchor(out); len(ms) != 0 {
		t.Errorf("figures from a failed run: %v", ms)
	}
}
