package main

import (
	"testing"
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

func FuzzParseAnchors(f *testing.F) {
	f.Add("7 0.97\n14 3.35\n")
	f.Add("ort conv B64 C32 7x7 threads 2: median 0.540 ms min 0.520 ms\n")
	f.Fuzz(func(t *testing.T, s string) {
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
