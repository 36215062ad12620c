package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dcnWithin runs dcn and fails the test if it does not return within 60 s:
// several of issue 17's faults were hangs.
func dcnWithin(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	type result struct {
		code     int
		out, err string
	}
	done := make(chan result, 1)
	go func() {
		c, o, e := dcn(t, args...)
		done <- result{c, o, e}
	}()
	select {
	case r := <-done:
		return r.code, r.out, r.err
	case <-time.After(60 * time.Second):
		t.Fatalf("dcn %s did not return within 60 s", strings.Join(args, " "))
		return
	}
}

// TestHostileFlags is issue 17 items 4, 5, 9 and 11: flags that panicked,
// ran out of memory, were ignored or were accepted as NaN. Each case must
// exit with its code and name the fault; none may start training.
func TestHostileFlags(t *testing.T) {
	out := filepath.Join(t.TempDir(), "never")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"huge batch", []string{"train", "--batch", "9223372036854775807", "--out", out}, 1, "batch size must be 1 to 65536"},
		{"big batch", []string{"train", "--batch", "1000000000", "--out", out}, 1, "batch size must be 1 to 65536"},
		{"zero batch", []string{"train", "--batch", "0", "--out", out}, 1, "batch size"},
		{"bench runs 0", []string{"bench", "--runs", "0"}, 1, "--runs must be at least 1"},
		{"bench runs -1", []string{"bench", "--runs", "-1"}, 1, "--runs must be at least 1"},
		{"bench steps 0", []string{"bench", "--steps", "0"}, 1, "--steps must be at least 1"},
		{"bench threads -1", []string{"bench", "--threads", "-1"}, 1, "--threads"},
		{"bench threads 100000", []string{"bench", "--threads", "100000"}, 1, "--threads must be 0 (all cores) to"},
		{"bench coco-ann alone", []string{"bench", "--coco-ann", "x.json"}, 1, "--coco-ann and --coco-images go together"},
		{"bench coco-images alone", []string{"bench", "--coco-images", "img"}, 1, "--coco-ann and --coco-images go together"},
		{"coco crops test -0.1", []string{"coco", "crops", "--ann", out, "--images", out, "--test", "-0.1"}, 1, "--test: want a share"},
		{"coco crops val -0.1", []string{"coco", "crops", "--ann", out, "--images", out, "--val", "-0.1"}, 1, "--val: want a share"},
		{"coco crops val 1", []string{"coco", "crops", "--ann", out, "--images", out, "--val", "1"}, 1, "--val: want a share"},
		{"coco crops context -1", []string{"coco", "crops", "--ann", out, "--images", out, "--context", "-1"}, 1, "--context: want a margin"},
		{"eval test-limit -1", []string{"eval", "--run", out, "--test-limit", "-1"}, 1, "--test-limit: want 0 (all) or more"},
		{"crop size 516", []string{"train", "--data", "coco", "--coco-ann", out, "--coco-images", out, "--crop-size", "516", "--out", out}, 1, "from 8 to 512"},
		{"crop size 1024", []string{"train", "--data", "coco", "--coco-ann", out, "--coco-images", out, "--crop-size", "1024", "--out", out}, 1, "from 8 to 512"},
		{"import classes huge", []string{"import", "--weights", out, "--arch", "coco-cnn", "--classes", "9223372036854775807", "--out", out}, 1, "--classes: want 2 to 255"},
		{"import classes 1e8", []string{"import", "--weights", out, "--arch", "coco-cnn", "--classes", "100000000", "--out", out}, 1, "--classes: want 2 to 255"},
		{"train stray word", []string{"train", "positional", "--model", "bogus", "--out", out}, 2, `unexpected argument "positional"`},
		{"train trailing", []string{"train", "--out", out, "extra"}, 2, `unexpected argument "extra"`},
		{"eval trailing", []string{"eval", "--run", out, "x"}, 2, `unexpected argument "x"`},
		{"bench trailing", []string{"bench", "now"}, 2, `unexpected argument "now"`},
		{"plot trailing", []string{"plot", "--run", out, "big"}, 2, `unexpected argument "big"`},
		{"offsets trailing", []string{"offsets", "--run", out, "a.png"}, 2, `unexpected argument "a.png"`},
		{"heatmap trailing", []string{"heatmap", "--run", out, "a.png"}, 2, `unexpected argument "a.png"`},
		{"reproduce trailing", []string{"reproduce", "mnist", "--out", out, "now"}, 2, `unexpected argument "now"`},
		{"reproduce coco trailing", []string{"reproduce", "coco", "--out", out, "now"}, 2, `unexpected argument "now"`},
		{"predict trailing", []string{"predict", "--run", out, "x"}, 2, `unexpected argument "x"`},
		{"import trailing", []string{"import", "--weights", out, "x"}, 2, `unexpected argument "x"`},
		{"export trailing", []string{"export", "--run", out, "x"}, 2, `unexpected argument "x"`},
		{"dilation trailing", []string{"dilation", "--run", out, "x"}, 2, `unexpected argument "x"`},
		{"replay trailing", []string{"replay", "--run", out, "x"}, 2, `unexpected argument "x"`},
		{"figure trailing", []string{"figure", "--run", out, "x"}, 2, `unexpected argument "x"`},
		{"coco crops trailing", []string{"coco", "crops", "--ann", out, "x"}, 2, `unexpected argument "x"`},
		{"gamma nan", []string{"train", "--gamma", "nan", "--out", out}, 1, "--gamma: want a finite number, got NaN"},
		{"momentum nan", []string{"train", "--momentum", "nan", "--out", out}, 1, "--momentum: want a finite number, got NaN"},
		{"wd nan", []string{"train", "--wd", "NaN", "--out", out}, 1, "--wd: want a finite number"},
		{"lr inf", []string{"train", "--lr", "+Inf", "--out", out}, 1, "--lr: want a finite number, got +Inf"},
		{"min-box nan", []string{"train", "--min-box", "nan", "--out", out}, 1, "--min-box"},
		{"wd negative", []string{"train", "--wd", "-1", "--out", out}, 1, "weight decay (wd)"},
		{"momentum 1", []string{"train", "--opt", "sgd", "--momentum", "1", "--out", out}, 1, "momentum must be"},
		{"coco min-size nan", []string{"coco", "report", "--ann", out, "--min-size", "nan"}, 1, "--min-size: want a finite number"},
		{"coco crops context inf", []string{"coco", "crops", "--context", "-inf"}, 1, "--context: want a finite number, got -Inf"},
		{"plot dpi nan", []string{"plot", "--run", out, "--dpi", "nan"}, 1, "--dpi"},
		{"crop size huge", []string{"train", "--data", "coco", "--coco-ann", out, "--coco-images", out, "--crop-size", "65536", "--out", out}, 1, "crop size must be"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := dcnWithin(t, c.args...)
			if code != c.code || !strings.Contains(stdout+stderr, c.want) {
				t.Errorf("exit %d (want %d), output %q does not contain %q", code, c.code, stdout+stderr, c.want)
			}
		})
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("refused commands left %s behind (%v)", out, err)
	}
}

