package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deformscope/deformscope/viz"
)

// TestPackageRunsWithoutGo unpacks the archive `bash .ci/package` writes
// (dist/Deformscope.tar.xz, or the file DEFORMSCOPE_PACKAGE names) into an
// empty folder and runs its binary the way a person who installed it would:
// a PATH without Go, a fresh HOME without a module cache, under Xvfb with
// --demo. The window must draw, MNIST must come from the binary itself, and
// training must start (both models' per-step loss curves on screen). It
// runs only with DEFORMSCOPE_PACKAGE=1 (.ci/test builds the archive first).
func TestPackageRunsWithoutGo(t *testing.T) {
	if os.Getenv("DEFORMSCOPE_PACKAGE") != "1" {
		t.Skip("package test: run `bash .ci/package`, then set DEFORMSCOPE_PACKAGE=1")
	}
	for _, tool := range []string{"Xvfb", "import", "tar"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("package test needs %s on PATH (apt install xvfb imagemagick): %v", tool, err)
		}
	}
	archive := os.Getenv("DEFORMSCOPE_PACKAGE_ARCHIVE")
	if archive == "" {
		archive = filepath.Join("..", "..", "dist", "Deformscope.tar.xz")
	}
	if _, err := os.Stat(archive); err != nil {
		t.Fatalf("no package to test (run `bash .ci/package` first): %v", err)
	}
	root := t.TempDir()
	if out, err := exec.Command("tar", "-xJf", archive, "-C", root).CombinedOutput(); err != nil {
		t.Fatalf("unpacking %s: %v\n%s", archive, err, out)
	}
	// fyne's Linux archive: a folder named after the binary, with the
	// install Makefile and the files named by the app ID.
	const id = "io.github.deformscope.deformscope"
	top := filepath.Join(root, "deformscope")
	bin := filepath.Join(top, "usr", "local", "bin", "deformscope")
	desktopFile := filepath.Join(top, "usr", "local", "share", "applications", id+".desktop")
	for _, f := range []string{bin, desktopFile, filepath.Join(top, "usr", "local", "share", "pixmaps", id+".png"), filepath.Join(top, "Makefile")} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("the package lacks %s: %v", strings.TrimPrefix(f, root+"/"), err)
		}
	}
	desktop, _ := os.ReadFile(desktopFile)
	if !strings.Contains(string(desktop), "Exec=deformscope") || !strings.Contains(string(desktop), "Name=Deformscope") {
		t.Errorf("the .desktop entry does not run deformscope:\n%s", desktop)
	}

	// A PATH with the system's tools but no go, and an empty HOME: no
	// module cache, no GOPATH, no settings from an earlier run.
	home := t.TempDir()
	var path []string
	for _, d := range []string{"/usr/bin", "/bin"} {
		if _, err := os.Stat(filepath.Join(d, "go")); err == nil {
			t.Skipf("%s holds a go command; the test needs a PATH without one", d)
		}
		path = append(path, d)
	}
	display := startXvfb(t)
	var logs syncBuffer
	app := exec.Command(bin, "--demo")
	app.Dir = home
	app.Env = []string{"DISPLAY=" + display, "LANG=en_US.UTF-8", "HOME=" + home, "PATH=" + strings.Join(path, ":")}
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

	shot := filepath.Join(t.TempDir(), "shot.png")
	mnist := filepath.Join(home, ".cache", "deformscope", "mnist")
	// A fresh home has no Documents folder: runs land in ~/Deformscope/runs.
	runs := filepath.Join(home, "Deformscope", "runs")
	deadline := time.Now().Add(4 * time.Minute)
	var blue, orange int
	for {
		select {
		case <-exited:
			t.Fatalf("the app exited early (%v):\n%s", exitErr, logs.String())
		case <-time.After(3 * time.Second):
		}
		img, err := screenshot(display, shot)
		if err != nil {
			t.Fatal(err)
		}
		unpacked, _ := filepath.Glob(filepath.Join(mnist, "*.gz"))
		started, _ := filepath.Glob(filepath.Join(runs, "*", "config.json"))
		if !uniform(img) {
			blue = countNear(img, viz.ModelColor("cnn"))
			orange = countNear(img, viz.ModelColor("dcnn"))
			// The legend swatches alone hold about 200 pixels of each
			// colour; the per-step loss curves add more.
			if len(unpacked) == 4 && len(started) == 1 && blue > 400 && orange > 400 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 4 minutes: window drawn %v, %d MNIST files unpacked in %s, %d runs started, "+
				"%d CNN-blue and %d DCNN-orange pixels\n%s", !uniform(img), len(unpacked), mnist, len(started), blue, orange, logs.String())
		}
	}
	t.Logf("the packaged app trains without Go: %d CNN-blue and %d DCNN-orange pixels", blue, orange)
	if keep := os.Getenv("DEFORMSCOPE_PACKAGE_SHOT"); keep != "" {
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
