package main

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deformscope/deformscope/viz"
)

// TestDemoWindowE2E builds the real binary, runs it with --demo under Xvfb,
// and takes screenshots with ImageMagick until training has drawn curves in
// both models' colours. It needs cgo, Xvfb and ImageMagick's import, and
// runs only with DEFORMSCOPE_E2E=1; DEFORMSCOPE_E2E_SHOT names a file to
// keep the last screenshot in.
func TestDemoWindowE2E(t *testing.T) {
	if os.Getenv("DEFORMSCOPE_E2E") != "1" {
		t.Skip("end-to-end test: set DEFORMSCOPE_E2E=1 to build and run the real window under Xvfb")
	}
	for _, tool := range []string{"Xvfb", "import", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("end-to-end test needs %s on PATH (apt install xvfb imagemagick): %v", tool, err)
		}
	}
	if out, err := exec.Command("go", "env", "CGO_ENABLED").Output(); err != nil || strings.TrimSpace(string(out)) != "1" {
		t.Skip("end-to-end test needs cgo for Fyne's GL driver")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "deformscope")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// The app as people build it: no end-to-end script hook.
	if hasScriptHook(t, bin) {
		t.Error("built without the e2e tag, the app holds the script hook (DEFORMSCOPE_SCRIPT)")
	}

	display := startXvfb(t)
	cache, config := filepath.Join(tmp, "cache"), filepath.Join(tmp, "config")
	// A home of its own, so that the runs land in tmp/Deformscope/runs (the
	// app's visible default); the module cache, where MNIST lives, stays.
	home := filepath.Join(tmp, "home")
	modcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	app := exec.Command(bin, "--demo")
	app.Env = append(os.Environ(), "DISPLAY="+display, "LANG=en_US.UTF-8",
		"XDG_CACHE_HOME="+cache, "XDG_CONFIG_HOME="+config, "HOME="+home,
		"GOMODCACHE="+strings.TrimSpace(string(modcache)))
	app.Stdout, app.Stderr = &logs, &logs
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var exitErr error
	go func() {
		exitErr = app.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = app.Process.Kill()
		<-exited
	})

	shot := filepath.Join(tmp, "shot.png")
	deadline := time.Now().Add(5 * time.Minute)
	var blue, orange int
	for {
		select {
		case <-exited:
			t.Fatalf("the app exited early (%v):\n%s", exitErr, logs.String())
		case <-time.After(3 * time.Second):
		}
		trained := bothTrained(filepath.Join(home, "Deformscope", "runs"))
		img, err := screenshot(display, shot)
		if err != nil {
			t.Fatal(err)
		}
		if uniform(img) {
			if time.Now().After(deadline) {
				t.Fatalf("the screen stays uniform: no window drawn\n%s", logs.String())
			}
			continue
		}
		blue = countNear(img, viz.ModelColor("cnn"))
		orange = countNear(img, viz.ModelColor("dcnn"))
		// The legend swatches alone hold about 200 pixels of each colour;
		// the curves add many more.
		if trained && blue > 400 && orange > 400 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no curves after 5 minutes: both models trained an epoch: %v; %d CNN-blue and %d DCNN-orange pixels\n%s",
				trained, blue, orange, logs.String())
		}
	}
	t.Logf("window drawn with %d CNN-blue and %d DCNN-orange pixels", blue, orange)
	if keep := os.Getenv("DEFORMSCOPE_E2E_SHOT"); keep != "" {
		b, err := os.ReadFile(shot)
		if err == nil {
			err = os.WriteFile(keep, b, 0o644)
		}
		if err != nil {
			t.Errorf("keeping the screenshot: %v", err)
		}
	}
	if strings.Contains(logs.String(), "panic") {
		t.Errorf("the app logged a panic:\n%s", logs.String())
	}
}

// bothTrained reports whether a run under runs has recorded an epoch of
// each model.
func bothTrained(runs string) bool {
	files, _ := filepath.Glob(filepath.Join(runs, "*", "metrics.jsonl"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil && bytes.Contains(b, []byte(`"model":"cnn"`)) && bytes.Contains(b, []byte(`"model":"dcnn"`)) {
			return true
		}
	}
	return false
}

// syncBuffer collects the app's output, written by exec's copying
// goroutines while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startXvfb starts a virtual X server on a free display and returns its
// name; the server stops when the test ends.
func startXvfb(t *testing.T) string {
	t.Helper()
	return startXvfbSized(t, "1400x900x24")
}

// startXvfbSized is startXvfb with a screen of the given geometry
// (WIDTHxHEIGHTxDEPTH).
func startXvfbSized(t *testing.T, screen string) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	x := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", screen, "-nolisten", "tcp")
	x.ExtraFiles = []*os.File{w}
	if err := x.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() {
		_ = x.Process.Kill()
		_ = x.Wait()
	})
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		r.Close()
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if n == "" {
			t.Fatal("Xvfb did not report its display")
		}
		return ":" + n
	case <-time.After(30 * time.Second):
		t.Fatal("Xvfb did not start within 30 s")
	}
	return ""
}

// screenshot captures the whole screen of display into path and decodes it.
func screenshot(display, path string) (image.Image, error) {
	cmd := exec.Command("import", "-display", display, "-window", "root", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("import: %v: %s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return png.Decode(f)
}

// uniform reports whether every pixel of img has the same colour.
func uniform(img image.Image) bool {
	b := img.Bounds()
	r0, g0, b0, _ := img.At(b.Min.X, b.Min.Y).RGBA()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			if r, g, bl, _ := img.At(x, y).RGBA(); r != r0 || g != g0 || bl != b0 {
				return false
			}
		}
	}
	return true
}

// countNear counts the pixels within a small distance of c.
func countNear(img image.Image, c color.NRGBA) int {
	const tol = 24
	near := func(a uint32, b uint8) bool {
		d := int(a>>8) - int(b)
		return d >= -tol && d <= tol
	}
	n := 0
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if near(r, c.R) && near(g, c.G) && near(b, c.B) {
				n++
			}
		}
	}
	return n
}