// TestResumeFlags is issue 17 item 10: --resume ignored every other flag.
func TestResumeFlags(t *testing.T) {
	needMNIST(t)
	dir := filepath.Join(t.TempDir(), "run")
	if code, _, errs := dcnWithin(t, "train", "--model", "cnn", "--epochs", "1", "--limit", "64", "--val", "0",
		"--test-limit", "16", "--scales", "", "--batch", "32", "--out", dir); code != 0 {
		t.Fatalf("train: %s", errs)
	}
	code, _, errs := dcnWithin(t, "train", "--resume", dir, "--lr", "0.1", "--model", "dcnn", "--out", "elsewhere")
	if code != 1 || !strings.Contains(errs, "--lr, --model, --out cannot change it") {
		t.Errorf("resume with other flags: exit %d, %s", code, errs)
	}
	code, _, errs = dcnWithin(t, "train", "--resume", dir, "--epochs", "2")
	if code != 0 || !strings.Contains(errs, "resuming after epoch 1 of 2") || !strings.Contains(errs, "cnn epoch 2:") {
		t.Errorf("resume with more epochs: exit %d, %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "cnn-epoch002.safetensors")); err != nil {
		t.Errorf("epoch 2 was not trained: %v", err)
	}
	code, _, errs = dcnWithin(t, "train", "--resume", dir, "--epochs", "1")
	if code != 1 || !strings.Contains(errs, "already completed 2 epochs") {
		t.Errorf("resume with fewer epochs: exit %d, %s", code, errs)
	}
	// Issue 17 item 15: a 16384×16384 plot took 5.3 GB.
	figs := filepath.Join(t.TempDir(), "figs")
	code, _, errs = dcnWithin(t, "plot", "--run", dir, "--out", figs, "--width", "16384", "--height", "16384")
	if code != 1 || !strings.Contains(errs, "268.4 megapixels, above the limit of 25") {
		t.Errorf("huge plot: exit %d, %s", code, errs)
	}
	if _, err := os.Stat(figs); !os.IsNotExist(err) {
		t.Errorf("the refused plot made %s (%v)", figs, err)
	}
}

// TestBatchCappedToData is issue 17 item 4: --batch 100000000 took 1 GB
// for 640 images. A batch above the data is the whole set, in one step.
func TestBatchCappedToData(t *testing.T) {
	needMNIST(t)
	dir := filepath.Join(t.TempDir(), "run")
	code, _, errs := dcnWithin(t, "train", "--model", "cnn", "--epochs", "1", "--limit", "64", "--val", "0",
		"--test-limit", "16", "--scales", "", "--batch", "65536", "--out", dir)
	if code != 0 || !strings.Contains(errs, "cnn epoch 1:") {
		t.Fatalf("exit %d: %s", code, errs)
	}
}

// TestFIFOInputs is issue 17 item 6: a FIFO named as an input blocked
// open(2) for ever, deaf to Ctrl-C.
func TestFIFOInputs(t *testing.T) {
	needMNIST(t)
	tmp := t.TempDir()
	fifo := func(name string) string {
		p := filepath.Join(tmp, name)
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
		return p
	}
	dir := filepath.Join(tmp, "run")
	if code, _, errs := dcnWithin(t, "train", "--epochs", "1", "--limit", "64", "--val", "0", "--test-limit", "16",
		"--scales", "", "--batch", "32", "--out", dir); code != 0 {
		t.Fatalf("train: %s", errs)
	}
	// The run's last checkpoint of the DCNN becomes a FIFO.
	ck := filepath.Join(dir, "dcnn-epoch001.safetensors")
	os.Remove(ck)
	if err := syscall.Mkfifo(ck, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	mnist := filepath.Join(tmp, "mnist")
	os.Mkdir(mnist, 0o755)
	for _, n := range []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
		syscall.Mkfifo(filepath.Join(mnist, n), 0o644)
	}
	img := fifo("image.png")
	cases := []struct {
		name string
		args []string
	}{
		{"eval checkpoint", []string{"eval", "--run", dir}},
		{"resume checkpoint", []string{"train", "--resume", dir}},
		{"offsets checkpoint", []string{"offsets", "--run", dir, "--index", "0", "--out", filepath.Join(tmp, "o.png")}},
		{"offsets image", []string{"offsets", "--run", dir, "--model", "cnn", "--image", img, "--out", filepath.Join(tmp, "o.png")}},
		{"train mnist", []string{"train", "--mnist-dir", mnist, "--out", filepath.Join(tmp, "r2")}},
		{"import weights", []string{"import", "--weights", fifo("w.pt"), "--arch", "mnist-cnn", "--out", filepath.Join(tmp, "imp")}},
		{"coco report", []string{"coco", "report", "--ann", fifo("instances.json")}},
		{"offsets capture", []string{"offsets", "--capture", fifo("cap.safetensors"), "--out", filepath.Join(tmp, "c.png")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := dcnWithin(t, c.args...)
			if code != 1 || !strings.Contains(stdout+stderr, "not a regular file") {
				t.Errorf("exit %d, output %q; want exit 1 and a not-a-regular-file error", code, stdout+stderr)
			}
		})
	}
}

// TestFailedStartInUserFolder is issue 17 item 14: a failed data load left
// config.json in a non-empty --out folder the user made.
func TestFailedStartInUserFolder(t *testing.T) {
	mine := t.TempDir()
	os.WriteFile(filepath.Join(mine, "notes.txt"), []byte("mine"), 0o644)
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "train-images-idx3-ubyte"), []byte("nonsense"), 0o644)
	if code, _, errs := dcnWithin(t, "train", "--mnist-dir", bad, "--out", mine); code != 1 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	left, _ := os.ReadDir(mine)
	if len(left) != 1 || left[0].Name() != "notes.txt" {
		t.Errorf("the user's folder holds %v, want only notes.txt", left)
	}
}

