//go:build !amd64

package nn

func kernelSet() string { return "Go (no assembly off amd64)" }