// TestReproduceMNISTContinues is #26 item 14: the usage says a stopped study continues when the
// same command is run again; reproduce mnist refused and asked for --resume. Now it continues (as
// reproduce coco does), and a run made with other settings is refused, naming the setting.
func TestReproduceMNISTContinues(t *testing.T) {
	needMNIST(t)
	dir := filepath.Join(t.TempDir(), "study")
	args := []string{"reproduce", "mnist", "--out", dir, "--epochs", "1", "--limit", "128", "--test-limit", "100"}
	if code, _, errs := dcn(t, args...); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, errs)
	}
	code, out, errs := dcn(t, args...)
	if code != 0 || !strings.Contains(errs, "resuming after epoch 1 of 1") || !strings.Contains(out, "written to") {
		t.Fatalf("the same command again: exit %d: %s%s", code, out, errs)
	}
	if code, _, errs := dcn(t, append(args, "--seed", "2")...); code != 1 || !strings.Contains(errs, "train.seed: 1, now 2") {
		t.Errorf("other settings: exit %d: %s", code, errs)
	}
	if code, _, errs := dcn(t, "reproduce", "mnist", "--resume", "--out", dir); code != 0 {
		t.Errorf("--resume: exit %d: %s", code, errs)
	}
}

// TestExportImportKeepUsersFiles is #26 item 2: `dcn export --out RUN` overwrote the run's
// config.json (eval and resume then failed), export replaced a user's README.md, and `dcn import
// --out DIR` overwrote a user's file named like a checkpoint when DIR held no run.
func TestExportImportKeepUsersFiles(t *testing.T) {
	root := t.TempDir()
	run := filepath.Join(root, "run")
	if code, _, errs := dcn(t, "import", "--weights", filepath.Join("..", "..", "model", "torchfile", "testdata", "mnist-cnn.pt"),
		"--arch", "mnist-cnn", "--out", run); code != 0 {
		t.Fatalf("import: exit %d: %s", code, errs)
	}
	cfg, err := os.ReadFile(filepath.Join(run, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if code, _, errs := dcn(t, "export", "--run", run, "--out", run); code != 1 || !strings.Contains(errs, "is a run folder") {
		t.Errorf("export into the run: exit %d: %s", code, errs)
	}
	if b, _ := os.ReadFile(filepath.Join(run, "config.json")); string(b) != string(cfg) {
		t.Error("the run's config.json was replaced")
	}
	user := filepath.Join(root, "mine")
	os.Mkdir(user, 0o755)
	os.WriteFile(filepath.Join(user, "README.md"), []byte("my notes\n"), 0o644)
	if code, _, errs := dcn(t, "export", "--run", run, "--out", user); code != 1 || !strings.Contains(errs, "README.md") {
		t.Errorf("export over a user's README.md: exit %d: %s", code, errs)
	}
	if b, _ := os.ReadFile(filepath.Join(user, "README.md")); string(b) != "my notes\n" {
		t.Errorf("the user's README.md is now %q", b)
	}
	// An earlier export is replaced, as before.
	exp := filepath.Join(root, "exp")
	for range 2 {
		if code, _, errs := dcn(t, "export", "--run", run, "--out", exp); code != 0 {
			t.Fatalf("export: exit %d: %s", code, errs)
		}
	}
	// import never overwrites a user's file named like a checkpoint.
	dir := filepath.Join(root, "imp")
	os.Mkdir(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "cnn-epoch001.safetensors"), []byte("mine\n"), 0o644)
	if code, _, errs := dcn(t, "import", "--weights", filepath.Join("..", "..", "model", "torchfile", "testdata", "mnist-cnn.pt"),
		"--arch", "mnist-cnn", "--out", dir); code != 1 || !strings.Contains(errs, "would overwrite") {
		t.Errorf("import over a user's file: exit %d: %s", code, errs)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "cnn-epoch001.safetensors")); string(b) != "mine\n" {
		t.Errorf("the user's file is now %q", b)
	}
}

// TestFIFOImageFolders is #26 item 8: an image folder that is a FIFO hung coco report, coco crops,
// train and reproduce coco in os.OpenRoot, deaf to Ctrl-C and SIGTERM; import took a FIFO or
// missing --ann and --images. Each is refused at once (dcnWithin fails on a 60 s timer instead of
// hanging).
func TestFIFOImageFolders(t *testing.T) {
	ann, _ := coco128Dir(t)
	tmp := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	imgs := filepath.Join(tmp, "images")
	if err := syscall.Mkfifo(imgs, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	fifoAnn := filepath.Join(tmp, "ann.json")
	syscall.Mkfifo(fifoAnn, 0o644)
	pt := filepath.Join("..", "..", "model", "torchfile", "testdata", "coco-dcnn-middle.pt")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"coco report", []string{"coco", "report", "--ann", ann, "--images", imgs}, "a named pipe, not a folder"},
		{"coco crops", []string{"coco", "crops", "--ann", ann, "--images", imgs}, "a named pipe, not a folder"},
		{"train", []string{"train", "--data", "coco", "--coco-ann", ann, "--coco-images", imgs, "--out", filepath.Join(tmp, "r")}, "a named pipe, not a folder"},
		{"reproduce coco", []string{"reproduce", "coco", "--coco-ann", ann, "--coco-images", imgs, "--out", filepath.Join(tmp, "s")}, "a named pipe, not a folder"},
		{"import FIFO images", []string{"import", "--weights", pt, "--arch", "coco-dcnn-middle", "--ann", ann, "--images", imgs, "--out", filepath.Join(tmp, "i1")}, "--images"},
		{"import FIFO ann", []string{"import", "--weights", pt, "--arch", "coco-dcnn-middle", "--ann", fifoAnn, "--images", tmp, "--out", filepath.Join(tmp, "i2")}, "not a regular file"},
		{"import missing ann", []string{"import", "--weights", pt, "--arch", "coco-dcnn-middle", "--ann", filepath.Join(tmp, "none.json"), "--images", tmp, "--out", filepath.Join(tmp, "i3")}, "no such file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := dcnWithin(t, c.args...)
			if code != 1 || !strings.Contains(stdout+stderr, c.want) {
				t.Errorf("exit %d, output %q; want exit 1 and %q", code, stdout+stderr, c.want)
			}
		})
	}
}

// TestOutRefusesSpecialFiles is #26 item 1 through dcn: --out /dev/full (as root) was replaced by a
// PNG. A FIFO and a character device made in a temp folder (never the real /dev) are refused and
// stay what they were.
func TestOutRefusesSpecialFiles(t *testing.T) {
	tmp := t.TempDir()
	run := filepath.Join(tmp, "run")
	needMNIST(t)
	if code, _, errs := dcn(t, "import", "--weights", filepath.Join("..", "..", "model", "torchfile", "testdata", "mnist-dcnn.pt"),
		"--arch", "mnist-dcnn", "--out", run); code != 0 {
		t.Fatalf("import: exit %d: %s", code, errs)
	}
	outs := map[string]string{"fifo": filepath.Join(tmp, "fifo.png")}
	if err := syscall.Mkfifo(outs["fifo"], 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	full := filepath.Join(tmp, "full")
	if err := syscall.Mknod(full, syscall.S_IFCHR|0o666, 1<<8|7); err == nil {
		outs["full"] = full
	} else {
		t.Logf("mknod: %v (not root): device node not tested", err)
	}
	for name, out := range outs {
		t.Run(name, func(t *testing.T) {
			before, _ := os.Lstat(out)
			code, stdout, stderr := dcnWithin(t, "offsets", "--run", run, "--index", "0", "--out", out)
			if code != 1 || !strings.Contains(stdout+stderr, "not a regular file; refusing to write over it") {
				t.Errorf("exit %d, output %q", code, stdout+stderr)
			}
			if after, err := os.Lstat(out); err != nil || after.Mode() != before.Mode() {
				t.Errorf("%s was replaced: %v %v", out, after, err)
			}
		})
	}
}

// TestOffsetsBoxWidth is #26 item 10: `offsets --box --width 8000` wrote a 99.5 MP PNG (the docs
// promise 25 MP) and `--width 16384` took 3.28 GB before refusing. Both are refused before the big
// picture is allocated.
func TestOffsetsBoxWidth(t *testing.T) {
	ann, images := coco128Dir(t)
	tmp := t.TempDir()
	run := filepath.Join(tmp, "run")
	if code, _, errs := dcn(t, "import", "--weights", filepath.Join("..", "..", "model", "torchfile", "testdata", "coco-dcnn-middle.pt"),
		"--arch", "coco-dcnn-middle", "--out", run); code != 0 {
		t.Fatalf("import: exit %d: %s", code, errs)
	}
	_ = ann
	photo := filepath.Join(images, "000000000009.jpg")
	for _, w := range []string{"8000", "16384"} {
		out := filepath.Join(tmp, w+".png")
		code, stdout, stderr := dcnWithin(t, "offsets", "--run", run, "--image", photo, "--box", "1,187,612,286", "--width", w, "--out", out)
		if code != 1 || !strings.Contains(stdout+stderr, "megapixels, above the limit of 25") {
			t.Errorf("--width %s: exit %d: %s%s", w, code, stdout, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("--width %s wrote %s", w, out)
		}
	}
}
